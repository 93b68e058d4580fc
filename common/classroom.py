"""Release the learner edition of the lessons, keep the learner's workspace, grade, reveal.

    python -m common.classroom lab [--reference]  # JupyterLab on workspace/ (or on notebooks/)
    python -m common.classroom workspace          # create or update workspace/ only
    python -m common.classroom grade [NB]         # default: workspace/; or a folder, a notebook
    python -m common.classroom solution NAME      # show the reference solution of one exercise
    python -m common.classroom learner [OUT]      # the learner edition (default: build/learner)

Cell roles are cell tags: ``exercise`` cells hold the reference solution between
``### BEGIN SOLUTION`` and ``### END SOLUTION``; ``check`` cells call a check from
``common.checks``; ``lets-try`` cells are free exploration.

The learner edition replaces every solution region with ``raise NotImplementedError``, clears
the outputs, tags check cells ``raises-exception`` (so Run All goes on past an unfinished
exercise) and writes ``checks.json``: the id, sha256, ✔ line and exercise name of every check
cell, which the grader (``common.grader``) compares against to detect tampering and to judge
the check's output. The learner's own copy lives in ``workspace/`` (``common.workspace``).
"""

import ast
import copy
import hashlib
import html
import io
import json
import re
import shutil
import sys
import tokenize
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
        if STUB in source:  # released already: a class repository's notebooks/
            return source
        raise ValueError(f"{where}: an exercise cell without a {BEGIN} ... {END} region")
    return "\n".join(out)


def learner_edition(nb, name):
    """Return the learner's copy of a notebook and the hashes of its check cells."""
    nb = copy.deepcopy(nb)
    checks, last_exercise, unfinished, imported = {}, None, set(), {}
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type != "code":
            continue
        if "exercise" in tags(cell):
            last_exercise = cell.source  # before stripping: the name is on the def line
            unfinished |= names_of(cell.source)[0]
            cell.source = strip_solution(cell.source, where)
        elif BEGIN in cell.source:
            raise ValueError(f"{where}: a solution region outside an exercise cell")
        for module, names in CHECK_IMPORT.findall(cell.source):
            imported |= {name.strip(): module for name in names.split(",")}
        if "check" in tags(cell):
            called = set(re.findall(r"\b(check_\w+)\(", cell.source))
            checks[cell.id] = {"sha256": digest(cell.source), "output": printed(cell),
                               "exercise": exercise_name(cell, last_exercise),
                               # where its checks come from, though the notebook may rebind them
                               "modules": sorted({imported[n] for n in called if n in imported})}
            # JupyterLab's Run All goes on past a failing check, so the lesson still runs.
            cell.metadata["tags"] = [*tags(cell), "raises-exception"]
        elif "exercise" not in tags(cell):
            defined, used = names_of(cell.source)
            if used & unfinished:  # fails until an exercise is done: Run All must go on
                if "raises-exception" not in tags(cell):
                    cell.metadata["tags"] = [*tags(cell), "raises-exception"]
                unfinished |= defined
            else:
                unfinished -= defined
        cell.outputs = []
        cell.execution_count = None
    return nb, checks


CHECK_IMPORT = re.compile(r"^from (common\.checks\.\w+) import ([\w, ]+)$", re.MULTILINE)


def names_of(source):
    """The names a cell's top level defines, and the names it reads before defining them."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax such as %timeit: judge by the words alone
        return set(), set(re.findall(r"[A-Za-z_]\w*", source))
    defined, free = set(), set()
    for node in tree.body:
        local = set()  # names a comprehension, lambda or def binds for itself
        for inner in ast.walk(node):
            if isinstance(inner, ast.comprehension):
                local |= {n.id for n in ast.walk(inner.target) if isinstance(n, ast.Name)}
            elif isinstance(inner, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
                local |= {a.arg for a in ast.walk(inner.args) if isinstance(a, ast.arg)}
        free |= {n.id for n in ast.walk(node)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - defined - local
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            defined |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                        and isinstance(n.ctx, ast.Store)} - local
    return defined, free


def exercise_name(check_cell, exercise_source):
    """The exercise a check cell grades: the function its exercise cell defines, else the
    ``check_<name>`` it calls, else its cell id."""
    defined = exercise_source and re.search(r"^def (\w+)\(", exercise_source, re.MULTILINE)
    called = re.search(r"^\s*check_(\w+)\(", check_cell.source, re.MULTILINE)
    return defined.group(1) if defined else called.group(1) if called else check_cell.id


def solution_lines(source):
    """The lines of a cell's solution regions, comments removed."""
    lines = source.splitlines()
    try:  # comments by the tokenizer, so that a '#' inside a string stays
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        for token in reversed([t for t in tokens if t.type == tokenize.COMMENT]):
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    except (tokenize.TokenError, SyntaxError):
        lines = [line.split("#", 1)[0] for line in lines]
    inside, found = False, []
    for original, line in zip(source.splitlines(), lines, strict=True):
        if original.strip() in (BEGIN, END):
            inside = original.strip() == BEGIN
        elif inside:
            found.append(line)
    return found


