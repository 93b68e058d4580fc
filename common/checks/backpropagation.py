"""Checks for lesson 05, backpropagation: the whole backward pass and the hidden layer's delta.

``check_backward(backward)`` tests the backward pass of the lesson's 2-layer network (ReLU hidden
layer, softmax output, cross-entropy loss); ``check_delta_hidden(delta_hidden)`` tests the delta
of a sigmoid hidden layer. Both compare with the reference below and with ``numerical_gradient``,
and name the typical mistake (a missing transpose, the derivative taken at the wrong point, a
forgotten or doubled batch average, the bias summed over the wrong axis) when they see one.
"""

import numpy as np

from common import functions, networks
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, describe_difference

#: The keys of the network dict and of the gradient dict, in the course's order.
PARAMS = ("W1", "W2", "b1", "b2")
#: The order in which the gradients are compared: the output layer first, as backprop runs.
_CHECK_ORDER = ("b2", "W2", "b1", "W1")
#: The largest relative error between an analytic and a numerical gradient that counts as equal.
NUMERICAL_TOLERANCE = 1e-5


# ----------------------------------------------------------------------------------------------
# Reference implementations


reference_forward = networks.forward
reference_backward = networks.backward


def reference_delta_hidden(delta2, W2, u1):
    r"""Delta of a sigmoid hidden layer: :math:`\delta_1 = (\delta_2 W_2^\top) \odot \sigma'(u_1)`.

    Shapes: ``delta2`` (N, K), ``W2`` (H, K), ``u1`` (N, H); the result is (N, H).
    """
    return np.dot(delta2, W2.T) * functions.d_sigmoid(u1)


def _loss(network, x, d):
    return functions.cross_entropy_error(d, reference_forward(network, x)[2])


# ----------------------------------------------------------------------------------------------
# Test cases


def _course_network():
    """The course's 2-3-2 backpropagation example."""
    network = {
        "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
        "b1": np.array([0.1, 0.2, 0.3]),
        "b2": np.array([0.1, 0.2]),
    }
    return network, np.array([[1.0, 5.0]]), np.array([[0.0, 1.0]])


def _random_network(rng, n, sizes):
    """A random network with input, hidden and output sizes ``sizes`` and a batch of n samples."""
    n_in, n_hidden, n_out = sizes
    network = {
        "W1": rng.normal(0.0, 1.0, (n_in, n_hidden)),
        "W2": rng.normal(0.0, 1.0, (n_hidden, n_out)),
        "b1": rng.normal(0.0, 0.5, n_hidden),
        "b2": rng.normal(0.0, 0.5, n_out),
    }
    x = rng.normal(0.0, 1.0, (n, n_in))
    d = np.eye(n_out)[rng.integers(0, n_out, n)]
    return network, x, d


def _backward_cases():
    """(label, network, x, d) for the backward check; the first has N = D = H = K = 3, so a
    missing transpose still runs and can be named; every case has negative total inputs u1."""
    rng = np.random.default_rng(2024)
    return [
        ("backward on a random 3-3-3 network with a batch of 3",
         *_random_network(rng, 3, (3, 3, 3))),
        ("backward on the course's 2-3-2 example", *_course_network()),
        ("backward on a random 4-6-3 network with a batch of 5",
         *_random_network(rng, 5, (4, 6, 3))),
    ]


# ----------------------------------------------------------------------------------------------
# Typical mistakes: each gives the gradients (or delta) a learner with that bug would return


def _backward_variant(network, x, d, u1, z1, y, *, delta2=None, w2=None, slope=None,
                      grad_w=None, grad_b=None):
    """The reference backward pass with one step replaced, to compute typical wrong answers."""
    delta2 = functions.d_softmax_with_loss(d, y) if delta2 is None else delta2
    w2 = network["W2"].T if w2 is None else w2
    slope = functions.d_relu(u1) if slope is None else slope
    grad_w = grad_w or (lambda inputs, delta: np.dot(inputs.T, delta))
    grad_b = grad_b or (lambda delta: np.sum(delta, axis=0))
    delta1 = np.dot(delta2, w2) * slope
    return {"b2": grad_b(delta2), "W2": grad_w(z1, delta2),
            "b1": grad_b(delta1), "W1": grad_w(x, delta1)}


