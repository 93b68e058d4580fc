"""The course's data sets, read from the project's data/ folder from any working directory."""

import hashlib
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
IRIS_PATH = DATA_DIR / "iris.csv"
IRIS_SHA256 = "0bbf96a2eb24f5be6ae2b7f3271a984e8b6368847000b816ef6f67db12830eee"
IRIS_HEADER = "sepal.length,sepal.width,petal.length,petal.width,variety"
IRIS_CLASSES = ("Setosa", "Versicolor", "Virginica")


def load_iris(path=IRIS_PATH, sha256=IRIS_SHA256):
    """Load the 150 Iris flowers: 4 measurements each and the variety as a label.

    Returns ``(x, labels, class_names)``: ``x`` float64 (150, 4) in centimetres, in the column
    order of the header; ``labels`` int (150,) with 0, 1, 2 indexing ``class_names``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file and line
    for a malformed one, or if the file's sha256 differs from ``sha256``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_iris: expected the Iris data at {path}, but there is no "
                                "such file; restore it with `git checkout -- data/iris.csv`")
    raw = path.read_bytes()
    lines = raw.decode("utf-8").splitlines()
    if not lines or lines[0] != IRIS_HEADER:
        got = lines[0] if lines else "an empty file"
        raise ValueError(f"load_iris: {path}, line 1: expected the header {IRIS_HEADER!r}, "
                         f"got {got!r}")
    features, labels = [], []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != 5:
            raise ValueError(f"load_iris: {path}, line {number}: expected 5 comma-separated "
                             f"fields, got {len(fields)}: {line!r}")
        try:
            features.append([float(field) for field in fields[:4]])
        except ValueError:
            raise ValueError(f"load_iris: {path}, line {number}: expected 4 numbers before "
                             f"the variety, got {line!r}") from None
        if fields[4] not in IRIS_CLASSES:
            raise ValueError(f"load_iris: {path}, line {number}: expected a variety among "
                             f"{', '.join(IRIS_CLASSES)}, got {fields[4]!r}")
        labels.append(IRIS_CLASSES.index(fields[4]))
    digest = hashlib.sha256(raw).hexdigest()
    if sha256 is not None and digest != sha256:
        raise ValueError(f"load_iris: {path} has sha256 {digest}, expected {sha256}; "
                         "the file was changed, restore it with `git checkout -- data/iris.csv`")
    return np.array(features, dtype=np.float64), np.array(labels, dtype=int), IRIS_CLASSES
