"""Checks for lesson 06, the Iris assignment: the forward pass, the gradients and the accuracy.

The module also holds the lesson's reference versions of the three functions
(``reference_forward``, ``reference_backward``, ``reference_accuracy``). The checks compare the
learner's code with them, and the notebook uses them after the exercises, so that the rest of
the lesson runs whether or not the exercises are finished.

The network is the assignment's: total input ``u1 = x W1 + b1``, hidden output
``z1 = relu(u1)``, output ``y = softmax(z1 W2 + b2)``, loss ``cross_entropy_error(d, y)``.
"""

import numpy as np

from common import functions, networks
from common.functions import numerical_gradient, relative_error
from common.grading import Checker

# ----------------------------------------------------------------------------------------------
# The lesson's reference versions


def reference_forward(network, x):
    """Forward pass of the two-layer network (see ``common.networks``).

    Shapes: ``x`` (N, D). Returns ``(y, cache)``: ``y`` (N, K), and ``cache`` the dict
    ``{'u1': (N, H), 'z1': (N, H), 'y': (N, K)}`` that the backward pass needs.
    """
    u1, z1, y = networks.forward(network, x)
    return y, {"u1": u1, "z1": z1, "y": y}


def reference_backward(network, x, d, cache):
    """Gradients of the batch-averaged cross-entropy (see ``common.networks.backward``).

    Shapes: ``x`` (N, D); ``d`` one-hot (N, K); ``cache`` as returned by ``reference_forward``.
    Returns ``grad``, a dict with the keys and shapes of ``network``.
    """
    return networks.backward(network, x, d, cache["u1"], cache["z1"], cache["y"])


def reference_accuracy(d, y):
    r"""Fraction of samples whose most probable class is the target class.

    .. math:: \mathrm{accuracy} = \frac{1}{N} \sum_{n=1}^{N}
              [\arg\max_k y_{nk} = \text{label}_n]

    Shapes: ``y`` (N, K) probabilities (or scores); ``d`` one-hot (N, K) or labels (N,).
    Returns a float between 0 and 1.
    """
    d, y = np.asarray(d), np.asarray(y)
    labels = d.argmax(axis=1) if d.shape == y.shape else d
    return float(np.mean(y.argmax(axis=1) == labels))


# ----------------------------------------------------------------------------------------------
# Test inputs


def _square_network():
    """A 3-3-3 network of round numbers: a transposed weight still gives an answer to diagnose."""
    return {"W1": np.array([[0.2, -0.5, 0.3], [0.4, 0.1, -0.6], [-0.3, 0.7, 0.5]]),
            "b1": np.array([0.1, -0.2, 0.3]),
            "W2": np.array([[0.5, -0.4, 0.2], [-0.3, 0.6, 0.1], [0.7, 0.2, -0.5]]),
            "b2": np.array([0.2, -0.1, 0.4])}


#: Two inputs for the 3-3-3 network; hidden units of both signs, so ReLU matters.
_SQUARE_X = np.array([[1.0, 2.0, -1.0], [-0.5, 1.5, 1.8]])
#: Four inputs and their one-hot targets for the gradient check of the 3-3-3 network.
_SQUARE_X4 = np.array([[1.0, 2.0, -1.0], [-0.5, 1.5, 1.8], [2.0, -1.0, 0.5], [0.3, 0.8, -1.2]])
_SQUARE_D4 = np.eye(3)[[0, 2, 1, 2]]


def _random_network(rng, n_input, n_hidden, n_output):
    """A He-initialised network with small non-zero biases, drawn from ``rng``."""
    return {"W1": rng.normal(0, np.sqrt(2 / n_input), (n_input, n_hidden)),
            "b1": rng.normal(0, 0.1, n_hidden),
            "W2": rng.normal(0, np.sqrt(2 / n_hidden), (n_hidden, n_output)),
            "b2": rng.normal(0, 0.1, n_output)}


def _iris_sized_case(seed, n):
    """A 4-6-3 network, n inputs and one-hot targets, all from one seed."""
    rng = np.random.default_rng(seed)
    network = _random_network(rng, 4, 6, 3)
    x = rng.normal(size=(n, 4))
    d = np.eye(3)[rng.integers(0, 3, size=n)]
    return network, x, d


