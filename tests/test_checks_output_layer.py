"""The checks of lesson 03 accept right answers, however written, and reject typical wrong ones
with a hint a beginner can act on."""

import numpy as np
import pytest

from common import functions
from common import functions as F  # an alias: refused all the same
from common.checks.output_layer import (
    check_binary_cross_entropy_error,
    check_softmax,
    check_softmax_cross_entropy,
    reference_binary_cross_entropy_error,
    reference_softmax_cross_entropy,
)
from common.functions import softmax as library_softmax


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# softmax: correct versions written differently


def softmax_reference(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_transposed(x):
    """The course's way: columns after a transpose."""
    if x.ndim == 2:
        t = x.T - np.max(x.T, axis=0)
        return (np.exp(t) / np.sum(np.exp(t), axis=0)).T
    t = x - np.max(x)
    return np.exp(t) / np.sum(np.exp(t))


def softmax_row_loop(x):
    """One row at a time, in a Python loop."""
    rows = np.atleast_2d(np.asarray(x, dtype=float))
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out.reshape(np.shape(x))


def softmax_logaddexp(x):
    """exp(x - log(sum(exp(x)))), the log-sum by np.logaddexp."""
    return np.exp(x - np.logaddexp.reduce(x, axis=-1, keepdims=True))


def softmax_einsum(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / np.einsum("...k->...", e)[..., None]


# softmax: typical wrong answers


def softmax_no_shift(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_mean_shift(x):
    e = np.exp(x - np.mean(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_first_shift(x):
    e = np.exp(x - x[..., :1])
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_clipped(x):
    e = np.exp(np.clip(x, -500, 500))
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


def softmax_list(x):
    return softmax_reference(x).tolist()


def softmax_library(x):
    return functions.softmax(x)


def softmax_library_alias(x):
    return F.softmax(x)


def softmax_library_imported(x):
    return library_softmax(x)


def softmax_prints(x):
    print(softmax_reference(x))


# ---------------------------------------------------------------------------------------------
# binary_cross_entropy_error


def bce_clip(d, y):
    """The Keras way: clip instead of adding the guard; not the course's numbers."""
    y = np.clip(y, 1e-7, 1 - 1e-7)
    return -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y)) / len(y)


def bce_loop(d, y):
    total = 0.0
    for d_row, y_row in zip(d, y, strict=True):
        for target, p in zip(d_row, y_row, strict=True):
            total -= target * np.log(p + 1e-7) + (1 - target) * np.log(1 - p + 1e-7)
    return total / y.shape[0]


def bce_where(d, y):
    """The probability of the right answer, picked with np.where."""
    p = np.where(d == 1, y, 1 - y)
    return -np.sum(np.log(p + 1e-7)) / y.shape[0]


def bce_positive_only(d, y):
    return -np.sum(d * np.log(y + 1e-7)) / y.shape[0]


def bce_no_guard(d, y):
    return -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y)) / y.shape[0]


def bce_mean_over_elements(d, y):
    return -np.mean(d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y + 1e-7))


def bce_no_average(d, y):
    return -np.sum(d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y + 1e-7))


def bce_own(d, y):
    """The right answer, written in the test (the check module's reference is refused)."""
    return -np.sum(d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y + 1e-7)) / y.shape[0]


def bce_positive_sign(d, y):
    return -bce_own(d, y)


def bce_per_sample(d, y):
    return -np.sum(d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y + 1e-7), axis=1)


def bce_library(d, y):
    return functions.binary_cross_entropy_error(d, y)


# ---------------------------------------------------------------------------------------------
# softmax_cross_entropy


def sce_logaddexp(d, u):
    return np.sum(d * (np.logaddexp.reduce(u, axis=1, keepdims=True) - u)) / len(u)


def sce_take_along_axis(d, u):
    m = u.max(axis=1, keepdims=True)
    log_sum = m[:, 0] + np.log(np.exp(u - m).sum(axis=1))
    right = np.take_along_axis(u, d.argmax(axis=1)[:, None], axis=1)[:, 0]
    return np.mean(log_sum - right)


def sce_loop(d, u):
    total = 0.0
    for d_row, u_row in zip(d, u, strict=True):
        c = int(np.argmax(d_row))
        m = max(u_row)
        total += m + np.log(sum(np.exp(v - m) for v in u_row)) - u_row[c]
    return total / len(u)


