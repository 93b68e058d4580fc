"""Checks for lesson 01, forward propagation: the total input u = xW + b and a 2-layer network.

``check_affine(affine)`` tests ``affine(x, W, b)``; ``check_forward(forward)`` tests
``forward(network, x)`` of a ReLU hidden layer followed by a softmax output layer.
"""

import functools

import numpy as np

from common import functions, networks
from common.grading import Checker, ExerciseFailed, format_value

#: Seed of the random inputs and networks the checks use, so every run checks the same cases.
SEED = 20240101

# The course's 2-3-4 multi-class network and input.
COURSE_NETWORK = {
    "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
    "b1": np.array([0.1, 0.2, 0.3]),
    "W2": np.array([[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]]),
    "b2": np.array([0.1, 0.2, 0.3, 0.4]),
}
COURSE_X = np.array([1.0, 2.0])

DOT_ORDER = ("multiply as np.dot(x, W): W has shape (inputs, units), so x comes first, and "
             "W and b must come from the arguments")
BROADCAST = ("check the shapes: np.dot(x, W) has shape (H,) for one sample or (N, H) for a batch, "
             "and b (H,) is added to every row as it is")


def _shape_of(value):
    """Describe an argument by its shape, which is what a shape error is about."""
    if isinstance(value, dict):
        return "network with " + ", ".join(f"{k} {np.shape(v)}" for k, v in value.items())
    return f"array of shape {np.shape(value)}"


def _explain_shape_errors(exercise, func):
    """Wrap ``func`` so that a NumPy shape error comes with advice on the order of np.dot."""
    name = getattr(func, "__name__", exercise)

    @functools.wraps(func)
    def wrapped(*args):
        try:
            return func(*args)
        except ValueError as error:
            text = str(error).splitlines()[0] if str(error) else ""
            if "broadcast" in text:
                advice = BROADCAST
            elif "align" in text or "mismatch" in text:
                advice = DOT_ORDER
            else:
                raise
            call = f"{name}({', '.join(_shape_of(a) for a in args)})"
            raise ExerciseFailed(f"[{exercise}] {call} raised ValueError: {text} - "
                                 f"{advice}") from None

    return wrapped


def _affine(x, W, b):
    return np.dot(x, W) + b


def check_affine(affine):
    """Check ``affine(x, W, b)``, the total input u = xW + b of one layer.

    Tests one sample (x of shape (D,) gives u of shape (H,)) and batches (x of shape (N, D)
    gives (N, H), a batch of one included), on the course's weights and on seeded random ones
    with as many inputs as units (where a transposed W would still run) and with different
    numbers. Hints: transposed weights (np.dot(W, x), x @ W.T), a forgotten bias, a sum over
    the batch or over everything, a 1-D sample turned into a batch.
    """
    c = Checker("affine", affine)
    c.func = _explain_shape_errors("affine", affine)
    rng = np.random.default_rng(SEED)

    def common_hints(x, W, b):
        hints = [(lambda got: got.ndim == 0,
                  "you returned a single number: keep one total per unit, shape (H,) even when "
                  "H = 1 (np.dot(x, W) + b does that; np.sum or np.squeeze do not)")]
        if W.shape[0] == W.shape[1] and x.ndim == 1:
            hints += [(np.dot(W, x) + b, "these are the transposed weights (np.dot(W, x) or "
                       "x @ W.T): W has shape (inputs, units), so compute np.dot(x, W) + b"),
                      (np.dot(W, x), "transposed weights and no bias: compute np.dot(x, W) + b")]
        hints += [(np.dot(x, W), "you forgot to add the bias b")]
        if x.ndim == 2:
            if x.shape[0] == 1:
                hints += [(lambda got: got.shape != (1, W.shape[1]),
                           "a batch of one sample is still a batch: keep the shape (1, H)")]
            hints += [(lambda got: got.shape == (W.shape[1],),
                       "for a batch x of shape (N, D) return one row per sample, shape (N, H): "
                       "do not sum or average over the batch")]
        else:
            hints += [(lambda got: got.ndim == 2,
                       "for one sample (1-D x) return a 1-D array of shape (H,): do not turn x "
                       "into a batch")]
        return hints

    cases = [
        # as many inputs as units, so np.dot(W, x) runs and its answer can be recognised
        (np.array([1.0, 2.0]), np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])),
        # the course's single unit: W (2, 1), one bias
        (np.array([2.0, 3.0]), np.array([[0.1], [0.2]]), np.array([0.5])),
        # the course's hidden layer of the 2-3-4 network
        (COURSE_X, COURSE_NETWORK["W1"], COURSE_NETWORK["b1"]),
        # a batch of 4 samples through the same layer
        (np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 0.0], [3.0, -2.0]]),
         COURSE_NETWORK["W1"], COURSE_NETWORK["b1"]),
        # random layers: one sample, a batch, a batch of one
        (rng.normal(size=4), rng.normal(size=(4, 6)), rng.normal(size=6)),
        (rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)),
        (rng.normal(size=(1, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)),
    ]
    for x, W, b in cases:
        c.expect_close((x, W, b), _affine(x, W, b), hints=common_hints(x, W, b))
    c.done()


