"""The learner's workspace: their own copy of the learner edition, never overwritten.

``make lab`` calls :func:`lab`: it brings the workspace up to date (:func:`update_workspace`)
and starts JupyterLab on it. A lesson the learner already has is never touched; a lesson added
to the course later is copied in. ``checks.json`` beside the notebooks tells the grader what
each check cell looked like when it was released to this learner.
"""

import json
import os
import sys
from pathlib import Path

import nbformat

from common.classroom import MANIFEST, REFERENCE, ROOT, digest, learner_edition, notebooks_in, tags

WORKSPACE = ROOT / "workspace"
# JupyterLab settings for the course (no news or update pop-ups), in a folder added to the
# Jupyter config path, so that the learner's own Jupyter settings stay as they are.
JUPYTER_CONFIG = ROOT / "jupyter_config"
FIRST_LESSON = "00_getting_started.ipynb"


def kernel_language_info():
    """The notebook metadata JupyterLab writes when the kernel starts.

    A workspace notebook holds it already, so opening a lesson does not mark it modified.
    The kernel runs in this same environment, so its Python version is this one.
    """
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


def keep_language_info(model, path, contents_manager, **kwargs):
    """Jupyter pre-save hook: a notebook keeps the ``language_info`` its file already holds.

    When a notebook opens, JupyterLab writes the kernel's ``language_info`` into it, Python
    version included. The committed lessons leave the version out (``make execute`` drops it, so
    they do not change with every Python); without this hook, opening and saving a lesson would
    change the file although nothing in it was edited.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    try:
        with open(contents_manager._get_os_path(path), encoding="utf-8") as file:
            kept = json.load(file).get("metadata", {}).get("language_info")
    except (OSError, ValueError, AttributeError):
        return  # a new notebook, or not a file: nothing to keep
    if kept is not None:
        model["content"].setdefault("metadata", {})["language_info"] = kept


def update_workspace(folder=WORKSPACE, reference=REFERENCE, quiet=False):
    """Create the workspace, or copy in the lessons it lacks; never overwrite a notebook there.

    Returns the names of the notebooks copied in.
    """
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    language_info = kernel_language_info()
    # A class repository ships the learner edition with its checks.json; the course, the reference.
    shipped = Path(reference) / MANIFEST
    shipped = json.loads(shipped.read_text()) if shipped.is_file() else None
    added, changed = [], []
    for path in notebooks_in(reference):
        nb, checks = learner_edition(nbformat.read(path, as_version=4), path.name)
        if shipped is not None:
            checks = shipped.get(path.name, {})
        target = folder / path.name
        if target.exists():
            entry = kept_entry(nbformat.read(target, as_version=4), manifest.get(path.name, {}),
                               checks)
            if entry != checks:
                changed.append(path.name)
            manifest[path.name] = entry
            continue
        nb.metadata["language_info"] = language_info
        nbformat.write(nb, target)
        manifest[path.name] = checks
        added.append(path.name)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    if not quiet:
        where = display_path(folder)
        if created:
            print(f"Your workspace {where}/ now holds {len(added)} lessons, ready for your "
                  "answers. make lab never overwrites them.")
        else:
            print(f"Your workspace {where}/: your work is kept.")
            for name in added:
                print(f"  new lesson copied in: {name}")
        for name in changed:
            print(f"  {name}: the course has changed this lesson since you got it; your copy is "
                  "kept. For the new version, rename yours and run make lab again.")
    return added


def kept_entry(nb, released_before, released_now):
    """What checks.json says of a notebook the learner already has.

    The learner's check cells were released with ``released_before``. Where a check cell is still
    exactly as the course releases it now, take the new release (its ✔ line may have changed);
    a check cell the learner's copy does not have is not theirs to pass yet.
    """
    mine = {cell.id: digest(cell.source) for cell in nb.cells
            if cell.cell_type == "code" and "check" in tags(cell)}
    entry = dict(released_before)
    for cell_id, release in released_now.items():
        if cell_id in mine and (mine[cell_id] == release["sha256"] or cell_id not in entry):
            entry[cell_id] = release
    return entry


def display_path(path):
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def lab_command(root, port=None, extra=()):
    """The JupyterLab command line and environment for the course, serving ``root``."""
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(JUPYTER_CONFIG), *filter(None, [env.get("JUPYTER_CONFIG_PATH")])])
    command = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.root_dir={root}"]
    if port:
        command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # Jupyter refuses root unless told; containers run as root
    return [*command, *extra], env


def lab(reference=False):
    """Start JupyterLab: on the workspace (brought up to date first), or on the reference
    edition for instructors."""
    extra = []
    if reference:
        root = REFERENCE
        print("The reference edition, with every solution: for instructors and authors.")
    else:
        first_time = not WORKSPACE.exists()
        update_workspace()
        root = WORKSPACE
        if first_time:
            extra.append(f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}")
    # Warnings and the link to open only: the server's start-up log means nothing to a learner.
    quiet = ["--ServerApp.log_level=WARN", "--LabApp.log_level=WARN"]
    command, env = lab_command(root, extra=[*quiet, *extra])
    sys.stdout.flush()
    os.execve(command[0], command, env)
