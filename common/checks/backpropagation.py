"""Checks for lesson 05, backpropagation: two backward passes the lesson explains but never writes.

``check_backward_regression(backward_regression)`` tests the backward pass of the lecture's
regression network (ReLU hidden layer, identity output) scored with a weighted squared error,
1/2 sum_k c_k (y_k - d_k)^2 per sample averaged over the batch (the lecture's loss when every
c_k is 1), whose output delta the learner derives.
``check_backward_3layer(backward_3layer)`` tests the backward pass of a network with two ReLU
hidden layers and a softmax output. Both compare with the references below and with
``numerical_gradient`` of the loss, and name the typical mistake (a missing transpose, the wrong
weight, input or derivative for a layer, a forgotten or doubled average, the bias summed over
the wrong axis) when they see one. The first case of each has different sizes everywhere
(N, D, H, K), so that each mistake gives its own numbers; a mistake that only runs when the
sizes agree is recognised on a square case and named in the shape error. Both watch the
arguments of ``functions.d_relu``: the derivative taken at a layer's output z instead of its
total input u gives ReLU's mask by luck only, and is named.
"""

import contextlib
import types

import numpy as np

from common import functions, networks
from common.functions import numerical_gradient
from common.grading import Checker, ExerciseFailed, ExerciseNotDone

#: The largest gradient_error between an analytic and a numerical gradient that counts as equal.
#: The checks' cases keep every total input well away from ReLU's kink and use losses without
#: the 1e-7 guard, so a right answer lands near 1e-10.
NUMERICAL_TOLERANCE = 1e-6


