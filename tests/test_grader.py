"""Grading: it judges the released checks, detects tampering, and fails precisely."""

import json
import shutil

import nbformat
from nbformat.v4 import new_output

from common import grader
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


def test_grading_the_loop_end_to_end(released, grade):
    """One class, four learners: solved passes (even with a stale failure saved in its check
    cell); as released, wrong and tampered fail, precisely."""
    reference, learner = released
    manifest = json.loads((learner / "checks.json").read_text())["lesson.ipynb"]
    variants = {"solved": "return 2 * x", "wrong": "return x", "tampered": None, "stub": None}
    for variant, body in variants.items():
        shutil.copy(learner / "lesson.ipynb", learner / f"{variant}.ipynb")
        if body:
            edit_exercise(learner / f"{variant}.ipynb", body)
    path = learner / "tampered.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = 'print("✔ double: 1/1 checks passed")'
    nbformat.write(nb, path)
    # The solver saved before re-running the check: its stale failure must not count.
    path = learner / "solved.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].outputs = [new_output("error", ename="ExerciseNotDone", evalue="[double] not "
                                      "done yet", traceback=["✘ [double] not done yet"])]
    nbformat.write(nb, path)
    (learner / "lesson.ipynb").unlink()
    (learner / "checks.json").write_text(json.dumps({f"{v}.ipynb": manifest for v in variants}))

    code, out, table = grade(learner)
    assert code == 1 and "Score: 1/4 exercises passed" in out, out
    assert table["solved.ipynb"] == ["PASS  double                       ok"]
    assert table["stub.ipynb"][0].endswith("[double] not done yet: replace "
                                           "`raise NotImplementedError` with your code")
    assert table["wrong.ipynb"][0].endswith(
        "[double] double(3.0) should be 6.0, got 3.0 - multiply by 2")
    assert table["tampered.ipynb"][0].endswith("TAMPERED: check cell changed")
