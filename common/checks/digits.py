"""Checks for lesson 07, handwritten digits: initialisation, one epoch of mini-batch SGD, and the
confusion matrix.

The module also holds the lesson's reference versions of the three exercises
(``reference_init_network``, ``reference_train_epoch``, ``reference_confusion_matrix``), which
the checks compare the learner's code with and the notebook uses after the exercises, so that
the rest of the lesson runs whether or not the exercises are finished; and the stacked trainer
(``train_stack``) that trains many networks at once for the lesson's studies.

The network is lesson 05's (``common.networks``): ``u1 = x W1 + b1``, ``z1 = relu(u1)``,
``y = softmax(z1 W2 + b2)``, loss ``cross_entropy_error(d, y)``.
"""

import numpy as np

from common import functions, networks
from common.checks.gradient_descent import (
    reference_gradient_descent_step,
    reference_minibatch_indices,
)
from common.grading import Checker

#: The three ways of drawing the initial weights that the lesson compares: the standard
#: deviation of a layer's weights as a function of its number of inputs (fan-in) n_in.
INIT_STDS = {"0.01": lambda n_in: 0.01,
             "xavier": lambda n_in: 1 / np.sqrt(n_in),
             "he": lambda n_in: np.sqrt(2 / n_in)}

# ----------------------------------------------------------------------------------------------
# The lesson's reference versions


def reference_init_network(rng, sizes, method):
    r"""A two-layer network of layer sizes ``(D, H, K)``: normal weights, zero biases.

    .. math:: W \sim \mathcal{N}(0, \sigma^2),\quad \sigma = 0.01 \text{ ("0.01")},\quad
              \frac{1}{\sqrt{n_\text{in}}} \text{ ("xavier")},\quad
              \sqrt{\frac{2}{n_\text{in}}} \text{ ("he")}

    ``n_in`` is the layer's number of inputs: D for ``W1``, H for ``W2``. ``W1`` is drawn
    first, then ``W2``, as standard normals scaled by ``sigma``, so every method draws the same
    random numbers from the same generator state.
    """
    d, h, k = sizes
    std = INIT_STDS[method]
    return {"W1": rng.standard_normal((d, h)) * std(d), "b1": np.zeros(h),
            "W2": rng.standard_normal((h, k)) * std(h), "b2": np.zeros(k)}


def reference_train_epoch(network, x, d, batch_size, learning_rate, rng):
    """One epoch of mini-batch SGD: every sample once, in an order shuffled by ``rng``.

    Shapes: ``x`` (N, D), ``d`` one-hot (N, K). The batches are lesson 04's
    ``minibatch_indices(N, batch_size, rng)`` (the last one smaller when N is not a multiple of
    ``batch_size``); each takes one step ``W <- W - learning_rate * dE/dW`` with the gradients
    of lesson 05's ``networks.forward`` and ``networks.backward``, written out here in plain
    NumPy because the lesson runs thousands of these steps. Returns the new network;
    ``network`` is left unchanged.
    """
    for batch in reference_minibatch_indices(len(x), batch_size, rng):
        network = _sgd_step(network, x[batch], d[batch], learning_rate)
    return network


def _sgd_step(network, x, d, learning_rate):
    """One step on one batch: the formulas of ``common.networks``, without its input checks."""
    u1 = x @ network["W1"] + network["b1"]
    z1 = np.maximum(u1, 0.0)
    u2 = z1 @ network["W2"] + network["b2"]
    e = np.exp(u2 - u2.max(axis=1, keepdims=True))
    delta2 = (e / e.sum(axis=1, keepdims=True) - d) / len(x)
    delta1 = (delta2 @ network["W2"].T) * (u1 > 0)
    grad = {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}
    return reference_gradient_descent_step(network, grad, learning_rate)


def reference_confusion_matrix(labels, predicted, n_classes):
    """Counts ``(n_classes, n_classes)``: entry [i, j] is how many samples of true class i were
    predicted as class j. Rows are the true classes, columns the predictions."""
    confusion = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    return confusion


# ----------------------------------------------------------------------------------------------
# Many networks at once, for the lesson's studies


def stack(network_list):
    """Stack networks into one dict of arrays with a leading network axis S."""
    return {key: np.stack([network[key] for network in network_list])
            for key in network_list[0]}