def gradient_error(a, b):
    r"""How far two gradients are apart, measured against their size.

    .. math:: \frac{\lVert a - b \rVert}{\lVert a \rVert + \lVert b \rVert}

    with the Euclidean norm over all entries. 0 means equal, 1 means opposite (or one side 0).
    Unlike ``functions.relative_error`` (the worst single entry), an entry that is nearly 0
    by cancellation cannot blow it up. For a right backward pass checked against the loss it
    differentiates, it is about 1e-9 or below; see lesson 05 for how to read it.

    Shapes: ``a`` and ``b`` the same shape; the result is a float.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"gradient_error: expected a and b of the same shape, got a {a.shape} "
                         f"and b {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / max(scale, 1e-12))


# ----------------------------------------------------------------------------------------------
# Reference implementations


reference_forward = networks.forward
reference_backward = networks.backward


def reference_forward_regression(network, x):
    r"""Forward pass of the regression network: ReLU hidden layer, identity output.

    .. math:: u_1 = x W_1 + b_1,\quad z_1 = \mathrm{relu}(u_1),\quad y = u_2 = z_1 W_2 + b_2

    Shapes: ``x`` (N, D); returns ``u1``, ``z1`` (N, H) and ``y`` (N, K).
    """
    u1 = np.dot(x, network["W1"]) + network["b1"]
    z1 = functions.relu(u1)
    return u1, z1, np.dot(z1, network["W2"]) + network["b2"]


def weighted_squared_error(d, y, c):
    r"""A squared error with a weight per output: each sample's weighted squares halved and
    added up, averaged over the batch.

    .. math:: E = \frac{1}{N} \sum_{n=1}^{N} \frac{1}{2} \sum_{k=1}^{K} c_k (y_{nk} - d_{nk})^2

    With every c_k = 1 it is the lecture's 1/2 ||y - d||^2, which is K times
    ``functions.mean_squared_error`` (that one averages over the K outputs too).

    Shapes: ``d`` and ``y`` (N, K), ``c`` (K,); the result is a float.
    """
    y = np.asarray(y, dtype=float)
    return float(np.sum(c * np.square(y - d)) / (2 * y.shape[0]))


def reference_backward_regression(network, x, d, u1, z1, y, c):
    r"""Gradients of ``weighted_squared_error(d, y, c)`` for the regression network.

    .. math:: \delta_2 = \frac{c \odot (y - d)}{N}, \qquad
              \delta_1 = (\delta_2 W_2^\top) \odot \mathrm{relu}'(u_1)

    (the 1/2 cancels the square's 2, each output keeps its weight c_k, the batch average brings
    the 1/N, and the identity output has slope 1). Returns a dict with the keys and shapes of
    ``network``.
    """
    y = np.asarray(y, dtype=float)
    return _chain(network, x, [u1], [z1], c * (y - d) / y.shape[0])


def reference_forward_3layer(network, x):
    r"""Forward pass of the 3-layer network: ReLU, ReLU, softmax.

    .. math:: u_1 = x W_1 + b_1,\ z_1 = \mathrm{relu}(u_1),\
              u_2 = z_1 W_2 + b_2,\ z_2 = \mathrm{relu}(u_2),\
              y = \mathrm{softmax}(z_2 W_3 + b_3)

    Shapes: ``x`` (N, D); returns ``u1``, ``z1`` (N, H1), ``u2``, ``z2`` (N, H2), ``y`` (N, K).
    """
    u1 = np.dot(x, network["W1"]) + network["b1"]
    z1 = functions.relu(u1)
    u2 = np.dot(z1, network["W2"]) + network["b2"]
    z2 = functions.relu(u2)
    return u1, z1, u2, z2, functions.softmax(np.dot(z2, network["W3"]) + network["b3"])


def reference_backward_3layer(network, x, d, u1, z1, u2, z2, y):
    r"""Gradients of the batch-averaged cross-entropy for the 3-layer network.

    .. math:: \delta_3 = \frac{y - d}{N},\quad
              \delta_2 = (\delta_3 W_3^\top) \odot \mathrm{relu}'(u_2),\quad
              \delta_1 = (\delta_2 W_2^\top) \odot \mathrm{relu}'(u_1)

    and for every layer l, :math:`\partial E / \partial W_l = (\text{input of layer } l)^\top
    \delta_l`, :math:`\partial E / \partial b_l = \sum_n \delta_l`.
    Returns a dict with the keys and shapes of ``network``.
    """
    return _chain(network, x, [u1, u2], [z1, z2], functions.d_softmax_with_loss(d, y))


def _chain(network, x, us, zs, delta_out, *, back=None, slope=None, inputs=None, grad_w=None,
           grad_b=None):
    """Backward pass of a network of ReLU hidden layers, from the output delta down.

    ``us`` and ``zs`` are the hidden layers' total inputs and outputs, layer 1 first. Each
    keyword replaces one step, to compute the answer of a learner with a typical mistake:
    ``back(l, deltas)`` is the upstream factor of delta_l, ``slope(l)`` the derivative of layer
    l, ``inputs(l)`` the input of layer l, ``grad_w(input, delta)`` and ``grad_b(delta)`` the
    gradients of a layer.
    """
    n_layers = len(us) + 1
    back = back or (lambda layer, deltas: np.dot(deltas[layer + 1], network[f"W{layer + 1}"].T))
    slope = slope or (lambda layer: functions.d_relu(us[layer - 1]))
    inputs = inputs or (lambda layer: x if layer == 1 else zs[layer - 2])
    grad_w = grad_w or (lambda layer_input, delta: np.dot(layer_input.T, delta))
    grad_b = grad_b or (lambda delta: np.sum(delta, axis=0))
    deltas = {n_layers: delta_out}
    for layer in range(n_layers - 1, 0, -1):
        deltas[layer] = back(layer, deltas) * slope(layer)
    grad = {}
    for layer in range(1, n_layers + 1):
        grad[f"W{layer}"] = grad_w(inputs(layer), deltas[layer])
        grad[f"b{layer}"] = grad_b(deltas[layer])
    return grad


#: What neither exercise may call: the references, the numerical gradient (it would give the
#: answer without backpropagation) and the helper that computes the references.
_REFERENCES = ("numerical_gradient", networks.backward, reference_backward_regression,
               reference_backward_3layer, _chain)


# ----------------------------------------------------------------------------------------------
# Losses for the numerical gradient: without the 1e-7 guard, so that a right answer agrees to
# rounding level


def _regression_loss(network, x, d, c):
    return weighted_squared_error(d, reference_forward_regression(network, x)[2], c)


def _softmax_loss_from_logits(d, u):
    """Cross-entropy of softmax(u) computed from the logits (log-sum-exp): no guard needed."""
    m = u.max(axis=1, keepdims=True)
    log_y = u - m - np.log(np.exp(u - m).sum(axis=1, keepdims=True))
    return -np.sum(d * log_y) / u.shape[0]


def _3layer_loss(network, x, d):
    z2 = reference_forward_3layer(network, x)[3]
    return _softmax_loss_from_logits(d, np.dot(z2, network["W3"]) + network["b3"])


# ----------------------------------------------------------------------------------------------
# Test cases


def _random_network(rng, sizes):
    """Normal random weights and biases for layer sizes (D, H1, ..., K)."""
    network = {}
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False), start=1):
        network[f"W{layer}"] = rng.normal(0.0, 1.0, (n_in, n_out))
        network[f"b{layer}"] = rng.normal(0.0, 0.5, n_out)
    return network


def _away_from_kinks(seed, sizes, n, forward, margin=0.05):
    """A random network and batch whose hidden total inputs are all at least ``margin`` from 0,
    with some negative (ReLU off) and some positive: the numerical gradient is exact there."""
    rng = np.random.default_rng(seed)
    while True:
        network = _random_network(rng, sizes)
        x = rng.normal(0.0, 1.0, (n, sizes[0]))
        hidden = forward(network, x)[:-1:2]  # u1 (and u2)
        if all(np.abs(u).min() > margin and (u < 0).any() and (u > 0).any() for u in hidden):
            return network, x


def _regression_cases():
    """(label, network, x, d, c), first a random batch with different sizes everywhere (N = 5,
    D = 4, H = 6, K = 3) and different weights c_k (none 1: each mistake gives its own
    numbers), then the lecture's 2-3-2 example with its loss (c = [1, 1]), a one-output batch as
    in DN15, and last the square case of ``_regression_square``."""
    rng = np.random.default_rng(505)
    course = {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
              "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
              "b1": np.array([0.1, 0.2, 0.3]), "b2": np.array([0.1, 0.2])}
    cases = []
    for seed, sizes, n, c in ((3, (4, 6, 3), 5, [2.0, 0.5, 1.5]), (2, (4, 6, 1), 5, [0.5])):
        network, x = _away_from_kinks(seed, sizes, n, reference_forward_regression)
        d = rng.normal(0.0, 1.0, (n, sizes[-1]))
        label = ("backward_regression on a random {}-{}-{} network with a batch of {}, "
                 "c={}".format(*sizes, n, c))
        cases.append((label, network, x, d, np.array(c)))
    cases.insert(1, ("backward_regression on the course's 2-3-2 network, x=[[1, 2]], "
                     "d=[[2, 4]], c=[1, 1] (the lecture's loss)", course, np.array([[1, 2]]),
                     np.array([[2.0, 4.0]]), np.array([1.0, 1.0])))
    return [*cases, _regression_square()]


def _regression_square():
    """A 3-3-3 network with a batch of 3: N = D = H = K, so that a missing transpose, a
    swapped input or weights applied to the rows still runs and can be named."""
    network, x = _away_from_kinks(1, (3, 3, 3), 3, reference_forward_regression)
    d = np.random.default_rng(506).normal(0.0, 1.0, (3, 3))
    return ("backward_regression on a random 3-3-3 network with a batch of 3, "
            "c=[0.5, 2.0, 1.5]", network, x, d, np.array([0.5, 2.0, 1.5]))


def _3layer_cases():
    """(label, network, x, d): a random 4-6-5-3 network with a batch of 7 first (different
    sizes everywhere), the lecture's 2-3-2-2 weights, and last the square case of
    ``_3layer_square``."""
    course = {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
              "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
              "W3": np.array([[0.1, 0.3], [0.2, 0.4]]),
              "b1": np.array([0.1, 0.2, 0.3]), "b2": np.array([0.1, 0.2]),
              "b3": np.array([1.0, 2.0])}
    wide, x_wide = _away_from_kinks(12, (4, 6, 5, 3), 7, reference_forward_3layer)
    rng = np.random.default_rng(13)
    return [
        ("backward_3layer on a random 4-6-5-3 network with a batch of 7", wide, x_wide,
         np.eye(3)[rng.integers(0, 3, 7)]),
        ("backward_3layer on the course's 2-3-2-2 network, x=[[1, 2]], d=[[0, 1]]", course,
         np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]])),
        _3layer_square(),
    ]


def _3layer_square():
    """A 3-3-3-3 network with a batch of 3: every size the same, so that a wrong weight, a
    missing transpose or another layer's derivative still runs and can be named."""
    network, x = _away_from_kinks(11, (3, 3, 3, 3), 3, reference_forward_3layer)
    d = np.eye(3)[np.random.default_rng(14).permutation(3)]
    return ("backward_3layer on a random 3-3-3-3 network with a batch of 3", network, x, d)


