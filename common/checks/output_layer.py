"""Checks for the graded exercises of lesson 03, the output layer.

- ``check_softmax``: softmax row by row for a batch, safe for very large and very negative
  scores, without ``functions.softmax``.
- ``check_binary_cross_entropy_error``: the binary cross-entropy of sigmoid outputs (one
  column or several, multi-label), averaged over the batch, with the 1e-7 guard.
- ``check_softmax_cross_entropy``: the softmax cross-entropy computed from the scores u through
  log-softmax (no softmax, no guard), exact even where softmax rounds to 0.

Each check calls the learner's function on fixed and seeded-random inputs (the course's own
numbers among them) and compares the result with a reference. A wrong answer that matches a
typical mistake gets a hint.
"""

import numpy as np

from common import functions, stacked
from common.grading import Checker, ExerciseFailed, ExerciseNotDone, recording_warnings

SEED = 2025
NOTES_U2 = np.array([4.59, 9.2, 4.79, 9.4])     # the notes' 3-5-4 Let's try: total input u2
COURSE_U2 = np.array([1.02, 2.29, 3.56, 4.83])  # the course's 2-3-4 example: total input u2
GUARD = functions.LOG_GUARD


def _with_advice(advice, check, crash=" raised "):
    """Run one check; if the learner's function crashed with a message containing ``crash``,
    add ``advice`` to the message."""
    try:
        return check()
    except ExerciseNotDone:
        raise
    except ExerciseFailed as error:
        # The advice is about shapes: a misspelt name or a bad type is its own clear message.
        if (" raised " in str(error) and crash in str(error)
                and " raised NameError" not in str(error)):
            raise ExerciseFailed(f"{str(error).rstrip()} - {advice}") from None
        raise


def _clipped_softmax(x, bound):
    """softmax with the scores clipped to [-bound, bound], a typical wrong guard."""
    e = np.exp(np.clip(x, -bound, bound))
    with np.errstate(invalid="ignore", divide="ignore"):
        return e / np.sum(e, axis=-1, keepdims=True)


def _has_nan(r):
    return np.any(np.isnan(r))


def _not_one_number(r):
    return r.shape != ()


# ----------------------------------------------------------------------------------------------
# Exercise 1: softmax


