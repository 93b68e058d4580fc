"""Checks for the graded exercises of lesson 03, the output layer.

Each check calls the learner's function on fixed and seeded-random inputs (the course's own
numbers among them) and compares the result with ``common.functions``. A wrong answer that
matches a typical mistake gets a hint.
"""

import numpy as np

from common import functions
from common.grading import Checker, ExerciseFailed, ExerciseNotDone, recording_warnings

SEED = 2025
COURSE_U2 = np.array([4.59, 9.2, 4.79, 9.4])  # the course's multi-class total input


def _with_advice(advice, check):
    """Run one check; if the learner's function crashed, add ``advice`` to the message."""
    try:
        return check()
    except ExerciseNotDone:
        raise
    except ExerciseFailed as error:
        # The advice is about shapes: a misspelt name or a bad type is its own clear message.
        if " raised " in str(error) and " raised NameError" not in str(error):
            raise ExerciseFailed(f"{str(error).rstrip()} - {advice}") from None
        raise


def _one_number(r):
    return r.shape != ()


def check_mean_squared_error(mean_squared_error):
    """Check ``mean_squared_error(d, y)``: the mean over all elements, halved; 1-D and batches."""
    c = Checker("mean_squared_error", mean_squared_error)
    rng = np.random.default_rng(SEED)

    def hints_for(d, y):
        diff = d - y
        return [
            (np.sum(diff**2) / 2, "that is the formula's 1/2 * sum; the course's code averages "
                                  "too: np.mean((d - y) ** 2) / 2"),
            (np.mean(diff**2), "halve the mean: the 1/2 cancels the 2 of the derivative"),
            (np.sum(diff**2) / (2 * len(y)), "divide by every element (y.size), not only by the "
                                             "batch size: use np.mean over the whole array"),
            (np.mean(np.abs(diff)) / 2, "square the differences instead of taking np.abs"),
            (np.mean(diff) / 2, "square the differences, or errors of opposite signs cancel"),
            (-np.mean(diff) / 2, "square the differences, or errors of opposite signs cancel"),
            (np.sqrt(np.mean(diff**2)) / 2, "no square root: mean((d - y) ** 2) / 2"),
            (_one_number, "return one number: the mean over all elements, e.g. np.mean(...)"),
        ]

    d = np.array([2.0, 3.0, 4.0, 5.0])  # the course's regression example
    y = COURSE_U2.copy()
    c.expect_close((d, y), functions.mean_squared_error(d, y), hints=hints_for(d, y))

    d = np.array([1.0, 1.0])
    y = np.array([2.0, 0.0])  # errors +1 and -1: a plain mean would say 0
    c.expect_close((d, y), functions.mean_squared_error(d, y), hints=hints_for(d, y))

    d = rng.normal(size=(4, 3))
    y = rng.normal(size=(4, 3))
    c.expect_close((d, y), functions.mean_squared_error(d, y), hints=hints_for(d, y))

    d = np.array([[0.5, -1.0]])
    y = np.array([[0.5, -1.0]])
    c.expect_close((d, y), 0.0, hints=hints_for(d, y))
    c.done()