def sce_via_softmax(d, u):
    return functions.cross_entropy_error(d, softmax_reference(u))


def sce_own_softmax_guarded(d, u):
    return -np.sum(d * np.log(softmax_reference(u) + 1e-7)) / len(u)


def sce_own_softmax_unguarded(d, u):
    return -np.sum(d * np.log(softmax_reference(u))) / len(u)


def sce_no_shift(d, u):
    return np.sum(d * (np.log(np.sum(np.exp(u), axis=1, keepdims=True)) - u)) / len(u)


def sce_forgot_m_in_u_c(d, u):
    m = u.max(axis=1, keepdims=True)
    return np.sum(d * (np.log(np.exp(u - m).sum(axis=1, keepdims=True)) - u)) / len(u)


def sce_own(d, u):
    """The right answer, written in the test (the check module's reference is refused)."""
    m = u.max(axis=1, keepdims=True)
    log_y = u - m - np.log(np.exp(u - m).sum(axis=1, keepdims=True))
    return -np.sum(d * log_y) / len(u)


def sce_no_average(d, u):
    return sce_own(d, u) * len(u)


def sce_sign(d, u):
    return -sce_own(d, u)


def sce_library(d, u):
    return functions.softmax_with_loss(d, u)


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check, name, func", [
    (check_softmax, "softmax", softmax_reference),
    (check_softmax, "softmax", softmax_transposed),
    (check_softmax, "softmax", softmax_row_loop),
    (check_softmax, "softmax", softmax_logaddexp),
    (check_softmax, "softmax", softmax_einsum),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_own),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_loop),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_where),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_own),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_logaddexp),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_take_along_axis),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_loop),
])
def test_right_answers_pass(check, name, func, passes):
    passes(check, func, name)


@pytest.mark.parametrize("check, name", [
    (check_softmax, "softmax"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error"),
    (check_softmax_cross_entropy, "softmax_cross_entropy"),
])
def test_stub_is_not_done(check, name, not_done):
    not_done(check, stub, name)


@pytest.mark.parametrize("check, name, func, hint", [
    (check_softmax, "softmax", softmax_no_shift, "subtract the maximum before exp"),
    (check_softmax, "softmax", softmax_mean_shift, "not its first element or its mean"),
    (check_softmax, "softmax", softmax_first_shift, "not its first element or its mean"),
    (check_softmax, "softmax", softmax_clipped, "should be [0.731059, 0.268941]"),
    (check_softmax, "softmax", softmax_wrong_axis, "not each column"),
    (check_softmax, "softmax", softmax_total_sum, "its own sum"),
    (check_softmax, "softmax", softmax_global_max, "each row's own maximum"),
    (check_softmax, "softmax", softmax_no_keepdims, "keepdims=True"),
    (check_softmax, "softmax", softmax_in_place, "changed its input in place"),
    (check_softmax, "softmax", softmax_not_normalised, "divide by the sum"),
    (check_softmax, "softmax", softmax_list, "should return a NumPy array, got a list"),
    (check_softmax, "softmax", softmax_prints, "returned None"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_positive_only,
     "a target of 0 must count too"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_clip,
     "not np.clip or np.maximum"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_no_guard,
     "1e-7 inside both logs"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_mean_over_elements,
     "not by N * K"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_no_average,
     "divide by the batch size N = 5"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_positive_sign,
     "mind the sign"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_per_sample,
     "return one number"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_own_softmax_guarded,
     "do not take the log of softmax"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_own_softmax_unguarded,
     "do not take the log of softmax"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_no_shift,
     "subtract each row's maximum m before exp"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_forgot_m_in_u_c,
     "but not from u_c"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_no_average,
     "divide by the batch size N = 2"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_sign, "mind the sign"),
])
def test_typical_mistakes_fail_with_a_hint(check, name, func, hint, rejected):
    assert hint in rejected(check, func, name)


@pytest.mark.parametrize("check, name, func, library", [
    (check_softmax, "softmax", softmax_library, "functions.softmax"),
    (check_softmax, "softmax", softmax_library_alias, "functions.softmax"),
    (check_softmax, "softmax", softmax_library_imported, "functions.softmax"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_library,
     "functions.binary_cross_entropy_error"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_library,
     "functions.softmax_with_loss"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_via_softmax,
     "functions.cross_entropy_error"),
])
def test_calling_the_library_is_refused(check, name, func, library, rejected):
    assert f"write it yourself, without {library}" in rejected(check, func, name)


def test_the_library_works_again_after_a_refusal(rejected):
    rejected(check_softmax, softmax_library, "softmax")
    assert np.allclose(functions.softmax(np.array([0.0, 0.0])), [0.5, 0.5])


def test_the_issue_example_message(rejected):
    assert rejected(check_softmax, softmax_no_shift, "softmax") == (
        "[softmax] softmax_no_shift([1000.0, 0.0]) should be [1.0, 0.0], got [nan, 0.0] - "
        "subtract the maximum before exp: np.exp(1000) overflows to inf and inf / inf = nan")


def test_mean_shift_fails_on_the_large_first_score(rejected):
    message = rejected(check_softmax, softmax_mean_shift, "softmax")
    assert "softmax_mean_shift([2000.0, 0.0])" in message


def test_first_element_shift_fails_on_the_large_second_score(rejected):
    message = rejected(check_softmax, softmax_first_shift, "softmax")
    assert "softmax_first_shift([0.0, 1000.0])" in message


# ---------------------------------------------------------------------------------------------
# Review of lessons 03-04: holes closed, messages a beginner can act on


def softmax_axis_one(x):
    """Written for a batch only: axis=1 does not exist for one sample."""
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_row_max_total_sum(x):
    """Each row's own maximum, but one sum over the whole batch."""
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e)