# ----------------------------------------------------------------------------------------------
# Typical mistakes: (advice, the gradients a learner with that mistake returns)


def _layer_mistakes(network, x, us, zs, delta_out):
    """Mistakes in the layer rules, shared by both exercises; the 3-layer ones come first, as a
    general mistake can give the same number for one key."""
    n_layers = len(us) + 1
    top = n_layers - 1  # the hidden layer just below the output
    d_relu = functions.d_relu
    if n_layers == 2:
        mistakes = [
            ("the input of layer 2 is z1 and the input of layer 1 is x: grad['W2'] uses z1, "
             "grad['W1'] uses x", dict(inputs=lambda layer: (zs[0], x)[layer - 1])),
            ("the input of layer 2 is z1 = relu(u1), the hidden layer's output, not its total "
             "input u1", dict(inputs=lambda layer: (x, us[0])[layer - 1])),
        ]
    else:
        mistakes = [
            ("delta1 starts from delta2, which already carries d_relu(u2); "
             "delta3 @ W3.T @ W2.T leaves it out: delta1 = np.dot(delta2, W2.T) * d_relu(u1)",
             dict(back=lambda layer, deltas: np.dot(deltas[3], network["W3"].T) if layer == 2
                  else np.dot(np.dot(deltas[3], network["W3"].T), network["W2"].T))),
            ("delta2 = np.dot(delta3, W3.T) * d_relu(u2): it needs layer 2's own derivative "
             "d_relu(u2), not just d_relu(u1) for layer 1",
             dict(slope=lambda layer: 1.0 if layer == 2 else d_relu(us[0]))),
            ("delta1 = np.dot(delta2, W2.T) * d_relu(u1): it needs layer 1's own derivative "
             "d_relu(u1)",
             dict(slope=lambda layer: 1.0 if layer == 1 else d_relu(us[1]))),
            ("each layer's derivative is taken at its own total input: d_relu(u1) for delta1, "
             "d_relu(u2) for delta2",
             dict(slope=lambda layer: d_relu(us[2 - layer]))),
            ("delta2 takes the derivative of its own layer, d_relu(u2), not d_relu(u1)",
             dict(slope=lambda layer: d_relu(us[0]))),
            ("delta1 takes the derivative of its own layer, d_relu(u1), not d_relu(u2)",
             dict(slope=lambda layer: d_relu(us[1]))),
            ("delta1 comes from the delta of the layer just above, delta2 (through W2.T), "
             "not from delta3 (through W3.T)",
             dict(back=lambda layer, deltas: np.dot(deltas[layer + 1], network[f"W{layer + 1}"].T)
                  if layer == 2 else np.dot(deltas[3], network["W3"].T))),
            ("delta1 comes from the delta of the layer just above, delta2 (through W2.T), "
             "not from delta3",
             dict(back=lambda layer, deltas: np.dot(deltas[3], network[f"W{layer + 1}"].T))),
            ("each delta goes down through the weights just above it: delta2 uses W3.T, delta1 "
             "uses W2.T",
             dict(back=lambda layer, deltas: np.dot(deltas[layer + 1], network[f"W{layer}"].T))),
            ("delta1 needs W2.T: np.dot(delta2, W2.T) turns the (N, H2) delta of layer 2 into "
             "the (N, H1) shape of u1",
             dict(back=lambda layer, deltas: np.dot(deltas[2], network["W2"]) if layer == 1
                  else np.dot(deltas[3], network["W3"].T))),
            ("delta2 needs W3.T: np.dot(delta3, W3.T) turns the (N, K) delta3 into the (N, H2) "
             "shape of u2",
             dict(back=lambda layer, deltas: np.dot(deltas[3], network["W3"]) if layer == 2
                  else np.dot(deltas[2], network["W2"].T))),
            ("the input of layer 3 is z2: grad['W3'] = np.dot(z2.T, delta3)",
             dict(inputs=lambda layer: (x, zs[0], zs[0])[layer - 1])),
            ("the input of layer 2 is z1, not x: grad['W2'] = np.dot(z1.T, delta2)",
             dict(inputs=lambda layer: (x, x, zs[1])[layer - 1])),
            ("the input of layer 1 is x, the network's input: grad['W1'] = np.dot(x.T, delta1)",
             dict(inputs=lambda layer: (zs[0], zs[0], zs[1])[layer - 1])),
            ("the input of layer 3 is z2 = relu(u2), layer 2's output, not its total input u2",
             dict(inputs=lambda layer: (x, zs[0], us[1])[layer - 1])),
            ("the input of layer 2 is z1 = relu(u1), layer 1's output, not its total input u1",
             dict(inputs=lambda layer: (x, us[0], zs[1])[layer - 1])),
        ]
    width = "H" if n_layers == 2 else f"H{top}"
    mistakes += [
        (f"delta{top} needs W{n_layers}.T: np.dot(delta{n_layers}, W{n_layers}.T) turns the "
         f"(N, K) delta of the layer above into the (N, {width}) shape of u{top}",
         dict(back=lambda layer, deltas: np.dot(deltas[layer + 1], network[f"W{layer + 1}"]))),
        ("grad['W'] of a layer is np.dot(input.T, delta): transpose the layer's input",
         dict(grad_w=lambda layer_input, delta: np.dot(layer_input, delta))),
        ("grad['W'] = np.dot(input.T, delta) has the shape of W; np.dot(delta.T, input) gives "
         "its transpose",
         dict(grad_w=lambda layer_input, delta: np.dot(delta.T, layer_input))),
        ("the bias gradient is the sum over the batch, np.sum(delta, axis=0): the average is "
         "already inside the output delta, do not average again",
         dict(grad_b=lambda delta: np.mean(delta, axis=0))),
        ("sum the bias gradient over the batch axis, axis=0 (one value per unit), not axis=1",
         dict(grad_b=lambda delta: np.sum(delta, axis=1))),
        ("np.sum(delta) without axis=0 adds everything into one number; the bias gradient has "
         "one value per unit: np.sum(delta, axis=0)",
         dict(grad_b=lambda delta: np.sum(delta))),
        ("a hidden layer's delta forgets the activation's derivative: multiply elementwise by "
         "functions.d_relu of that layer's total input",
         dict(slope=lambda layer: 1.0)),
        ("multiply by the derivative functions.d_relu(u), not by the activation relu(u) = z",
         dict(slope=lambda layer: zs[layer - 1])),
        ("the hidden layers use ReLU, so their derivative is functions.d_relu(u), not d_sigmoid",
         dict(slope=lambda layer: functions.d_sigmoid(us[layer - 1]))),
    ]
    wrong = []
    for advice, change in mistakes:
        try:
            wrong.append((advice, _chain(network, x, us, zs, delta_out, **change)))
        except ValueError:  # a mistake that only runs for some shapes
            continue
    return wrong


