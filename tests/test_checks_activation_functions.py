"""The checks of lesson 02 accept right answers written in several ways and reject typical wrong
ones, and the holes of issue 11 (delegation, silenced warnings, integer input) with a hint."""

import numpy as np
import pytest

from common import functions
from common.checks.activation_functions import check_d_leaky_relu, check_d_tanh, check_sigmoid
from common.functions import sigmoid as aliased_sigmoid

QUOTIENT = "looks like a numerical slope, a difference quotient"

# ---------------------------------------------------------------------------------------------
# Correct solutions, written in several ways


def sigmoid_reference(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_clipped(x):
    """Correct too: clipping keeps np.exp far from overflow."""
    x = np.clip(np.asarray(x, dtype=float), -500, 500)
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_tanh(x):
    """Correct too: sigmoid(x) = (1 + tanh(x / 2)) / 2."""
    return 0.5 * (1.0 + np.tanh(np.asarray(x, dtype=float) / 2))


def sigmoid_logaddexp(x):
    """Correct too: sigmoid(x) = exp(-log(1 + e^-x)), with np.logaddexp for the log."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def sigmoid_masks(x):
    """Correct too: boolean masks on a float copy."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


def sigmoid_documented(x):
    """Stable: np.exp only sees -|x|, so no np.errstate or warnings filter is needed here."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_tanh_rounded(x):
    """Correct too, though it rounds sigmoid(-50) to 0: the review's H5, accepted openly."""
    return (1 + np.tanh(np.asarray(x, dtype=float) / 2)) / 2


def d_tanh_reference(u):
    t = np.tanh(u)
    return 1.0 - t * t


def d_tanh_from_sigmoid(u):
    """Correct too: tanh(u) = 2 sigmoid(2u) - 1, so tanh'(u) = 4 sigmoid'(2u)."""
    s = functions.sigmoid(2 * np.asarray(u, dtype=float))
    return 4 * s * (1 - s)


def d_tanh_cosh(u):
    """Correct too: 1 / cosh(u)^2, with the overflow of cosh at +-1000 kept out."""
    u = np.clip(np.asarray(u, dtype=float), -300, 300)
    return 1 / np.cosh(u) ** 2


def d_leaky_relu_reference(u, alpha=0.01):
    u = np.asarray(u, dtype=float)
    return np.where(u > 0, 1.0, float(alpha))


def d_leaky_relu_from_d_relu(u, alpha=0.01):
    """Correct too: ReLU's derivative, lifted by alpha on the left."""
    d = functions.d_relu(u)
    return d + alpha * (1 - d)


def d_leaky_relu_select(u, alpha=0.01):
    """Correct too: np.select, and the input as a float array first."""
    u = np.asarray(u, dtype=float)
    return np.select([u > 0], [1.0], default=alpha) + 0.0


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Typical wrong answers


def sigmoid_library(x):
    return functions.sigmoid(x)


def sigmoid_aliased(x):
    return aliased_sigmoid(x)


def sigmoid_silenced(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def sigmoid_seterr(x):
    np.seterr(over="ignore")
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def sigmoid_int_masks(x):
    """The review's hole: masks on np.empty_like of an integer input give integers."""
    x = np.asarray(x)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


def sigmoid_hidden_errstate(x):
    """The review's H4: the silencer fetched by a computed name, which no source scan sees."""
    with getattr(np, "err" + "state")(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def sigmoid_clipped_at_30(x):
    """The review's H6: clipping keeps np.exp small but changes the far values."""
    return 1 / (1 + np.exp(-np.clip(np.asarray(x, dtype=float), -30, 30)))


def sigmoid_via_softmax(x):
    """sigmoid(x) is the softmax of (0, x): a delegation to another library function."""
    x = np.asarray(x, dtype=float)
    pairs = np.stack([np.zeros_like(x), x], axis=-1).reshape(-1, 2)
    return functions.softmax(pairs)[:, 1].reshape(x.shape)


def sigmoid_if(x):
    if x >= 0:
        return 1 / (1 + np.exp(-x))
    return np.exp(x) / (1 + np.exp(x))


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


def sigmoid_list(x):
    return sigmoid_reference(x).tolist()


def sigmoid_prints(x):
    print(sigmoid_reference(x))


def d_tanh_is_tanh(u):
    return np.tanh(u)


def d_tanh_no_square(u):
    return 1 - np.tanh(u)


def d_tanh_plus(u):
    return 1 + np.tanh(u) ** 2


def d_tanh_sigmoid_pattern(u):
    t = np.tanh(u)
    return t * (1 - t)


def d_tanh_at_output(u):
    return 1 - np.tanh(np.tanh(u)) ** 2


def d_tanh_one_factor_two(u):
    s = functions.sigmoid(2 * np.asarray(u, dtype=float))
    return 2 * s * (1 - s)


def d_tanh_from_exp(u):
    u = np.asarray(u, dtype=float)
    return 4 / (np.exp(u) + np.exp(-u)) ** 2


def d_tanh_quotient_naive(u):
    u = np.asarray(u, dtype=float)
    t = (np.exp(u) - np.exp(-u)) / (np.exp(u) + np.exp(-u))
    return 1 - t**2


def d_tanh_numerical(u):
    u = np.atleast_1d(np.asarray(u, dtype=float))
    return functions.numerical_gradient(lambda v: np.sum(np.tanh(v)), u.copy())


def d_tanh_central_difference(u, h=1e-4):
    """The review's H3: a hand-written numerical slope, right to about 8 digits."""
    u = np.asarray(u, dtype=float)
    return (np.tanh(u + h) - np.tanh(u - h)) / (2 * h)


def d_tanh_central_difference_fine(u):
    return d_tanh_central_difference(u, h=1e-5)


def d_tanh_forward_difference(u, h=1e-7):
    u = np.asarray(u, dtype=float)
    return (np.tanh(u + h) - np.tanh(u)) / h


def d_tanh_one_over_cosh(u):
    return 1 / np.cosh(u)


def d_tanh_cosh_unclipped(u):
    return 1 / np.cosh(np.asarray(u, dtype=float)) ** 2


def d_tanh_int(u):
    """Integer arithmetic: right for floats, but cuts an integer input's result to 0 or 1."""
    out = np.zeros_like(u) if isinstance(u, np.ndarray) else 0.0
    out = out + 1 - np.tanh(u) ** 2
    return out.astype(np.asarray(u).dtype) if isinstance(u, np.ndarray) else out


def d_leaky_relu_one_at_zero(u, alpha=0.01):
    return np.where(np.asarray(u, dtype=float) >= 0, 1.0, alpha)


def d_leaky_relu_fixed_alpha(u, alpha=0.01):
    return np.where(np.asarray(u, dtype=float) > 0, 1.0, 0.01)


def d_leaky_relu_is_d_relu(u, alpha=0.01):
    return functions.d_relu(u)


def d_leaky_relu_is_leaky_relu(u, alpha=0.01):
    u = np.asarray(u, dtype=float)
    return np.where(u > 0, u, alpha * u)


def d_leaky_relu_alpha_times_u(u, alpha=0.01):
    u = np.asarray(u, dtype=float)
    return np.where(u > 0, 1.0, alpha * u)


def d_leaky_relu_swapped(u, alpha=0.01):
    return np.where(np.asarray(u, dtype=float) > 0, alpha, 1.0)


def d_leaky_relu_astype(u, alpha=0.01):
    """The classic trap: (u > 0) on a Python float is a Python bool, without .astype."""
    return (u > 0).astype(float) + alpha * (u <= 0)


def d_leaky_relu_ints(u, alpha=0.01):
    u = np.asarray(u)
    return np.where(u > 0, 1, int(alpha))


def d_leaky_relu_bools(u, alpha=0.01):
    u = np.asarray(u)
    return (u > 0) | (alpha > 0) & (u <= 0)


def d_leaky_relu_backward_difference(u, alpha=0.01, h=1e-4):
    """The review's H3 for the leaky ReLU: a backward difference of the function itself."""
    u = np.asarray(u, dtype=float)

    def leaky(v):
        return np.where(v > 0, v, alpha * v)

    return (leaky(u) - leaky(u - h)) / h


def d_leaky_relu_int_when_alpha_int(u, alpha=0.01):
    """Integers for an integer alpha: np.where(u > 0, 1, 0) is int64."""
    return np.where(np.asarray(u) > 0, 1, alpha)


def d_tanh_cosh_silenced(u):
    """The final review's hole: 1 / cosh(u)^2 with cosh's overflow at +-1000 silenced."""
    with np.errstate(over="ignore"):
        return 1 / np.cosh(np.asarray(u, dtype=float)) ** 2


def d_tanh_square_only(u):
    """The 1 - forgotten."""
    return np.tanh(np.asarray(u, dtype=float)) ** 2


def d_leaky_relu_ones_like(u, alpha=0.01):
    """np.ones_like keeps an integer input's dtype, so alpha becomes 0 in it."""
    slopes = np.ones_like(u)
    slopes[np.asarray(u) <= 0] = alpha
    return slopes


def d_leaky_relu_flattened(u, alpha=0.01):
    return np.array([1.0 if v > 0 else alpha for v in np.ravel(u)])


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check, name, func", [
    (check_sigmoid, "sigmoid", sigmoid_reference), (check_sigmoid, "sigmoid", sigmoid_clipped),
    (check_sigmoid, "sigmoid", sigmoid_tanh), (check_sigmoid, "sigmoid", sigmoid_logaddexp),
    (check_sigmoid, "sigmoid", sigmoid_masks), (check_sigmoid, "sigmoid", sigmoid_documented),
    (check_sigmoid, "sigmoid", sigmoid_tanh_rounded),
    (check_d_tanh, "d_tanh", d_tanh_reference), (check_d_tanh, "d_tanh", d_tanh_from_sigmoid),
    (check_d_tanh, "d_tanh", d_tanh_cosh),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_reference),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_from_d_relu),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_select),
])
def test_right_answers_pass(check, name, func, passes):
    passes(check, func, name)


