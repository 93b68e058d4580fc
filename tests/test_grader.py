"""Grading: it judges the released checks, detects tampering, and fails precisely."""

import json
import re
import shutil

import nbformat
from nbformat.v4 import new_output

from common import classroom, grader
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

# A course check shadowed by a name of the notebook's (the real check runs anyway), then
# replaced in its module (the fingerprint catches it), each before a wrong softmax is checked.
SHADOW = ("from common.checks.output_layer import check_softmax\n"
          "check_softmax = lambda f: print('✔ softmax: ok')")
REPLACE = ("import common.checks.output_layer as checks\n"
           "checks.check_softmax = lambda f: print('✔ softmax: ok')")

# Wrong or odd answers that leave the kernel clean: all are exercises of one notebook.
# name: (the exercise's body, or None for the stub as released)
ANSWERS = {
    "solved": "return 2 * x",
    "solved_printing": "print('debugging', x)\n    return 2 * x",
    "wrong": "return x",
    "stub": None,
    "prints_the_tick": "print('✔ double_prints_the_tick: 1/1 checks passed')\n    return x",
    "endless": "while True:\n        pass",
}
# Edits of the released cells themselves, each on an exercise of its own in that notebook.
EDITS = ["check_changed", "renamed", "exercise_deleted", "check_deleted", "exercise_crashes"]

# Answers that poison the kernel (the check machinery replaced), each in a notebook of its own.
# name: (the exercise's body, a cell put just before the check cell or None)
POISONS = {
    "fakes_the_checker": ("return x", FAKE_CHECKER),
    "fakes_allclose": ("return x", "import numpy as np\nnp.allclose = lambda *a, **k: True"),
    "fakes_allclose_when_called": (
        "import numpy as np\n    np.allclose = lambda *a, **k: True\n    return x", None),
}


def course_check_notebook(path):
    """Write the notebook of both fakes of the course's softmax check; return its release."""
    check = "check_softmax(softmax)"  # imported in the first cell, as a lesson may do
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from common.checks.output_layer import check_softmax\n\n"
                                  "def softmax(x):\n    return x / x.sum()", metadata={
                                      "tags": ["exercise"]}),
        nbformat.v4.new_code_cell(SHADOW),
        nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]}),
        nbformat.v4.new_code_cell(REPLACE),
        nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]}),
    ])
    nbformat.write(nb, path)
    release = {"sha256": digest(check), "output": "✔ softmax: ok\n", "exercise": "softmax",
               "modules": ["common.checks.output_layer"]}
    return {nb.cells[2].id: release, nb.cells[4].id: release}


def many_exercises(folder):
    """Release a course of one notebook with an exercise per answer and per edit."""
    cells = []
    for name in [*ANSWERS, *EDITS]:
        cells.append(nbformat.v4.new_code_cell(
            f"def double_{name}(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
            "    ### END SOLUTION", metadata={"tags": ["exercise"]}))
        check = (f"from common.grading import Checker\n\nchecker = Checker('double_{name}', "
                 f"double_{name})\nchecker.expect_close((3.0,), 6.0, hints=[(3.0, 'multiply "
                 "by 2')])\nchecker.done()")
        passed = new_output("stream", name="stdout", text=f"✔ double_{name}: 1/1 checks passed\n")
        cells.append(nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]},
                                               outputs=[passed]))
    nb = nbformat.v4.new_notebook(cells=cells)
    reference = folder / "many_reference"
    reference.mkdir()
    nbformat.write(nb, reference / "many.ipynb")
    classroom.release(folder / "many", reference=reference)
    return folder / "many"


def answer_all(path):
    """The learner's notebook: each exercise answered or edited as its name says."""
    nb = nbformat.read(path, as_version=4)
    cells = {re.match(r"def double_(\w+)\(", nb.cells[i].source).group(1):
             (nb.cells[i], nb.cells[i + 1]) for i in range(0, len(nb.cells), 2)}
    for name, body in ANSWERS.items():
        if body:
            cells[name][0].source = cells[name][0].source.replace(classroom.STUB, body)
    # Saved before re-running the check: the stale failure must not count.
    cells["solved"][1].outputs = [new_output("error", ename="ExerciseNotDone", evalue="not "
                                             "done", traceback=["✘ [double_solved] not done"])]
    cells["check_changed"][1].source = 'print("✔ double_check_changed: 1/1 checks passed")'
    cells["renamed"][0].source = "def twice(x):\n    return 2 * x\n"
    cells["exercise_crashes"][0].source = "undefined_name\n" + cells["exercise_crashes"][0].source
    nb.cells.remove(cells["exercise_deleted"][0])
    nb.cells.remove(cells["check_deleted"][1])
    nbformat.write(nb, path)