def _regression_mistakes(network, x, d, u1, z1, y, c):
    n, k = y.shape
    right = c * (y - d) / n
    deltas = [
        ("delta2 leaves out the weights: (y - d) / N is the delta of the unweighted loss (every "
         "c_k = 1, like section 3's formula); each output's square carries its weight c_k, and "
         "so does its derivative: keep every factor in front of the square", (y - d) / n),
        ("c * (y - d) / (N K) divides by N K, like functions.mean_squared_error, which averages "
         "over the K outputs too; this loss adds up each sample's weighted squares and averages "
         "over the N samples only", right / k),
        ("(y - d) / (N K) is the delta of functions.mean_squared_error: this loss adds up each "
         "sample's K squares, each with its weight c_k, and averages over the N samples only",
         (y - d) / (n * k)),
        ("c_k stands in front of the square, outside it: the derivative keeps c_k once, not "
         "c_k squared", c ** 2 * (y - d) / n),
        ("the loss divides by N only: the weights are not divided by their sum", right / c.sum()),
        ("each output has its own weight: c * (y - d) multiplies column k by c_k, not every "
         "column by the sum of the weights", c.sum() * (y - d) / n),
        ("each output has its own weight: c * (y - d) multiplies column k by c_k, not every "
         "column by their mean", c.mean() * (y - d) / n),
        ("the loss multiplies each square by c_k, and so does its derivative: multiply by c, "
         "do not divide", (y - d) / c / n),
        ("delta2 leaves out the batch average: the loss divides by the number of samples N, "
         "and so does its derivative", c * (y - d)),
        ("c * (y - d) / K divides by the number of outputs; the batch average divides by the "
         "number of samples, N = len(y)", c * (y - d) / k),
        ("Python reads c * (y - d) / n * k as (c * (y - d) / n) * k: that multiplies by K; and "
         "/ (n * k) would be mean_squared_error's average: divide by N only", right * k),
        ("the sign is flipped: the derivative of (c_k / 2)(y - d)^2 with respect to y is "
         "c_k (y - d)", -right),
        ("the 1/2 of the squared error cancels the 2 of its derivative: no extra factor",
         right / 2),
        ("the loss has a 1/2 in front, which cancels the 2 of the square's derivative",
         2 * right),
        ("that is the loss term itself; delta2 is its derivative with respect to y",
         0.5 * c * (y - d) ** 2 / n),
        ("that is the loss term itself (and without c); delta2 is its derivative with respect "
         "to y", 0.5 * (y - d) ** 2 / n),
        ("the output is the identity, y = u2, so dy/du2 = 1: do not multiply delta2 by an "
         "activation's derivative", right * functions.d_relu(y)),
    ]
    if n == k:  # runs only when the batch is as long as the output is wide
        deltas.append(("c has one weight per output, a column of y: c * (y - d) multiplies "
                       "column k by c_k; c[:, None] (or c.reshape(-1, 1)) weights the rows, "
                       "the samples", c[:, None] * (y - d) / n))
    wrong = [(advice, _chain(network, x, [u1], [z1], delta)) for advice, delta in deltas]
    return wrong + _layer_mistakes(network, x, [u1], [z1], right)


