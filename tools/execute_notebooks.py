"""Re-execute notebooks in place, top to bottom in a fresh kernel, so their outputs are fresh.

Usage: python tools/execute_notebooks.py [NOTEBOOK ...]   (default: every notebooks/*.ipynb)

Stored outputs are what nbval compares against, so this is the one way to refresh them. It also
drops run-specific metadata (timings, widget state, the Python version) so diffs stay small.
"""

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CELL_METADATA_KEPT = ("tags", "editable", "deletable", "jupyter")


def merge_streams(outputs):
    """Join consecutive prints to the same stream, which the kernel may send in pieces."""
    merged = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (output.output_type == "stream" and last is not None
                and last.output_type == "stream" and last.name == output.name):
            last.text += output.text
        else:
            merged.append(output)
    return merged


def execute(path):
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=False,
                            store_widget_state=True,  # False breaks Output widgets
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC,
                                      "language_info": {"name": "python"}})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
        cell.metadata = nbformat.from_dict(
            {k: v for k, v in cell.metadata.items() if k in CELL_METADATA_KEPT})
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def main(paths):
    paths = paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        for path in pool.map(execute, paths):
            print(f"executed {Path(path).relative_to(ROOT) if Path(path).is_absolute() else path}")


if __name__ == "__main__":
    main(sys.argv[1:])
