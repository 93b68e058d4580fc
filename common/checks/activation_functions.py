"""Checks for the graded exercises of lesson 02, activation functions.

Each check calls the learner's function on fixed and seeded-random inputs (numbers, arrays of
several shapes, integer arrays, +-1000), compares the result with the right formula and, for
the derivatives, with a numerical gradient. A derivative must be exact to rounding: a
difference quotient, right to only 8 or so digits, is told so. The sigmoid's np.exp is watched:
an argument above 709.78 fails however NumPy's warnings were switched off. The library function
an exercise re-implements is refused while the learner's function runs. A wrong answer that
matches a typical mistake gets a hint.
"""

import ast
import functools
import inspect
import re
import textwrap

import numpy as np

from common import functions
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, ExerciseFailed, ExerciseNotDone, recording_warnings

SEED = 2024

SILENCERS = ("errstate", "seterr", "filterwarnings", "simplefilter", "catch_warnings")
#: e^x overflows to inf above this (ln of the largest float, about 709.78).
EXP_LIMIT = float(np.log(np.finfo(float).max))
ONLY_NON_POSITIVE = ("only pass numbers <= 0 to np.exp: e^(-|x|) is one, and both halves of the "
                     "sigmoid can be built from it")
NEW_ARRAY_HINT = ("np.empty_like(x) and np.zeros_like(x) copy the integer dtype of an integer "
                  "input, so decimals are cut off: start from np.asarray(x, dtype=float)")


def _shape_hint(x):
    """A hint for a result whose shape is not the input's (a loop over a flattened list, say)."""
    shape = np.shape(x)
    wanted = "a number in, a number out" if shape == () else f"keep the input's shape {shape}"
    return (lambda r: r.shape != shape,
            f"{wanted}: use NumPy operations on the whole array (np.exp, np.where, "
            "comparisons) instead of a Python loop")


def _names_in_code(func):
    """The names and attribute names the code of ``func`` uses (strings and comments aside),
    or None when there is no source to read (a builtin, say)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _refuse_silenced_warnings(c, func, advice=ONLY_NON_POSITIVE):
    """Fail a function whose code switches NumPy's warnings off: that hides an overflow."""
    names = _names_in_code(func) or set()
    found = next((name for name in SILENCERS if name in names), None)
    c.expect(found is None,
             f"{c.exercise} uses {found} to silence NumPy's warnings: that hides the overflow "
             f"instead of preventing it - {advice}")


def _watching_exp(func, too_large):
    """Wrap ``func`` so that every argument of np.exp above EXP_LIMIT is noted in
    ``too_large``: an overflow is seen even when its warning was switched off somehow."""
    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        real = np.exp

        def exp(x, *more, **options):
            try:
                values = np.asarray(x, dtype=float)
            except (TypeError, ValueError):  # not numbers: np.exp itself will say so
                values = np.zeros(0)
            values = values[~np.isnan(values)]
            if values.size and values.max() > EXP_LIMIT:
                too_large.append(float(values.max()))
            return real(x, *more, **options)

        np.exp = exp
        try:
            return func(*args, **kwargs)
        finally:
            np.exp = real

    return wrapped


def _expect_no_overflow(c, caught, label, advice):
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    c.expect(not messages,
             f"{label} gave the right values but NumPy warned \"{messages[0] if messages else ''}\""
             f" - {advice}")


def _only_wrong(hints, expected):
    """Drop the typical wrong answers that happen to equal the right one on this input (u >= 0
    and u > 0 agree where no u is 0): their advice would be given to a right answer."""
    return [(wrong, advice) for wrong, advice in hints
            if callable(wrong) or not np.allclose(wrong, expected, rtol=1e-13, atol=0.0)]


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


def _expect_floats(c, args, expected, hints, advice, label=None, **tolerances):
    """``func(*args)`` must give decimal numbers (``advice`` says how), then ``expected``."""
    label = label or c.describe(args)
    got = c.call(*args, label=label)
    dtype = np.asarray(got).dtype
    c.expect(dtype.kind not in "iub",
             f"{label} should give decimal numbers (float), got dtype {dtype} - {advice}")
    c.compare(label, got, expected, hints=hints, **tolerances)


def _expect_floats_for_integers(c, x, expected, hints, **tolerances):
    """An integer input must still give decimal results; say why a typical answer does not."""
    label = c.describe((x,))
    got = c.call(x, label=label)
    kind = getattr(got, "dtype", np.asarray(got).dtype).kind
    c.expect(kind not in "iub", f"{label} should give decimal numbers (float), got dtype "
                                f"{np.asarray(got).dtype} - {NEW_ARRAY_HINT}")
    c.compare(label, got, expected, hints=hints, **tolerances)


# ---------------------------------------------------------------------------------------------
# Exercise: a stable sigmoid