def bce_categorical_code(d, y):
    """The course's categorical code on one sigmoid column: column 0 whatever the label."""
    return -np.sum(np.log(y + 1e-7)) / y.shape[0]


def bce_halved(d, y):
    return bce_own(d, y) / 2


def bce_guard_in_one_log(d, y):
    return -np.sum(d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y)) / y.shape[0]


def bce_two_class_softmax(d, y):
    """Section 4.5's two-class softmax in disguise: the categorical loss on (1 - y, y)."""
    n, k = y.shape
    pairs = np.stack([1 - y, y], axis=-1).reshape(-1, 2)
    return functions.cross_entropy_error(d.reshape(-1).astype(int), pairs) * k


def sce_all_columns(d, u):
    """log_y[:, labels] builds (N, N), not one entry per row."""
    m = u.max(axis=1, keepdims=True)
    log_y = u - m - np.log(np.exp(u - m).sum(axis=1, keepdims=True))
    return -np.sum(log_y[:, d.argmax(axis=1)]) / len(u)


def sce_no_keepdims(d, u):
    m = np.max(u, axis=1)
    log_y = u - m - np.log(np.sum(np.exp(u - m), axis=1))
    return -np.sum(d * log_y) / len(u)


def sce_halved(d, u):
    return sce_own(d, u) / 2


@pytest.mark.parametrize("check, name, func, hint", [
    (check_softmax, "softmax", softmax_axis_one, "use axis=-1 (the last axis) with keepdims=True"),
    (check_softmax, "softmax", softmax_row_max_total_sum, "each row must add up to 1"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_categorical_code,
     "whatever its target"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_halved,
     "there is no 1/2 in the cross-entropy"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_guard_in_one_log,
     "a log has no 1e-7 guard"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_all_columns,
     "log_y[np.arange(N), labels]"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_no_keepdims,
     "a column of shape (N, 1): axis=1, keepdims=True"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", sce_halved,
     "there is no 1/2 in the cross-entropy"),
])
def test_review_mistakes_fail_with_a_hint(check, name, func, hint, rejected):
    assert hint in rejected(check, func, name)


def test_a_missing_guard_is_not_called_clipping(rejected):
    message = rejected(check_binary_cross_entropy_error, bce_no_guard, "binary_cross_entropy_error")
    assert "np.clip" not in message and "1e-7 inside both logs" in message


def test_the_halved_loss_is_caught_on_one_sample(rejected):
    message = rejected(check_binary_cross_entropy_error, bce_halved, "binary_cross_entropy_error")
    assert "([[1]], " in message  # the first case, N = 1


