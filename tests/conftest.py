"""Fixtures shared by the test modules."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.grading import ExerciseFailed, ExerciseNotDone

ROOT = Path(__file__).resolve().parent.parent


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
        return result.returncode, result.stdout, table

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
