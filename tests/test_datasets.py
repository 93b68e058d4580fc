"""The Iris loader: shapes, dtypes, the checksum and clear errors for a broken file."""

import hashlib
import os

import numpy as np
import pytest

from common import load_iris
from common.datasets import IRIS_HEADER, IRIS_PATH, IRIS_SHA256


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