def _describe_network(network):
    shape = "-".join(str(n) for n in (*network["W1"].shape, network["W2"].shape[1]))
    return f"a {shape} network"


# ----------------------------------------------------------------------------------------------
# Exercise 1: the forward pass


def _computable(candidates):
    """Evaluate each (make, advice) pair; skip the wrong answers whose shapes cannot multiply."""
    variants = []
    for make, advice in candidates:
        try:
            variants.append((make(), advice))
        except ValueError:
            pass
    return variants


def _forward_variants(network, x):
    """Typical wrong outputs y of a forward pass, each with the advice that fixes it."""
    W1, b1, W2, b2 = network["W1"], network["b1"], network["W2"], network["b2"]
    relu, softmax = functions.relu, functions.softmax

    def softmax_columns(u2):
        e = np.exp(u2 - u2.max(axis=0))
        return e / e.sum(axis=0)

    z1 = relu(x @ W1 + b1)
    return _computable([
        (lambda: softmax(relu(x @ W1.T + b1) @ W2 + b2),
         "W1 is used transposed: with x of shape (N, D), the total input is np.dot(x, W1) + b1"),
        (lambda: softmax(z1 @ W2.T + b2),
         "W2 is used transposed: the output layer's total input is np.dot(z1, W2) + b2"),
        (lambda: softmax(relu(x @ W1.T + b1) @ W2.T + b2),
         "both weights are used transposed: multiply x by W1 and z1 by W2, in that order"),
        (lambda: softmax(relu(x @ W1) @ W2 + b2),
         "the hidden layer forgets its bias: add b1 to np.dot(x, W1)"),
        (lambda: softmax(z1 @ W2), "the output layer forgets its bias: add b2 to np.dot(z1, W2)"),
        (lambda: softmax(relu(x @ W1) @ W2),
         "both biases are missing: u1 = np.dot(x, W1) + b1 and u2 = np.dot(z1, W2) + b2"),
        (lambda: softmax_columns(z1 @ W2 + b2),
         "softmax runs over the wrong axis: each row (one sample) must sum to 1; "
         "use functions.softmax, which normalises along the last axis"),
        (lambda: z1 @ W2 + b2,
         "this is the total input u2: apply functions.softmax to get probabilities"),
        (lambda: softmax((x @ W1 + b1) @ W2 + b2),
         "the hidden layer has no activation: z1 = functions.relu(u1)"),
        (lambda: softmax(functions.sigmoid(x @ W1 + b1) @ W2 + b2),
         "the hidden layer uses sigmoid: the assignment asks for ReLU, functions.relu(u1)"),
        (lambda: softmax(relu(z1 @ W2 + b2)),
         "ReLU is applied to the output layer too: only softmax goes there"),
    ])


def check_forward(forward):
    """Check ``forward(network, x) -> (y, cache)`` of the 4-6-3 ReLU/softmax network.

    Tests a 3-3-3 network of round numbers (where a transposed weight, a forgotten bias or a
    softmax over the wrong axis each give a recognisable answer), then seeded random 4-6-3
    networks on batches of 1 and 5 flowers: ``y`` and the cache entries ``u1``, ``z1``, ``y``,
    the shapes, the rows of ``y`` summing to 1, and that ``x`` stays unchanged.
    """
    c = Checker("forward", forward)

    def run(network, x, what):
        label = f"forward(network, x) for {_describe_network(network)} and {what}"
        result = c.call(network, x, label=label)
        c.expect(isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict),
                 f"{label} should return a pair (y, cache) with cache a dict, got "
                 f"{type(result).__name__}: end with `return y, cache`")
        return label, result

    def compare(label, result, key, expected, hints=()):
        if key == "y":
            received = result[0]
        else:
            c.expect(key in result[1], f"{label}: cache should have the key {key!r}, got keys "
                                       f"{sorted(result[1])}: cache = {{'u1': u1, 'z1': z1, "
                                       f"'y': y}}")
            received = result[1][key]
        saved = c.func
        c.func = lambda *_: received
        try:
            c.expect_close((), expected, hints=hints, label=f"{key} of {label}")
        finally:
            c.func = saved

    network, x = _square_network(), _SQUARE_X
    label, result = run(network, x, f"x = {x.tolist()}")
    expected, cache = reference_forward(network, x)
    compare(label, result, "y", expected, hints=_forward_variants(network, x))

    for seed, n in ((1, 1), (2, 5)):
        network, x, _ = _iris_sized_case(seed, n)
        label, result = run(network, x, f"{n} random input(s) x of shape {x.shape}")
        expected, cache = reference_forward(network, x)
        compare(label, result, "y", expected, hints=_forward_variants(network, x))
        c.expect(np.allclose(np.sum(result[0], axis=1), 1.0),
                 f"each row of y from {label} should sum to 1 (probabilities of one flower)")
        compare(label, result, "u1", cache["u1"], hints=[
            (cache["z1"], "cache['u1'] holds z1: u1 is the total input before ReLU")])
        compare(label, result, "z1", cache["z1"], hints=[
            (cache["u1"], "cache['z1'] holds u1: z1 is ReLU's output, functions.relu(u1)")])
        compare(label, result, "y", cache["y"])
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 2: the gradients