def _3layer_mistakes(network, x, d, u1, z1, u2, z2, y):
    n = y.shape[0]
    right = (y - d) / n
    deltas = [
        ("delta3 = (y - d) / N: the loss is the average over the batch", y - d),
        ("the cross-entropy averages over the N samples only; (y - d) / y.size divides by N K",
         (y - d) / y.size),
        ("the sign is flipped: delta3 = (y - d) / N (or d_softmax_with_loss(y, d): the order is "
         "(d, y), target first)", (d - y) / n),
        ("for softmax with the cross-entropy (y - d) / N already includes the softmax's "
         "derivative: do not multiply by y (1 - y)", right * y * (1 - y)),
        ("the softmax's derivative is not diagonal: every y_i depends on every u_k, so the "
         "chain rule sums over i (section 3), and the sum gives (y - d) / N",
         -d * (1 - y) / n),
    ]
    wrong = [(advice, _chain(network, x, [u1, u2], [z1, z2], delta)) for advice, delta in deltas]
    return wrong + _layer_mistakes(network, x, [u1, u2], [z1, z2], right)


# ----------------------------------------------------------------------------------------------
# Calling the learner's function and comparing the returned dict


_SHAPE_WORDS = ("shape", "aligned", "broadcast", "mismatch", "dimension")
_NO_NUMERICAL = ("compute the gradients by backpropagation, without "
                 "functions.numerical_gradient: it nudges every parameter in turn, and the check "
                 "uses it to test your answer")