@pytest.mark.parametrize("check, name", [
    (check_sigmoid, "sigmoid"), (check_d_tanh, "d_tanh"), (check_d_leaky_relu, "d_leaky_relu"),
])
def test_stub_is_not_done(check, name, not_done):
    not_done(check, stub, name)


@pytest.mark.parametrize("check, name, func, hint", [
    # issue 11's holes
    (check_sigmoid, "sigmoid", sigmoid_library, "without functions.sigmoid"),
    (check_sigmoid, "sigmoid", sigmoid_aliased, "without functions.sigmoid"),
    (check_sigmoid, "sigmoid", sigmoid_silenced, "errstate to silence NumPy's warnings"),
    (check_sigmoid, "sigmoid", sigmoid_seterr, "seterr to silence NumPy's warnings"),
    (check_sigmoid, "sigmoid", sigmoid_int_masks, "np.empty_like(x)"),
    (check_sigmoid, "sigmoid", sigmoid_list, "should return a NumPy array"),
    (check_sigmoid, "sigmoid", sigmoid_prints, "returned None"),
    # typical mistakes
    (check_sigmoid, "sigmoid", sigmoid_hidden_errstate, "gave np.exp the number 1000"),
    (check_sigmoid, "sigmoid", sigmoid_clipped_at_30, "clipping x changes them"),
    (check_sigmoid, "sigmoid", sigmoid_via_softmax, "without functions.softmax"),
    (check_sigmoid, "sigmoid", sigmoid_if, "np.where(condition, a, b)"),
    (check_sigmoid, "sigmoid", sigmoid_naive, "gave np.exp the number 1000"),
    (check_sigmoid, "sigmoid", sigmoid_exp_form, "gave np.exp the number 1000"),
    (check_sigmoid, "sigmoid", sigmoid_where_both_branches, "np.where computes both branches"),
    (check_sigmoid, "sigmoid", sigmoid_wrong_sign, "sign is flipped"),
    (check_sigmoid, "sigmoid", sigmoid_flattened, "a number in, a number out"),
    (check_d_tanh, "d_tanh", d_tanh_is_tanh, "that is tanh itself"),
    (check_d_tanh, "d_tanh", d_tanh_no_square, "look at the power of tanh(u)"),
    (check_d_tanh, "d_tanh", d_tanh_plus, "mind the sign"),
    (check_d_tanh, "d_tanh", d_tanh_sigmoid_pattern, "the sigmoid's pattern"),
    (check_d_tanh, "d_tanh", d_tanh_at_output, "derivative at the output tanh(u)"),
    (check_d_tanh, "d_tanh", d_tanh_one_factor_two, "another from the inner 2u"),
    (check_d_tanh, "d_tanh", d_tanh_from_exp, "overflow encountered in exp\" - np.exp"),
    (check_d_tanh, "d_tanh", d_tanh_cosh_unclipped, "overflow encountered in cosh\" - np.cosh"),
    (check_d_tanh, "d_tanh", d_tanh_one_over_cosh, "now simplify that until only tanh(u)"),
    (check_d_tanh, "d_tanh", d_tanh_central_difference, QUOTIENT),
    (check_d_tanh, "d_tanh", d_tanh_central_difference_fine, QUOTIENT),
    (check_d_tanh, "d_tanh", d_tanh_forward_difference, QUOTIENT),
    (check_d_tanh, "d_tanh", d_tanh_quotient_naive, "write the derivative with np.tanh(u)"),
    (check_d_tanh, "d_tanh", d_tanh_numerical, "without functions.numerical_gradient"),
    (check_d_tanh, "d_tanh", d_tanh_int, "copy the integer dtype of an integer input"),
    (check_d_tanh, "d_tanh", d_tanh_cosh_silenced,
     "d_tanh uses errstate to silence NumPy's warnings: that hides the overflow instead of "
     "preventing it - np.tanh itself is computed safely at any u"),
    (check_d_tanh, "d_tanh", d_tanh_square_only, "a term is missing: at u = 0 the slope must "
                                                 "be 1"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_one_at_zero, "test u > 0, not u >= 0"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_fixed_alpha, "use the alpha argument"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_is_d_relu, "plain ReLU's derivative"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_is_leaky_relu, "the leaky ReLU itself"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_alpha_times_u, "not alpha * u"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_swapped, "swapped"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_astype, "np.asarray(u, dtype=float)"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_ints, "decimal numbers (float)"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_bools, "decimal numbers (float)"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_flattened, "a number in, a number out"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_ones_like,
     "got dtype int64 - return decimal numbers (float): np.where(u > 0, 1.0, alpha) rather "
     "than (u > 0) or np.where(u > 0, 1, 0); np.ones_like(u) and np.zeros_like(u) copy u's "
     "integer dtype"),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_backward_difference,
     QUOTIENT),
    (check_d_leaky_relu, "d_leaky_relu", d_leaky_relu_int_when_alpha_int,
     "alpha can arrive as the whole number 0"),
])
def test_typical_mistakes_fail_with_a_hint(check, name, func, hint, rejected):
    assert hint in rejected(check, func, name)