def squeezed(text):
    return re.sub(r"\s+", "", html.unescape(text))


LEAK_MIN_CHARS = 15


def solution_leaks(nb, name):
    """Where the learner edition shows a line of a solution outside its solution region.

    A line counts when it has ``LEAK_MIN_CHARS`` or more characters besides whitespace and
    comments; it leaks when it appears, whitespace ignored, in any cell of the learner edition
    (code or markdown, folded answers included). Returns ``[(exercise, line, cell number)]``.
    """
    learner, _ = learner_edition(nb, name)
    shown = [squeezed(cell.source) for cell in learner.cells]
    leaks = []
    for cell in nb.cells:
        if "exercise" not in tags(cell):
            continue
        defined = re.search(r"^def (\w+)\(", cell.source, re.MULTILINE)
        exercise = defined.group(1) if defined else cell.id
        for line in solution_lines(cell.source):
            line = squeezed(line)
            if len(line) < LEAK_MIN_CHARS:
                continue
            leaks += [(exercise, line, number) for number, text in enumerate(shown, start=1)
                      if line in text]
    return leaks


def printed(cell):
    """What a passing check cell prints: its ✔ line."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def release(out=ROOT / "build" / "learner", reference=REFERENCE, force=False):
    out = Path(out)
    if out.exists():
        edited = edited_since_release(out)
        if edited and not force:
            raise SystemExit(f"classroom: {out} holds notebooks changed since it was released "
                             f"({', '.join(edited)}); releasing again would delete that work. "
                             "Move them away first, or pass --force.")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest = {}
    for path in notebooks_in(reference):
        nb, checks = learner_edition(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, out / path.name)
        manifest[path.name] = checks
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"learner edition: {len(manifest)} notebooks written to {out}")


def edited_since_release(folder):
    """The notebooks in a released folder saved after its checks.json was written."""
    manifest = Path(folder) / MANIFEST
    released_at = manifest.stat().st_mtime if manifest.is_file() else 0
    return [path.name for path in sorted(Path(folder).glob("*.ipynb"))
            if path.stat().st_mtime > released_at]


# ---------------------------------------------------------------------------------------------
# Looking at one solution on purpose


def solution(name, reference=None):
    """The reference solution of exercise ``name``: the exercise cell as the reference has it."""
    found = []
    for path in notebooks_in(reference or REFERENCE):
        for cell in nbformat.read(path, as_version=4).cells:
            if "exercise" in tags(cell) and re.search(rf"^def {re.escape(name)}\(", cell.source,
                                                      re.MULTILINE):
                found.append((path.name, cell.source))
    return found


def show_solution(name):
    if not name:
        raise SystemExit("classroom: say which exercise, e.g. make solution EX=softmax")
    if not REFERENCE.is_dir():
        raise SystemExit("classroom: this copy of the course has no reference solutions; "
                         "ask your instructor")
    found = solution(name)
    if found and not any(BEGIN in source for _, source in found):
        raise SystemExit("classroom: this copy of the course has no reference solutions; "
                         "ask your instructor")
    if not found:
        names = sorted({match for path in notebooks_in(REFERENCE)
                        for cell in nbformat.read(path, as_version=4).cells
                        if "exercise" in tags(cell)
                        for match in re.findall(r"^def (\w+)\(", cell.source, re.MULTILINE)})
        raise SystemExit(f"classroom: no exercise named {name!r}; the exercises are: "
                         + ", ".join(names))
    for notebook, source in found:
        print(f"The reference solution of {name} ({notebook}), between the SOLUTION lines.\n"
              "Read it, close it, then write your own version from memory:\n")
        print(source.rstrip())
        print()
    return 0


def main(args):
    command, rest = (args[0], args[1:]) if args else ("", [])
    if any(a.startswith("-") and a != "--force" and a != "--reference" for a in rest):
        command = ""  # --help or a typo: show the usage, never take it for a folder
    if command == "learner" and len([a for a in rest if a != "--force"]) <= 1:
        release(*[a for a in rest if a != "--force"], force="--force" in rest)
        return 0
    if command == "grade" and len(rest) <= 1:
        from common.grader import grade  # grading needs more than the release does
        from common.workspace import WORKSPACE

        if not rest and not WORKSPACE.is_dir():
            raise SystemExit("classroom: there is no workspace/ yet; make lab creates it")
        return grade(rest[0] if rest else WORKSPACE)
    if command == "lab" and rest in ([], ["--reference"]):
        from common.workspace import lab

        lab(reference=bool(rest))
    if command == "workspace" and not rest:
        from common.workspace import update_workspace

        update_workspace()
        return 0
    if command == "solution" and len(rest) <= 1:
        return show_solution(rest[0] if rest else "")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
