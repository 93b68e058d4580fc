"""The checks of lesson 03 accept right answers and reject typical wrong ones with a hint."""

import numpy as np
import pytest

from common import functions
from common.checks.output_layer import (
    check_cross_entropy_error,
    check_mean_squared_error,
    check_softmax,
)

# ---------------------------------------------------------------------------------------------
# Reference solutions (as in the notebook) and correct alternatives written differently


def mse_reference(d, y):
    return np.mean((np.asarray(d) - np.asarray(y)) ** 2) / 2


def mse_sum_over_size(d, y):
    """Correct too: the sum divided by twice the number of elements."""
    diff = np.ravel(y) - np.ravel(d)
    return float(np.dot(diff, diff)) / (2 * diff.size)


def softmax_reference(x):
    x = np.asarray(x, dtype=float)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_transposed(x):
    """Correct too: the course's way, columns after a transpose."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 2:
        t = x.T - np.max(x.T, axis=0)
        return (np.exp(t) / np.sum(np.exp(t), axis=0)).T
    t = x - np.max(x)
    return np.exp(t) / np.sum(np.exp(t))


def cee_reference(d, y):
    d, y = np.asarray(d), np.asarray(y, dtype=float)
    if y.ndim == 1:
        d, y = d.reshape(1, -1), y.reshape(1, -1)
    if d.size == y.size:
        d = d.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), d] + 1e-7)) / batch_size


def cee_one_hot_sum(d, y):
    """Correct too: labels made one-hot, then -sum(d * log(y + 1e-7)) / N."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    d = np.asarray(d)
    d = np.eye(y.shape[1])[d] if d.ndim == 1 and d.size != y.size else d.reshape(y.shape)
    return -np.sum(d * np.log(y + 1e-7)) / y.shape[0]


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Typical wrong answers


def mse_sum(d, y):
    return np.sum((d - y) ** 2) / 2


def mse_no_half(d, y):
    return np.mean((d - y) ** 2)


def mse_signed(d, y):
    return np.mean(d - y) / 2


def mse_abs(d, y):
    return np.mean(np.abs(d - y)) / 2


def mse_batch_size_only(d, y):
    return np.sum((d - y) ** 2) / (2 * len(y))


def mse_not_reduced(d, y):
    return (d - y) ** 2 / 2


def softmax_no_shift(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_wrong_axis(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=0)


def softmax_total_sum(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def softmax_global_max(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_no_keepdims(x):
    e = np.exp(x - np.max(x, axis=-1))
    return e / np.sum(e, axis=-1)


def softmax_in_place(x):
    x -= np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_not_normalised(x):
    return np.exp(x - np.max(x, axis=-1, keepdims=True))


def cee_no_average(d, y):
    return cee_reference(d, y) * np.atleast_2d(y).shape[0]


def cee_mean_over_elements(d, y):
    return cee_reference(d, y) / np.shape(y)[-1]


def cee_half(d, y):
    return cee_reference(d, y) * np.atleast_2d(y).shape[0] / 2


def cee_no_guard(d, y):
    d, y = np.asarray(d), np.asarray(y, dtype=float)
    if y.ndim == 1:
        d, y = d.reshape(1, -1), y.reshape(1, -1)
    if d.size == y.size:
        d = d.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), d])) / y.shape[0]


def cee_no_log(d, y):
    y = np.atleast_2d(y)
    return -np.sum(np.reshape(d, y.shape) * y) / y.shape[0]


def cee_one_hot_only(d, y):
    y = np.atleast_2d(y)
    return -np.sum(d * np.log(y + 1e-7)) / y.shape[0]


def cee_no_reshape(d, y):
    if d.size == y.size:
        d = d.argmax(axis=-1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), d] + 1e-7)) / batch_size


def cee_positive_sign(d, y):
    return -cee_reference(d, y)


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check, name, func", [
    (check_mean_squared_error, "mean_squared_error", mse_reference),
    (check_mean_squared_error, "mean_squared_error", mse_sum_over_size),
    (check_mean_squared_error, "mean_squared_error", functions.mean_squared_error),
    (check_softmax, "softmax", softmax_reference), (check_softmax, "softmax", softmax_transposed),
    (check_softmax, "softmax", functions.softmax),
    (check_cross_entropy_error, "cross_entropy_error", cee_reference),
    (check_cross_entropy_error, "cross_entropy_error", cee_one_hot_sum),
])
def test_right_answers_pass(check, name, func, passes):
    passes(check, func, name)


@pytest.mark.parametrize("check, name", [
    (check_mean_squared_error, "mean_squared_error"), (check_softmax, "softmax"),
    (check_cross_entropy_error, "cross_entropy_error"),
])
def test_stub_is_not_done(check, name, not_done):
    not_done(check, stub, name)


@pytest.mark.parametrize("check, name, func, hint", [
    (check_mean_squared_error, "mean_squared_error", mse_sum, "1/2 * sum"),
    (check_mean_squared_error, "mean_squared_error", mse_no_half, "halve the mean"),
    (check_mean_squared_error, "mean_squared_error", mse_signed, "square the differences"),
    (check_mean_squared_error, "mean_squared_error", mse_abs, "instead of taking np.abs"),
    (check_mean_squared_error, "mean_squared_error", mse_batch_size_only, "every element"),
    (check_mean_squared_error, "mean_squared_error", mse_not_reduced, "return one number"),
    (check_softmax, "softmax", softmax_no_shift, "subtract the maximum before exp"),
    (check_softmax, "softmax", softmax_wrong_axis, "not each column"),
    (check_softmax, "softmax", softmax_total_sum, "its own sum"),
    (check_softmax, "softmax", softmax_global_max, "each row's own maximum"),
    (check_softmax, "softmax", softmax_no_keepdims, "keepdims=True"),
    (check_softmax, "softmax", softmax_in_place, "changed its input in place"),
    (check_softmax, "softmax", softmax_not_normalised, "divide by the sum"),
    (check_cross_entropy_error, "cross_entropy_error", cee_no_average, "batch size N = 3"),
    (check_cross_entropy_error, "cross_entropy_error", cee_mean_over_elements, "reshape y and d"),
    (check_cross_entropy_error, "cross_entropy_error", cee_half, "no 1/2"),
    (check_cross_entropy_error, "cross_entropy_error", cee_no_guard, "add 1e-7 inside the log"),
    (check_cross_entropy_error, "cross_entropy_error", cee_no_log, "take the log of y"),
    (check_cross_entropy_error, "cross_entropy_error", cee_one_hot_only, "label indices"),
    (check_cross_entropy_error, "cross_entropy_error", cee_no_reshape, "reshape y and d"),
    (check_cross_entropy_error, "cross_entropy_error", cee_positive_sign, "mind the sign"),
])
def test_typical_mistakes_fail_with_a_hint(check, name, func, hint, rejected):
    assert hint in rejected(check, func, name)


def test_the_issue_example_message(rejected):
    assert rejected(check_softmax, softmax_no_shift, "softmax") == (
        "[softmax] softmax_no_shift([1000.0, 0.0]) should be [1.0, 0.0], "
        "got [nan, 0.0] - subtract the maximum before exp")


def test_cross_entropy_check_names_the_batch_average(rejected):
    message = rejected(check_cross_entropy_error, cee_no_average, "cross_entropy_error")
    assert message.endswith("divide by the batch size N = 3")
