"""The data loaders (Iris, the 8 x 8 digits, MNIST): shapes, dtypes, checksums, clear errors."""

import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from common import load_iris
from common.datasets import (
    DIGITS_PATH,
    DIGITS_SHA256,
    IRIS_HEADER,
    IRIS_PATH,
    IRIS_SHA256,
    MNIST_FILES,
    load_digits,
    load_mnist,
    read_idx,
)


def test_iris_shapes_labels_and_classes():
    x, labels, classes = load_iris()
    assert x.shape == (150, 4) and x.dtype == np.float64
    assert labels.shape == (150,) and labels.dtype.kind == "i"
    assert classes == ("Setosa", "Versicolor", "Virginica")
    np.testing.assert_array_equal(np.bincount(labels), [50, 50, 50])
    np.testing.assert_array_equal(x[0], [5.1, 3.5, 1.4, 0.2])


def test_checksum_in_the_data_readme_matches_the_file():
    digest = hashlib.sha256(IRIS_PATH.read_bytes()).hexdigest()
    assert digest == IRIS_SHA256
    assert IRIS_SHA256 in (IRIS_PATH.parent / "README.md").read_text()


def test_load_iris_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_iris()[0].shape == (150, 4)


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "iris.csv"
    with pytest.raises(FileNotFoundError, match=f"load_iris: .*{missing}.*no such file"):
        load_iris(missing)


@pytest.mark.parametrize("bad_line, message", [
    ("5.1,3.5,1.4,Setosa", r"line 3: expected 5 comma-separated fields, got 4"),
    ("5.1,3.5,x,0.2,Setosa", r"line 3: expected 4 numbers before the variety"),
    ("5.1,3.5,1.4,0.2,Rose", r"line 3: expected a variety among .* got 'Rose'"),
])
def test_malformed_line_names_file_and_line(tmp_path, bad_line, message):
    lines = IRIS_PATH.read_text().splitlines()
    lines[2] = bad_line
    broken = tmp_path / "iris.csv"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=f"{broken}, {message}"):
        load_iris(broken)


def test_wrong_header_is_reported(tmp_path):
    broken = tmp_path / "iris.csv"
    broken.write_text(IRIS_PATH.read_text().replace(IRIS_HEADER, "a,b,c,d,e"))
    with pytest.raises(ValueError, match=r"line 1: expected the header"):
        load_iris(broken)


def test_changed_value_fails_the_checksum(tmp_path):
    changed = tmp_path / "iris.csv"
    changed.write_text(IRIS_PATH.read_text().replace("5.1,3.5,1.4,0.2", "5.1,3.5,1.4,0.3", 1))
    with pytest.raises(ValueError, match=r"has sha256 [0-9a-f]{64}, expected " + IRIS_SHA256):
        load_iris(changed)
    assert os.path.getsize(changed) == os.path.getsize(IRIS_PATH)


# ---------------------------------------------------------------------------------------------
# The 8 x 8 digits


def digits_lines():
    return gzip.decompress(DIGITS_PATH.read_bytes()).decode().splitlines()


