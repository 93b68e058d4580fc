"""The learner edition and grading: solutions are stripped, and grading can fail, precisely."""

import json
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from common import classroom

EXERCISE = '''def double(x):
    """Return twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''
CHECK = '''from common.grading import Checker

checker = Checker("double", double)
checker.expect_close((3.0,), 6.0, hints=[(3.0, "multiply by 2")])
checker.done()'''
PASSED = "✔ double: 1/1 checks passed\n"


def tagged(source, *tags, **metadata):
    return new_code_cell(source, metadata={"tags": list(tags), **metadata})


def checked(cell):
    """The check cell as the reference stores it: run, with its ✔ line."""
    cell.outputs = [new_output("stream", name="stdout", text=PASSED)]
    cell.execution_count = 1
    return cell


def course_notebook():
    """A one-exercise notebook in the course's format, with an endless Let's-try cell."""
    nb = new_notebook(cells=[
        new_markdown_cell("# A tiny lesson"),
        new_code_cell("import numpy as np"),
        tagged(EXERCISE, "exercise"),
        checked(tagged(CHECK, "check", editable=False, deletable=False)),
        tagged("while True:  # a learner's endless loop must not block grading\n    pass",
               "lets-try"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@pytest.fixture
def released(tmp_path):
    """A reference folder with the tiny lesson, and its learner edition."""
    reference = tmp_path / "reference"
    reference.mkdir()
    nbformat.write(course_notebook(), reference / "lesson.ipynb")
    classroom.release(tmp_path / "learner", reference=reference)
    return reference, tmp_path / "learner"


def edit_exercise(path, new_body):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    cell.source = cell.source.replace(classroom.STUB, new_body)
    nbformat.write(nb, path)


def test_learner_edition_strips_solutions_and_keeps_the_rest(released):
    _, learner = released
    nb = nbformat.read(learner / "lesson.ipynb", as_version=4)
    exercise = nb.cells[2].source
    assert "return 2 * x" not in exercise and classroom.BEGIN not in exercise
    assert exercise.startswith('def double(x):\n    """Return twice x."""\n    raise Not')
    assert nb.cells[3].source == CHECK and nb.cells[4].source.startswith("while True")
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")
    manifest = json.loads((learner / "checks.json").read_text())
    assert manifest == {"lesson.ipynb": {nb.cells[3].id: {"sha256": classroom.digest(CHECK),
                                                          "output": PASSED}}}
    assert "raises-exception" in nb.cells[3].metadata["tags"]  # Run All goes on past it


@pytest.mark.parametrize("source, message", [
    ("def f():\n    return 1\n", "without a ### BEGIN SOLUTION"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "without ### END SOLUTION"),
    ("def f():\n    ### END SOLUTION\n", "without ### BEGIN SOLUTION"),
])
def test_malformed_solution_regions_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        classroom.strip_solution(source, "lesson, cell 2")


def test_tampering_is_detected_without_running_anything(released):
    _, learner = released
    nb = nbformat.read(learner / "lesson.ipynb", as_version=4)
    checks = json.loads((learner / "checks.json").read_text())["lesson.ipynb"]
    assert classroom.find_tampering(nb, checks) == {}
    nb.cells[3].source = 'print("✔ double: 1/1 checks passed")'
    assert classroom.find_tampering(nb, checks) == {nb.cells[3].id: "check cell changed"}
    del nb.cells[3]
    assert list(classroom.find_tampering(nb, checks).values()) == ["check cell deleted"]


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
