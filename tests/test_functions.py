"""Unit tests for common.functions: values, derivatives, stability, purity and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common import functions as F
from common.functions import numerical_gradient, relative_error

# derandomize: the same examples every run, so a red CI is reproducible and never a fluke.
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


def gradient_mismatch(analytic, numeric):
    """Size of the difference relative to the gradients' size: elements near 0 cannot blow it up."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return np.linalg.norm(np.asarray(analytic) - numeric) / max(scale, 1e-12)


@st.composite
def arrays(draw, min_dims=1, max_dims=3, low=-5.0, high=5.0):
    """A float array of random shape, kept away from the kinks of step and ReLU at 0."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims)))
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).uniform(low, high, size=shape)
    return np.where(np.abs(x) < 1e-2, 0.5, x)


@st.composite
def class_problem(draw):
    """Logits (N, K), one-hot targets and label targets for a softmax output."""
    n, k = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = rng.integers(0, k, size=n)
    return rng.normal(0, 2, size=(n, k)), np.eye(k)[labels], labels


# ---------------------------------------------------------------------------------------------
# Known values, including the course's printed numbers


def test_activations_known_values():
    assert F.step_function(0.5) == 1.0 and F.step_function(0) == 0.0
    assert F.sigmoid(0) == 0.5
    np.testing.assert_allclose(F.sigmoid([-1.0, 1.0]), [0.26894142, 0.73105858], rtol=1e-7)
    np.testing.assert_array_equal(F.relu([-2.0, 0.0, 3.0]), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(F.softmax([1.0, 2.0, 3.0]), [0.09003057, 0.24472847, 0.66524096],
                               rtol=1e-7)


def test_derivatives_known_values():
    assert F.d_sigmoid(0) == 0.25
    np.testing.assert_array_equal(F.d_relu([-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(F.d_step_function([-1.0, 0.0, 2.0]), [0.0, 0.0, 0.0])


def test_course_multiclass_example():
    """The course's 3-5-4 multi-class example prints these numbers."""
    u2 = np.array([4.59, 9.2, 4.79, 9.4])
    y = F.softmax(u2)
    np.testing.assert_allclose(y, [0.00443583, 0.44573018, 0.00541793, 0.54441607], atol=5e-9)
    assert F.cross_entropy_error(np.array([0, 0, 0, 1]), y) == pytest.approx(0.6080413107681358)
    assert F.softmax_with_loss(np.array([0, 0, 0, 1]), u2) == pytest.approx(0.6080413107681358)


def test_course_regression_example():
    y = np.array([4.59, 9.2, 4.79, 9.4])
    assert F.mean_squared_error(np.array([2.0, 3.0, 4.0, 5.0]), y) == pytest.approx(8.141525)


def test_course_binary_example_and_the_label_it_ignored():
    y = F.sigmoid(np.array([6.78]))
    np.testing.assert_allclose(y, [0.99886501], atol=5e-9)
    assert F.binary_cross_entropy_error(np.array([1]), y) == pytest.approx(0.0011355297129812408)
    # The course's categorical version scores d = 0 the same as d = 1; the binary one does not.
    assert F.binary_cross_entropy_error(np.array([0]), y) == pytest.approx(-np.log(1 - y[0] + 1e-7))
    assert F.binary_cross_entropy_error(0, y) == F.binary_cross_entropy_error(np.array([0]), y)


def test_cross_entropy_refuses_one_column_and_names_the_binary_loss():
    for d, y in ((np.array([1]), np.array([0.9])), (np.array([[1.0], [0.0]]), np.full((2, 1), 0.5)),
                 (np.array([1, 0]), np.full((2, 1), 0.5))):
        with pytest.raises(ValueError, match=r"cross_entropy_error: expected at least 2 classes.*"
                                             r"single sigmoid output needs "
                                             r"binary_cross_entropy_error\(d, y\)"):
            F.cross_entropy_error(d, y)
    with pytest.raises(ValueError, match=r"softmax_with_loss|cross_entropy_error.*binary"):
        F.softmax_with_loss(np.array([1]), np.array([2.0]))