def check_sigmoid(sigmoid):
    """Check ``sigmoid(x)``: values, shapes (scalar, 1-D, 2-D), integer input, far values right to
    1e-15 (no clipping), no overflow at x = +-1000 (np.exp never given more than 709.78, however
    warnings were silenced), without ``functions.sigmoid`` or ``functions.softmax``.

    The identity sigmoid(x) = (1 + tanh(x / 2)) / 2 is accepted: it never overflows, and its
    rounding far out (sigmoid(-50) comes out 0 instead of 1.9e-22) is below 1e-15.
    """
    c = Checker("sigmoid", sigmoid, without=("sigmoid", "softmax"))
    too_large = []
    c.func = _watching_exp(sigmoid, too_large)
    rng = np.random.default_rng(SEED)
    s = functions.sigmoid
    names = _names_in_code(sigmoid) or set()
    where_note = (" (np.where computes both branches for every element, so it does not prevent "
                  "the overflow)" if "where" in names else "")

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

    # Far out the values are tiny or within a hair of 1, and must still be right: a clipped x
    # (np.clip(x, -30, 30)) gives sigmoid(-50) = 9.4e-14 instead of 1.9e-22.
    x = np.array([-50.0, -40.0, 40.0, 50.0])
    c.expect_close((x,), s(x), atol=1e-15, hints=[
        (lambda got: np.allclose(got, s(x), atol=1e-9),
         "the values far from 0 are off by a little: sigmoid(-50) is 1.9e-22 and sigmoid(50) "
         "is 1 to every digit a float has - clipping x changes them; instead "
         + ONLY_NON_POSITIVE),
        _shape_hint(x),
    ])

    _refuse_silenced_warnings(c, sigmoid)
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with recording_warnings() as caught:
        got = c.call(x, label=c.describe((x,)))
    c.expect(not too_large,
             f"{c.describe((x,))} gave np.exp the number {max(too_large or [0]):g}: e to that "
             "power is too large for a float (above e^709), so it overflows to inf, whether "
             f"or not a warning shows - {ONLY_NON_POSITIVE}{where_note}")
    c.compare(c.describe((x,)), got, s(x), atol=1e-15, hints=[
        (_has_nan, f"np.exp overflowed to inf and inf / inf gave nan - {ONLY_NON_POSITIVE}"),
    ])
    _expect_no_overflow(c, caught, c.describe((x,)),
                        f"something overflowed; {ONLY_NON_POSITIVE}{where_note}")
    c.done()


# ---------------------------------------------------------------------------------------------
# Exercise: the derivative of tanh, from its formula


def _d_tanh(u):
    return 1.0 - np.tanh(u) ** 2


def _expect_exact(c, args, expected, hints, label=None, **tolerances):
    """Like ``c.expect_close``, but a result right to about 5 digits and not to ``tolerances``
    is told that it looks like a difference quotient, with the size of its error."""
    label = label or c.describe(args)
    got = c.call(*args, label=label)
    try:
        received = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        received = None
    if (received is not None and received.shape == np.shape(expected)
            and np.allclose(received, expected, rtol=1e-4, atol=1e-9)
            and not np.allclose(received, expected, **tolerances)):
        gap = float(np.max(np.abs(received - expected)))
        c.fail(f"{label} is close to the right values but not exact (off by up to {gap:.1g}): "
               "that looks like a numerical slope, a difference quotient - the exercise asks for "
               "the exact derivative, worked out from the formula")
    c.compare(label, got, expected, hints=hints, **tolerances)
    return got


def _warned_function(caught):
    """The NumPy function named by the first overflow warning, e.g. 'cosh' or 'exp'."""
    for w in caught:
        found = re.search(r"encountered in (\w+)", str(w.message))
        if found:
            return found.group(1)
    return None


#: An exact derivative agrees with 1 - tanh(u)^2 to rounding (below 1e-12 relative); a
#: difference quotient is off by 1e-9 or more.
TANH_RTOL = 1e-11