def check_softmax(softmax):
    """Check ``softmax(x)``: values, rows summing to 1, the max shift for large scores, batches."""
    c = Checker("softmax", softmax)
    rng = np.random.default_rng(SEED + 1)
    shift_hint = "subtract the maximum before exp"

    def hints_for(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return [
            (e, "divide by the sum of the exponentials so the outputs add up to 1"),
            (np.exp(x), "divide by the sum of the exponentials so the outputs add up to 1"),
            (x / np.sum(x, axis=-1, keepdims=True), "take the exponential first: e^x / sum(e^x)"),
            (lambda r: r.shape != x.shape, f"return the shape of x, {x.shape}"),
        ]

    x = np.array([1.0, 2.0, 3.0])
    c.expect_close((x,), functions.softmax(x), hints=hints_for(x))

    x = COURSE_U2.copy()
    c.expect_close((x,), functions.softmax(x), hints=hints_for(x))

    for x in (np.array([1000.0, 0.0]), np.array([-1000.0, -1001.0])):
        with recording_warnings():
            c.expect_close((x,), functions.softmax(x), hints=[
                (lambda r: np.any(np.isnan(r)), shift_hint),
            ] + hints_for(x))

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
        x = np.array([[1000.0, 999.0, 998.0], [0.0, -1.0, -2.0]])
        with recording_warnings():
            c.expect_close((x,), functions.softmax(x), hints=[
                (lambda r: r.shape == x.shape and np.any(np.isnan(r[0])), shift_hint),
                (lambda r: r.shape == x.shape and np.any(np.isnan(r[1])),
                 "subtract each row's own maximum: np.max(x, axis=-1, keepdims=True)"),
            ] + hints_for(x))

    _with_advice(batch_advice, random_batch)
    _with_advice(batch_advice, batch_with_large_scores)
    c.done()


def check_cross_entropy_error(cross_entropy_error):
    """Check ``cross_entropy_error(d, y)``: one-hot and labels, 1-D and batches, the 1e-7 guard."""
    c = Checker("cross_entropy_error", cross_entropy_error)
    rng = np.random.default_rng(SEED + 2)

    def hints_for(d, y):
        y2, d2 = np.atleast_2d(y), np.atleast_2d(d)
        if d2.shape != y2.shape:  # label indices
            d2 = np.eye(y2.shape[1])[np.ravel(d)]
        n, k = y2.shape
        total = -np.sum(d2 * np.log(y2 + 1e-7))
        hints = []
        if np.ndim(y) == 1:
            hints.append((total / k, "for one sample (1-D y) the batch size is 1: divide by "
                                     "N = 1, not by K (reshape y and d to (1, K) first)"))
        hints += [
            (total / (n * k), f"divide by the batch size N = {n}, not by the number of "
                              "elements N * K"),
            (-total / n, "mind the sign: E = -sum(d * log(y)) / N is positive"),
            (-np.sum(d2 * y2) / n, "take the log of y: E = -sum(d * log(y + 1e-7)) / N"),
            (_one_number, "return one number: the average over the batch"),
        ]
        if n != 1:
            hints.append((total, f"average over the batch: divide by the batch size N = {n}"))
        if n != 2:
            hints.append((total / 2, "there is no 1/2 in the cross-entropy: divide by the "
                                     "batch size N"))
        return hints

    d = np.array([0, 0, 0, 1])  # the course's example
    y = functions.softmax(COURSE_U2)
    _with_advice("for one sample (1-D y) reshape y and d to (1, K) first, a batch of one",
                 lambda: c.expect_close((d, y), functions.cross_entropy_error(d, y),
                                        hints=hints_for(d, y)))

    labels = rng.integers(0, 4, size=3)
    d = np.eye(4)[labels]
    y = functions.softmax(rng.normal(0.0, 2.0, size=(3, 4)))
    c.expect_close((d, y), functions.cross_entropy_error(d, y), hints=hints_for(d, y))

    _with_advice(
        "d may hold label indices of shape (N,): if d.size == y.size it is one-hot (convert "
        "with d.argmax(axis=1)), else pick y[np.arange(N), d]",
        lambda: c.expect_close((labels, y), functions.cross_entropy_error(labels, y),
                               hints=hints_for(labels, y)))

    d = np.array([[0, 1], [1, 0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])  # a probability of exactly 0 for a right class
    with recording_warnings():
        c.expect_close((d, y), functions.cross_entropy_error(d, y), hints=[
            (lambda r: not np.all(np.isfinite(r)), "add 1e-7 inside the log, np.log(y + 1e-7), "
                                                   "so that log(0) never happens"),
        ] + hints_for(d, y))

    labels = rng.integers(0, 5, size=8)
    y = functions.softmax(rng.normal(0.0, 3.0, size=(8, 5)))
    d = np.eye(5)[labels]
    c.expect_close((d, y), functions.cross_entropy_error(d, y), hints=hints_for(d, y))
    c.done()