def test_binary_cross_entropy_sums_the_columns_and_averages_the_batch():
    d = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    y = np.array([[0.9, 0.2, 0.6], [0.3, 0.1, 0.8]])
    per_element = d * np.log(y + 1e-7) + (1 - d) * np.log(1 - y + 1e-7)
    assert F.binary_cross_entropy_error(d, y) == pytest.approx(-per_element.sum() / 2)
    # One sample with three labels (1-D) is a batch of one.
    assert F.binary_cross_entropy_error(d[0], y[0]) == pytest.approx(-per_element[0].sum())
    # One column: a target per sample may come as (N,).
    assert F.binary_cross_entropy_error(d[:, 0], y[:, :1]) == pytest.approx(
        F.binary_cross_entropy_error(d[:, :1], y[:, :1]))
    # Soft targets are allowed, and a perfect prediction costs (almost) nothing.
    assert F.binary_cross_entropy_error(np.array([[0.5]]), np.array([[0.5]])) == pytest.approx(
        np.log(2), rel=1e-6)
    assert F.binary_cross_entropy_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) < 1e-6


def test_cross_entropy_accepts_one_hot_and_labels_and_averages_over_the_batch():
    y = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    expected = -(np.log(0.7 + 1e-7) + np.log(0.8 + 1e-7)) / 2
    assert F.cross_entropy_error(np.array([[1, 0, 0], [0, 0, 1]]), y) == pytest.approx(expected)
    assert F.cross_entropy_error(np.array([0, 2]), y) == pytest.approx(expected)
    assert F.cross_entropy_error(2, y[1]) == pytest.approx(-np.log(0.8 + 1e-7))


def test_cross_entropy_never_takes_log_of_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy_error(np.array([1, 0]), np.array([0.0, 1.0]))
    assert loss == pytest.approx(-np.log(1e-7))


def test_scalars_are_accepted_where_the_maths_allows():
    for f in (F.step_function, F.sigmoid, F.relu, F.d_step_function, F.d_sigmoid, F.d_relu):
        assert np.ndim(f(1)) == 0 and np.ndim(f(np.float32(1.5))) == 0
    assert F.mean_squared_error(3, 1.0) == 2.0
    assert F.d_mean_squared_error(3, 1.0) == -2.0


def test_print_vec_prints_the_course_format(capsys):
    F.print_vec("total input", np.array([1.5, 3.4]))
    assert capsys.readouterr().out == "*** total input ***\n[1.5 3.4]\n\n"


# ---------------------------------------------------------------------------------------------
# Derivatives equal numerical gradients


@pytest.mark.parametrize("f, df", [(F.sigmoid, F.d_sigmoid), (F.relu, F.d_relu),
                                   (F.step_function, F.d_step_function)])
@SETTINGS
@given(x=arrays())
def test_activation_derivative_matches_numerical_gradient(f, df, x):
    # Each output depends on its own input only, so d(sum f(x))/dx is the elementwise derivative.
    numeric = numerical_gradient(lambda v: np.sum(f(v)), x.copy())
    np.testing.assert_allclose(df(x), numeric, rtol=1e-6, atol=1e-9)


@SETTINGS
@given(y=arrays(min_dims=1, max_dims=2), seed=st.integers(0, 2**32 - 1))
def test_d_mean_squared_error_matches_numerical_gradient(y, seed):
    d = np.random.default_rng(seed).normal(size=y.shape)
    numeric = numerical_gradient(lambda v: F.mean_squared_error(d, v), y.copy())
    assert gradient_mismatch(F.d_mean_squared_error(d, y), numeric) < 1e-7


def exact_softmax_loss(d, u):
    """The softmax cross-entropy without the 1e-7 guard, from the logits (log-sum-exp)."""
    m = u.max(axis=1, keepdims=True)
    log_y = u - m - np.log(np.exp(u - m).sum(axis=1, keepdims=True))
    return -np.sum(d * log_y) / u.shape[0]


def exact_sigmoid_loss(d, u):
    """The binary cross-entropy without the 1e-7 guard, from the logits: log(1 + e^u) - d u."""
    return np.sum(np.logaddexp(0, u) - d * u) / u.shape[0]


@SETTINGS
@given(problem=class_problem())
def test_d_softmax_with_loss_is_the_true_gradient(problem):
    x, one_hot, labels = problem
    analytic = F.d_softmax_with_loss(one_hot, F.softmax(x))
    np.testing.assert_allclose(analytic, (F.softmax(x) - one_hot) / x.shape[0], rtol=1e-12)
    numeric = numerical_gradient(lambda v: exact_softmax_loss(one_hot, v), x.copy())
    assert gradient_mismatch(analytic, numeric) < 1e-7
    # Against the guarded loss it differs by about 1e-7 / y: small while no y is tiny.
    for d in (one_hot, labels):
        numeric = numerical_gradient(lambda v, d=d: F.softmax_with_loss(d, v), x.copy())
        assert gradient_mismatch(analytic, numeric) < 1e-7 / F.softmax(x).min() + 1e-7
    np.testing.assert_allclose(F.d_softmax_with_loss(labels, F.softmax(x)), analytic)