def unstack(networks_stack, s):
    """Network ``s`` of a stack, as an ordinary network dict."""
    return {key: value[s] for key, value in networks_stack.items()}


def forward_stack(network, x):
    """Forward pass of S networks at once: ``x`` (S, N, D) -> ``y`` (S, N, K), ``u1``, ``z1``."""
    u1 = x @ network["W1"] + network["b1"][:, None, :]
    z1 = np.maximum(u1, 0.0)
    u2 = z1 @ network["W2"] + network["b2"][:, None, :]
    e = np.exp(u2 - u2.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True), u1, z1


def evaluate_stack(network, x, d):
    """Cross-entropy and accuracy of each of S networks on its own data: two arrays (S,)."""
    y, _, _ = forward_stack(network, x)
    loss = np.array([functions.cross_entropy_error(d[s], y[s]) for s in range(len(y))])
    return loss, np.mean(y.argmax(axis=2) == d.argmax(axis=2), axis=1)


def train_stack(network, x, d, batch_size, learning_rates, epochs, rngs, x_val, d_val):
    """``epochs`` epochs of mini-batch SGD for S networks at once, each on its own data.

    Network s does exactly what ``reference_train_epoch`` does with ``rngs[s]``, epoch after
    epoch, with its own learning rate ``learning_rates[s]``. Shapes: ``x`` (S, N, D), ``d``
    (S, N, K), the same for the validation data. Returns the trained stack and a history dict
    of ``val_loss`` and ``val_accuracy``, each (epochs + 1, S): entry 0 before training.
    """
    network = {key: value.copy() for key, value in network.items()}
    rate = np.asarray(learning_rates, dtype=float).reshape(-1, 1, 1)
    rows = np.arange(len(x))[:, None]
    history = {"val_loss": [], "val_accuracy": []}

    def record():
        loss, accuracy = evaluate_stack(network, x_val, d_val)
        history["val_loss"].append(loss)
        history["val_accuracy"].append(accuracy)

    record()
    for _ in range(epochs):
        batches = [reference_minibatch_indices(x.shape[1], batch_size, rng) for rng in rngs]
        for step in range(len(batches[0])):
            batch = np.stack([network_batches[step] for network_batches in batches])
            x_batch, d_batch = x[rows, batch], d[rows, batch]
            y, u1, z1 = forward_stack(network, x_batch)
            delta2 = (y - d_batch) / batch.shape[1]
            delta1 = (delta2 @ network["W2"].transpose(0, 2, 1)) * (u1 > 0)
            grad = {"W1": x_batch.transpose(0, 2, 1) @ delta1, "b1": delta1.sum(axis=1),
                    "W2": z1.transpose(0, 2, 1) @ delta2, "b2": delta2.sum(axis=1)}
            for key in network:
                step_size = rate if network[key].ndim == 3 else rate[:, 0]
                network[key] = network[key] - step_size * grad[key]
        record()
    return network, {key: np.array(values) for key, values in history.items()}


# ----------------------------------------------------------------------------------------------
# Exercise 1: init_network


def check_init_network(init_network):
    """Check ``init_network(rng, sizes, method)`` for the methods "0.01", "xavier" and "he".

    Draws large layers (400-300-200), so that the spread of the drawn weights is within 3 % of
    the target standard deviation; checks shapes, zero biases, means near 0, that the draws come
    from ``rng`` (the same seed gives the same weights, another seed other weights) and that
    each layer uses its own number of inputs.
    """
    c = Checker("init_network", init_network)
    sizes = (400, 300, 200)
    expected_shapes = {"W1": (400, 300), "b1": (300,), "W2": (300, 200), "b2": (200,)}
    for method in ("0.01", "xavier", "he"):
        label = f"init_network(rng, {sizes}, {method!r})"
        network = c.call(np.random.default_rng(5), sizes, method, label=label)
        c.expect(isinstance(network, dict) and set(network) == set(expected_shapes),
                 f"{label} should return a dict with the keys 'W1', 'b1', 'W2', 'b2', got "
                 f"{sorted(network) if isinstance(network, dict) else type(network).__name__}")
        for key, shape in expected_shapes.items():
            value = np.asarray(network[key])
            c.expect(value.shape == shape, f"{label}['{key}'] should have shape {shape}, got "
                                           f"{value.shape}")
        for key in ("b1", "b2"):
            c.expect(np.all(np.asarray(network[key]) == 0),
                     f"{label}['{key}'] should be all zeros: the biases start at 0")
        for key, n_in, n_out in (("W1", 400, 300), ("W2", 300, 200)):
            _check_spread(c, label, key, np.asarray(network[key], dtype=float), method, n_in,
                          n_out)
        again = c.call(np.random.default_rng(5), sizes, method, label=label)
        other = c.call(np.random.default_rng(6), sizes, method, label=label)
        c.expect(np.array_equal(again["W1"], network["W1"]),
                 f"{label} gave other weights for the same seed: draw every number from rng "
                 "(rng.standard_normal or rng.normal), not from np.random")
        c.expect(not np.array_equal(other["W1"], network["W1"]),
                 f"{label} gave the same weights for another seed: draw them from rng")
    c.done()


