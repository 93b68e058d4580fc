"""Checks for the graded exercises of lesson 02, activation functions.

Each check calls the learner's function on fixed and seeded-random inputs (numbers, arrays of
several shapes, integer arrays, +-1000), compares the result with the right formula and, for
the derivatives, with a numerical gradient. The library function an exercise re-implements is
refused while the learner's function runs. A wrong answer that matches a typical mistake gets
a hint.
"""

import inspect
import re

import numpy as np

from common import functions
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, ExerciseFailed, ExerciseNotDone, recording_warnings

SEED = 2024

SILENCERS = re.compile(r"\b(errstate|seterr|filterwarnings|simplefilter|catch_warnings)\b")
NEW_ARRAY_HINT = ("np.empty_like(x) and np.zeros_like(x) copy the integer dtype of an integer "
                  "input, so decimals are cut off: start from np.asarray(x, dtype=float)")


def _shape_hint(x):
    """A hint for a result whose shape is not the input's (a loop over a flattened list, say)."""
    shape = np.shape(x)
    wanted = "a number in, a number out" if shape == () else f"keep the input's shape {shape}"
    return (lambda r: r.shape != shape,
            f"{wanted}: use NumPy operations on the whole array (np.exp, np.where, "
            "comparisons) instead of a Python loop")


