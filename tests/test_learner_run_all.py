"""Run All in the learner edition goes on past every unfinished exercise.

JupyterLab's Run All stops at the first cell that raises, unless the cell is tagged
``raises-exception``. The learner edition tags every cell that uses an exercise's function, or
a name computed from one, so the rest of a lesson still runs before the exercises are done.
tests/test_course_release.py runs every real lesson's learner edition to prove it.
"""

from nbformat.v4 import new_code_cell, new_notebook

from common import classroom

RAISES = "raises-exception"


def tagged(source, *tags):
    return new_code_cell(source, metadata={"tags": list(tags)})


def test_cells_that_depend_on_an_exercise_are_tagged_and_others_are_not():
    nb = new_notebook(cells=[
        new_code_cell("import numpy as np\nx = np.ones(3)"),
        tagged("def relu(x):\n    ### BEGIN SOLUTION\n    return np.maximum(x, 0)\n"
               "    ### END SOLUTION", "exercise"),
        tagged("check_relu(relu)", "check"),
        new_code_cell("z = relu(x)"),            # uses the exercise
        new_code_cell("print(z.sum())"),          # uses what it computed
        new_code_cell("z = np.zeros(3)\nprint(z)"),  # computes z afresh: runs anyway
        new_code_cell("print(z, x)"),
        new_code_cell("def show():\n    return relu(x)"),  # defining is fine, calling is not
        new_code_cell("show()"),
        new_code_cell("for z in range(2):\n    print(z)"),  # z computed afresh
        new_code_cell("print(z)"),
        new_code_cell("w = relu(x)"),
        new_code_cell("print([w for w in range(3)], (lambda z: z)(1))"),  # own w and z
    ])
    learner, _ = classroom.learner_edition(nb, "lesson")
    marked = [RAISES in cell.metadata.get("tags", []) for cell in learner.cells]
    assert marked == [False, False, True, True, True, False, False, True, True, False, False,
                      True, False]