def _forward(network, x):
    return networks.forward(network, x)[2]


random_network = networks.random_network


def _forward_hints(network, x):
    """Typical wrong outputs of forward(network, x), each with its advice."""
    W1, b1, W2, b2 = network["W1"], network["b1"], network["W2"], network["b2"]
    u1 = np.dot(x, W1) + b1
    z1 = functions.relu(u1)
    u2 = np.dot(z1, W2) + b2
    u2_linear = np.dot(u1, W2) + b2
    rows = x.ndim == 2
    hints = [
        (u2, "you returned the total input u2: apply softmax to it to get probabilities"),
        (functions.softmax(u2_linear), "the hidden layer needs its activation: "
         "z1 = functions.relu(u1), then u2 = np.dot(z1, W2) + b2"),
        (functions.softmax(functions.relu(u2)), "do not apply ReLU to the output layer: "
         "y = functions.softmax(u2)"),
        (functions.sigmoid(u2), "the output layer of a multi-class network uses softmax, "
         "not sigmoid, so that the outputs sum to 1"),
        (functions.relu(u2), "the output layer uses softmax, not ReLU"),
        (functions.softmax(functions.sigmoid(u1) @ W2 + b2), "the hidden layer uses ReLU here, "
         "not sigmoid"),
        (functions.softmax(np.dot(x, W1) @ W2 + b2), "you forgot the bias b1 (and the ReLU)"),
        (functions.softmax(np.dot(functions.relu(np.dot(x, W1)), W2) + b2),
         "you forgot the bias b1 of the hidden layer"),
        (functions.softmax(np.dot(z1, W2)), "you forgot the bias b2 of the output layer"),
    ]
    if rows:
        e = np.exp(u2 - u2.max())
        hints += [
            (e / e.sum(), "softmax normalised the whole batch at once: each row (one sample) "
             "must sum to 1; use functions.softmax or sum with axis=-1, keepdims=True"),
            (lambda got: got.ndim == 1, "for a batch x of shape (N, D) return one row of "
             "probabilities per sample, shape (N, K)"),
            (lambda got: got.ndim == 2 and np.allclose(got.sum(axis=0), 1),
             "softmax ran down the columns (over the batch): each row (one sample) must sum "
             "to 1; use functions.softmax or sum with axis=-1, keepdims=True"),
        ]
    return hints


def check_forward(forward):
    """Check ``forward(network, x)``: ReLU hidden layer, softmax output, returning y only.

    Tests the course's 2-3-4 network on x = [1, 2], then seeded random networks (3-5-4, 4-6-3)
    with weights of both signs, so ReLU matters, on one sample, a batch of 5 and a batch of
    one. Hints: u2 returned without softmax, a missing ReLU, ReLU or sigmoid in the wrong
    place, a forgotten bias, softmax over the whole batch or down the columns, the tuple
    (y, z1) returned, transposed weights or weights read from a global network.
    """
    c = Checker("forward", forward)
    c.func = _explain_shape_errors("forward", forward)
    rng = np.random.default_rng(SEED + 1)

    label = f"forward(course 2-3-4 network, x={format_value(COURSE_X)})"
    got = c.call(COURSE_NETWORK, COURSE_X, label=label)
    c.expect(not isinstance(got, tuple),
             f"{label} returned a tuple: return y only (the output probabilities), not (y, z1)")

    net_354 = random_network(rng, (3, 5, 4))
    net_463 = random_network(rng, (4, 6, 3))
    cases = [
        ("course 2-3-4 network", COURSE_NETWORK, COURSE_X),
        ("course 2-3-4 network", COURSE_NETWORK, np.array([[1.0, 2.0], [-1.0, 0.5]])),
        ("random 3-5-4 network", net_354, rng.normal(size=3)),
        ("random 3-5-4 network", net_354, rng.normal(size=(5, 3))),
        ("random 4-6-3 network", net_463, rng.normal(size=(1, 4))),
        ("random 4-6-3 network", net_463, 3 * rng.normal(size=4)),
    ]
    for name, network, x in cases:
        label = f"forward({name}, x={format_value(x)})"
        c.expect_close((network, x), _forward(network, x), hints=_forward_hints(network, x),
                       label=label)
    c.done()
