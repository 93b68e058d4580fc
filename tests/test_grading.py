"""The Checker behind every check cell: one line on success, one precise line on failure."""

import numpy as np
import pytest

from common.grading import Checker, ExerciseFailed, ExerciseNotDone, format_value


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
    (lambda x: x.__imul__(2), "[double] <lambda>([1.0, 2.0]) changed its input in place; "
                              "compute a new array instead"),
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
