"""Grade a learner's notebooks against the released checks.

    python -m common.classroom grade NB          # a notebook or a folder of notebooks
"""

import contextlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass

import nbformat

from common.classroom import MANIFEST, REFERENCE, ROOT, digest, learner_edition, notebooks_in, tags

SCRATCH = ROOT / "build" / "grading" / str(os.getpid())  # under ROOT, so conftest.py applies
CELL_TIMEOUT = 30
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Exercise:
    name: str
    check_id: str
    exercise_id: str | None
    passed: bool = False
    reason: str = "not run"


def released_checks(path):
    """The check cells as released: from checks.json beside the notebook, else the reference."""
    manifest = path.parent / MANIFEST
    if manifest.is_file():
        return json.loads(manifest.read_text()).get(path.name)
    reference = REFERENCE / path.name
    if reference.is_file():
        return learner_edition(nbformat.read(reference, as_version=4), path.name)[1]
    return None


def exercises_of(nb):
    """Pair every check cell with the exercise cell before it."""
    exercises, last_exercise = [], None
    for cell in nb.cells:
        if "exercise" in tags(cell):
            last_exercise = cell
        if "check" in tags(cell):
            defined = last_exercise and re.search(r"^def (\w+)\(", last_exercise.source,
                                                  re.MULTILINE)
            called = re.search(r"^\s*(check_\w+)\(", cell.source, re.MULTILINE)
            name = (defined.group(1) if defined else
                    called.group(1).removeprefix("check_") if called else cell.id)
            exercises.append(Exercise(name, cell.id, last_exercise and last_exercise.id))
    return exercises


def find_tampering(nb, released):
    """Return {check cell id: what was done to it} for check cells not as released."""
    cells = {cell.id: cell for cell in nb.cells if cell.cell_type == "code"}
    found = {}
    for cell_id, release in released.items():
        if cell_id not in cells:
            found[cell_id] = "check cell deleted"
        elif digest(cells[cell_id].source) != release["sha256"]:
            found[cell_id] = "check cell changed"
        elif "check" not in tags(cells[cell_id]):
            found[cell_id] = "check cell untagged"
    return found


def scratch_copy(nb, path, released):
    """Prepare the copy for nbval: check cells compared with the ✔ line of the release (not with
    whatever the learner last saw), Let's-try cells skipped."""
    for cell in nb.cells:
        if "check" in tags(cell) and cell.id in released:
            cell.metadata["tags"] = [t for t in tags(cell) if t != "raises-exception"]
            cell.metadata["tags"].append("nbval-check-output")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=released[cell.id]["output"])]
            cell.execution_count = 1
        elif "lets-try" in tags(cell):
            cell.metadata["tags"] = [*tags(cell), "nbval-skip"]
    nbformat.write(nb, path)


def one_line_reason(error):
    """The one line a learner needs from a failed cell."""
    message = str(error)
    traceback = ANSI.sub("", getattr(error, "inner_traceback", None) or "")
    if message.startswith("Timeout"):
        return f"timed out after {CELL_TIMEOUT} s: look for an endless loop"
    lines = [line.strip() for line in traceback.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("✘ "):
            return line[2:]
    if lines:
        return lines[-1]
    if "differ" in message:
        return "the check printed something other than its ✔ line"
    return message.splitlines()[0] if message else "failed"


class Recorder:
    """A pytest plugin that keeps each notebook cell's outcome, keyed by cell id."""

    def __init__(self):
        self.outcomes = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.setdefault(report.nodeid, []).append(report)

    def pytest_exception_interact(self, node, call, report):
        report.reason = one_line_reason(call.excinfo.value)

    def result(self, nodeid):
        reports = self.outcomes.get(nodeid, [])
        if not reports:
            return False, "not run: an earlier cell stopped the notebook"
        for report in reports:
            if report.outcome != "passed":
                if report.outcome == "skipped":
                    return False, "not run: an earlier cell timed out"
                return False, getattr(report, "reason", "failed")
        return True, "ok"


def grade(target):
    import pytest  # only grading needs it

    paths = notebooks_in(target)
    if SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    SCRATCH.mkdir(parents=True)
    graded = []  # (notebook name, exercises, scratch path, {check id: nodeid})
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        released = released_checks(path)
        if released is None:
            raise SystemExit(f"classroom: {path.name} is not a notebook of this course")
        exercises = exercises_of(nb)
        tampering = find_tampering(nb, released)
        missing = set(released) - {e.check_id for e in exercises}
        exercises += [Exercise(cell_id, cell_id, None) for cell_id in sorted(missing)]
        scratch = SCRATCH / path.name
        scratch_copy(nb, scratch, released)
        code_ids = [cell.id for cell in nb.cells if cell.cell_type == "code"]
        for exercise in exercises:
            if exercise.check_id in tampering:
                exercise.reason = f"TAMPERED: {tampering[exercise.check_id]}"
        nodeids = {cell_id: f"{scratch.relative_to(ROOT)}::Cell {i}"
                   for i, cell_id in enumerate(code_ids)}
        graded.append((path.name, exercises, scratch, nodeids))

    recorder = Recorder()
    os.environ["COURSE_GRADING"] = "1"  # the kernel shows errors without traceback noise
    to_run = [str(scratch) for _, exercises, scratch, _ in graded if exercises]
    if to_run:
        log = io.StringIO()
        with contextlib.redirect_stdout(log):  # the score table below says all that matters
            pytest.main(["-qq", "--tb=no", "--no-header", "-p", "no:cacheprovider",
                         "--rootdir", str(ROOT), "--nbval-lax", "--nbval-current-env",
                         "--nbval-kernel-startup-timeout", "120",
                         "--nbval-cell-timeout", str(CELL_TIMEOUT),
                         "-o", "addopts=", "-o", "filterwarnings=", *to_run],
                        plugins=[recorder])
        if not recorder.outcomes:
            print(log.getvalue())

    total = passed = 0
    print()
    for name, exercises, _, nodeids in graded:
        if not exercises:
            continue
        print(name)
        for exercise in exercises:
            if not exercise.reason.startswith("TAMPERED"):
                exercise.passed, exercise.reason = recorder.result(nodeids[exercise.check_id])
                if not exercise.passed and exercise.exercise_id in nodeids:
                    ok, why = recorder.result(nodeids[exercise.exercise_id])
                    if not ok:
                        exercise.reason = f"the exercise cell itself fails: {why}"
            mark = "PASS" if exercise.passed else "FAIL"
            print(f"  {mark}  {exercise.name:<28} {exercise.reason}")
            total += 1
            passed += exercise.passed
    print(f"\nScore: {passed}/{total} exercises passed")
    shutil.rmtree(SCRATCH, ignore_errors=True)
    with contextlib.suppress(OSError):
        SCRATCH.parent.rmdir()  # build/grading, if no other grading runs
    return 0 if total and passed == total else 1