def _backward_mistakes(network, x, d, u1, z1, y):
    """(advice, wrong gradients) for the typical mistakes of the backward pass."""
    args = (network, x, d, u1, z1, y)
    n = y.shape[0]
    mistakes = [
        ("delta2 = y - d leaves out the batch average 1/N; "
         "use functions.d_softmax_with_loss(d, y), which includes it",
         dict(delta2=(y - d))),
        ("delta1 needs W2.T: np.dot(delta2, W2.T) turns delta2 (N, K) into (N, H)",
         dict(w2=network["W2"])),
        ("grad['W'] = np.dot(input.T, delta): transpose the layer's input (x.T, z1.T)",
         dict(grad_w=lambda inputs, delta: np.dot(inputs, delta))),
        ("grad['W'] = np.dot(input.T, delta) has the shape of W; "
         "np.dot(delta.T, input) gives its transpose",
         dict(grad_w=lambda inputs, delta: np.dot(delta.T, inputs))),
        ("the bias gradient is the sum over the batch, np.sum(delta, axis=0): "
         "the 1/N is already inside delta2, do not average again",
         dict(grad_b=lambda delta: np.mean(delta, axis=0))),
        ("sum the bias gradient over the batch axis, axis=0 (one value per unit), not axis=1",
         dict(grad_b=lambda delta: np.sum(delta, axis=1))),
        ("np.sum(delta) without axis=0 adds everything into one number; "
         "the bias gradient has one value per unit: np.sum(delta, axis=0)",
         dict(grad_b=lambda delta: np.sum(delta))),
        ("delta1 forgets the activation's derivative: "
         "multiply np.dot(delta2, W2.T) elementwise by functions.d_relu(u1)",
         dict(slope=1.0)),
        ("multiply by the derivative functions.d_relu(u1), not by the activation relu(u1) = z1",
         dict(slope=z1)),
        ("the derivative must match the forward activation: the hidden layer uses ReLU, "
         "so use functions.d_relu(u1), not d_sigmoid",
         dict(slope=functions.d_sigmoid(u1))),
        ("the derivative must match the forward activation (ReLU, so functions.d_relu) "
         "and be taken at the total input u1, not at z1",
         dict(slope=functions.d_sigmoid(z1))),
    ]
    wrong = []
    for advice, change in mistakes:
        try:
            wrong.append((advice, _backward_variant(*args, **change)))
        except ValueError:  # a missing transpose that only runs for square shapes
            continue
    # dividing by N twice: d_softmax_with_loss already averages
    reference = reference_backward(*args)
    if n > 1:
        wrong.append(("d_softmax_with_loss already divides by the batch size N; "
                      "do not divide the gradients by N again",
                      {key: value / n for key, value in reference.items()}))
    return wrong


def _delta_hidden_mistakes(delta2, W2, u1):
    """(wrong delta, advice) pairs, as ``Checker.expect_close`` takes them as hints."""
    z1 = functions.sigmoid(u1)
    back = None
    try:
        back = np.dot(delta2, W2.T)
    except ValueError:
        pass
    candidates = [
        ("delta1 needs W2.T: np.dot(delta2, W2.T) turns delta2 (N, K) into (N, H)",
         lambda: np.dot(delta2, W2) * functions.d_sigmoid(u1)),
        ("put delta2 first: np.dot(delta2, W2.T) has the shape (N, H) of u1",
         lambda: np.dot(W2, delta2.T) * functions.d_sigmoid(u1)),
        ("the derivative is taken at the output z1 = sigmoid(u1); "
         "take it at the total input: functions.d_sigmoid(u1)",
         lambda: back * functions.d_sigmoid(z1)),
        ("sigma'(u) = sigma(u) (1 - sigma(u)) applies to z1 = sigmoid(u1), not to u1 itself; "
         "functions.d_sigmoid(u1) does it for you",
         lambda: back * u1 * (1 - u1)),
        ("multiply by the derivative functions.d_sigmoid(u1), not by the activation sigmoid(u1)",
         lambda: back * z1),
        ("delta1 forgets the activation's derivative: "
         "multiply np.dot(delta2, W2.T) elementwise by functions.d_sigmoid(u1)",
         lambda: back),
        ("the derivative must match the forward activation: this hidden layer uses the sigmoid, "
         "so functions.d_sigmoid(u1), not d_relu",
         lambda: back * functions.d_relu(u1)),
        ("the product with the derivative is elementwise (*), not a matrix product",
         lambda: np.dot(back, functions.d_sigmoid(u1))),
        ("delta2 already holds the batch average 1/N; do not divide by N again",
         lambda: back * functions.d_sigmoid(u1) / u1.shape[0]),
    ]
    wrong = []
    for advice, make in candidates:
        try:
            wrong.append((make(), advice))
        except (ValueError, TypeError):  # runs only for some shapes
            continue
    return wrong


# ----------------------------------------------------------------------------------------------
# Comparing a returned gradient dict


#: Tolerances of the comparisons. The textbook delta2 = (y - d) / N ignores the 1e-7 guard inside
#: the loss's logarithm and differs from the exact derivative by up to about 1e-6 relative; it
#: must pass, while every typical mistake is off by far more.
RTOL, ATOL = 1e-5, 1e-8


def _close(a, b):
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _expect_array(c, what, received, want, hints, like=""):
    """Compare an array with the expected one; ``hints`` are (wrong value, advice) pairs."""
    try:
        received = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        c.fail(f"{what} should be an array of numbers, got {type(received).__name__}")
    hint = next((f" - {advice}" for wrong, advice in hints if _close(received, wrong)), "")
    c.expect(received.shape == want.shape,
             f"{what} should have shape {want.shape}{like}, got shape {received.shape}{hint}")
    c.expect(np.allclose(received, want, rtol=RTOL, atol=ATOL),
             f"{what} {describe_difference(want, received)}{hint}")