def _refuse_silenced_warnings(c, func):
    """Fail a function whose code switches NumPy's warnings off: that hides an overflow."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):  # no source to read (a builtin, say): judged by its results
        return
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    found = SILENCERS.search(code)
    c.expect(found is None,
             f"{c.exercise} uses {found.group(1) if found else ''} to silence NumPy's "
             "warnings: that hides the overflow instead of preventing it - only pass numbers "
             "<= 0 to np.exp, e.g. e = np.exp(-np.abs(x))")


def _expect_no_overflow(c, caught, label, advice):
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    c.expect(not messages,
             f"{label} gave the right values but NumPy warned \"{messages[0] if messages else ''}\""
             f" - {advice}")


def _has_nan(received):
    return bool(np.any(np.isnan(received)))


def _expect_numerical_agreement(c, got, x, reference, name):
    """Compare a derivative with the numerical gradient of sum(reference(x))."""
    numeric = numerical_gradient(lambda v: np.sum(reference(v)), x.copy())
    error = relative_error(np.asarray(got, dtype=float), numeric)
    c.expect(error < 1e-6,
             f"{name} disagrees with the numerical gradient (relative error {error:.2g}): "
             "differentiate the function again")


def _with_advice(check):
    """Run one call of the check; add advice to a crash that beginners meet on plain numbers."""
    try:
        return check()
    except ExerciseNotDone:
        raise
    except ExerciseFailed as error:
        text = str(error)
        if "raised AttributeError" in text and "has no attribute" in text:
            raise ExerciseFailed(
                f"{text} - a plain Python number has no NumPy methods such as .astype: turn "
                "the input into an array first, u = np.asarray(u, dtype=float)") from None
        raise


def _expect_floats_for_integers(c, x, expected, hints):
    """An integer input must still give decimal results; say why a typical answer does not."""
    label = c.describe((x,))
    got = c.call(x, label=label)
    kind = getattr(got, "dtype", np.asarray(got).dtype).kind
    c.expect(kind not in "iub", f"{label} should give decimal numbers (float), got dtype "
                                f"{np.asarray(got).dtype} - {NEW_ARRAY_HINT}")
    c.compare(label, got, expected, hints=hints)


# ---------------------------------------------------------------------------------------------
# Exercise: a stable sigmoid


def check_sigmoid(sigmoid):
    """Check ``sigmoid(x)``: values, shapes (scalar, 1-D, 2-D), integer input, no overflow and
    no silenced warnings at x = +-1000, without calling ``functions.sigmoid``."""
    c = Checker("sigmoid", sigmoid, without=("sigmoid",))
    rng = np.random.default_rng(SEED)
    s = functions.sigmoid

    c.expect_close((0.0,), 0.5, hints=[_shape_hint(0.0)])

    x = np.array([-2.0, -1.0, 0.0, 1.0, 3.0])
    c.expect_close((x,), s(x), hints=[
        (s(-x), "the sign is flipped: the sigmoid uses e^(-x), not e^(x)"),
        (np.exp(x), "the 1 + is missing: sigmoid(x) = 1 / (1 + e^(-x))"),
        (1 + np.exp(-x), "take the reciprocal: sigmoid(x) = 1 / (1 + e^(-x))"),
        _shape_hint(x),
    ])

    x = rng.normal(0.0, 3.0, size=(3, 4))
    c.expect_close((x,), s(x), hints=[_shape_hint(x)])

    x = np.array([2, 3, -1, 0])  # whole numbers, as in lesson 01's x = np.array([2, 3])
    _expect_floats_for_integers(c, x, s(x), [_shape_hint(x)])

    _refuse_silenced_warnings(c, sigmoid)
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with recording_warnings() as caught:
        c.expect_close((x,), s(x), hints=[
            (_has_nan, "np.exp overflowed to inf and inf / inf gave nan - only pass numbers "
                       "<= 0 to np.exp, e.g. e = np.exp(-np.abs(x))"),
        ])
    _expect_no_overflow(c, caught, c.describe((x,)),
                        "np.exp overflowed; only pass numbers <= 0 to np.exp, e.g. "
                        "e = np.exp(-np.abs(x)) (np.where computes both branches for every "
                        "element, so it does not prevent the overflow)")
    c.done()


# ---------------------------------------------------------------------------------------------
# Exercise: the derivative of tanh, from its formula


def _d_tanh(u):
    return 1.0 - np.tanh(u) ** 2


def check_d_tanh(d_tanh):
    """Check ``d_tanh(u)``, the derivative of tanh at the total input u: values, shapes,
    integer input, +-1000 without nan or overflow, the numerical gradient; without
    ``functions.numerical_gradient``."""
    c = Checker("d_tanh", d_tanh, without=("numerical_gradient",))
    rng = np.random.default_rng(SEED + 1)
    s = functions.sigmoid

    def hints_for(u):
        t = np.tanh(u)
        return [
            (t, "that is tanh itself; differentiate it (the quotient rule on "
                "(e^u - e^-u) / (e^u + e^-u)) and write the result with tanh(u)"),
            (1 - t, "close: the quotient rule gives a square, so look at the power of tanh(u)"),
            (1 + t**2, "mind the sign in front of the tanh(u) term"),
            (t * (1 - t), "that is the sigmoid's pattern s * (1 - s); tanh's derivative is "
                          "different: differentiate tanh's own formula"),
            (1 - np.tanh(t) ** 2, "that is the derivative at the output tanh(u): take it at "
                                  "the total input u itself"),
            (2 * s(2 * u) * (1 - s(2 * u)), "with tanh(u) = 2 sigmoid(2u) - 1 the chain rule "
                                            "gives one factor 2 from the outer 2 and another "
                                            "from the inner 2u"),
            (1 / np.cosh(u), "close: the derivative of tanh is 1 / cosh(u) squared"),
            _shape_hint(u),
        ]

    u = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    got = c.expect_close((u,), _d_tanh(u), hints=hints_for(u))
    _expect_numerical_agreement(c, got, u, np.tanh, "d_tanh")

    c.expect_close((0.0,), 1.0, hints=hints_for(np.float64(0.0)))

    u = rng.normal(0.0, 1.5, size=(3, 4))
    got = c.expect_close((u,), _d_tanh(u), hints=hints_for(u))
    _expect_numerical_agreement(c, got, u, np.tanh, "d_tanh")

    u = np.array([-2, 0, 1, 3])
    _expect_floats_for_integers(c, u, _d_tanh(u), hints_for(u))

    u = np.array([-1000.0, 1000.0])
    advice = ("e^1000 overflows: np.tanh itself is computed safely, so write the derivative "
              "with np.tanh(u) rather than with np.exp")
    with recording_warnings() as caught:
        c.expect_close((u,), _d_tanh(u), hints=[(_has_nan, advice)])
    _expect_no_overflow(c, caught, c.describe((u,)), advice)
    c.done()


# ---------------------------------------------------------------------------------------------
# Exercise: the derivative of the leaky ReLU


def _d_leaky_relu(u, alpha):
    return np.where(np.asarray(u) > 0, 1.0, float(alpha))


def check_d_leaky_relu(d_leaky_relu):
    """Check ``d_leaky_relu(u, alpha=0.01)``: 1 where u > 0, alpha elsewhere (also at 0),
    floats, numbers and arrays, integer input, any alpha (0 gives ReLU's derivative)."""
    c = Checker("d_leaky_relu", d_leaky_relu, without=("numerical_gradient",))
    rng = np.random.default_rng(SEED + 2)

    def hints_for(u, alpha):
        u = np.asarray(u, dtype=float)
        leaky = np.where(u > 0, u, alpha * u)
        return [
            (np.where(u >= 0, 1.0, alpha), "at u = 0 take the slope of the left side, alpha, "
                                           "as d_relu takes 0 there: test u > 0, not u >= 0"),
            (leaky, "that is the leaky ReLU itself; its derivative is the slope of each piece"),
            (functions.d_relu(u), "the left piece alpha * u has slope alpha, not 0: that is "
                                  "plain ReLU's derivative"),
            (np.where(u > 0, 1.0, 0.01), "use the alpha argument instead of a fixed 0.01"),
            (np.where(u > 0, 1.0, -alpha), "the left piece alpha * u rises with u: its slope "
                                           "is +alpha"),
            (np.where(u > 0, 1.0, alpha * u), "the slope of alpha * u is alpha, the same at "
                                              "every u, not alpha * u"),
            (np.where(u > 0, alpha, 1.0), "the two slopes are swapped: 1 where u > 0, alpha "
                                          "elsewhere"),
            _shape_hint(u),
        ]

    u = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    c.expect_close((u,), _d_leaky_relu(u, 0.01), hints=hints_for(u, 0.01),
                   label="d_leaky_relu([-2.0, -0.5, 0.0, 0.5, 3.0]) with the default alpha")
    c.expect_close((u, 0.2), _d_leaky_relu(u, 0.2), hints=hints_for(u, 0.2))

    for value in (2.5, -2.5, 0.0):
        _with_advice(lambda value=value: c.expect_close(
            (value, 0.1), _d_leaky_relu(value, 0.1)[()], hints=hints_for(value, 0.1)))

    u = np.array([-2, 0, 3])
    c.expect_close((u, 0.1), _d_leaky_relu(u, 0.1), hints=[
        (lambda got: np.asarray(got).dtype.kind in "iub",
         "return decimal numbers (float): np.where(u > 0, 1.0, alpha) rather than "
         "(u > 0) or np.where(u > 0, 1, 0)"), *hints_for(u, 0.1)])

    u = rng.normal(0.0, 2.0, size=(3, 4))
    c.expect_close((u, 0.0), functions.d_relu(u), hints=hints_for(u, 0.0),
                   label="d_leaky_relu(<array of shape (3, 4)>, 0.0), which is ReLU's derivative")
    got = c.expect_close((u, 0.3), _d_leaky_relu(u, 0.3), hints=hints_for(u, 0.3))
    _expect_numerical_agreement(c, got, u, lambda v: np.where(v > 0, v, 0.3 * v),
                                "d_leaky_relu")
    c.done()