def _backward_variants(network, x, d, cache, key):
    """Typical wrong values of ``grad[key]``, each with the advice that fixes it."""
    n = x.shape[0]
    W2, u1, z1, y = network["W2"], cache["u1"], cache["z1"], cache["y"]
    delta2 = (y - d) / n
    relu_slope = functions.d_relu(u1)

    def grads(delta2, back=W2.T, slope=relu_slope, input_side=True):
        delta1 = (delta2 @ back) * slope
        return {"W2": z1.T @ delta2 if input_side else delta2.T @ z1,
                "b2": delta2.sum(axis=0),
                "W1": x.T @ delta1 if input_side else delta1.T @ x,
                "b1": delta1.sum(axis=0)}

    right = grads(delta2)
    candidates = [
        (lambda: grads(y - d)[key],
         "no batch average: the loss divides by the batch size N, so "
         "delta2 = (y - d) / N, or use functions.d_softmax_with_loss(d, y)"),
        (lambda: grads(delta2, slope=1.0)[key],
         "the ReLU derivative is missing: delta1 = np.dot(delta2, W2.T) * functions.d_relu(u1)"),
        (lambda: grads(delta2, slope=functions.d_sigmoid(u1))[key],
         "that is sigmoid's derivative: the hidden layer is ReLU, so use functions.d_relu(u1)"),
        (lambda: grads(delta2, back=W2)[key],
         "a transpose is missing: going back through W2 multiplies by W2.T, "
         "delta1 = np.dot(delta2, W2.T) * functions.d_relu(u1)"),
        (lambda: grads(delta2, input_side=False)[key],
         "the weight gradient is transposed: it has the shape of the weight, "
         "grad['W1'] = np.dot(x.T, delta1) and grad['W2'] = np.dot(z1.T, delta2)"),
        (lambda: -right[key], "the sign is flipped: delta2 = (y - d) / N, output minus target"),
    ]
    if key in ("b1", "b2"):
        candidates.append((lambda: right[key] / n,
                           "the bias gradient is averaged twice: delta2 already holds the 1/N, "
                           "so sum over the batch, np.sum(delta, axis=0)"))
    variants = _computable(candidates)
    return variants