def write_digits(path, lines):
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_digits_shapes_labels_and_classes():
    x, labels, classes = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype.kind == "i"
    assert classes == tuple("0123456789")
    assert x.min() == 0 and x.max() == 16 and np.array_equal(x, np.round(x))
    np.testing.assert_array_equal(np.bincount(labels),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # The first image is a 0: ink around the edge, a hole in the middle.
    first = x[0].reshape(8, 8)
    assert labels[0] == 0 and first[3:5, 3:5].sum() == 0 and first[:, 1:3].sum() > 50


def test_digits_checksum_in_the_data_readme_matches_the_file():
    assert hashlib.sha256(DIGITS_PATH.read_bytes()).hexdigest() == DIGITS_SHA256
    assert DIGITS_SHA256 in (DIGITS_PATH.parent / "README.md").read_text()


def test_load_digits_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_digits()[0].shape == (1797, 64)


def test_digits_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "digits.csv.gz"
    with pytest.raises(FileNotFoundError, match=f"load_digits: .*{missing}.*no such file"):
        load_digits(missing)


def test_digits_file_that_is_not_gzip(tmp_path):
    plain = tmp_path / "digits.csv.gz"
    plain.write_text("\n".join(digits_lines()))
    with pytest.raises(ValueError, match=f"load_digits: {plain} is not a gzip-compressed"):
        load_digits(plain)


@pytest.mark.parametrize("change, message", [
    (lambda fields: fields[:-1], r"line 3: expected 65 comma-separated fields .* got 64"),
    (lambda fields: ["x"] + fields[1:], r"line 3: expected 65 whole numbers"),
    (lambda fields: ["1.5"] + fields[1:], r"line 3: expected 65 whole numbers"),
    (lambda fields: ["17"] + fields[1:], r"line 3: expected pixels from 0 to 16, got 0 to 17"),
    (lambda fields: fields[:-1] + ["10"], r"line 3: expected a digit from 0 to 9 .* got 10"),
])
def test_digits_malformed_line_names_file_and_line(tmp_path, change, message):
    lines = digits_lines()
    lines[2] = ",".join(change(lines[2].split(",")))
    broken = write_digits(tmp_path / "digits.csv.gz", lines)
    with pytest.raises(ValueError, match=f"load_digits: {broken}, {message}"):
        load_digits(broken)


def test_digits_changed_value_fails_the_checksum(tmp_path):
    lines = digits_lines()
    lines[0] = "1" + lines[0][1:]  # a first pixel of 1 instead of 0: still a valid line
    changed = write_digits(tmp_path / "digits.csv.gz", lines)
    with pytest.raises(ValueError, match=r"has sha256 [0-9a-f]{64}, expected " + DIGITS_SHA256):
        load_digits(changed)
    x, labels, _ = load_digits(changed, sha256=None)
    assert x[0, 0] == 1 and labels.shape == (1797,)


#: A gzip header, then a deflate block of the reserved type 3: gzip.decompress raises zlib.error
#: (not OSError), as a download damaged in the middle of the stream does.
DAMAGED_DEFLATE = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x07" + bytes(20)


def test_digits_file_with_a_damaged_deflate_stream(tmp_path):
    damaged = tmp_path / "digits.csv.gz"
    damaged.write_bytes(DAMAGED_DEFLATE)
    with pytest.raises(ValueError, match=f"load_digits: {damaged} is not a gzip-compressed "
                                         r"text file \(Error -3 .*invalid block type\)") as info:
        load_digits(damaged)
    assert "\n" not in str(info.value)


def test_digits_empty_file(tmp_path):
    empty = tmp_path / "digits.csv.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(ValueError, match="holds no images"):
        load_digits(empty, sha256=None)


# ---------------------------------------------------------------------------------------------
# Real MNIST, on tiny IDX files written here


def idx_bytes(array, type_code=0x08):
    """The IDX encoding of ``array``: magic number, big-endian sizes, big-endian values."""
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


def write_mnist(folder, n_train=5, n_test=3, compress=(), dots=False, seed=0):
    """Write the four MNIST files of a tiny fake MNIST; give back the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test)}
    folder.mkdir(exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        file_name = name.replace("-idx", ".idx") if dots else name
        if name in compress:
            (folder / (file_name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / file_name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("compress, dots", [
    ((), False),
    (tuple(MNIST_FILES.values()), False),
    (("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), False),
    ((), True),
])
def test_load_mnist_reads_plain_and_gzipped_files(tmp_path, compress, dots):
    arrays = write_mnist(tmp_path / "mnist", compress=compress, dots=dots)
    x_train, labels_train, x_test, labels_test = load_mnist(tmp_path / "mnist")
    assert x_train.shape == (5, 784) and x_train.dtype == np.uint8
    assert x_test.shape == (3, 784) and labels_test.shape == (3,)
    assert labels_train.dtype.kind == "i"
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"].reshape(5, 784))
    np.testing.assert_array_equal(x_test[2].reshape(28, 28), arrays["t10k-images-idx3-ubyte"][2])
    np.testing.assert_array_equal(labels_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(labels_test, arrays["t10k-labels-idx1-ubyte"])


def test_load_mnist_accepts_a_string_path(tmp_path):
    write_mnist(tmp_path / "mnist")
    assert load_mnist(str(tmp_path / "mnist"))[0].shape == (5, 784)


def test_read_idx_other_types_are_big_endian(tmp_path):
    values = np.array([[1, -2, 300], [4, 5, -600]])
    (tmp_path / "a.idx").write_bytes(idx_bytes(values, 0x0B))
    got = read_idx(tmp_path / "a.idx")
    np.testing.assert_array_equal(got, values)
    assert got.dtype == np.int16 and got.flags.writeable
    (tmp_path / "b.idx").write_bytes(idx_bytes(np.array([0.5, -1.25]), 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "b.idx"), [0.5, -1.25])


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"load_mnist: .*{tmp_path / 'nope'} is not a "
                                                "folder"):
        load_mnist(tmp_path / "nope")


def test_load_mnist_missing_file_names_it_and_what_is_there(tmp_path):
    write_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"load_mnist: expected t10k-labels-idx1-ubyte "
                                                r"or t10k-labels-idx1-ubyte.gz in .*found "
                                                r"t10k-images-idx3-ubyte, train-images"):
        load_mnist(tmp_path / "mnist")


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="read_idx: expected an IDX file at"):
        read_idx(tmp_path / "x.idx")


@pytest.mark.parametrize("data, message", [
    (b"", r"is not an IDX file: .* got an empty file"),
    (b"PK\x03\x04rest", r"is not an IDX file: .* got 50 4b 03 04"),
    (bytes([0, 0, 0x07, 1]) + b"\x00\x00\x00\x01\x05", r"is not an IDX file"),
    (bytes([0, 0, 0x08, 3]) + b"\x00\x00\x00\x02", r"is cut short: its header announces 3 sizes"),
    (idx_bytes(np.zeros((2, 28, 28)))[:-10], r"is cut short: a uint8 array of shape "
                                              r"\(2, 28, 28\) needs 1584 bytes, the file has 1574"),
    (idx_bytes(np.zeros(3)) + b"\x00", r"has extra bytes at the end"),
    # mtime=0: the same bytes on every run, so that both xdist workers collect the same test ids
    (gzip.compress(idx_bytes(np.zeros(3)), mtime=0)[:-6], r"looks gzip-compressed but cannot "
                                                          r"be decompressed"),
    (DAMAGED_DEFLATE, r"looks gzip-compressed but cannot be decompressed \(Error -3 .*invalid "
                      r"block type\); download it again"),
])
def test_read_idx_malformed_file_is_named(tmp_path, data, message):
    broken = tmp_path / "broken-idx1-ubyte"
    broken.write_bytes(data)
    with pytest.raises(ValueError, match=f"read_idx: {broken} {message}") as info:
        read_idx(broken)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name, array, message", [
    ("train-images-idx3-ubyte", np.zeros((5, 28, 27)), r"expected uint8 images of shape "
                                                       r"\(N, 28, 28\), got uint8 of shape "
                                                       r"\(5, 28, 27\)"),
    ("t10k-labels-idx1-ubyte", np.zeros((3, 1)), r"expected uint8 labels of shape \(N,\)"),
    ("t10k-labels-idx1-ubyte", np.array([1, 2, 12]), r"from 0 to 9, .* with values up to 12"),
    ("t10k-labels-idx1-ubyte", np.arange(4), r"the test files disagree: 3 images but 4 labels"),
])
def test_load_mnist_wrong_contents(tmp_path, name, array, message):
    write_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / name).write_bytes(idx_bytes(array))
    with pytest.raises(ValueError, match=f"load_mnist: .*{message}"):
        load_mnist(tmp_path / "mnist")


def test_load_mnist_swapped_images_and_labels(tmp_path):
    arrays = write_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "train-images-idx3-ubyte").write_bytes(
        idx_bytes(arrays["train-labels-idx1-ubyte"]))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: expected uint8 images"):
        load_mnist(tmp_path / "mnist")
