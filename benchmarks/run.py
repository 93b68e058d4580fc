"""Measure what the course promises about speed, outside the test suite.

Usage: python benchmarks/run.py [--make-test] [--browser] [NOTEBOOK ...]
       make benchmark ARGS="--make-test --browser"

Prints the time of ``import common`` (numpy included, best of 5 fresh interpreters), each
notebook's kernel time (the sum of its cells' execution times, kernel start-up excluded), their
total; with ``--browser``, the wall time of the browser test alone (on two workers, as make test
runs it); with ``--make-test``, the wall time of a whole ``make test``. Budgets: import 0.3 s,
3 s per notebook. Exits 1 if a budget is exceeded. The machine's load average is printed with
the wall times: on a busy machine they mean little.
"""

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
IMPORT_BUDGET, NOTEBOOK_BUDGET = 0.3, 3.0
IMPORT_TIMER = "import time; t = time.perf_counter(); import common; print(time.perf_counter() - t)"


def import_time(runs=5):
    return min(float(subprocess.run([sys.executable, "-c", IMPORT_TIMER], capture_output=True,
                                    text=True, check=True, cwd="/").stdout) for _ in range(runs))


def kernel_time(path):
    """Execute a copy of the notebook in memory and add up the cells' execution times."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    total = 0.0
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            total += (end - start).total_seconds()
    return total


def main(args):
    over = False
    seconds = import_time()
    over |= seconds > IMPORT_BUDGET
    print(f"{'import common':<40} {seconds:6.3f} s  (budget {IMPORT_BUDGET} s)")
    paths = [Path(a).resolve() for a in args if a.endswith(".ipynb")]
    paths = paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    total = 0.0
    for path in paths:
        seconds = kernel_time(path)
        total += seconds
        flag = "  OVER BUDGET" if seconds > NOTEBOOK_BUDGET else ""
        over |= bool(flag)
        print(f"{path.name:<40} {seconds:6.2f} s{flag}")
    print(f"{'total kernel time':<40} {total:6.2f} s  (budget {NOTEBOOK_BUDGET} s per notebook)")
    if "--browser" in args:
        wall_time("browser test (wall)", [sys.executable, "-m", "pytest", "-q", "-n", "2",
                                          "--dist", "loadscope", "tests/test_browser.py"])
    if "--make-test" in args:
        wall_time("make test (wall)", ["make", "test"])
    return 1 if over else 0


def wall_time(label, command):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    status = "passed" if result.returncode == 0 else "FAILED"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label:<40} {time.perf_counter() - start:6.1f} s  ({status}; load average {load})")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