def learner_variant(folder, name, body, before_check):
    path = folder / f"{name}.ipynb"
    shutil.copy(folder / "lesson.ipynb", path)
    edit_exercise(path, body)
    nb = nbformat.read(path, as_version=4)
    if before_check:
        nb.cells.insert(3, nbformat.v4.new_code_cell(before_check))
    nbformat.write(nb, path)


def test_grading_cannot_be_fooled_and_says_what_to_do(released, grade, tmp_path, monkeypatch):
    """Every route a learner might try to pass a wrong answer fails, precisely; a right answer
    passes whatever it prints or what was saved; renamed, deleted and endless cells are named."""
    _, learner = released
    manifest = json.loads((learner / "checks.json").read_text())["lesson.ipynb"]
    manifests = {f"{name}.ipynb": manifest for name in POISONS}
    for name, (body, before_check) in POISONS.items():
        learner_variant(learner, name, body, before_check)
    (learner / "lesson.ipynb").unlink()
    manifests["course_checks.ipynb"] = course_check_notebook(learner / "course_checks.ipynb")
    many = many_exercises(tmp_path)
    shutil.copy(many / "many.ipynb", learner / "many.ipynb")
    answer_all(learner / "many.ipynb")
    manifests["many.ipynb"] = json.loads((many / "checks.json").read_text())["many.ipynb"]
    (learner / "checks.json").write_text(json.dumps(manifests))
    monkeypatch.setenv("COURSE_CELL_TIMEOUT", "2")

    code, out, table = grade(learner)
    total = len(POISONS) + len(ANSWERS) + len(EDITS) + 2
    assert code == 1 and f"Score: 2/{total} exercises passed" in out, out
    assert out.rstrip().endswith("then grade again."), out
    expected = {
        "solved": "PASS  double_solved ",
        "solved_printing": "PASS  double_solved_printing ",
        "wrong": "[double_wrong] double_wrong(3.0) should be 6.0, got 3.0 - multiply by 2",
        "stub": "[double_stub] not done yet: replace `raise NotImplementedError` with your code",
        "prints_the_tick": "[double_prints_the_tick] double_prints_the_tick(3.0) should be 6.0",
        "endless": "timed out after 2 s: look for an endless loop",
        "check_changed": "TAMPERED: check cell changed",
        "renamed": "`double_renamed` is not defined: the exercise cell must define a function "
                   "named `double_renamed` (keep the name it was given)",
        "exercise_deleted": "`double_exercise_deleted` is not defined",
        "check_deleted": "TAMPERED: check cell deleted",
        "exercise_crashes": "the exercise cell itself fails: NameError: name 'undefined_name' "
                            "is not defined",
    }
    rows = {row.split()[1]: row for row in table["many.ipynb"]}
    assert sorted(rows) == sorted(f"double_{name}" for name in expected), rows  # deleted: named
    for name, text in expected.items():
        assert text in rows[f"double_{name}"], (name, rows[f"double_{name}"])
    for name, replaced in [("fakes_the_checker", "the notebook replaced common.grading.Checker"),
                           ("fakes_allclose", "the notebook replaced numpy.allclose"),
                           ("fakes_allclose_when_called",
                            "the exercise's function replaced numpy.allclose")]:
        (row,) = table[f"{name}.ipynb"]
        assert row.startswith("FAIL  double ") and row.endswith(f"TAMPERED: {replaced}"), row
    shadowed, replaced = table["course_checks.ipynb"]
    assert shadowed.startswith("FAIL  softmax ") and "[softmax] softmax(" in shadowed, shadowed
    assert replaced.endswith("TAMPERED: the notebook replaced "
                             "common.checks.output_layer.check_softmax"), replaced