_recordings = []  # while a learner's function runs: a list of the arguments d_relu got


def _recorded_d_relu(x):
    """What ``functions.d_relu`` does while a learner's function runs: note the argument, then
    compute as always."""
    if _recordings:
        with contextlib.suppress(TypeError, ValueError):  # d_relu itself says what is wrong
            _recordings[-1].append(np.array(x, dtype=float))
    return _original_d_relu(x)


def _recording_code():
    """The code of a ``d_relu(x)`` that hands its argument to ``_recorded_d_relu``."""
    namespace = {}
    exec("def d_relu(x):\n"
         "    import common.checks.backpropagation\n"
         "    return common.checks.backpropagation._recorded_d_relu(x)\n", namespace)
    return namespace["d_relu"].__code__


_original_d_relu = types.FunctionType(functions.d_relu.__code__, functions.__dict__, "d_relu")


@contextlib.contextmanager
def _recording_d_relu():
    """Record every argument of ``functions.d_relu`` inside the block, however the learner
    imported it: its code is swapped, as ``common.grading.refusing`` does, and put back."""
    code = functions.d_relu.__code__
    _recordings.append([])
    functions.d_relu.__code__ = _recording_code()
    try:
        yield _recordings[-1]
    finally:
        functions.d_relu.__code__ = code
        _recordings.pop()


def _check_slope_points(c, label, recorded, us, zs):
    """Fail when d_relu was taken at a layer's output z instead of its total input u: for ReLU
    the mask is the same (z > 0 exactly where u > 0), which hides the mistake."""
    for layer, (u, z) in enumerate(zip(us, zs, strict=True), start=1):
        if np.array_equal(u, z):
            continue  # every unit on: u and z agree, so the two cannot be told apart
        if any(arg.shape == z.shape and np.array_equal(arg, z) for arg in recorded):
            c.fail(f"{label}: d_relu(z{layer}) is right for ReLU only by luck (z{layer} > 0 "
                   f"exactly where u{layer} > 0): take the derivative at the total input, "
                   f"d_relu(u{layer}); section 11 shows what the output z does with the sigmoid")