def test_failure_names_input_expected_and_received(rejected):
    assert rejected(check_d_leaky_relu, d_leaky_relu_one_at_zero, "d_leaky_relu") == (
        "[d_leaky_relu] d_leaky_relu([-2.0, -0.5, 0.0, 0.5, 3.0]) with the default alpha should "
        "be [0.01, 0.01, 0.01, 1.0, 1.0], got [0.01, 0.01, 1.0, 1.0, 1.0] - at u = 0 take the "
        "slope of the left side, alpha, as d_relu takes 0 there: test u > 0, not u >= 0")


def test_overflow_advice_mentions_np_where_only_where_it_is_used(rejected):
    assert "np.where" not in rejected(check_sigmoid, sigmoid_naive, "sigmoid")
    assert "np.where computes both branches" in rejected(check_sigmoid,
                                                         sigmoid_where_both_branches, "sigmoid")


def test_np_exp_is_back_after_the_check(rejected):
    real = np.exp
    rejected(check_sigmoid, sigmoid_naive, "sigmoid")
    assert np.exp is real


def test_library_is_back_after_a_refused_delegation(rejected):
    rejected(check_sigmoid, sigmoid_library, "sigmoid")
    assert functions.sigmoid(0.0) == 0.5


def test_checks_do_not_leak_warnings(rejected):
    """The naive sigmoid's overflow is recorded by the check, not raised (pytest errors on it)."""
    rejected(check_sigmoid, sigmoid_naive, "sigmoid")