@pytest.mark.parametrize("check, name, func, library", [
    (check_binary_cross_entropy_error, "binary_cross_entropy_error",
     reference_binary_cross_entropy_error, "output_layer.reference_binary_cross_entropy_error"),
    (check_binary_cross_entropy_error, "binary_cross_entropy_error", bce_two_class_softmax,
     "functions.cross_entropy_error"),
    (check_softmax_cross_entropy, "softmax_cross_entropy", reference_softmax_cross_entropy,
     "output_layer.reference_softmax_cross_entropy"),
])
def test_the_check_modules_references_are_refused(check, name, func, library, rejected):
    assert f"write it yourself, without {library}" in rejected(check, func, name)


def test_the_two_class_softmax_disguise_is_the_right_number():
    """The refusal above is what stops it: without it the disguise would pass."""
    d = np.array([[1.0, 0.0], [0.0, 0.0]])
    y = np.array([[0.8, 0.3], [0.1, 0.6]])
    assert np.isclose(bce_two_class_softmax(d, y), bce_own(d, y))


# ---------------------------------------------------------------------------------------------
# Final review: the course's stacked helpers refused, clipping and swapped arguments named


def test_softmax_refuses_the_stacked_helper(rejected):
    from common import stacked

    def via_stacked(x):
        return stacked._softmax_last_axis(x)

    message = rejected(check_softmax, via_stacked, "softmax")
    assert "without stacked._softmax_last_axis" in message


def test_softmax_clipped_scores_get_the_clipping_hint(rejected):
    def clipped(x):
        e = np.exp(np.clip(x, -700, 700))
        return e / np.sum(e, axis=-1, keepdims=True)

    message = rejected(check_softmax, clipped, "softmax")
    assert "clipping changes the scores; subtract the row's maximum instead" in message


def test_binary_refuses_the_two_class_stacked_loss(rejected):
    from common import stacked

    def via_loss_stack(d, y):
        two_class_d = np.stack([d, 1 - d], axis=-1).reshape(1, -1, 2)
        two_class_y = np.stack([y, 1 - y], axis=-1).reshape(1, -1, 2)
        return float(stacked.loss_stack(two_class_d, two_class_y)[0]) * d.shape[1]

    message = rejected(check_binary_cross_entropy_error, via_loss_stack,
                       "binary_cross_entropy_error")
    assert "without stacked.loss_stack" in message


@pytest.mark.parametrize("guard", [
    lambda y: np.clip(y, 1e-7, 1 - 1e-7),
    lambda y: np.minimum(np.maximum(y, 1e-7), 1 - 1e-7),
])
def test_binary_clip_guard_is_named_as_clipping(rejected, guard):
    def clipped(d, y):
        g = guard(y)
        return -np.sum(d * np.log(g) + (1 - d) * np.log(1 - g)) / y.shape[0]

    message = rejected(check_binary_cross_entropy_error, clipped, "binary_cross_entropy_error")
    assert "put exactly 1e-7 inside both logs" in message and "not np.clip or np.maximum" in message


def test_binary_unguarded_is_told_to_add_the_guard(rejected):
    def unguarded(d, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y)) / y.shape[0]

    message = rejected(check_binary_cross_entropy_error, unguarded, "binary_cross_entropy_error")
    assert "a log has no 1e-7 guard" in message and "np.clip" not in message


def test_binary_swapped_arguments(rejected):
    def swapped(y, d):  # right formula, arguments in the wrong order
        return -np.sum(d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y + 1e-7)) / y.shape[0]

    message = rejected(check_binary_cross_entropy_error, swapped, "binary_cross_entropy_error")
    assert "d and y look swapped: the order is (d, y), target first" in message


def test_softmax_cross_entropy_swapped_arguments(rejected):
    def swapped(u, d):  # right formula, arguments in the wrong order
        m = np.max(u, axis=1, keepdims=True)
        log_y = u - m - np.log(np.sum(np.exp(u - m), axis=1, keepdims=True))
        return -np.sum(d * log_y) / u.shape[0]

    message = rejected(check_softmax_cross_entropy, swapped, "softmax_cross_entropy")
    assert "d and u look swapped: the order is (d, u), target first" in message