def _call(c, args, label, square, sizes, refusals, us, zs):
    """``c.call``, with advice added where NumPy's or the refusal's own message says too little.

    ``square`` is (label, args, mistakes) of a case where every size agrees: a function that
    stops with a shape error is run there, and if it then matches a typical mistake, the
    mistake is named. ``sizes`` describes the shapes of this case for the general advice.
    ``us`` and ``zs`` are the hidden layers' total inputs and outputs, to catch d_relu(z).
    """
    try:
        with _recording_d_relu() as recorded:
            got = c.call(*args, label=label)
    except ExerciseNotDone:
        raise
    except ExerciseFailed as failure:
        message = str(failure).rstrip()
        for name, advice in {**refusals, "numerical_gradient": _NO_NUMERICAL}.items():
            if f"without functions.{name}" in message:
                c.fail(advice)
        if " raised ValueError: " not in message or not any(w in message for w in _SHAPE_WORDS):
            raise
        advice = _named_on_square(c, *square) or (
            f"write down each product's shapes: here {sizes}; the output delta has the shape "
            "(N, K) of y, each hidden delta the shape of its layer's total input u, and each "
            "gradient the shape of its parameter")
        raise ExerciseFailed(f"{message} - {advice}") from None
    _check_slope_points(c, label, recorded, us, zs)
    return got


def _named_on_square(c, label, args, mistakes):
    """The advice of the typical mistake the learner's function makes on the square case."""
    try:
        got = c.call(*args, label=label)
    except ExerciseFailed:
        return None
    if not isinstance(got, dict):
        return None
    for advice, wrong in mistakes:
        if all(key in got and _same(got[key], value) for key, value in wrong.items()):
            return advice
    return None


def _same(got, expected):
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and np.allclose(got, expected, rtol=1e-6, atol=1e-9)


def _compare_grads(c, label, got, expected, mistakes, n):
    """Compare the returned dict with ``expected``, output layer first, naming a mistake."""
    keys = sorted(expected, key=lambda k: (-int(k[1:]), k[0] == "W"))  # b3, W3, b2, W2, ...
    wanted = ", ".join(repr(k) for k in sorted(expected))
    if got is None:
        c.fail(f"{label} returned None: end the function with `return grad` (print only shows "
               "a value, return gives it back)")
    c.expect(isinstance(got, dict), f"{label} should return a dict of gradients with the keys "
                                    f"{wanted}, got {type(got).__name__}")
    missing = [k for k in sorted(expected) if k not in got]
    c.expect(not missing, f"{label} should return grad with the keys {wanted}; missing "
                          f"{', '.join(repr(k) for k in missing)}")
    output = f"delta{len(expected) // 2}"
    for key in keys:
        if got[key] is None:
            c.fail(f"{label}: grad['{key}'] is None: compute it before building the dict")
        shape = expected[key].shape
        hints = [(wrong[key], advice) for advice, wrong in mistakes
                 if key in wrong and not _same(wrong[key], expected[key])]
        hints.append((lambda r, shape=shape: r.shape == (1, *shape),
                      f"keepdims=True keeps a batch axis of 1; grad['{key}'] has the shape "
                      f"{shape} of network['{key}']"))
        if key[0] == "b":
            hints.append((lambda r, shape=shape: n > 1 and r.shape == (n, *shape),
                          f"grad['{key}'] has one row per sample: sum the delta over the batch "
                          "axis, np.sum(delta, axis=0)"))
            hints.append((lambda r: r.ndim == 0,
                          f"grad['{key}'] came out as one number: is {output} (N, K) like y? "
                          "np.mean or np.sum without an axis collapses an array into one "
                          "number"))
        c.compare(f"{label}: grad['{key}']", got[key], expected[key], hints=hints,
                  rtol=1e-6, atol=1e-9)


def _numerical_agreement(c, label, got, network, loss):
    """Each returned gradient against ``numerical_gradient`` of the loss itself, by
    ``gradient_error``: measured against the gradient's size, since an entry that is nearly 0
    by cancellation has a large relative error even when right."""
    for key in sorted(network, key=lambda k: (-int(k[1:]), k[0] == "W")):
        numerical = numerical_gradient(lambda _: loss(network), network[key])
        error = gradient_error(got[key], numerical)
        c.expect(error <= NUMERICAL_TOLERANCE,
                 f"{label}: grad['{key}'] differs from numerical_gradient of the loss "
                 f"(gradient error {error:.1e}, expected at most {NUMERICAL_TOLERANCE:.0e})")


