"""The learner edition shows no complete solution outside its solution region.

The rule (common.classroom.solution_leaks): no line of a solution region with 15 or more
characters besides whitespace and comments may appear, whitespace ignored, anywhere else in the
learner edition of that notebook: code or markdown, folded answers and helper functions included.
"""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from common import classroom

LESSONS = sorted(classroom.REFERENCE.glob("*.ipynb"))
SOLUTION = '''def softmax(x):
    """Softmax of a vector."""
    ### BEGIN SOLUTION
    exps = np.exp(x - np.max(x))  # subtract the maximum first
    # a comment line of the solution, long enough to count if comments counted
    return exps / np.sum(exps)
    ### END SOLUTION
'''


@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_no_solution_outside_its_region(path):
    leaks = classroom.solution_leaks(nbformat.read(path, as_version=4), path.name)
    assert not leaks, f"{path.name}: solution lines outside their region:\n" + "\n".join(
        f"- {exercise}: `{line}` in cell {number}" for exercise, line, number in leaks)


def lesson(*cells):
    return new_notebook(cells=[new_code_cell(SOLUTION, metadata={"tags": ["exercise"]}),
                               *cells])


def test_a_clean_lesson_has_no_leak():
    nb = lesson(new_code_cell("softmax(np.array([1.0, 2.0]))", metadata={"tags": ["lets-try"]}),
                new_markdown_cell("<details><summary>Answer</summary>Subtract the maximum "
                                  "before `np.exp`: the result is the same.</details>"))
    assert classroom.solution_leaks(nb, "lesson") == []


@pytest.mark.parametrize("planted", [
    new_code_cell("# 🧪 Let's try\nexps=np.exp(x-np.max(x))\nprint(exps)",
                  metadata={"tags": ["lets-try"]}),
    new_code_cell("def helper(v):\n    return   exps / np.sum( exps )\n"),
    new_markdown_cell("<details><summary>Answer</summary>\n\n```python\n"
                      "return exps / np.sum(exps)\n```\n</details>"),
    new_markdown_cell("First line: `exps = np.exp(x&nbsp;-&nbsp;np.max(x))`"),
], ids=["lets-try cell", "helper function", "folded answer", "markdown with entities"])
def test_a_planted_leak_is_found(planted):
    leaks = classroom.solution_leaks(lesson(planted), "lesson")
    assert leaks and all(exercise == "softmax" and number == 2 for exercise, _, number in leaks)


def test_comments_and_short_lines_do_not_count():
    assert classroom.solution_lines(SOLUTION) == [
        "    exps = np.exp(x - np.max(x))  ", "    ", "    return exps / np.sum(exps)"]
    nb = lesson(new_code_cell("# a comment line of the solution, long enough to count if "
                              "comments counted\nreturn exps"))
    assert classroom.solution_leaks(nb, "lesson") == []
