"""The Checker behind every check cell: one line on success, one precise line on failure."""

import math
import re

import nbformat
import numpy as np
import pytest

from common import functions
from common.functions import relu as aliased_relu
from common.grading import Checker, ExerciseFailed, ExerciseNotDone, format_value, refusing


def test_format_value_is_short_and_readable():
    assert format_value(3.0) == "3.0"
    assert format_value(np.array([1.0, np.nan])) == "[1.0, nan]"
    assert format_value(np.eye(2)) == "[[1.0, 0.0], [0.0, 1.0]]"
    assert format_value(np.zeros((3, 4))) == "<array of shape (3, 4)>"


def test_success_prints_one_stable_line(capsys):
    checker = Checker("double", lambda x: 2 * x)
    checker.expect_close((np.array([1.0, 2.0]),), [2.0, 4.0])
    checker.expect(True, "never shown")
    checker.done()
    assert capsys.readouterr().out == "✔ double: 2/2 checks passed\n"


def test_a_check_that_checked_nothing_is_an_error():
    with pytest.raises(RuntimeError, match="ran no checks"):
        Checker("double", abs).done()


@pytest.mark.parametrize("func, message", [
    (lambda x: x, "[double] <lambda>([1.0, 2.0]) should be [2.0, 4.0], got [1.0, 2.0] - times 2"),
    (lambda x: np.append(x, 0), "[double] <lambda>([1.0, 2.0]) should have shape (2,), "
                                "got shape (3,)"),
    (lambda x: x.__imul__(2), "[double] <lambda>([1.0, 2.0]) changed its input in place (x); "
                              "compute new arrays and return them"),
    (lambda x: [2.0, 4.0], "[double] <lambda>([1.0, 2.0]) should return a NumPy array, got a "
                           "list"),
    (lambda x: np.array([2, 4]), "[double] <lambda>([1.0, 2.0]) should give decimal numbers "
                                 "(float), got whole numbers (dtype int64)"),
    (lambda x: print(2 * x), "[double] <lambda>([1.0, 2.0]) returned None: end the function "
                             "with `return ...`"),
    (lambda x: x / "2", "[double] <lambda>([1.0, 2.0]) raised TypeError: "),
])
def test_failures_are_one_line_naming_input_expected_and_received(func, message):
    checker = Checker("double", func)
    with pytest.raises(ExerciseFailed) as info:
        checker.expect_close((np.array([1.0, 2.0]),), [2.0, 4.0],
                             hints=[(np.array([1.0, 2.0]), "times 2")])
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_a_stub_is_not_done_and_a_non_function_is_refused():
    def stub(x):
        raise NotImplementedError

    with pytest.raises(ExerciseNotDone, match=r"^\[double\] not done yet"):
        Checker("double", stub).expect_close((1.0,), 2.0)
    with pytest.raises(ExerciseFailed, match="without calling it"):
        Checker("double", 2.0)


def test_a_large_mismatch_is_located():
    checker = Checker("grad", np.zeros)
    expected = np.zeros((3, 4))
    received = expected.copy()
    received[1, 2] = 0.5
    with pytest.raises(ExerciseFailed, match=r"^\[grad\] grad\['W1'\] differs most at \[1, 2\]: "
                                             r"should be 0.0, got 0.5$"):
        checker.compare("grad['W1']", received, expected)


def test_a_change_deep_inside_an_argument_is_reported():
    def backward(d, cache):
        delta2 = cache["y"]
        delta2 -= d  # changes the caller's cache["y"]
        return delta2

    checker = Checker("backward", backward)
    cache = {"y": np.array([0.2, 0.8]), "z1": [np.ones(2)]}
    with pytest.raises(ExerciseFailed, match=r"changed its input in place \(cache\['y'\]\)"):
        checker.call(np.array([0.0, 1.0]), cache)
    assert np.array_equal(cache["y"], [0.2, 0.8])  # the checker's own copy is intact


