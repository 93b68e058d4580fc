"""Measure what the course promises about speed, outside the test suite.

Usage: python benchmarks/run.py [--make-test] [--browser] [NOTEBOOK ...]
       make benchmark ARGS="--make-test --browser"

Prints the time of ``import common`` (numpy included, best of 5 fresh interpreters), each
notebook's kernel time (the sum of its cells' execution times, kernel start-up excluded), their
total; with ``--browser``, the wall time of the browser test alone (on two workers, as make test
runs it); with ``--make-test``, the wall time of a whole ``make test``. Budgets: import 0.3 s,
3 s per notebook, 60 s for make test. Exits 1 if a budget is exceeded. The machine's load
average is printed with the wall times: on a busy machine they mean little, and the CPU times
printed beside them are the fairer measure.
"""

import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
IMPORT_BUDGET, NOTEBOOK_BUDGET, MAKE_TEST_BUDGET = 0.3, 3.0, 60.0
IMPORT_TIMER = "import time; t = time.perf_counter(); import common; print(time.perf_counter() - t)"


def import_time(runs=5):
    return min(float(subprocess.run([sys.executable, "-c", IMPORT_TIMER], capture_output=True,
                                    text=True, check=True, cwd="/").stdout) for _ in range(runs))


CPU_START = "import time as _bench_time\n_bench_cpu = _bench_time.process_time()"
CPU_END = "print(_bench_time.process_time() - _bench_cpu)"


def kernel_time(path):
    """Execute a copy of the notebook in memory; give back the sum of its cells' execution times
    and the kernel's CPU time over them (which a busy machine does not inflate)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(CPU_START), *nb.cells, nbformat.v4.new_code_cell(CPU_END)]
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute(
                       stderr=subprocess.DEVNULL)  # the kernel's start-up warnings
    cpu = float(nb.cells[-1].outputs[0]["text"])
    total = 0.0
    for cell in nb.cells[1:-1]:
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            total += (end - start).total_seconds()
    return total, cpu


def main(args):
    unknown = [a for a in args if a not in ("--make-test", "--browser")
               and not a.endswith(".ipynb")]
    if unknown:  # --help or a typo: the usage, not a long run
        print(__doc__)
        return 0 if unknown in (["--help"], ["-h"]) else 2
    over = False
    seconds = import_time()
    over |= seconds > IMPORT_BUDGET
    print(f"{'import common':<40} {seconds:6.3f} s  (budget {IMPORT_BUDGET} s)")
    paths = [Path(a).resolve() for a in args if a.endswith(".ipynb")]
    paths = paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    total = total_cpu = 0.0
    for path in paths:
        seconds, cpu = kernel_time(path)
        total += seconds
        total_cpu += cpu
        flag = "  OVER BUDGET" if seconds > NOTEBOOK_BUDGET else ""
        over |= bool(flag)
        print(f"{path.name:<40} {seconds:6.2f} s  (CPU {cpu:5.2f} s){flag}")
    print(f"{'total kernel time':<40} {total:6.2f} s  (CPU {total_cpu:5.2f} s; budget "
          f"{NOTEBOOK_BUDGET} s per notebook)")
    if "--browser" in args:
        wall_time("browser test (wall)", [sys.executable, "-m", "pytest", "-q", "-n", "2",
                                          "--dist", "loadscope", "tests/test_browser.py"])
    if "--make-test" in args:
        over |= wall_time("make test (wall)", ["make", "test"]) > MAKE_TEST_BUDGET
    return 1 if over else 0


def wall_time(label, command):
    """Run ``command``; print its wall time and the CPU time of everything it started."""
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    status = "passed" if result.returncode == 0 else "FAILED"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label:<40} {wall:6.1f} s  (CPU {cpu:.0f} s; {status}; load average {load})")
    return wall


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
