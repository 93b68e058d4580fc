"""The learner edition and grading: solutions are stripped, and grading can fail, precisely."""

import json

import nbformat
import pytest

from common import classroom
from tests.conftest import CHECK, PASSED


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
                                                          "exercise": "double"}}}
    assert "raises-exception" in nb.cells[3].metadata["tags"]  # Run All goes on past it


@pytest.mark.parametrize("source, message", [
    ("def f():\n    return 1\n", "without a ### BEGIN SOLUTION"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "without ### END SOLUTION"),
    ("def f():\n    ### END SOLUTION\n", "without ### BEGIN SOLUTION"),
])
def test_malformed_solution_regions_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        classroom.strip_solution(source, "lesson, cell 2")