def check_softmax(softmax):
    """Check ``softmax(x)``: values, rows summing to 1, the max shift for huge and very negative
    scores (the maximum anywhere in the row), integer input, batches row by row."""
    c = Checker("softmax", softmax, without=("softmax", "softmax_with_loss",
                                             stacked._softmax_last_axis))
    rng = np.random.default_rng(SEED + 1)
    max_hint = ("subtract the row's largest score, np.max, not its first element or its mean: "
                "only then is every exponent at most e^0 = 1, so nothing overflows")

    def hints_for(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return [
            (e, "divide by the sum of the exponentials so the outputs add up to 1"),
            (x / np.sum(x, axis=-1, keepdims=True), "take the exponential first: e^x / sum(e^x)"),
            (lambda r: r.shape != x.shape, f"return the shape of x, {x.shape}"),
            (lambda r: any(r.shape == x.shape and np.allclose(r, _clipped_softmax(x, bound))
                           for bound in (500, 600, 700, 709)),
             "clipping changes the scores; subtract the row's maximum instead"),
            (lambda r: r.shape == x.shape and np.all(np.isfinite(r))
             and not np.allclose(np.sum(r, axis=-1), 1.0),
             "each row must add up to 1: divide every row by its own sum, np.sum(..., axis=-1, "
             "keepdims=True)"),
        ]

    one_sample = ("one sample x of shape (K,) has only axis 0: use axis=-1 (the last axis) "
                  "with keepdims=True, which works for one sample (K,) and a batch (N, K)")

    def one_sample_cases():
        for x in (np.array([1.0, 2.0, 3.0]), NOTES_U2.copy()):
            c.expect_close((x,), functions.softmax(x), hints=hints_for(x))
        x = np.array([1, 2, 3])  # integers in, probabilities out
        c.expect_close((x,), functions.softmax(x), hints=hints_for(x))

    _with_advice(one_sample, one_sample_cases, crash="AxisError")

    cases = [
        (np.array([1000.0, 0.0]), "subtract the maximum before exp: np.exp(1000) overflows to inf "
                                  "and inf / inf = nan"),
        (np.array([0.0, 1000.0]), max_hint),   # the largest score is not the first
        (np.array([2000.0, 0.0]), max_hint),   # the mean, 1000, is still too large
        (np.array([-1000.0, -1001.0]), "every exponential underflowed to 0 and 0 / 0 = nan: "
                                       "subtracting the maximum fixes this too, because the "
                                       "largest term becomes e^0 = 1"),
    ]
    for x, nan_hint in cases:
        with recording_warnings():
            c.expect_close((x,), functions.softmax(x), hints=[(_has_nan, nan_hint)]
                           + hints_for(x))

    batch_advice = ("for a batch (N, K) work row by row: np.max and np.sum with axis=-1, "
                    "keepdims=True")

    def random_batch():
        x = rng.normal(0.0, 2.0, size=(2, 4))
        e = np.exp(x)
        c.expect_close((x,), functions.softmax(x), hints=[
            (e / e.sum(axis=0), "normalise each row (sample), not each column: sum over "
                                "axis=-1 with keepdims=True"),
            (e / e.sum(), "divide each row by its own sum: np.sum(..., axis=-1, keepdims=True)"),
        ] + hints_for(x))

    def batch_with_large_scores():
        x = np.array([[1000.0, 999.0, 998.0], [0.0, -1.0, -2.0], [5.0, 2000.0, 1.0]])
        with recording_warnings():
            c.expect_close((x,), functions.softmax(x), hints=[
                (lambda r: r.shape == x.shape and _has_nan(r[2]) and not _has_nan(r[0]),
                 max_hint),
                (lambda r: r.shape == x.shape and _has_nan(r[:2]),
                 "subtract each row's own maximum: np.max(x, axis=-1, keepdims=True)"),
            ] + hints_for(x))

    _with_advice(batch_advice, random_batch)
    _with_advice(batch_advice, batch_with_large_scores)
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 2: binary_cross_entropy_error


def reference_binary_cross_entropy_error(d, y):
    """Binary cross-entropy of sigmoid outputs y (N, K) against 0/1 targets d (N, K)."""
    terms = d * np.log(y + GUARD) + (1 - d) * np.log(1 - y + GUARD)
    return -np.sum(terms) / y.shape[0]


def check_binary_cross_entropy_error(binary_cross_entropy_error):
    """Check ``binary_cross_entropy_error(d, y)`` on the course's binary examples, batches of
    one column and of several (multi-label), and outputs of exactly 0 and 1."""
    c = Checker("binary_cross_entropy_error", binary_cross_entropy_error,
                without=("binary_cross_entropy_error", "cross_entropy_error",
                         "softmax_with_loss", reference_binary_cross_entropy_error,
                         stacked.loss_stack))
    rng = np.random.default_rng(SEED + 2)
    both_logs = ("put exactly 1e-7 inside both logs, np.log(y + 1e-7) and np.log(1 - y + 1e-7), "
                 "as the course does: its numbers use that guard")

    def hints_for(d, y):
        n, k = y.shape
        pos = -np.sum(d * np.log(y + GUARD))
        neg = -np.sum((1 - d) * np.log(1 - y + GUARD))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_yes, log_no = np.log(y), np.log(1 - y)
            unguarded = -np.sum(d * log_yes + (1 - d) * log_no) / n
            yes_only = -np.sum(d * np.log(y + GUARD) + (1 - d) * log_no) / n
            no_only = -np.sum(d * log_yes + (1 - d) * np.log(1 - y + GUARD)) / n
        clipped = np.clip(y, GUARD, 1 - GUARD)
        clipped = -np.sum(d * np.log(clipped) + (1 - d) * np.log(1 - clipped)) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            swapped = reference_binary_cross_entropy_error(y, d)
        no_guard = f"a log has no 1e-7 guard: {both_logs}"
        hints = [
            (unguarded, no_guard),
            (yes_only, no_guard),
            (no_only, no_guard),
            # Only where clipping changes a number (outputs within 1e-7 of 0 or 1) is it told apart.
            (lambda r: r.shape == () and not np.isclose(clipped, unguarded, rtol=1e-6)
             and np.isclose(r, clipped, rtol=1e-3),
             f"{both_logs}, not np.clip or np.maximum"),
            (lambda r: r.shape == () and np.isfinite(swapped)
             and not np.isclose(swapped, reference_binary_cross_entropy_error(d, y))
             and np.isclose(r, swapped, rtol=1e-6),
             "d and y look swapped: the order is (d, y), target first"),
            (pos / n, "a target of 0 must count too: add (1 - d) * log(1 - y + 1e-7), the log "
                      "of the probability of the other answer"),
            (-np.sum(np.log(y + GUARD)) / n,
             "you took -log(y + 1e-7) of every output whatever its target (the categorical code "
             "of section 4.1 does this on one column: it always picks column 0): use both "
             "terms, d * log(y + 1e-7) + (1 - d) * log(1 - y + 1e-7)"),
            (-(pos + neg) / n, "mind the sign: the logs are negative, so E = -sum(...) / N is "
                               "positive"),
            (_not_one_number, "return one number: the sum over every element divided by N"),
        ]
        if k > 1:
            hints.append(((pos + neg) / (n * k), f"divide by the batch size N = {n} only, not by "
                                                 f"N * K: the losses of the {k} columns add up"))
        hints.append(((pos + neg) / (2 * n), "there is no 1/2 in the cross-entropy"))
        if n > 1:
            hints.append((pos + neg, f"average over the batch: divide by the batch size N = {n}"))
        return hints

    def case(d, y):
        with recording_warnings():
            c.expect_close((d, y), reference_binary_cross_entropy_error(d, y),
                           hints=[(lambda r: not np.all(np.isfinite(r)),
                                   "add 1e-7 inside both logs, np.log(y + 1e-7) and "
                                   "np.log(1 - y + 1e-7), so that log(0) never happens")]
                           + hints_for(d, y))

    course_y = functions.sigmoid(np.array([[1.94]]))  # the course's 2-3-1 network
    case(np.array([[1]]), course_y)
    # An output closer to 0 than 1e-7: here no guard, np.clip and the course's guard all differ.
    case(np.array([[1]]), np.array([[3e-8]]))
    notes_y = functions.sigmoid(np.array([[6.78]]))   # the notes' 5-10-1 Let's try
    case(np.array([[0]]), notes_y)
    case(rng.integers(0, 2, size=(5, 1)), functions.sigmoid(rng.normal(0, 2, size=(5, 1))))
    case(rng.integers(0, 2, size=(3, 2)).astype(float),   # multi-label: 2 questions per sample
         functions.sigmoid(rng.normal(0, 2, size=(3, 2))))
    case(np.array([[0.0], [1.0], [1.0]]), np.array([[1.0], [0.0], [1.0]]))  # outputs 0 and 1
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 3: softmax_cross_entropy


def reference_log_sum_exp(u):
    """log(sum(e^u)) of every row of u (N, K), as a column (N, 1), with the maximum taken out."""
    m = np.max(u, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(u - m), axis=1, keepdims=True))


