"""Fixtures shared by the test modules."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def grade():
    """Run ``python -m common.classroom grade FOLDER``; give back its exit code and output."""

    def run(folder):
        result = subprocess.run([sys.executable, "-m", "common.classroom", "grade", str(folder)],
                                capture_output=True, text=True, cwd=ROOT, timeout=300)
        return result.returncode, result.stdout

    return run
