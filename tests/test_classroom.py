"""The learner edition, the learner's workspace and the solution on demand."""

import json

import nbformat
import pytest

from common import classroom, workspace
from tests.conftest import CHECK, PASSED, edit_exercise


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
                                                          "output": PASSED,
                                                          "exercise": "double", "modules": []}}}
    assert "raises-exception" in nb.cells[3].metadata["tags"]  # Run All goes on past it


@pytest.mark.parametrize("source, message", [
    ("def f():\n    return 1\n", "without a ### BEGIN SOLUTION"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "without ### END SOLUTION"),
    ("def f():\n    ### END SOLUTION\n", "without ### BEGIN SOLUTION"),
])
def test_malformed_solution_regions_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        classroom.strip_solution(source, "lesson, cell 2")


# ---------------------------------------------------------------------------------------------
# The learner's workspace: created once, never overwritten, new lessons copied in


def solve(path, body="return 2 * x"):
    edit_exercise(path, body)
    return nbformat.read(path, as_version=4)


def test_workspace_is_created_then_never_overwritten(released, tmp_path, capsys):
    reference, _ = released
    folder = tmp_path / "workspace"
    assert workspace.update_workspace(folder, reference=reference) == ["lesson.ipynb"]
    assert "now holds 1 lessons" in capsys.readouterr().out
    nb = nbformat.read(folder / "lesson.ipynb", as_version=4)
    assert classroom.STUB in nb.cells[2].source
    # What JupyterLab writes when the kernel starts is there already: opening it changes nothing.
    assert nb.metadata.language_info == workspace.kernel_language_info()
    assert nb.metadata.language_info["version"]
    manifest = json.loads((folder / "checks.json").read_text())
    assert manifest["lesson.ipynb"][nb.cells[3].id]["exercise"] == "double"

    solved = solve(folder / "lesson.ipynb")
    (reference / "later.ipynb").write_text((reference / "lesson.ipynb").read_text())
    assert workspace.update_workspace(folder, reference=reference) == ["later.ipynb"]
    out = capsys.readouterr().out
    assert "your work is kept" in out and "new lesson copied in: later.ipynb" in out
    assert nbformat.read(folder / "lesson.ipynb", as_version=4) == solved
    assert set(json.loads((folder / "checks.json").read_text())) == {"lesson.ipynb",
                                                                      "later.ipynb"}


def test_workspace_keeps_what_was_released_to_the_learner(released, tmp_path, capsys):
    """A changed check cell in the course: the learner's copy is kept and graded as released to
    them; a check the learner's copy does not have is not added."""
    reference, _ = released
    folder = tmp_path / "workspace"
    workspace.update_workspace(folder, reference=reference, quiet=True)
    before = json.loads((folder / "checks.json").read_text())["lesson.ipynb"]
    nb = nbformat.read(reference / "lesson.ipynb", as_version=4)
    nb.cells[3].source += "\n# a new line in the check cell"
    nb.cells.append(nbformat.v4.new_code_cell("check_more()", metadata={"tags": ["check"]}))
    nbformat.write(nb, reference / "lesson.ipynb")
    workspace.update_workspace(folder, reference=reference)
    assert "the course has changed this lesson" in capsys.readouterr().out
    assert json.loads((folder / "checks.json").read_text())["lesson.ipynb"] == before


def test_release_refuses_to_delete_a_learners_saved_work(released):
    reference, learner = released
    solve(learner / "lesson.ipynb")
    with pytest.raises(SystemExit, match="changed since it was released.*lesson.ipynb"):
        classroom.release(learner, reference=reference)
    assert "return 2 * x" in (learner / "lesson.ipynb").read_text()
    classroom.release(learner, reference=reference, force=True)
    assert "return 2 * x" not in (learner / "lesson.ipynb").read_text()


def test_one_solution_is_shown_on_purpose_only(released, capsys, monkeypatch):
    reference, learner = released
    [(notebook, source)] = classroom.solution("double", reference=reference)
    assert notebook == "lesson.ipynb" and "return 2 * x" in source
    monkeypatch.setattr(classroom, "REFERENCE", reference)
    assert classroom.main(["solution", "double"]) == 0
    assert "return 2 * x" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no exercise named 'triple'; the exercises are: double"):
        classroom.main(["solution", "triple"])
    with pytest.raises(SystemExit, match="say which exercise"):
        classroom.main(["solution"])


def test_grade_without_a_workspace_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setattr(workspace, "WORKSPACE", tmp_path / "workspace")
    with pytest.raises(SystemExit, match="no workspace/ yet; make lab creates it"):
        classroom.main(["grade"])


def test_a_class_repository_ships_the_learner_edition(released, tmp_path, capsys, monkeypatch):
    """notebooks/ holds the learner edition and its checks.json: the workspace is made from it,
    and no solution can be shown."""
    _, learner = released
    folder = tmp_path / "workspace"
    workspace.update_workspace(folder, reference=learner, quiet=True)
    assert (json.loads((folder / "checks.json").read_text())
            == json.loads((learner / "checks.json").read_text()))
    assert (nbformat.read(folder / "lesson.ipynb", as_version=4).cells[2].source
            == nbformat.read(learner / "lesson.ipynb", as_version=4).cells[2].source)
    monkeypatch.setattr(classroom, "REFERENCE", learner)
    with pytest.raises(SystemExit, match="no reference solutions; ask your instructor"):
        classroom.main(["solution", "double"])