@SETTINGS
@given(u=arrays(min_dims=2, max_dims=2, low=-4, high=4), seed=st.integers(0, 2**32 - 1))
def test_d_sigmoid_with_loss_is_the_true_gradient_for_any_number_of_columns(u, seed):
    d = np.random.default_rng(seed).integers(0, 2, size=u.shape).astype(float)
    y = F.sigmoid(u)
    analytic = F.d_sigmoid_with_loss(d, y)
    np.testing.assert_allclose(analytic, (y - d) / u.shape[0], rtol=1e-12)
    numeric = numerical_gradient(lambda v: exact_sigmoid_loss(d, v), u.copy())
    assert gradient_mismatch(analytic, numeric) < 1e-7
    numeric = numerical_gradient(lambda v: F.binary_cross_entropy_error(d, F.sigmoid(v)), u.copy())
    assert gradient_mismatch(analytic, numeric) < 1e-5


def test_the_guard_flattens_the_loss_where_the_model_is_confidently_wrong():
    """Why the gradients leave the 1e-7 out: the guarded loss stops pushing a confident mistake."""
    d = np.array([[1.0, 0.0]])
    for p in (1e-9, 1e-12):
        u = np.array([[np.log(p), 0.0]])  # true class 0 gets probability about p
        guarded = numerical_gradient(lambda v: F.softmax_with_loss(d, v), u.copy(), h=1e-6)
        assert abs(guarded[0, 0]) < 0.02
        assert F.d_softmax_with_loss(d, F.softmax(u))[0, 0] == pytest.approx(-1.0, abs=1e-6)


def test_d_sigmoid_with_loss_on_the_course_two_column_output():
    """The course's backprop notebook calls d_sigmoid_with_loss on a 2-column output."""
    y = F.sigmoid(np.array([[0.8, -1.2], [2.0, 0.1], [-0.3, 0.4]]))
    d = np.array([[0, 1], [1, 0], [0, 1]])
    np.testing.assert_allclose(F.d_sigmoid_with_loss(d, y), (y - d) / 3, rtol=1e-12)
    np.testing.assert_allclose(F.d_sigmoid_with_loss(d[0], y[0]), y[0] - d[0], rtol=1e-12)


def test_single_sample_derivatives_equal_the_course_values():
    y = F.softmax(np.array([[0.3, 1.2, -0.5]]))
    d = np.array([[0, 1, 0]])
    np.testing.assert_allclose(F.d_softmax_with_loss(d, y), y - d, rtol=1e-6)
    np.testing.assert_allclose(F.d_sigmoid_with_loss(1, np.array([0.8])), [0.8 - 1], rtol=1e-6)
    np.testing.assert_allclose(F.d_mean_squared_error(3.0, 5.0), 5.0 - 3.0)


def test_numerical_gradient_any_shape_and_leaves_x_alone():
    x = np.arange(24, dtype=float).reshape(2, 3, 4) / 10
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(grad, 2 * before, rtol=1e-7)
    np.testing.assert_array_equal(x, before)


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 0.0], [3.0, 0.0]) == pytest.approx(0.5)


