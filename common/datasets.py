"""The course's data sets, read from the project's data/ folder from any working directory."""

import gzip
import hashlib
import zlib
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


# ----------------------------------------------------------------------------------------------
# Handwritten digits: the 8 x 8 UCI set shipped in data/, and real MNIST if a learner has it

DIGITS_PATH = DATA_DIR / "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_CLASSES = tuple(str(k) for k in range(10))


def load_digits(path=DIGITS_PATH, sha256=DIGITS_SHA256):
    """Load the 1,797 handwritten digits of the UCI 8 x 8 set: 64 pixels each and the digit.

    Returns ``(x, labels, class_names)``: ``x`` float64 (1797, 64), one image per row, its
    8 x 8 pixels row by row (``x[n].reshape(8, 8)`` shows it), each a count of ink from 0
    (white) to 16 (black); ``labels`` int (1797,) with the digits 0 to 9; ``class_names`` the
    strings ``'0'`` to ``'9'``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file and line
    for a malformed one, or if the file's sha256 differs from ``sha256``.
    """
    path = Path(path)
    restore = "restore it with `git checkout -- data/digits.csv.gz`"
    if not path.is_file():
        raise FileNotFoundError(f"load_digits: expected the digits at {path}, but there is no "
                                f"such file; {restore}")
    raw = path.read_bytes()
    try:
        text = gzip.decompress(raw).decode("ascii")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise ValueError(f"load_digits: {path} is not a gzip-compressed text file "
                         f"({error}); {restore}") from None
    pixels, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split(",")
        if len(fields) != 65:
            raise ValueError(f"load_digits: {path}, line {number}: expected 65 comma-separated "
                             f"fields (64 pixels, then the digit), got {len(fields)}")
        try:
            values = [int(field) for field in fields]
        except ValueError:
            raise ValueError(f"load_digits: {path}, line {number}: expected 65 whole numbers, "
                             f"got {line[:60]!r}...") from None
        if not all(0 <= value <= 16 for value in values[:64]):
            raise ValueError(f"load_digits: {path}, line {number}: expected pixels from 0 to 16, "
                             f"got {min(values[:64])} to {max(values[:64])}")
        if not 0 <= values[64] <= 9:
            raise ValueError(f"load_digits: {path}, line {number}: expected a digit from 0 to 9 "
                             f"in the last field, got {values[64]}")
        pixels.append(values[:64])
        labels.append(values[64])
    if not labels:
        raise ValueError(f"load_digits: {path} holds no images; {restore}")
    digest = hashlib.sha256(raw).hexdigest()
    if sha256 is not None and digest != sha256:
        raise ValueError(f"load_digits: {path} has sha256 {digest}, expected {sha256}; "
                         f"the file was changed, {restore}")
    return np.array(pixels, dtype=np.float64), np.array(labels, dtype=int), DIGITS_CLASSES


#: IDX type codes (the third byte of the magic number) and the big-endian dtype each stands for.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read one IDX file (the format of MNIST), gzip-compressed or not, into a NumPy array.

    The file starts with two zero bytes, a type code (see ``IDX_TYPES``) and the number of
    dimensions ``ndim``, then ``ndim`` big-endian 32-bit sizes, then the values. Returns an
    array of that shape (uint8 for MNIST). Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` naming the file for a malformed one.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: expected an IDX file at {path}, but there is no "
                                "such file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # the gzip signature
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:  # zlib.error: a damaged stream
            raise ValueError(f"read_idx: {path} looks gzip-compressed but cannot be "
                             f"decompressed ({error}); download it again") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file: expected it to start with "
                         f"0x00 0x00, a type code and the number of dimensions, got "
                         f"{raw[:4].hex(' ') or 'an empty file'}")
    dtype, ndim = np.dtype(IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is cut short: its header announces {ndim} sizes, "
                         f"but the file has only {len(raw)} bytes")
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        problem = "is cut short" if len(raw) < expected else "has extra bytes at the end"
        raise ValueError(f"read_idx: {path} {problem}: a {dtype.name} array of shape {shape} "
                         f"needs {expected} bytes, the file has {len(raw)}; download it again")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native byte order, a writeable copy


MNIST_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
               "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


def _find_mnist_file(folder, name):
    """The file for ``name`` in ``folder``: '-idx' or '.idx' in its name, gzip-compressed or not."""
    for candidate in (name, name.replace("-idx", ".idx")):
        for suffix in ("", ".gz"):
            if (folder / (candidate + suffix)).is_file():
                return folder / (candidate + suffix)
    present = sorted(p.name for p in folder.iterdir())[:8]
    raise FileNotFoundError(f"load_mnist: expected {name} or {name}.gz in {folder}, found "
                            f"{', '.join(present) or 'nothing'}; the folder needs the four "
                            f"MNIST files {', '.join(MNIST_FILES.values())}")


def load_mnist(path):
    """Load the real MNIST digits from a folder holding its four IDX files (gzipped or not).

    The files are those of the MNIST database: ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each
    possibly ending in ``.gz`` (``.idx`` instead of ``-idx`` is accepted too).

    Returns ``(x_train, labels_train, x_test, labels_test)``: ``x`` uint8 (N, 784), one 28 x 28
    image per row, pixels from 0 (white) to 255 (black), so divide by 255.0 before training;
    ``labels`` int (N,) with the digits 0 to 9. MNIST has 60,000 training and 10,000 test
    images. Raises ``FileNotFoundError`` for a missing folder or file and ``ValueError`` naming
    the file for a malformed one.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"load_mnist: expected a folder holding the four MNIST files, "
                                f"but {folder} is not a folder")
    arrays = {}
    for key, name in MNIST_FILES.items():
        file = _find_mnist_file(folder, name)
        array = read_idx(file)
        kind = "images" if key.endswith("images") else "labels"
        if kind == "images" and (array.dtype != np.uint8 or array.shape[1:] != (28, 28)):
            raise ValueError(f"load_mnist: {file}: expected uint8 images of shape (N, 28, 28), "
                             f"got {array.dtype} of shape {array.shape}")
        if kind == "labels" and (array.dtype != np.uint8 or array.ndim != 1
                                 or (array > 9).any()):
            raise ValueError(f"load_mnist: {file}: expected uint8 labels of shape (N,) from 0 "
                             f"to 9, got {array.dtype} of shape {array.shape}"
                             + (f" with values up to {array.max()}" if array.size else ""))
        arrays[key] = array
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if len(images) != len(labels):
            raise ValueError(f"load_mnist: the {part} files disagree: {len(images)} images but "
                             f"{len(labels)} labels; download them again")
    return (arrays["train_images"].reshape(-1, 784), arrays["train_labels"].astype(int),
            arrays["test_images"].reshape(-1, 784), arrays["test_labels"].astype(int))