def _check_spread(c, label, key, weights, method, n_in, n_out):
    """The standard deviation of ``weights`` must be the method's, with hints for the usual
    mix-ups: fan-out instead of fan-in, a variance used as a standard deviation, swapped rules."""
    target = INIT_STDS[method](n_in)
    spread = weights.std()
    c.expect(abs(weights.mean()) < 0.05 * spread,
             f"{label}['{key}'] should have mean 0, got {weights.mean():.3g}: draw from a normal "
             "distribution centred at 0 (rng.standard_normal)")
    hints = [(INIT_STDS[method](n_out), f"that is the rule with the layer's number of outputs "
                                        f"({n_out}); use its number of inputs, {n_in}"),
             (target ** 2, "that is the variance: the standard deviation is its square root"),
             (np.sqrt(0.01), "0.01 is the standard deviation here, not the variance"),
             (1.0, "the weights are standard normals: multiply them by the standard deviation"),
             (INIT_STDS["he"](n_in), "that is He's rule, sqrt(2 / n_in)"),
             (INIT_STDS["xavier"](n_in), "that is Xavier's rule, 1 / sqrt(n_in)")]
    advice = next((f" - {text}" for value, text in hints
                   if abs(spread / value - 1) < 0.03 and not np.isclose(value, target)), "")
    c.expect(abs(spread / target - 1) < 0.03,
             f"{label}['{key}'] has standard deviation {spread:.4g}, expected {target:.4g} "
             f"(a layer with {n_in} inputs){advice}")


# ----------------------------------------------------------------------------------------------
# Exercise 2: train_epoch


def _epoch_case(seed, n, sizes):
    """A He-initialised network with small biases, inputs, one-hot targets, from one seed."""
    rng = np.random.default_rng(seed)
    network = reference_init_network(rng, sizes, "he")
    network["b1"] = rng.normal(0, 0.1, sizes[1])
    network["b2"] = rng.normal(0, 0.1, sizes[2])
    x = rng.uniform(0, 1, (n, sizes[0]))
    d = np.eye(sizes[2])[rng.integers(0, sizes[2], n)]
    return network, x, d