def _expect_grads(c, label, got, expected, mistakes):
    """Compare the returned dict ``got`` with ``expected``, key by key, naming a typical mistake."""
    c.expect(isinstance(got, dict), f"{label} should return a dict of gradients with keys "
                                    f"'W1', 'W2', 'b1', 'b2', got {type(got).__name__}")
    missing = [key for key in PARAMS if key not in got]
    c.expect(not missing, f"{label} should return grad with the keys 'W1', 'W2', 'b1', 'b2'; "
                          f"missing {', '.join(repr(k) for k in missing)}")
    for key in _CHECK_ORDER:
        hints = [(wrong[key], advice) for advice, wrong in mistakes if key in wrong]
        _expect_array(c, f"{label}: grad['{key}']", got[key], expected[key], hints,
                      like=f" like network['{key}']")


# ----------------------------------------------------------------------------------------------
# The checks


def check_backward(backward):
    """Check ``backward(network, x, d, u1, z1, y)`` of the ReLU / softmax / cross-entropy network.

    On three networks (a square 3-3-3 one with a batch of 3, where a missing transpose still runs;
    the course's 2-3-2 example; a random 4-6-3 one with a batch of 5) it checks that the result is
    a dict with the four gradients, each of the shape of its parameter and equal to the reference,
    and, on the last network, equal to ``numerical_gradient`` of the loss too. It names the
    typical mistakes: a missing transpose, the batch average forgotten or taken twice, the bias
    summed over the wrong axis, the wrong activation derivative.
    """
    c = Checker("backward", backward)
    results = []
    for label, network, x, d in _backward_cases():
        u1, z1, y = reference_forward(network, x)
        args = (network, x, d, u1, z1, y)
        got = c.call(*args, label=label)
        _expect_grads(c, label, got, reference_backward(*args), _backward_mistakes(*args))
        results.append((label, network, x, d, got))
    # the last case once more, against the numerical gradient of the loss itself
    label, network, x, d, got = results[-1]
    for key in _CHECK_ORDER:
        numerical = numerical_gradient(lambda _: _loss(network, x, d), network[key])
        error = relative_error(np.asarray(got[key], dtype=float), numerical)
        c.expect(error <= NUMERICAL_TOLERANCE,
                 f"{label}: grad['{key}'] differs from numerical_gradient of the loss "
                 f"(relative error {error:.1e})")
    c.done()


def _delta_cases():
    """(label, delta2, W2, u1); the first is square (N = H = K = 3) so a missing transpose runs."""
    rng = np.random.default_rng(55)
    square = (rng.normal(0.0, 0.1, (3, 3)), rng.normal(0.0, 1.0, (3, 3)),
              rng.normal(0.0, 2.0, (3, 3)))
    course = (np.array([[0.08706577, -0.08706577]]),
              np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
              np.array([[1.2, 2.5, 3.8]]))
    wide = (rng.normal(0.0, 0.1, (5, 3)), rng.normal(0.0, 1.0, (6, 3)),
            rng.normal(0.0, 2.0, (5, 6)))
    return [
        ("delta_hidden with delta2, W2, u1 all of shape (3, 3) (seeded random)", *square),
        ("delta_hidden(delta2=[[0.0871, -0.0871]], W2=the course's (3, 2) W2, "
         "u1=[[1.2, 2.5, 3.8]])", *course),
        ("delta_hidden with delta2 (5, 3), W2 (6, 3), u1 (5, 6) (seeded random)", *wide),
    ]


def check_delta_hidden(delta_hidden):
    """Check ``delta_hidden(delta2, W2, u1)``, the delta of a sigmoid hidden layer.

    It must return (delta2 W2^T) * sigmoid'(u1) of shape (N, H): checked against the reference on
    a square case (where a missing transpose still runs), on the course's numbers and on a random
    (5, 6) case, where it is also compared with the numerical gradient of
    sum(delta2 * (sigmoid(u1) @ W2)) with respect to u1, whose exact gradient is delta1.
    It names the typical mistakes: W2 instead of W2.T, the derivative taken at z1 instead of u1,
    the activation instead of its derivative, a matrix product instead of the elementwise one.
    """
    c = Checker("delta_hidden", delta_hidden)
    for label, delta2, W2, u1 in _delta_cases():
        got = c.call(delta2, W2, u1, label=label)
        _expect_array(c, label, got, reference_delta_hidden(delta2, W2, u1),
                      _delta_hidden_mistakes(delta2, W2, u1))
    # the last case: delta1 is the gradient of sum(delta2 * u2) with respect to u1
    numerical = numerical_gradient(
        lambda u: np.sum(delta2 * np.dot(functions.sigmoid(u), W2)), u1.copy())
    error = relative_error(np.asarray(got, dtype=float), numerical)
    c.expect(error <= NUMERICAL_TOLERANCE,
             f"{label} differs from the numerical gradient (relative error {error:.1e})")
    c.done()