def test_a_delegating_solution_is_refused_by_any_name():
    def by_module(x):
        return functions.relu(x)

    def by_alias(x):
        return aliased_relu(x)

    for func in (by_module, by_alias):
        checker = Checker("relu", func, without=("relu",))
        with pytest.raises(ExerciseFailed, match=r"^\[relu\] write it yourself, without "
                                                 r"functions.relu"):
            checker.expect_close((np.array([-1.0, 2.0]),), [0.0, 2.0])
    # Outside the check the library works again, and a solution of one's own passes.
    assert np.array_equal(functions.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
    checker = Checker("relu", lambda x: np.maximum(x, 0.0), without=("relu",))
    checker.expect_close((np.array([-1.0, 2.0]),), [0.0, 2.0])


def test_refusing_restores_the_library_after_an_error():
    with pytest.raises(ValueError, match="^boom$"), refusing(["sigmoid", functions.softmax]):
        raise ValueError("boom")
    assert functions.sigmoid(0.0) == 0.5 and functions.softmax(np.zeros(2))[0] == 0.5


def test_in_a_notebook_a_check_of_an_undefined_function_says_what_to_do():
    """Only a check call names the exercise cell; any other NameError keeps its traceback."""
    from nbclient import NotebookClient

    sources = ["import common.grading\ndef check_it(f):\n    pass\n"
               "def relu(x):\n    raise NotImplementedError",
               "check_it(softmax)", "print(undefined_thing)", "relu(1.0)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, kernel_name="python3", allow_errors=True).execute()
    (check,), (other,), (unfinished,) = (cell.outputs for cell in nb.cells[1:])
    assert check.traceback == ["✘ NameError: `softmax` is not defined yet: run the exercise "
                               "cell above first (Shift+Enter), and keep the function's name "
                               "`softmax`"]
    assert len(other.traceback) > 1 and "undefined_thing" in other.traceback[-1]
    assert unfinished.traceback == ["✘ `relu` is not written yet: finish its exercise above "
                                    "(replace `raise NotImplementedError` with your code), then "
                                    "run this cell again"]


@pytest.mark.parametrize("func, advice", [
    (lambda x: 1.0 if x > 0 else 0.0, "decide for one number only; for arrays use "
                                      "np.where(condition, a, b)"),
    (lambda x: np.array([math.exp(x)]), "use NumPy's np.exp, np.tanh, ..., which work on whole "
                                        "arrays"),
    (lambda x: 1 - np.tanh(x) ^ 2, "in Python ^ is not a power: write t ** 2"),
])
def test_a_typical_crash_gets_advice_instead_of_numpys(func, advice):
    with pytest.raises(ExerciseFailed, match=re.escape(advice)):
        Checker("step", func).expect_close((np.array([1.0, -1.0]),), [1.0, 0.0])


def test_a_list_changed_in_place_gets_list_advice():
    def count(sizes):
        sizes.append(1)
        return 1.0

    with pytest.raises(ExerciseFailed, match=r"\(sizes\); build a new list instead of changing "
                                             r"it \(append, pop, ...\)"):
        Checker("count", count).expect_close(([2, 3],), 1.0)


@pytest.mark.parametrize("step, advice", [
    (lambda params: params.update(w=params["w"] - 1.0) or params,
     "assigning params[...] = ... changes the caller's dict"),
    (lambda params: (new := params.copy(), new["w"].__isub__(1.0))[0],
     "params[key] -= ... changes the array inside the caller's dict (params.copy() shares "
     "the arrays)"),
])
def test_a_dict_changed_in_place_gets_advice_for_how_it_was_changed(step, advice):
    def named(params):
        return step(params)

    with pytest.raises(ExerciseFailed, match=re.escape(advice)):
        Checker("step", named).call({"w": np.array([1.0, 2.0])})


def test_a_hint_whose_mistake_equals_the_answer_is_not_given():
    checker = Checker("double", lambda x: [2.0, 4.0])
    with pytest.raises(ExerciseFailed) as info:
        checker.expect_close((np.array([1.0, 2.0]),), [2.0, 4.0],
                             hints=[(np.array([2.0, 4.0]), "a mistake that is the answer")])
    assert "NumPy array, got a list" in str(info.value) and "mistake" not in str(info.value)


def test_counts_are_shown_as_whole_numbers():
    checker = Checker("count", lambda x: np.array([2, 3]))
    with pytest.raises(ExerciseFailed, match=r"should be \[2, 4\], got \[2, 3\]$"):
        checker.expect_close((np.array([1.0]),), np.array([2, 4]))


def test_an_exercise_can_give_its_own_in_place_advice_by_kind_of_change():
    def step(params):
        params["w"] -= 1.0  # the array inside the caller's dict
        return params

    checker = Checker("step", step, in_place=lambda name, kind: f"own advice for {name}, {kind}")
    with pytest.raises(ExerciseFailed, match=r"\(params\['w'\]\); own advice for params, "
                                             r"array in dict$"):
        checker.call({"w": np.array([1.0, 2.0])})
