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

import copy
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "notebooks"
MANIFEST = "checks.json"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "raise NotImplementedError  # replace this line with your code"


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
    checks, last_exercise = {}, None
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type != "code":
            continue
        if "exercise" in tags(cell):
            last_exercise = cell.source  # before stripping: the name is on the def line
            cell.source = strip_solution(cell.source, where)
        elif BEGIN in cell.source:
            raise ValueError(f"{where}: a solution region outside an exercise cell")
        if "check" in tags(cell):
            checks[cell.id] = {"sha256": digest(cell.source), "output": printed(cell),
                               "exercise": exercise_name(cell, last_exercise)}
            # JupyterLab's Run All goes on past a failing check, so the lesson still runs.
            cell.metadata["tags"] = [*tags(cell), "raises-exception"]
        cell.outputs = []
        cell.execution_count = None
    return nb, checks


def exercise_name(check_cell, exercise_source):
    """The exercise a check cell grades: the function its exercise cell defines, else the
    ``check_<name>`` it calls, else its cell id."""
    defined = exercise_source and re.search(r"^def (\w+)\(", exercise_source, re.MULTILINE)
    called = re.search(r"^\s*check_(\w+)\(", check_cell.source, re.MULTILINE)
    return defined.group(1) if defined else called.group(1) if called else check_cell.id


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


def main(args):
    if args[:1] == ["learner"] and len(args) <= 2:
        release(*args[1:])
        return 0
    if args[:1] == ["grade"] and len(args) == 2:
        from common.grader import grade  # grading needs more than the release does

        return grade(args[1])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
