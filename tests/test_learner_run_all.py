"""Run All in the learner edition goes on past every unfinished exercise.

JupyterLab's Run All stops at the first cell that raises, unless the cell is tagged
``raises-exception``. The learner edition tags every cell that uses an exercise's function, or
a name computed from one, so the rest of a lesson still runs before the exercises are done.
"""

import nbformat
from nbclient import NotebookClient
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
    ])
    learner, _ = classroom.learner_edition(nb, "lesson")
    marked = [RAISES in cell.metadata.get("tags", []) for cell in learner.cells]
    assert marked == [False, False, True, True, True, False, False, True, True]


def test_the_most_dependent_lesson_runs_to_the_end_before_any_exercise_is_done():
    """Lesson 06 runs on the learner's own split, scaling and training from its middle on."""
    path = classroom.REFERENCE / "06_iris_assignment.ipynb"
    learner, _ = classroom.learner_edition(nbformat.read(path, as_version=4), path.name)
    # nbclient, like Run All, stops at the first error outside a raises-exception cell.
    NotebookClient(learner, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    stopped = [cell for cell in learner.cells if cell.cell_type == "code"
               and any(o.output_type == "error" for o in cell.outputs)]
    assert stopped and all(RAISES in cell.metadata["tags"] for cell in stopped)
