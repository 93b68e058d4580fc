"""Grade a learner's notebooks against the released checks.

    python -m common.classroom grade NB          # a notebook or a folder of notebooks

Each notebook runs top to bottom in a fresh kernel, with the learner's cells as they are
(Let's-try cells skipped). Where a check cell stands, the grader runs the check *as released*
(from ``checks.json``), with the check functions taken from ``common.checks`` itself, not from
names the notebook may have rebound. Before and after it, the grader compares a fingerprint of
the check machinery (``common``'s modules, NumPy's functions, Python's builtins) with its own
clean copy, so a notebook that replaced a check, the Checker or ``np.allclose`` is reported as
TAMPERED instead of passing. A check passes when it raised nothing and printed the release's
✔ line; what the learner's function printed along the way does not matter.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from common.classroom import MANIFEST, REFERENCE, ROOT, digest, learner_edition, notebooks_in, tags

CELL_TIMEOUT = int(os.environ.get("COURSE_CELL_TIMEOUT", "30"))  # seconds; tests use less
START_TIMEOUT = 120  # seconds for the kernel to start and for the grader's first cell
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Runs in the learner's kernel and in the grader itself: a description of every function the
# checks rely on, by name. Sent as source each time, so the notebook cannot replace it.
FINGERPRINT = r'''
def _course_fingerprint(module_names):
    import builtins, hashlib, importlib, sys, types

    def code_digest(code):
        h = hashlib.sha256(code.co_code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                h.update(code_digest(const).encode())
            elif isinstance(const, frozenset):
                h.update(repr(sorted(map(repr, const))).encode())
            else:
                h.update(repr(const).encode())
        h.update(repr(code.co_names).encode())
        return h.hexdigest()[:16]

    def describe(obj):
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        code = getattr(obj, "__code__", None)
        if isinstance(code, types.CodeType):
            return f"function {getattr(obj, '__qualname__', '?')} {code_digest(code)}"
        if isinstance(obj, type):
            methods = sorted(f"{k}={describe(v)}" for k, v in vars(obj).items()
                             if isinstance(getattr(v, "__code__", None), types.CodeType)
                             or isinstance(v, (staticmethod, classmethod)))
            return f"class {obj.__qualname__} " + ",".join(methods)
        if callable(obj):
            return f"{type(obj).__name__} {getattr(obj, '__name__', '?')}"
        return None

    found = {}
    for module_name in module_names:
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        for name, value in list(vars(module).items()):
            if isinstance(value, types.ModuleType):
                continue
            if module_name != "builtins" and name.startswith("__"):
                continue
            description = describe(value)
            if description is not None:
                found[f"{module_name}.{name}"] = description
    return found
'''

# Runs in the learner's kernel where a check cell stands, followed by the call of one check.
RUN_CHECK = FINGERPRINT + r'''
def _course_run_check(source, check_modules, module_names, marker):
    import contextlib, importlib, io, json, sys

    before = _course_fingerprint(module_names)
    namespace = dict(get_ipython().user_ns)
    for module_name in check_modules:  # the released check functions, not rebound names
        module = importlib.import_module(module_name)
        namespace.update({k: v for k, v in vars(module).items() if k.startswith("check_")})
    printed, error, kind = io.StringIO(), None, None
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(source, "<released check>", "exec"), namespace)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, none escapes
        kind, error = type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""
        name = getattr(exc, "name", None)
        if kind == "NameError" and name:
            error = name
    after = _course_fingerprint(module_names)
    sys.stdout.write(marker + json.dumps({"before": before, "after": after, "kind": kind,
                                          "error": error, "printed": printed.getvalue()}) + "\n")
'''

NOT_DONE = "ExerciseNotDone"


# Modules of common that checks do not use: the host's tools, and plots (matplotlib is slow to
# import, and no check calls it).
UNGUARDED = {"classroom", "grader", "workspace", "plots", "__init__"}


def guarded_modules():
    """The modules whose functions the checks rely on: every module of common but UNGUARDED."""
    package = ROOT / "common"
    modules = sorted(f"common.{p.stem}" for p in package.glob("*.py") if p.stem not in UNGUARDED)
    checks = sorted(f"common.checks.{p.stem}" for p in (package / "checks").glob("*.py")
                    if p.stem != "__init__")
    return ["builtins", "numpy", "common", *modules, *checks]


def baseline_code(module_names, marker):
    """The grader's first cell: the fingerprint before any cell of the learner's has run."""
    return (FINGERPRINT + "import json as _course_json, sys as _course_sys\n"
            f"_course_sys.stdout.write({marker!r} + _course_json.dumps(_course_fingerprint("
            f"{module_names!r})) + '\\n')\n"
            "del _course_fingerprint, _course_json, _course_sys\n")


def reported(cell, marker):
    """The JSON a grader cell printed after ``marker``, or None."""
    for output in cell.get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker):])
    return None


def first_difference(expected, found):
    for key, value in expected.items():
        if found.get(key) != value:
            return key
    return None


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


def exercises_of(nb, released):
    """One Exercise per released check, in notebook order, each paired with the exercise cell
    before its check cell. Deleted check cells come last, named as released."""
    exercises, last_exercise, seen = [], None, set()
    for cell in nb.cells:
        if "exercise" in tags(cell):
            last_exercise = cell
        if cell.id in released and cell.id not in seen:
            seen.add(cell.id)
            name = released[cell.id].get("exercise", cell.id)
            exercises.append(Exercise(name, cell.id, last_exercise and last_exercise.id))
    for cell_id, release in released.items():
        if cell_id not in seen:
            exercises.append(Exercise(release.get("exercise", cell_id), cell_id, None))
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


def check_code(source, check_modules, module_names, marker):
    """What runs in place of a check cell: the released ``source``, guarded and reported, with
    the check functions of ``check_modules`` as released."""
    call = (f"_course_run_check({source!r}, {check_modules!r}, {module_names!r}, {marker!r})\n"
            "del _course_fingerprint, _course_run_check\n")
    return RUN_CHECK + call


def error_line(cell):
    """The one line a learner needs from a cell's error output, or None if it ran cleanly."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            if output.ename == "KeyboardInterrupt":
                return f"timed out after {CELL_TIMEOUT} s: look for an endless loop"
            lines = [ANSI.sub("", line).strip() for line in output.traceback]
            for line in lines:
                if line.startswith("✘ "):
                    return line[2:]
            return f"{output.ename}: {output.evalue}".splitlines()[0]
    return None


