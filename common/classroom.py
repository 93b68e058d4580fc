"""Release a learner edition of the lessons and grade a learner's notebooks.

    python -m common.classroom learner [OUT]     # default OUT: build/learner
    python -m common.classroom grade NB          # a notebook or a folder of notebooks

Cell roles are cell tags: ``exercise`` cells hold the reference solution between
``### BEGIN SOLUTION`` and ``### END SOLUTION``; ``check`` cells call a check from
``common.checks``; ``lets-try`` cells are free exploration.

The learner edition replaces every solution region with ``raise NotImplementedError``, clears
the outputs, tags check cells ``raises-exception`` (so Run All goes on past an unfinished
exercise) and writes ``checks.json``: the id, sha256 and ✔ line of every check cell, which
``grade`` compares against to detect tampering and to judge the check's output. ``grade`` then
runs a scratch copy with ``pytest --nbval-lax`` (check cells compared, Let's-try cells skipped,
a timeout per cell), prints a score table and exits 1 if any exercise fails.
"""

import contextlib
import copy
import hashlib
import io
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "notebooks"
SCRATCH = ROOT / "build" / "grading" / str(os.getpid())  # under ROOT, so conftest.py applies
MANIFEST = "checks.json"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "raise NotImplementedError  # replace this line with your code"
CELL_TIMEOUT = 30
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def notebooks_in(path):
    path = Path(path)
    if path.is_dir():
        return sorted(path.glob("*.ipynb"))
    if path.suffix == ".ipynb" and path.is_file():
        return [path]
    raise SystemExit(f"classroom: expected a notebook or a folder of notebooks, got {path}")


def digest(source):
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# The learner edition


def strip_solution(source, where):
    """Replace each solution region of an exercise cell by ``raise NotImplementedError``."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{where}: {BEGIN} inside another solution region")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif stripped == END:
            if not inside:
                raise ValueError(f"{where}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} without {END}")
    if out == lines:
        raise ValueError(f"{where}: an exercise cell without a {BEGIN} ... {END} region")
    return "\n".join(out)


def learner_edition(nb, name):
    """Return the learner's copy of a notebook and the hashes of its check cells."""
    nb = copy.deepcopy(nb)
    checks = {}
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type != "code":
            continue
        if "exercise" in tags(cell):
            cell.source = strip_solution(cell.source, where)
        elif BEGIN in cell.source:
            raise ValueError(f"{where}: a solution region outside an exercise cell")
        if "check" in tags(cell):
            checks[cell.id] = {"sha256": digest(cell.source), "output": printed(cell)}
            # JupyterLab's Run All goes on past a failing check, so the lesson still runs.
            cell.metadata["tags"] = [*tags(cell), "raises-exception"]
        cell.outputs = []
        cell.execution_count = None
    return nb, checks


def printed(cell):
    """What a passing check cell prints: its ✔ line."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def release(out=ROOT / "build" / "learner", reference=REFERENCE):
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest = {}
    for path in notebooks_in(reference):
        nb, checks = learner_edition(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, out / path.name)
        manifest[path.name] = checks
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"learner edition: {len(manifest)} notebooks written to {out}")


# ---------------------------------------------------------------------------------------------
# Grading


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


def main(args):
    if args[:1] == ["learner"] and len(args) <= 2:
        release(*args[1:])
        return 0
    if args[:1] == ["grade"] and len(args) == 2:
        return grade(args[1])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