def check_backward(backward):
    """Check ``backward(network, x, d, cache) -> grad`` against the analytic and numerical gradient.

    Tests a 3-3-3 network of round numbers (where a missing transpose, a missing ReLU derivative
    or a missing batch average each give a recognisable answer), then a seeded random 4-6-3
    network on 8 flowers, whose gradients must also agree with ``numerical_gradient`` of the
    cross-entropy. Each of ``grad['W1']``, ``grad['b1']``, ``grad['W2']``, ``grad['b2']`` is
    compared, and ``x`` and ``d`` must stay unchanged.
    """
    c = Checker("backward", backward)

    def run(network, x, d, what):
        label = f"backward(network, x, d, cache) for {_describe_network(network)} and {what}"
        _, cache = reference_forward(network, x)
        grad = c.call(network, x, d, cache, label=label)
        c.expect(isinstance(grad, dict) and set(grad) >= {"W1", "b1", "W2", "b2"},
                 f"{label} should return a dict grad with the keys 'W1', 'b1', 'W2', 'b2', got "
                 f"{sorted(grad) if isinstance(grad, dict) else type(grad).__name__}")
        expected = reference_backward(network, x, d, cache)
        for key in ("W2", "b2", "W1", "b1"):
            received = grad[key]
            saved_func = c.func
            c.func = lambda *_, received=received: received
            try:
                # (y - d) / N and the exact d_softmax_with_loss differ by about 1e-7 relative.
                c.expect_close((), expected[key], label=f"grad[{key!r}] of {label}",
                               hints=_backward_variants(network, x, d, cache, key),
                               rtol=1e-5, atol=1e-7)
            finally:
                c.func = saved_func
        return grad

    run(_square_network(), _SQUARE_X4, _SQUARE_D4,
        f"x = {_SQUARE_X4.tolist()}, d with labels [0, 2, 1, 2]")

    network, x, d = _iris_sized_case(21, 8)
    grad = run(network, x, d, "8 random flowers x of shape (8, 4)")

    def loss(_):
        return functions.cross_entropy_error(d, reference_forward(network, x)[0])

    for key in ("W1", "b1", "W2", "b2"):
        numerical = numerical_gradient(loss, network[key])
        error = relative_error(grad[key], numerical)
        c.expect(np.allclose(grad[key], numerical, rtol=1e-4, atol=1e-7),
                 f"grad[{key!r}] disagrees with the numerical gradient of the cross-entropy "
                 f"(relative error {error:.2g}, expected below 1e-4)")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 3: the accuracy


def _accuracy_variants(d, y):
    """Typical wrong accuracies, each with the advice that fixes it."""
    n, k = y.shape
    labels = d.argmax(axis=1) if d.shape == y.shape else d
    predicted = y.argmax(axis=1)
    hits = predicted == labels
    wrong_axis = "argmax runs over the wrong axis: each row is one sample, so take argmax(axis=1)"
    variants = [
        (float(hits.sum()), "that is the number of correct answers: divide by the number of "
                            "samples to get a fraction, e.g. with np.mean"),
        (100.0 * hits.mean(), "that is a percentage: return a fraction between 0 and 1"),
    ]
    if d.shape == y.shape:
        if n == k:  # labels (N,) against one-hot (N, K) broadcast only when N == K
            variants.append((np.mean(predicted == d), "d is one-hot here: compare labels with "
                                                      "labels, d.argmax(axis=1) against "
                                                      "y.argmax(axis=1)"))
        variants.append((np.mean(y.argmax(axis=0) == d.argmax(axis=0)), wrong_axis))
        variants.append((np.mean(y == d), "compare the predicted classes y.argmax(axis=1), "
                                          "not the probabilities"))
    elif n == k:
        variants.append((np.mean(y.argmax(axis=0) == labels), wrong_axis))
    return variants


def check_accuracy(accuracy):
    """Check ``accuracy(d, y)``: the fraction of rows of ``y`` whose argmax is the target class.

    Tests one-hot targets on a 3 x 3 case (where comparing one-hot targets with labels gives a
    recognisable number), label targets, a batch of 10 with seeded random outputs, and the
    extremes 0 and 1. The answer must be a single number between 0 and 1, not a count or a
    percentage.
    """
    c = Checker("accuracy", accuracy)
    y3 = np.array([[0.3, 0.2, 0.5], [0.15, 0.25, 0.6], [0.7, 0.1, 0.2]])
    rng = np.random.default_rng(4)
    y10 = functions.softmax(rng.normal(size=(10, 3)))
    labels10 = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    cases = [
        ("one-hot d", np.eye(3)[[0, 2, 0]], y3),
        ("label d", np.array([0, 2, 0]), y3),
        ("label d", labels10, y10),
        ("one-hot d", np.eye(3)[labels10], y10),
        ("all right", y10.argmax(axis=1), y10),
        ("all wrong", (y10.argmax(axis=1) + 1) % 3, y10),
    ]
    for what, d, y in cases:
        label = f"accuracy(d, y) with {what} = {d.tolist()} and y of shape {y.shape}"
        got = c.expect_close((d, y), reference_accuracy(d, y), label=label,
                             hints=_accuracy_variants(d, y))
        c.expect(np.ndim(got) == 0, f"{label} should return one number, got shape {np.shape(got)}")
    c.done()