def test_numerical_gradient_restores_x_when_f_fails():
    x = np.array([1.0, 2.0])

    def broken(v):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(broken, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Stability at extremes


def test_no_overflow_at_extremes():
    big = np.array([-1000.0, 0.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(F.sigmoid(big), [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(F.d_sigmoid(big), [0.0, 0.25, 0.0])
        np.testing.assert_allclose(F.softmax(big), [0.0, 0.0, 1.0])
        np.testing.assert_allclose(F.softmax(np.array([[1000.0, 1000.0], [-1000.0, 0.0]])),
                                   [[0.5, 0.5], [0.0, 1.0]])
        assert np.isfinite(F.softmax_with_loss(np.array([1, 0, 0]), big))
        assert np.isfinite(F.binary_cross_entropy_error(0, F.sigmoid(np.array([1000.0]))))


@SETTINGS
@given(x=arrays(min_dims=1, max_dims=2, low=-1000, high=1000))
def test_softmax_rows_are_probabilities(x):
    y = F.softmax(x)
    assert np.all(y >= 0)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0)


# ---------------------------------------------------------------------------------------------
# Inputs are never modified

ONE_ARG = [F.step_function, F.sigmoid, F.relu, F.softmax, F.d_step_function, F.d_sigmoid,
           F.d_relu]
TWO_ARGS = [F.mean_squared_error, F.d_mean_squared_error, F.cross_entropy_error,
            F.softmax_with_loss, F.d_softmax_with_loss, F.binary_cross_entropy_error,
            F.d_sigmoid_with_loss]


@pytest.mark.parametrize("f", ONE_ARG, ids=lambda f: f.__name__)
def test_activations_do_not_modify_inputs(f):
    x = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]])
    before = x.copy()
    f(x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("f", TWO_ARGS, ids=lambda f: f.__name__)
def test_losses_do_not_modify_inputs(f):
    d = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    d0, y0 = d.copy(), y.copy()
    f(d, y)
    np.testing.assert_array_equal(d, d0)
    np.testing.assert_array_equal(y, y0)


def test_d_sigmoid_with_loss_does_not_modify_inputs():
    d, y = np.array([[1.0], [0.0]]), np.array([[0.7], [0.2]])
    F.d_sigmoid_with_loss(d, y)
    np.testing.assert_array_equal(d, [[1.0], [0.0]])
    np.testing.assert_array_equal(y, [[0.7], [0.2]])


# ---------------------------------------------------------------------------------------------
# Bad input gets a clear error that names the function, what it expected and what it got

BAD_INPUTS = [
    (F.sigmoid, ("abc",), TypeError, r"sigmoid: expected a number .* got str"),
    (F.relu, (None,), TypeError, r"relu: expected a number .* got NoneType"),
    (F.relu, ([[1, 2], [3]],), TypeError, r"relu: expected a number .* cannot turn into numbers"),
    (F.softmax, (np.zeros((2, 2, 2)),), ValueError, r"softmax: expected x to be 1-D or 2-D, "
                                                    r"got a 3-D array of shape \(2, 2, 2\)"),
    (F.softmax, (3.0,), ValueError, r"softmax: expected x to be 1-D or 2-D, got a 0-D"),
    (F.mean_squared_error, (np.zeros(3), np.zeros((3, 1))), ValueError,
     r"mean_squared_error: expected target d and output y of the same shape, "
     r"got d \(3,\) and y \(3, 1\)"),
    (F.d_mean_squared_error, (np.zeros(2), np.zeros(3)), ValueError,
     r"d_mean_squared_error: .* got d \(2,\) and y \(3,\)"),
    (F.cross_entropy_error, (np.array([0, 3]), np.full((2, 3), 1 / 3)), ValueError,
     r"cross_entropy_error: expected label indices d to be whole numbers in 0..2"),
    (F.cross_entropy_error, (np.array([1, 0, 0]), np.full((2, 3), 1 / 3)), ValueError,
     r"cross_entropy_error: expected d to be one-hot with the shape of y \(2, 3\) or label "
     r"indices of shape \(2,\), got d of shape \(3,\)"),
    (F.cross_entropy_error, ([0, 0, 1], [0.2, 0.8]), ValueError,
     r"cross_entropy_error: expected d to be one-hot with the shape of y \(2,\) or a single "
     r"label, got d of shape \(3,\)"),
    (F.cross_entropy_error, (np.array([0, 1]), np.array([[np.nan, 0.5]])), ValueError,
     r"cross_entropy_error: y contains NaN: the forward pass overflowed .*learning rate"),
    (F.binary_cross_entropy_error, (1, 0.8), ValueError,
     r"binary_cross_entropy_error: .* got the single number 0.8; pass one sample with one "
     r"output as np.array\(\[0.8\]\)"),
    (F.d_sigmoid_with_loss, (1, 0.8), ValueError,
     r"d_sigmoid_with_loss: .* pass one sample with one output as np.array\(\[0.8\]\)"),
    (F.cross_entropy_error, (np.array([1, 1, 0]), np.full(3, 1 / 3)), ValueError,
     r"cross_entropy_error: expected each row of the one-hot target d .* sum to 1"),
    (F.cross_entropy_error, (np.array([0, 1]), np.array([2.0, -1.0])), ValueError,
     r"cross_entropy_error: expected y to hold probabilities in \[0, 1\].*not the total input"),
    (F.binary_cross_entropy_error, (np.array([2]), np.array([0.7])), ValueError,
     r"binary_cross_entropy_error: expected binary targets d between 0 and 1"),
    (F.binary_cross_entropy_error, (np.array([1, 0]), np.array([[0.7], [0.2], [0.5]])),
     ValueError, r"binary_cross_entropy_error: expected target d and output y of the same "
                 r"shape, got d \(2,\) and y \(3, 1\)"),
    (F.binary_cross_entropy_error, (np.array([1]), np.array([1.5])), ValueError,
     r"binary_cross_entropy_error: expected y to hold probabilities.*not the total input"),
    (F.d_sigmoid_with_loss, (np.array([[1, 0]]), np.array([[0.5, 0.5, 0.5]])), ValueError,
     r"d_sigmoid_with_loss: expected target d and output y of the same shape"),
    (F.cross_entropy_error, (np.array([1]), np.array([0.7])), ValueError,
     r"cross_entropy_error: .* needs binary_cross_entropy_error"),
    (F.d_softmax_with_loss, (np.array([[1.0]]), np.array([[0.5]])), ValueError,
     r"d_softmax_with_loss: expected at least 2 classes .* d_sigmoid_with_loss"),
    (F.d_softmax_with_loss, (np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([[0, 1], [1, 0]])),
     ValueError, r"d_softmax_with_loss: d and y look swapped: y holds only 0s and 1s and d does "
                 r"not; the order is \(d, y\), target first"),
    (F.cross_entropy_error, ([0.3, 0.7], [0, 1]), ValueError,
     r"cross_entropy_error: d and y look swapped.*target first"),
    (F.d_sigmoid_with_loss, (np.array([[0.3, 0.9]]), np.array([[0, 1]])), ValueError,
     r"d_sigmoid_with_loss: d and y look swapped.*target first"),
    (F.binary_cross_entropy_error, (np.array([0.3, 0.6]), np.array([[0], [1]])), ValueError,
     r"binary_cross_entropy_error: d and y look swapped.*target first"),
    (relative_error, (np.zeros(2), np.zeros(3)), ValueError,
     r"relative_error: expected a and b of the same shape, got a \(2,\) and b \(3,\)"),
    (F.sigmoid, (1 + 2j,), TypeError, r"sigmoid: expected real numbers for x, got complex"),
    (numerical_gradient, ("f", np.zeros(2)), TypeError,
     r"numerical_gradient: expected a function f .* got str"),
    (numerical_gradient, (np.sum, np.zeros(2, dtype=int)), TypeError,
     r"numerical_gradient: expected x to be a NumPy array of floats .* got int64"),
    (numerical_gradient, (lambda v: v, np.zeros(2)), ValueError,
     r"numerical_gradient: expected f to return a single number .* shape \(2,\)"),
]


@pytest.mark.parametrize("f, args, error, message", BAD_INPUTS,
                         ids=[f"{case[0].__name__}-{i}" for i, case in enumerate(BAD_INPUTS)])
def test_bad_input_gets_a_clear_error(f, args, error, message):
    with pytest.raises(error, match=message):
        f(*args)


def test_swapped_looking_arguments_that_are_right_still_work():
    """Only exact 0/1 outputs with targets that are not 0/1 look swapped: a perfect prediction,
    soft outputs or label indices are scored as before."""
    one_hot = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert F.cross_entropy_error(one_hot, one_hot) == pytest.approx(-np.log(1 + 1e-7))
    np.testing.assert_array_equal(F.d_softmax_with_loss(one_hot, one_hot), np.zeros((2, 2)))
    assert F.cross_entropy_error(np.array([1, 0]), one_hot) == pytest.approx(-np.log(1 + 1e-7))
    np.testing.assert_array_equal(F.d_sigmoid_with_loss(one_hot, one_hot), np.zeros((2, 2)))
    np.testing.assert_allclose(F.d_sigmoid_with_loss(np.array([[0.5]]), np.array([[0.2]])),
                               [[-0.3]])


def test_a_one_hot_row_scores_a_batch_of_one():
    """A (K,) one-hot d for a (1, K) y is that sample's target, as for a (K,) y."""
    y = np.array([[0.2, 0.8]])
    assert F.cross_entropy_error([0, 1], y) == F.cross_entropy_error([[0, 1]], y)
    assert F.cross_entropy_error([0, 1], y) == F.cross_entropy_error([0, 1], y[0])
    np.testing.assert_allclose(F.d_softmax_with_loss([0, 1], y), [[0.2, -0.2]], rtol=1e-12)
    with pytest.raises(ValueError, match=r"sum to 1"):
        F.cross_entropy_error([1, 1], y)