def reference_softmax_cross_entropy(d, u):
    """Softmax cross-entropy from the scores u (N, K) and one-hot d (N, K), via log-softmax."""
    return -np.sum(d * (u - reference_log_sum_exp(u))) / u.shape[0]


def check_softmax_cross_entropy(softmax_cross_entropy):
    """Check ``softmax_cross_entropy(d, u)``: the course's examples, random batches, integer
    scores, huge scores (no overflow) and scores so low that softmax gives exactly 0 (no guard,
    no infinity: the exact loss)."""
    c = Checker("softmax_cross_entropy", softmax_cross_entropy,
                without=("softmax", "softmax_with_loss", "cross_entropy_error",
                         reference_softmax_cross_entropy, reference_log_sum_exp))
    rng = np.random.default_rng(SEED + 3)

    via_softmax = ("do not take the log of softmax: it rounds a tiny probability to 0 "
                   "(e^-1000), so you get log(0) or the 1e-7 cap; compute log y_c = (u_c - m) - "
                   "log(sum(e^(u - m))) directly, no 1e-7 needed")

    def hints_for(d, u):
        n = u.shape[0]
        expected = reference_softmax_cross_entropy(d, u)
        m = np.max(u, axis=1)
        guarded = -np.sum(d * np.log(functions.softmax(u) + GUARD)) / n
        log_y = u - reference_log_sum_exp(u)
        labels = np.argmax(d, axis=1)
        with np.errstate(all="ignore"):
            swapped = reference_softmax_cross_entropy(u, d)
        return [
            (lambda r: r.shape == () and np.isfinite(swapped)
             and not np.isclose(swapped, expected) and np.isclose(r, swapped, rtol=1e-6),
             "d and u look swapped: the order is (d, u), target first"),
            (lambda r: not np.isclose(expected, guarded, rtol=1e-6, atol=1e-9)
             and r.shape == () and np.isclose(r, guarded, rtol=1e-6), via_softmax),
            (expected * n, f"average over the batch: divide by the batch size N = {n}"),
            (-expected, "mind the sign: E = -sum(d * log y) / N, and log y is negative"),
            (expected / u.shape[1], "divide by the batch size N only, not by N * K"),
            (expected - np.mean(m), "you subtracted the maximum m inside the log-sum but not "
                                    "from u_c: log y_c = (u_c - m) - log(sum(e^(u - m)))"),
            (expected + np.mean(m), "you subtracted the maximum m from u_c but did not add it "
                                    "back to the log-sum: log y_c = (u_c - m) - "
                                    "log(sum(e^(u - m)))"),
            (-np.sum(log_y[:, labels]) / n,
             "log_y[:, labels] takes every row's entries at every label, an (N, N) array: pick "
             "one entry per row with log_y[np.arange(N), labels]"),
            (expected / 2, "there is no 1/2 in the cross-entropy"),
            (_not_one_number, "return one number: the average of the samples' losses"),
        ]

    def case(d, u, extra=()):
        def run():
            with recording_warnings():
                c.expect_close((d, u), reference_softmax_cross_entropy(d, u),
                               hints=list(extra) + hints_for(d, u))
        _with_advice("work row by row and keep each row's maximum and log-sum a column of "
                     "shape (N, 1): axis=1, keepdims=True", run,
                     crash="could not be broadcast")

    last = np.array([[0, 0, 0, 1]])
    case(last, COURSE_U2.reshape(1, 4))                       # the course's 2-3-4: 0.3234
    case(np.array([[0, 0, 0, 1], [0, 1, 0, 0]]), np.stack([NOTES_U2, COURSE_U2]))
    labels = rng.integers(0, 3, size=5)
    case(np.eye(3)[labels], rng.normal(0.0, 3.0, size=(5, 3)))
    case(np.array([[0, 1, 0]]), np.array([[1, 2, 3]]))       # integer scores
    overflow = ("subtract each row's maximum m before exp and work with logs: "
                "log(sum(e^u)) = m + log(sum(e^(u - m)))")
    case(np.array([[0, 0, 1], [1, 0, 0]]), np.array([[1000.0, 999.0, 998.0], [0.0, 1.0, 2.0]]),
         extra=[(_has_nan, overflow)])
    # Softmax of these rounds the right class to exactly 0; the true loss is 1000 and 2000.
    d, u = np.array([[0, 1], [0, 1]]), np.array([[0.0, -1000.0], [1000.0, -1000.0]])
    case(d, u, extra=[(lambda r: not np.all(np.isfinite(r)), via_softmax),
                      (lambda r: r.shape == () and abs(float(r) + np.log(GUARD)) < 1, via_softmax)])
    c.done()
