"""Checks for the graded exercises of lesson 02, activation functions.

Each check calls the learner's function on fixed and seeded-random inputs, compares the result
with ``common.functions`` and, for the derivatives, with a numerical gradient. A wrong answer
that matches a typical mistake gets a hint.
"""

import numpy as np

from common import functions
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, format_value, recording_warnings

SEED = 2024


def _shape_hint(x):
    """A hint for a result whose shape is not the input's (a loop over a flattened list, say)."""
    shape = np.shape(x)
    wanted = "a number in, a number out" if shape == () else f"keep the input's shape {shape}"
    return (lambda r: r.shape != shape,
            f"{wanted}: use NumPy operations on the whole array (np.exp, np.where, "
            "comparisons) instead of a Python loop")


def _expect_no_overflow(c, caught, label, advice):
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    c.expect(not messages,
             f"{label} gave the right values but NumPy warned \"{messages[0] if messages else ''}\""
             f" - {advice}")


def _has_nan(received):
    return bool(np.any(np.isnan(received)))


def _expect_floats(c, got, label):
    dtype = np.asarray(got).dtype
    c.expect(dtype.kind == "f",
             f"{label} should return floats, got dtype {dtype} - convert with "
             ".astype(float) or build the result from floats, e.g. np.where(x > 0, 1.0, 0.0)")


def _expect_numerical_agreement(c, got, x, reference, name):
    """Compare a derivative with the numerical gradient of sum(reference(x))."""
    numeric = numerical_gradient(lambda v: np.sum(reference(v)), x.copy())
    error = relative_error(np.asarray(got, dtype=float), numeric)
    c.expect(error < 1e-6,
             f"{name}({format_value(x)}) disagrees with the numerical gradient "
             f"{format_value(numeric)} (relative error {error:.2g})")


def check_sigmoid(sigmoid):
    """Check ``sigmoid(x)``: values, shapes (scalar, 1-D, 2-D), and no overflow at x = +-1000."""
    c = Checker("sigmoid", sigmoid)
    rng = np.random.default_rng(SEED)

    c.expect_close((0.0,), 0.5, hints=[_shape_hint(0.0)])

    x = np.array([-2.0, -1.0, 0.0, 1.0, 3.0])
    c.expect_close((x,), functions.sigmoid(x), hints=[
        (functions.sigmoid(-x), "the sign is flipped: the sigmoid uses e^(-x), not e^(x)"),
        (np.exp(x), "the 1 + is missing: sigmoid(x) = 1 / (1 + e^(-x))"),
        (1 + np.exp(-x), "take the reciprocal: sigmoid(x) = 1 / (1 + e^(-x))"),
        _shape_hint(x),
    ])

    x = rng.normal(0.0, 3.0, size=(3, 4))
    c.expect_close((x,), functions.sigmoid(x), hints=[_shape_hint(x)])

    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with recording_warnings() as caught:
        c.expect_close((x,), functions.sigmoid(x), hints=[
            (_has_nan, "np.exp overflowed to inf and inf / inf gave nan - only pass numbers "
                       "<= 0 to np.exp, e.g. e = np.exp(-np.abs(x))"),
        ])
    _expect_no_overflow(c, caught, c.describe((x,)),
                        "np.exp overflowed; only pass numbers <= 0 to np.exp, e.g. "
                        "e = np.exp(-np.abs(x)) (np.where computes both branches for every "
                        "element, so it does not prevent the overflow)")
    c.done()


def check_d_sigmoid(d_sigmoid):
    """Check ``d_sigmoid(x)``: taken at the total input x, shapes, +-1000, numerical gradient."""
    c = Checker("d_sigmoid", d_sigmoid)
    rng = np.random.default_rng(SEED + 1)
    s = functions.sigmoid

    def hints_for(x):
        return [
            (x * (1 - x), "x * (1 - x) uses the input as if it were the output: compute "
                          "s = sigmoid(x) first, then s * (1 - s)"),
            (functions.d_sigmoid(s(x)), "that is the derivative at the output sigmoid(x) (the "
                                        "course's mistake): take it at the total input x itself"),
            (s(x), "that is the sigmoid itself; its derivative is sigmoid(x) * (1 - sigmoid(x))"),
            (s(x) * (1 + s(x)), "the derivative is sigmoid(x) * (1 - sigmoid(x)), with a minus"),
            (1 - s(x), "multiply by sigmoid(x): the derivative is sigmoid(x) * (1 - sigmoid(x))"),
            _shape_hint(x),
        ]

    c.expect_close((0.0,), 0.25, hints=hints_for(np.float64(0.0)))

    x = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    got = c.expect_close((x,), functions.d_sigmoid(x), hints=hints_for(x))
    _expect_floats(c, got, c.describe((x,)))
    _expect_numerical_agreement(c, got, x, functions.sigmoid, "d_sigmoid")

    x = rng.normal(0.0, 2.0, size=(3, 4))
    got = c.expect_close((x,), functions.d_sigmoid(x), hints=hints_for(x))
    _expect_numerical_agreement(c, got, x, functions.sigmoid, "d_sigmoid")

    x = np.array([-1000.0, 1000.0])
    advice = ("the sigmoid inside overflowed: use functions.sigmoid (or your stable sigmoid) "
              "rather than 1 / (1 + np.exp(-x))")
    with recording_warnings() as caught:
        c.expect_close((x,), functions.d_sigmoid(x), hints=[(_has_nan, advice)])
    _expect_no_overflow(c, caught, c.describe((x,)), advice)
    c.done()


def check_d_relu(d_relu):
    """Check ``d_relu(x)``: 1 where x > 0, 0 elsewhere (also at 0), floats, shapes."""
    c = Checker("d_relu", d_relu)
    rng = np.random.default_rng(SEED + 2)

    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    got = c.expect_close((x,), functions.d_relu(x), hints=[
        ((x >= 0).astype(float), "at x = 0 the course takes the derivative as 0: use x > 0, "
                                 "not x >= 0"),
        (functions.relu(x), "that is ReLU itself; its derivative is 1 where x > 0, else 0"),
        (np.sign(x), "np.sign gives -1 for negative x, but the slope of ReLU there is 0"),
        (np.ones_like(x), "the derivative is 0 where x <= 0: ReLU is flat there"),
        _shape_hint(x),
    ])
    _expect_floats(c, got, c.describe((x,)))

    got = c.expect_close((2.5,), 1.0, hints=[_shape_hint(2.5)])
    _expect_floats(c, got, c.describe((2.5,)))
    c.expect_close((-2.5,), 0.0, hints=[_shape_hint(-2.5)])

    x = rng.normal(0.0, 2.0, size=(3, 4))
    got = c.expect_close((x,), functions.d_relu(x), hints=[_shape_hint(x)])
    _expect_floats(c, got, c.describe((x,)))
    _expect_numerical_agreement(c, got, x, functions.relu, "d_relu")
    c.done()
