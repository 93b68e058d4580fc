"""The checks of lesson 02 accept right answers and reject typical wrong ones with a hint."""

import numpy as np
import pytest

from common import functions
from common.checks.activation_functions import check_d_relu, check_d_sigmoid, check_sigmoid

# ---------------------------------------------------------------------------------------------
# Reference solutions (as in the notebook) and correct alternatives written differently


def sigmoid_reference(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_clipped(x):
    """Correct too: clipping keeps np.exp far from overflow."""
    x = np.clip(np.asarray(x, dtype=float), -500, 500)
    return 1.0 / (1.0 + np.exp(-x))


def d_sigmoid_reference(x):
    s = functions.sigmoid(x)
    return s * (1 - s)


def d_sigmoid_from_exp(x):
    """Correct too: e^(-|x|) / (1 + e^(-|x|))^2, symmetric in x."""
    e = np.exp(-np.abs(np.asarray(x, dtype=float)))
    return e / (1 + e) ** 2


def d_relu_reference(x):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, 1.0, 0.0)


def d_relu_heaviside(x):
    """Correct too: NumPy's Heaviside step with value 0 at 0."""
    return np.heaviside(np.asarray(x, dtype=float), 0.0)


def stub(x):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Typical wrong answers, each with the words its hint must contain


def sigmoid_naive(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def sigmoid_exp_form(x):
    x = np.asarray(x, dtype=float)
    return np.exp(x) / (1 + np.exp(x))


def sigmoid_where_both_branches(x):
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def sigmoid_wrong_sign(x):
    return 1 / (1 + np.exp(np.asarray(x, dtype=float)))


def sigmoid_flattened(x):
    return np.array([1 / (1 + np.exp(-v)) for v in np.ravel(x)])


def d_sigmoid_at_output(x):
    """The course's mistake: the derivative formula applied to z = sigmoid(u)."""
    z = functions.sigmoid(x)
    s = functions.sigmoid(z)
    return s * (1 - s)


def d_sigmoid_input_as_output(x):
    x = np.asarray(x, dtype=float)
    return x * (1 - x)


def d_sigmoid_plus(x):
    s = functions.sigmoid(x)
    return s * (1 + s)


def d_sigmoid_naive(x):
    s = 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
    return s * (1 - s)


def d_relu_one_at_zero(x):
    return np.where(np.asarray(x, dtype=float) >= 0, 1.0, 0.0)


def d_relu_bools(x):
    return np.asarray(x) > 0


def d_relu_ints(x):
    return (np.asarray(x) > 0).astype(int)


def d_relu_is_relu(x):
    return np.maximum(0.0, np.asarray(x, dtype=float))


def d_relu_sign(x):
    return np.sign(np.asarray(x, dtype=float))


def d_relu_flattened(x):
    return np.array([1.0 if v > 0 else 0.0 for v in np.ravel(x)])


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check, name, func", [
    (check_sigmoid, "sigmoid", sigmoid_reference), (check_sigmoid, "sigmoid", sigmoid_clipped),
    (check_sigmoid, "sigmoid", functions.sigmoid),
    (check_d_sigmoid, "d_sigmoid", d_sigmoid_reference),
    (check_d_sigmoid, "d_sigmoid", d_sigmoid_from_exp),
    (check_d_sigmoid, "d_sigmoid", functions.d_sigmoid),
    (check_d_relu, "d_relu", d_relu_reference), (check_d_relu, "d_relu", d_relu_heaviside),
    (check_d_relu, "d_relu", functions.d_relu),
])
def test_right_answers_pass(check, name, func, passes):
    passes(check, func, name)


@pytest.mark.parametrize("check, name", [
    (check_sigmoid, "sigmoid"), (check_d_sigmoid, "d_sigmoid"), (check_d_relu, "d_relu"),
])
def test_stub_is_not_done(check, name, not_done):
    not_done(check, stub, name)


@pytest.mark.parametrize("check, name, func, hint", [
    (check_sigmoid, "sigmoid", sigmoid_naive, "np.exp overflowed"),
    (check_sigmoid, "sigmoid", sigmoid_exp_form, "inf / inf gave nan"),
    (check_sigmoid, "sigmoid", sigmoid_where_both_branches, "np.where computes both branches"),
    (check_sigmoid, "sigmoid", sigmoid_wrong_sign, "sign is flipped"),
    (check_sigmoid, "sigmoid", sigmoid_flattened, "a number in, a number out"),
    (check_d_sigmoid, "d_sigmoid", d_sigmoid_at_output, "derivative at the output"),
    (check_d_sigmoid, "d_sigmoid", d_sigmoid_input_as_output, "compute s = sigmoid(x) first"),
    (check_d_sigmoid, "d_sigmoid", d_sigmoid_plus, "with a minus"),
    (check_d_sigmoid, "d_sigmoid", functions.sigmoid, "the sigmoid itself"),
    (check_d_sigmoid, "d_sigmoid", d_sigmoid_naive, "overflowed"),
    (check_d_relu, "d_relu", d_relu_one_at_zero, "use x > 0"),
    (check_d_relu, "d_relu", d_relu_bools, "dtype bool"),
    (check_d_relu, "d_relu", d_relu_ints, "dtype int"),
    (check_d_relu, "d_relu", d_relu_is_relu, "ReLU itself"),
    (check_d_relu, "d_relu", d_relu_sign, "np.sign"),
    (check_d_relu, "d_relu", d_relu_flattened, "a number in, a number out"),
])
def test_typical_mistakes_fail_with_a_hint(check, name, func, hint, rejected):
    assert hint in rejected(check, func, name)


def test_failure_names_input_expected_and_received(rejected):
    assert rejected(check_d_relu, d_relu_one_at_zero, "d_relu") == (
        "[d_relu] d_relu_one_at_zero([-2.0, -0.5, 0.0, 0.5, 3.0]) should be "
        "[0.0, 0.0, 0.0, 1.0, 1.0], got [0.0, 0.0, 1.0, 1.0, 1.0] - at x = 0 the course takes the "
        "derivative as 0: use x > 0, not x >= 0")


def test_checks_do_not_leak_warnings(rejected):
    """The naive sigmoid's overflow is recorded by the check, not raised (pytest errors on it)."""
    rejected(check_sigmoid, sigmoid_naive, "sigmoid")