def _epoch_variants(network, x, d, batch_size, learning_rate, seed):
    """Typical wrong results of one epoch, each with the advice that fixes it."""
    n = len(x)

    def run(batches, sign=1.0):
        net = network
        for batch in batches:
            u1, z1, y = networks.forward(net, x[batch])
            grad = networks.backward(net, x[batch], d[batch], u1, z1, y)
            net = reference_gradient_descent_step(net, grad, sign * learning_rate)
        return net

    shuffled = reference_minibatch_indices(n, batch_size, np.random.default_rng(seed))
    in_order = [np.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    return [
        (run(in_order), "the samples go in file order: shuffle them with "
                        "minibatch_indices(len(x), batch_size, rng) at the start of the epoch"),
        (run(shuffled[:-1]), "the last, smaller batch is missing: every sample is used once "
                             "per epoch"),
        (run(shuffled[:1]), "only the first batch took a step: loop over all the batches, "
                            "and return after the loop"),
        (run([np.arange(n)]), "that is one full-batch step: take one step per mini-batch"),
        (run(shuffled, sign=-1.0), "the weights moved up the gradient: W - learning_rate * grad"),
        (run(shuffled[-1:]), "only the last batch's step was kept: start each step from the "
                             "network of the previous step"),
    ]


def check_train_epoch(train_epoch):
    """Check ``train_epoch(network, x, d, batch_size, learning_rate, rng)`` against the reference.

    Runs one epoch on a 4-5-3 network with 23 samples in batches of 5 (so the last batch has
    3), then on a 6-8-4 network with 40 samples in batches of 8, each with a seeded generator,
    and compares all four parameters. Typical mistakes (no shuffle, a lost last batch, one
    step only, the wrong sign) get a hint. The network and the data must stay unchanged.
    """
    c = Checker("train_epoch", train_epoch)
    for seed, n, sizes, batch_size, learning_rate in ((3, 23, (4, 5, 3), 5, 0.5),
                                                      (4, 40, (6, 8, 4), 8, 0.2)):
        network, x, d = _epoch_case(seed, n, sizes)
        shape = "-".join(str(s) for s in sizes)
        label = (f"train_epoch(network, x, d, {batch_size}, {learning_rate}, "
                 f"np.random.default_rng({seed})) for a {shape} network and {n} samples")
        result = c.call(network, x, d, batch_size, learning_rate, np.random.default_rng(seed),
                        label=label)
        c.expect(isinstance(result, dict) and set(result) >= {"W1", "b1", "W2", "b2"},
                 f"{label} should return the network, a dict with the keys 'W1', 'b1', 'W2', "
                 f"'b2', got {type(result).__name__}")
        expected = reference_train_epoch(network, x, d, batch_size, learning_rate,
                                         np.random.default_rng(seed))
        variants = _epoch_variants(network, x, d, batch_size, learning_rate, seed)
        for key in ("W2", "b2", "W1", "b1"):
            hints = [(wrong[key], advice) for wrong, advice in variants]
            c.compare(f"{label}: ['{key}']", result[key], expected[key], hints=hints,
                      rtol=1e-7, atol=1e-10)
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 3: confusion_matrix


def check_confusion_matrix(confusion_matrix):
    """Check ``confusion_matrix(labels, predicted, n_classes)``: counts, rows true, columns
    predicted.

    Cases: a small one with repeated (true, predicted) pairs (where ``m[labels, predicted] += 1``
    counts a repeated pair only once) and an asymmetric mistake (where a transposed matrix
    differs), a class that never occurs (the matrix must still be n_classes square), everything
    right, and a seeded random case of 10 classes.
    """
    c = Checker("confusion_matrix", confusion_matrix)
    rng = np.random.default_rng(9)
    random_labels = rng.integers(0, 10, 200)
    random_predicted = np.where(rng.random(200) < 0.8, random_labels, rng.integers(0, 10, 200))
    cases = [
        (np.array([0, 0, 1, 1, 2, 2, 2]), np.array([0, 0, 2, 2, 1, 2, 2]), 3),
        (np.array([0, 1, 1, 3]), np.array([1, 1, 0, 3]), 5),
        (np.array([2, 0, 1, 1]), np.array([2, 0, 1, 1]), 3),
        (random_labels, random_predicted, 10),
    ]
    for labels, predicted, n_classes in cases:
        what = (f"labels {labels.tolist()} and predicted {predicted.tolist()}" if len(labels) < 10
                else f"{len(labels)} random labels and predictions")
        label = f"confusion_matrix(labels, predicted, {n_classes}) with {what}"
        expected = reference_confusion_matrix(labels, predicted, n_classes)
        once = np.zeros((n_classes, n_classes))
        once[labels, predicted] = 1
        hints = [(expected.T, "rows and columns are swapped: row i is the true class, column "
                              "j the predicted one, entry [labels[n], predicted[n]]"),
                 (once, "a repeated (true, predicted) pair counts only once: "
                        "m[labels, predicted] += 1 adds 1 once per distinct pair, so count "
                        "with a loop over the samples or np.add.at"),
                 (expected / np.maximum(expected.sum(axis=1, keepdims=True), 1),
                  "these are fractions per row: return the counts"),
                 (lambda got, m=expected: got.shape != m.shape,
                  f"the matrix is n_classes x n_classes ({n_classes} x {n_classes}), even when "
                  "a class never occurs in labels or predicted")]
        got = c.expect_close((labels, predicted, n_classes), expected, label=label, hints=hints,
                             exact_type=False)
        c.expect(np.sum(got) == len(labels), f"{label}: the counts should add up to the number "
                                             f"of samples, {len(labels)}")
    c.done()