def _sizes(x, us, y, names):
    """'N = 5, D = 4, H = 6, K = 3' for the shape advice."""
    values = [len(x), x.shape[1], *(u.shape[1] for u in us), y.shape[1]]
    return ", ".join(f"{name} = {value}" for name, value in zip(names, values, strict=True))


# ----------------------------------------------------------------------------------------------
# The checks


def check_backward_regression(backward_regression):
    """Check ``backward_regression(network, x, d, u1, z1, y)`` of the regression network.

    ReLU hidden layer, identity output, loss ``weighted_squared_error(d, y, c)`` (1/2
    sum_k c_k (y_k - d_k)^2 per sample, averaged over the batch). On a random 4-6-3 batch of 5
    with weights c = [2, 0.5, 1.5], the course's 2-3-2 example with the lecture's loss
    (c = [1, 1]), a one-output batch as in DN15 and a square 3-3-3 case, the result must be a
    dict of NumPy arrays equal to the reference, and on the first case equal to
    ``numerical_gradient`` of the loss. It refuses the library's deltas (deriving the output
    delta is the exercise), ``numerical_gradient`` and the references, and d_relu taken at z1.
    """
    c = Checker("backward_regression", backward_regression,
                without=("d_mean_squared_error", "d_softmax_with_loss", "d_sigmoid_with_loss",
                         *_REFERENCES))
    refusals = {name: f"write delta2 yourself, without functions.{name}: it is the delta of "
                      "another loss, and deriving this loss's delta is the exercise"
                for name in ("d_mean_squared_error", "d_softmax_with_loss",
                             "d_sigmoid_with_loss")}
    square_label, network, x, d, weights = _regression_square()
    square_args = (network, x, d, *reference_forward_regression(network, x), weights)
    square = (square_label, square_args, _regression_mistakes(*square_args))
    for number, (label, network, x, d, weights) in enumerate(_regression_cases()):
        u1, z1, y = reference_forward_regression(network, x)
        args = (network, x, d, u1, z1, y, weights)
        got = _call(c, args, label, square, _sizes(x, [u1], y, ("N", "D", "H", "K")), refusals,
                    [u1], [z1])
        _compare_grads(c, label, got, reference_backward_regression(*args),
                       _regression_mistakes(*args), len(x))
        if number == 0:
            _numerical_agreement(c, label, got, network,
                                 lambda net, x=x, d=d, w=weights: _regression_loss(net, x, d, w))
    c.done()


def check_backward_3layer(backward_3layer):
    """Check ``backward_3layer(network, x, d, u1, z1, u2, z2, y)``: ReLU, ReLU, softmax.

    On a random 4-6-5-3 network with a batch of 7, the course's 2-3-2-2 weights and a square
    3-3-3-3 case (where a wrong weight or a missing transpose still runs), the result must be a
    dict of NumPy arrays with the six gradients, equal to the reference, and on the first case
    equal to ``numerical_gradient`` of the loss. It refuses ``numerical_gradient``, the
    references, the sigmoid's delta (this output is a softmax), and d_relu taken at z1 or z2.
    """
    c = Checker("backward_3layer", backward_3layer,
                without=("d_sigmoid_with_loss", *_REFERENCES))
    refusals = {"d_sigmoid_with_loss": (
        "d_sigmoid_with_loss is the delta of sigmoid outputs scored with the binary "
        "cross-entropy; this network's output is a softmax: use functions.d_softmax_with_loss")}
    square_label, *square_case = _3layer_square()
    square_args = (*square_case, *reference_forward_3layer(*square_case[:2]))
    square = (square_label, square_args, _3layer_mistakes(*square_args))
    for number, (label, network, x, d) in enumerate(_3layer_cases()):
        u1, z1, u2, z2, y = kept = reference_forward_3layer(network, x)
        args = (network, x, d, *kept)
        got = _call(c, args, label, square, _sizes(x, [u1, u2], y, ("N", "D", "H1", "H2", "K")),
                    refusals, [u1, u2], [z1, z2])
        _compare_grads(c, label, got, reference_backward_3layer(*args), _3layer_mistakes(*args),
                       len(x))
        if number == 0:
            _numerical_agreement(c, label, got, network,
                                 lambda net, x=x, d=d: _3layer_loss(net, x, d))
    c.done()
