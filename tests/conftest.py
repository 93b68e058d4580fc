"""Fixtures shared by the test modules."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from common import classroom
from common.grading import ExerciseFailed, ExerciseNotDone

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------
# A one-exercise course, released: for the learner-edition and the grading tests

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


@pytest.fixture
def grade():
    """Run ``python -m common.classroom grade FOLDER``; give back its exit code, its output and
    its score table as ``{notebook: [row, ...]}``, each row like ``"PASS  name  reason"``."""

    def run(folder):
        result = subprocess.run([sys.executable, "-m", "common.classroom", "grade", str(folder)],
                                capture_output=True, text=True, cwd=ROOT, timeout=300)
        table, rows = {}, None
        for line in result.stdout.splitlines():
            if line.endswith(".ipynb"):
                rows = table.setdefault(line, [])
            elif line.startswith(("  PASS", "  FAIL")):
                rows.append(line.strip())
        # What the grader wrote to stderr shows in a failing test's message, never hidden.
        noise = f"\n[stderr]\n{result.stderr}" if result.stderr.strip() else ""
        return result.returncode, result.stdout + noise, table

    return run


# ---------------------------------------------------------------------------------------------
# The three outcomes of an exercise check (common.grading), each asserted the same way everywhere


@pytest.fixture
def passes(capsys):
    """``passes(check, func, exercise)``: the check accepts ``func``; give back its printed line.

    A pass prints exactly one line, ``✔ exercise: n/n checks passed``; the line comes back
    without its newline, so a test can compare it with the exact count.
    """

    def run(check, func, exercise):
        check(func)
        out = capsys.readouterr().out
        assert re.fullmatch(rf"✔ {re.escape(exercise)}: (\d+)/\1 checks passed\n", out), out
        return out.removesuffix("\n")

    return run


@pytest.fixture
def rejected():
    """``rejected(check, func, exercise)``: the check fails ``func``; give back the message.

    A wrong answer is ExerciseFailed but never ExerciseNotDone (that would tell the learner to
    start rather than to fix), on one line that starts with ``[exercise] ``; the test then
    asserts the hint it expects in the message.
    """

    def run(check, func, exercise):
        with pytest.raises(ExerciseFailed) as info:
            check(func)
        message = str(info.value)
        assert not isinstance(info.value, ExerciseNotDone), message
        assert message.startswith(f"[{exercise}] "), message
        assert "\n" not in message, message
        return message

    return run


@pytest.fixture
def not_done():
    """``not_done(check, stub, exercise)``: the check reports ``stub`` as not done yet.

    A function that still raises NotImplementedError is ExerciseNotDone, on one line that starts
    with ``[exercise] not done yet``, so the learner is told to start rather than to fix.
    """

    def run(check, stub, exercise):
        with pytest.raises(ExerciseNotDone) as info:
            check(stub)
        message = str(info.value)
        assert message.startswith(f"[{exercise}] not done yet"), message
        assert "\n" not in message, message

    return run