def check_d_tanh(d_tanh):
    """Check ``d_tanh(u)``, the derivative of tanh at the total input u: values to 1e-11
    (a difference quotient is not enough), shapes, integer input, +-1000 without nan or
    overflow (and without switching NumPy's warnings off, which would hide the overflow of
    1 / cosh(u)^2), the numerical gradient; without ``functions.numerical_gradient``."""
    c = Checker("d_tanh", d_tanh, without=("numerical_gradient",))
    rng = np.random.default_rng(SEED + 1)
    s = functions.sigmoid
    tight = {"rtol": TANH_RTOL, "atol": 1e-15}

    def hints_for(u):
        t = np.tanh(u)
        return _only_wrong([
            (t, "that is tanh itself; differentiate it (the quotient rule on "
                "(e^u - e^-u) / (e^u + e^-u)) and write the result with tanh(u)"),
            (1 - t, "close: the quotient rule gives a square, so look at the power of tanh(u)"),
            (t**2, "close, but a term is missing: at u = 0 the slope must be 1, and "
                   "tanh(0)^2 is 0"),
            (1 + t**2, "mind the sign in front of the tanh(u) term"),
            (t * (1 - t), "that is the sigmoid's pattern s * (1 - s); tanh's derivative is "
                          "different: differentiate tanh's own formula"),
            (1 - np.tanh(t) ** 2, "that is the derivative at the output tanh(u): take it at "
                                  "the total input u itself"),
            (2 * s(2 * u) * (1 - s(2 * u)), "with tanh(u) = 2 sigmoid(2u) - 1 the chain rule "
                                            "gives one factor 2 from the outer 2 and another "
                                            "from the inner 2u"),
            (1 / np.cosh(u), "1 / cosh(u) is close: the derivative of tanh is 1 / cosh(u) "
                             "squared - now simplify that until only tanh(u) appears"),
            _shape_hint(u),
        ], _d_tanh(u))

    u = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    got = _expect_exact(c, (u,), _d_tanh(u), hints_for(u), **tight)
    _expect_numerical_agreement(c, got, u, np.tanh, "d_tanh")

    _expect_exact(c, (0.0,), 1.0, hints_for(np.float64(0.0)), **tight)

    u = rng.normal(0.0, 1.5, size=(3, 4))
    got = _expect_exact(c, (u,), _d_tanh(u), hints_for(u), **tight)
    _expect_numerical_agreement(c, got, u, np.tanh, "d_tanh")

    u = np.array([-2, 0, 1, 3])
    _expect_floats_for_integers(c, u, _d_tanh(u), hints_for(u), **tight)

    safe = ("np.tanh itself is computed safely at any u, so write the derivative with "
            "np.tanh(u) alone")
    _refuse_silenced_warnings(c, d_tanh, safe)
    u = np.array([-1000.0, 1000.0])
    label = c.describe((u,))
    with recording_warnings() as caught:
        got = c.call(u, label=label)
    culprit = _warned_function(caught)
    if culprit:
        c.fail(f"{label}: NumPy warned \"overflow encountered in {culprit}\" - np.{culprit} "
               f"overflows at u = +-1000 (e^1000 does not fit in a float): {safe}")
    c.compare(label, got, _d_tanh(u), hints=[
        (_has_nan, f"e^1000 overflows somewhere in your formula and gives nan: {safe}")], **tight)
    _expect_no_overflow(c, caught, label, safe)
    c.done()


# ---------------------------------------------------------------------------------------------
# Exercise: the derivative of the leaky ReLU


def _d_leaky_relu(u, alpha):
    return np.where(np.asarray(u) > 0, 1.0, float(alpha))


def check_d_leaky_relu(d_leaky_relu):
    """Check ``d_leaky_relu(u, alpha=0.01)``: exactly 1 where u > 0 and alpha elsewhere (also
    at 0; a difference quotient is not exact), floats, numbers and arrays, integer input, any
    alpha (0 gives ReLU's derivative, also as the whole number 0)."""
    c = Checker("d_leaky_relu", d_leaky_relu, without=("numerical_gradient",))
    rng = np.random.default_rng(SEED + 2)
    # Each slope is a number of the formula, 1 or alpha: right to rounding, not to 1e-6.
    exact = {"rtol": 1e-13, "atol": 0.0}

    def hints_for(u, alpha):
        u = np.asarray(u, dtype=float)
        leaky = np.where(u > 0, u, alpha * u)
        return _only_wrong([
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
        ], np.where(u > 0, 1.0, float(alpha)))

    u = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    _expect_exact(c, (u,), _d_leaky_relu(u, 0.01), hints_for(u, 0.01),
                  label="d_leaky_relu([-2.0, -0.5, 0.0, 0.5, 3.0]) with the default alpha",
                  **exact)
    _expect_exact(c, (u, 0.2), _d_leaky_relu(u, 0.2), hints_for(u, 0.2), **exact)

    for value in (2.5, -2.5, 0.0):
        _with_advice(lambda value=value: c.expect_close(
            (value, 0.1), _d_leaky_relu(value, 0.1)[()], hints=hints_for(value, 0.1), **exact))

    u = np.array([-2, 0, 3])
    _expect_floats(c, (u, 0.1), _d_leaky_relu(u, 0.1), hints_for(u, 0.1),
                   "return decimal numbers (float): np.where(u > 0, 1.0, alpha) rather than "
                   "(u > 0) or np.where(u > 0, 1, 0); np.ones_like(u) and np.zeros_like(u) "
                   "copy u's integer dtype, so alpha is cut to 0 in them: start from "
                   "np.asarray(u, dtype=float)", **exact)

    u = rng.normal(0.0, 2.0, size=(3, 4))
    c.expect_close((u, 0.0), functions.d_relu(u), hints=hints_for(u, 0.0),
                   label="d_leaky_relu(<array of shape (3, 4)>, 0.0), which is ReLU's derivative",
                   **exact)
    _expect_floats(c, (u, 0), functions.d_relu(u), hints_for(u, 0.0),
                   "alpha can arrive as the whole number 0: return decimal numbers whatever its "
                   "type, e.g. with 1.0 and float(alpha)",
                   label="d_leaky_relu(<array of shape (3, 4)>, 0), alpha the whole number 0",
                   **exact)
    got = _expect_exact(c, (u, 0.3), _d_leaky_relu(u, 0.3), hints_for(u, 0.3), **exact)
    _expect_numerical_agreement(c, got, u, lambda v: np.where(v > 0, v, 0.3 * v),
                                "d_leaky_relu")
    c.done()
