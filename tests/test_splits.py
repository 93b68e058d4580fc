"""stratified_split: every index once, classes in proportion, seeded shuffles, clear errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.splits import split_counts, stratified_split

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)


@st.composite
def split_problem(draw):
    """Labels of 1 to 8 classes (sizes 1-40, in random order) and 1 to 4 positive fractions."""
    sizes = draw(st.lists(st.integers(1, 40), min_size=1, max_size=8))
    weights = draw(st.lists(st.integers(1, 20), min_size=1, max_size=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    return labels, tuple(w / sum(weights) for w in weights)


@SETTINGS
@given(split_problem())
def test_counts_are_exact_shares_rounded_and_parts_have_their_global_size(problem):
    labels, fractions = problem
    sizes = np.bincount(labels)
    counts = split_counts(sizes, fractions)
    shares = np.outer(sizes, fractions)
    assert np.array_equal(counts.sum(axis=1), sizes)
    assert (np.abs(counts - shares) < 1 + 1e-9).all()
    totals = counts.sum(axis=0)
    assert (np.abs(totals - np.array(fractions) * labels.size) < 1 + 1e-9).all()
    assert totals.sum() == labels.size


@SETTINGS
@given(split_problem())
def test_parts_hold_every_index_once_with_the_counts_of_split_counts(problem):
    labels, fractions = problem
    counts = split_counts(np.bincount(labels), fractions)
    if (counts.sum(axis=0) == 0).any():
        with pytest.raises(ValueError, match="would be empty"):
            stratified_split(labels, fractions, np.random.default_rng(0))
        return
    parts = stratified_split(labels, fractions, np.random.default_rng(0))
    assert len(parts) == len(fractions)
    assert all(part.dtype.kind == "i" for part in parts)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(labels.size))
    for j, part in enumerate(parts):
        assert np.array_equal(np.bincount(labels[part], minlength=counts.shape[0]), counts[:, j])


def test_digits_sized_split_is_60_20_20_per_class():
    labels = np.repeat(np.arange(10), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    train, validation, test = stratified_split(labels, (0.6, 0.2, 0.2), np.random.default_rng(1))
    # 0.2 * 1797 = 359.4 twice: the tie in the rounding goes to the earlier part.
    assert (train.size, validation.size, test.size) == (1078, 360, 359)
    for part, fraction in ((train, 0.6), (validation, 0.2), (test, 0.2)):
        share = np.bincount(labels[part], minlength=10) / np.bincount(labels)
        assert np.all(np.abs(share - fraction) < 0.01)


def test_iris_two_to_one():
    labels = np.repeat([0, 1, 2], 50)
    train, test = stratified_split(labels, (2 / 3, 1 / 3), np.random.default_rng(0))
    assert (train.size, test.size) == (100, 50)
    assert sorted(np.bincount(labels[train])) == [33, 33, 34]


def test_same_seed_same_split_other_seed_other_split():
    labels = np.repeat(np.arange(3), 30)
    first = stratified_split(labels, (0.5, 0.5), np.random.default_rng(7))
    again = stratified_split(labels, (0.5, 0.5), np.random.default_rng(7))
    other = stratified_split(labels, (0.5, 0.5), np.random.default_rng(8))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    # Which samples go where changes too, not only their order.
    assert set(first[0]) != set(other[0])
    assert set(first[0]) != set(np.flatnonzero(np.arange(90) % 30 < 15))


def test_parts_are_shuffled_not_sorted_by_class():
    labels = np.repeat(np.arange(3), 30)
    train, _ = stratified_split(labels, (0.5, 0.5), np.random.default_rng(0))
    assert not np.array_equal(train, np.sort(train))
    # The first samples of the part are not all from one class.
    assert len(set(labels[train[:10]])) > 1


def test_a_file_sorted_by_class_splits_like_a_shuffled_one():
    sorted_labels = np.repeat(np.arange(4), 25)
    shuffled = np.random.default_rng(3).permutation(sorted_labels)
    for labels in (sorted_labels, shuffled):
        train, test = stratified_split(labels, (0.8, 0.2), np.random.default_rng(0))
        assert np.array_equal(np.bincount(labels[test]), [5, 5, 5, 5])


def test_string_labels_and_a_single_part():
    labels = np.array(["cat", "dog", "cat", "dog", "cat"])
    (everything,) = stratified_split(labels, (1.0,), np.random.default_rng(0))
    assert np.array_equal(np.sort(everything), np.arange(5))


def test_the_inputs_are_not_changed():
    labels = np.repeat(np.arange(2), 10)
    before = labels.copy()
    stratified_split(labels, [0.5, 0.5], np.random.default_rng(0))
    assert np.array_equal(labels, before)


@pytest.mark.parametrize("labels, fractions, rng, error, message", [
    (np.eye(3)[[0, 1, 2, 1]], (0.5, 0.5), np.random.default_rng(0), ValueError,
     r"expected labels of shape \(N,\).*got shape \(4, 3\); for one-hot targets pass "
     r"d.argmax\(axis=1\)"),
    (np.array([]), (0.5, 0.5), np.random.default_rng(0), ValueError, "got an empty array"),
    (np.array([0.0, 1.0, 1.0, 0.0]), (0.5, 0.5), np.random.default_rng(0), ValueError,
     "expected class labels .* got dtype float64"),
    (np.arange(10) % 2, (0.6, 0.3), np.random.default_rng(0), ValueError,
     r"add up to 1.*got \(0.6, 0.3\) \(sum 0.9\)"),
    (np.arange(10) % 2, (1.2, -0.2), np.random.default_rng(0), ValueError,
     "between 0 and 1"),
    (np.arange(10) % 2, 0.8, np.random.default_rng(0), ValueError,
     "expected fractions as a sequence of numbers"),
    (np.arange(10) % 2, ("0.5", "0.5"), np.random.default_rng(0), ValueError,
     "expected fractions as a sequence of numbers"),
    (np.arange(10) % 2, (), np.random.default_rng(0), ValueError,
     "expected fractions as a sequence of numbers"),
    (np.arange(10) % 2, (0.5, 0.5), 0, TypeError,
     r"expected rng to be a np.random.Generator such as np.random.default_rng\(0\), got int"),
    (np.arange(10) % 2, (0.5, 0.5), np.random.RandomState(0), TypeError, "got RandomState"),
    (np.array([0, 1, 0]), (0.6, 0.2, 0.2), np.random.default_rng(0), ValueError,
     r"part 2 \(fraction 0.2\) would be empty with only 3 labels"),
])
def test_bad_input_gets_a_one_line_error(labels, fractions, rng, error, message):
    with pytest.raises(error, match="^stratified_split: .*" + message) as info:
        stratified_split(labels, fractions, rng)
    assert "\n" not in str(info.value)