def run_notebook(path, released, marker):
    """Execute the learner's notebook, each check cell run as released and guarded.

    Returns the fingerprint taken before the learner's first cell (None if the kernel could not
    run), {cell id: cell after execution} for the cells that ran, and what went wrong, if
    anything stopped the whole notebook.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(path, as_version=4)
    module_names = guarded_modules()
    tampered = find_tampering(nb, released)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "lets-try" in tags(cell):
            continue  # a learner's endless loop in a Let's try cell cannot block grading
        if cell.id in tampered:
            continue  # a changed check cell is reported as TAMPERED, never run
        if cell.id in released:
            cell.source = check_code(cell.source, released[cell.id].get("modules", []),
                                     module_names, marker)
        cells.append(cell)
    baseline = nbformat.v4.new_code_cell(baseline_code(module_names, marker))
    nb.cells = [baseline, *cells]
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, startup_timeout=START_TIMEOUT,
                            resources={"metadata": {"path": str(path.parent)}})
    ran, trouble = {}, None
    try:  # the kernel's own start-up warnings would only alarm a learner
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            for index, cell in enumerate(nb.cells):
                # The first cell imports NumPy and common: on a busy machine that can be slow.
                client.timeout = START_TIMEOUT if cell is baseline else CELL_TIMEOUT
                client.execute_cell(cell, index)
                ran[cell.id] = cell
    except DeadKernelError:
        trouble = "the kernel died (out of memory?)"  # the cells after it did not run
    except Exception as error:  # noqa: BLE001 - a kernel that cannot start fails every row
        trouble = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    fingerprint = reported(baseline, marker)
    if fingerprint is None:
        why = trouble or error_line(baseline) or "no answer from the kernel"
        return None, ran, f"the grader could not run this notebook: {why}"
    return fingerprint, ran, None


def judge(exercise, ran, released, expected_fingerprint, marker):
    """Set ``exercise.passed`` and ``exercise.reason`` from the cells that ran."""
    check = ran.get(exercise.check_id)
    if check is None:
        exercise.reason = "not run: the kernel stopped before this check (see the cells above)"
        return
    result = reported(check, marker)
    if result is None:
        exercise.reason = error_line(check) or "the check did not finish"
        return
    for moment in ("before", "after"):
        replaced = first_difference(expected_fingerprint, result[moment])
        if replaced:
            who = "the notebook" if moment == "before" else "the exercise's function"
            exercise.reason = f"TAMPERED: {who} replaced {replaced}"
            return
    kind, error = result["kind"], result["error"]
    if kind == "KeyboardInterrupt":
        exercise.reason = f"timed out after {CELL_TIMEOUT} s: look for an endless loop"
        return
    exercise_cell = ran.get(exercise.exercise_id)
    exercise_error = exercise_cell is not None and error_line(exercise_cell)
    if kind is None:
        lines = result["printed"].splitlines()
        expected = released[exercise.check_id]["output"].strip()
        exercise.passed = expected in lines
        exercise.reason = "ok" if exercise.passed else (
            f"the check printed {lines[-1] if lines else 'nothing'!r} instead of {expected!r}")
    elif kind == "NameError":
        exercise.reason = (f"the exercise cell itself fails: {exercise_error}" if exercise_error
                           else f"`{error}` is not defined: the exercise cell must define a "
                                f"function named `{error}` (keep the name it was given)")
    elif kind in ("ExerciseFailed", NOT_DONE) or error.startswith(f"[{exercise.name}]"):
        exercise.reason = error
    else:
        exercise.reason = f"the check stopped with {kind}: {error}"


def grade_one(path, marker):
    """Grade one notebook: (its name, its exercises) or a SystemExit message."""
    nb = nbformat.read(path, as_version=4)
    released = released_checks(path)
    if released is None:
        return path.name, f"classroom: {path.name} is not a notebook of this course"
    exercises = exercises_of(nb, released)
    if not exercises:
        return path.name, []
    tampering = find_tampering(nb, released)
    expected_fingerprint, ran, trouble = run_notebook(path, released, marker)
    for exercise in exercises:
        if expected_fingerprint is None:
            exercise.reason = trouble
        elif exercise.check_id in tampering:
            exercise.reason = f"TAMPERED: {tampering[exercise.check_id]}"
        else:
            judge(exercise, ran, released, expected_fingerprint, marker)
    return path.name, exercises


def grade(target):
    """Grade a notebook or a folder of notebooks; print the table; return the exit code."""
    paths = notebooks_in(target)
    marker = f"@@course-check-{secrets.token_hex(8)}@@"
    with ProcessPoolExecutor(max_workers=min(2, len(paths))) as pool:
        results = list(pool.map(grade_one, paths, [marker] * len(paths)))
    total = passed = 0
    print()
    for name, exercises in results:
        if isinstance(exercises, str):
            raise SystemExit(exercises)
        if not exercises:
            continue
        print(name)
        for exercise in exercises:
            mark = "PASS" if exercise.passed else "FAIL"
            print(f"  {mark}  {exercise.name:<28} {exercise.reason}")
            total += 1
            passed += exercise.passed
    print(f"\nScore: {passed}/{total} exercises passed")
    if total and passed == total:
        print("✔ Every exercise passes.")
    else:
        print(f"✘ {total - passed} of {total} exercises do not pass yet: start with the first "
              "FAIL above, run its check cell again, then grade again.")
    sys.stdout.flush()
    return 0 if total and passed == total else 1


if __name__ == "__main__":
    sys.exit(grade(Path(sys.argv[1])))
