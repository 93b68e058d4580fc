"""Grading: it judges the released checks, detects tampering, and fails precisely."""

import json
import shutil

import nbformat
from nbformat.v4 import new_output

from common import grader
from common.classroom import digest
from tests.conftest import edit_exercise


def test_tampering_is_detected_without_running_anything(released):
    _, learner = released
    nb = nbformat.read(learner / "lesson.ipynb", as_version=4)
    checks = json.loads((learner / "checks.json").read_text())["lesson.ipynb"]
    assert grader.find_tampering(nb, checks) == {}
    nb.cells[3].source = 'print("✔ double: 1/1 checks passed")'
    assert grader.find_tampering(nb, checks) == {nb.cells[3].id: "check cell changed"}
    del nb.cells[3]
    assert list(grader.find_tampering(nb, checks).values()) == ["check cell deleted"]


FAKE_CHECKER = """import common.grading

class Fake:
    def __init__(self, *args):
        pass

    def expect_close(self, *args, **kwargs):
        pass

    def done(self):
        print("✔ double: 1/1 checks passed")

common.grading.Checker = Fake
"""

# name: (the exercise's body, a cell put just before the check cell or None)
LEARNERS = {
    "solved": ("return 2 * x", None),
    "solved_printing": ("print('debugging', x)\n    return 2 * x", None),
    "wrong": ("return x", None),
    "stub": (None, None),
    "fakes_the_checker": ("return x", FAKE_CHECKER),
    "fakes_allclose": ("return x", "import numpy as np\nnp.allclose = lambda *a, **k: True"),
    "fakes_allclose_when_called": (
        "import numpy as np\n    np.allclose = lambda *a, **k: True\n    return x", None),
    "prints_the_tick": ("print('✔ double: 1/1 checks passed')\n    return x", None),
    "endless": ("while True:\n        pass", None),
}


# A course check replaced, or shadowed by a name of the notebook's, before a wrong softmax is
# checked: the first is caught by the fingerprint, the second runs the real check anyway.
COURSE_CHECK_FAKES = {
    "rebinds_the_module_check": "import common.checks.output_layer as checks\n"
                                "checks.check_softmax = lambda f: print('✔ softmax: ok')",
    "rebinds_the_check_name": "from common.checks.output_layer import check_softmax\n"
                              "check_softmax = lambda f: print('✔ softmax: ok')",
}


def course_check_notebook(path, fake):
    """Write a notebook with a wrong softmax, ``fake`` and the course's softmax check; return
    its release entry."""
    check = "from common.checks.output_layer import check_softmax\n\ncheck_softmax(softmax)"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def softmax(x):\n    return x / x.sum()", metadata={
            "tags": ["exercise"]}),
        nbformat.v4.new_code_cell(fake),
        nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]}),
    ])
    nbformat.write(nb, path)
    return {nb.cells[2].id: {"sha256": digest(check), "output": "✔ softmax: ok\n",
                             "exercise": "softmax"}}


def learner_variant(folder, name, body, before_check):
    path = folder / f"{name}.ipynb"
    shutil.copy(folder / "lesson.ipynb", path)
    if body:
        edit_exercise(path, body)
    nb = nbformat.read(path, as_version=4)
    if before_check:
        nb.cells.insert(3, nbformat.v4.new_code_cell(before_check))
    return path, nb


def test_grading_cannot_be_fooled_and_says_what_to_do(released, grade, monkeypatch):
    """Every route a learner might try to pass a wrong answer fails, precisely; a right answer
    passes whatever it prints or what was saved; renamed, deleted and endless cells are named."""
    _, learner = released
    manifest = json.loads((learner / "checks.json").read_text())["lesson.ipynb"]
    for name, (body, before_check) in LEARNERS.items():
        path, nb = learner_variant(learner, name, body, before_check)
        if name == "solved":  # saved before re-running the check: the stale failure is ignored
            nb.cells[3].outputs = [new_output("error", ename="ExerciseNotDone", evalue="[double] "
                                              "not done", traceback=["✘ [double] not done"])]
        nbformat.write(nb, path)
    edits = {
        "tampered": lambda nb: setattr(nb.cells[3], "source",
                                       'print("✔ double: 1/1 checks passed")'),
        "renamed": lambda nb: setattr(nb.cells[2], "source",
                                      "def twice(x):\n    return 2 * x\n"),
        "exercise_deleted": lambda nb: nb.cells.pop(2),
        "check_deleted": lambda nb: nb.cells.pop(3),
        "exercise_crashes": lambda nb: setattr(nb.cells[2], "source",
                                               "undefined_name\n" + nb.cells[2].source),
    }
    for name, edit in edits.items():
        path, nb = learner_variant(learner, name, None, None)
        edit(nb)
        nbformat.write(nb, path)
    (learner / "lesson.ipynb").unlink()
    manifests = {f"{name}.ipynb": manifest for name in [*LEARNERS, *edits]}
    for name, fake in COURSE_CHECK_FAKES.items():
        manifests[f"{name}.ipynb"] = course_check_notebook(learner / f"{name}.ipynb", fake)
    (learner / "checks.json").write_text(json.dumps(manifests))
    monkeypatch.setenv("COURSE_CELL_TIMEOUT", "3")

    code, out, table = grade(learner)
    reasons = {name.removesuffix(".ipynb"): rows for name, rows in table.items()}
    total = len(LEARNERS) + len(edits) + len(COURSE_CHECK_FAKES)
    assert code == 1 and f"Score: 2/{total} exercises passed" in out, out
    assert out.rstrip().endswith("then grade again."), out
    expected = {
        "rebinds_the_module_check": "TAMPERED: the notebook replaced "
                                    "common.checks.output_layer.check_softmax",
        "rebinds_the_check_name": "[softmax] softmax",
        "solved": "PASS  double                       ok",
        "solved_printing": "PASS  double                       ok",
        "wrong": "[double] double(3.0) should be 6.0, got 3.0 - multiply by 2",
        "stub": "[double] not done yet: replace `raise NotImplementedError` with your code",
        "fakes_the_checker": "TAMPERED: the notebook replaced common.grading.Checker",
        "fakes_allclose": "TAMPERED: the notebook replaced numpy.allclose",
        "fakes_allclose_when_called": "TAMPERED: the exercise's function replaced "
                                      "numpy.allclose",
        "prints_the_tick": "[double] double(3.0) should be 6.0, got 3.0 - multiply by 2",
        "endless": "timed out after 3 s: look for an endless loop",
        "tampered": "TAMPERED: check cell changed",
        "renamed": "`double` is not defined: the exercise cell must define a function named "
                   "`double` (keep the name it was given)",
        "exercise_deleted": "`double` is not defined",
        "check_deleted": "TAMPERED: check cell deleted",
        "exercise_crashes": "the exercise cell itself fails: NameError: name 'undefined_name' "
                            "is not defined",
    }
    for name, ending in expected.items():
        (row,) = reasons[name]
        assert row.startswith(("PASS  double ", "FAIL  double ", "FAIL  softmax ")), (name, row)
        assert ending in row, (name, row)
