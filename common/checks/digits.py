"""Checks for lesson 07, handwritten digits: initialisation, a training loop that watches a
validation set, and the confusion matrix.

The module also holds the lesson's reference versions of the three exercises
(``reference_init_network``, ``reference_train_with_validation``,
``reference_confusion_matrix``), which the checks compare the learner's code with, and the
stacked trainer (``train_stack``) that trains many networks at once for the lesson's studies.
While a learner's function is checked, the reference it re-implements is refused
(``Checker(without=...)``).

The network is lesson 05's (``common.networks``): ``u1 = x W1 + b1``, ``z1 = relu(u1)``,
``y = softmax(z1 W2 + b2)``, loss ``cross_entropy_error(d, y)``.
"""

import ast
import inspect
import re
import textwrap

import numpy as np

from common import functions, networks
from common.checks.gradient_descent import (
    reference_gradient_descent_step,
    reference_minibatch_indices,
)
from common.grading import CRASH_ADVICE, Checker, ExerciseFailed

#: The three ways of drawing the initial weights that the lesson compares: the standard
#: deviation of a layer's weights as a function of its number of inputs (fan-in) n_in.
INIT_STDS = {"0.01": lambda n_in: 0.01,
             "xavier": lambda n_in: 1 / np.sqrt(n_in),
             "he": lambda n_in: np.sqrt(2 / n_in)}

#: What ``train_with_validation`` records after every epoch (entry 0: before training).
HISTORY_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")

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
    """One step on one batch: the formulas of ``common.networks``, written out in one place."""
    u1 = x @ network["W1"] + network["b1"]
    z1 = np.maximum(u1, 0.0)
    u2 = z1 @ network["W2"] + network["b2"]
    e = np.exp(u2 - u2.max(axis=1, keepdims=True))
    delta2 = (e / e.sum(axis=1, keepdims=True) - d) / len(x)
    delta1 = (delta2 @ network["W2"].T) * (u1 > 0)
    grad = {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}
    return reference_gradient_descent_step(network, grad, learning_rate)


def _measure(network, x, d):
    """Cross-entropy and accuracy of one network on (x, d): two floats."""
    y = networks.forward(network, x)[2]
    return (functions.cross_entropy_error(d, y),
            float(np.mean(y.argmax(axis=1) == d.argmax(axis=1))))


def reference_train_with_validation(network, x_train, d_train, x_val, d_val, epochs, batch_size,
                                    learning_rate, rng):
    """``epochs`` epochs of mini-batch SGD; returns ``(best_network, history)``.

    ``history`` holds ``train_loss`` and ``train_accuracy`` (on ``x_train``, ``d_train``) and
    ``val_loss`` and ``val_accuracy`` (on ``x_val``, ``d_val``), each an array of
    ``epochs + 1`` floats: entry 0 before training, entry e after epoch e.
    ``best_network`` is the network after the epoch of the highest validation accuracy, the
    earliest of equals (epoch 0: the start itself). ``network`` is left unchanged.
    """
    history = {key: [] for key in HISTORY_KEYS}
    best_network, best_accuracy = network, -np.inf
    for epoch in range(epochs + 1):
        if epoch > 0:
            network = reference_train_epoch(network, x_train, d_train, batch_size, learning_rate,
                                            rng)
        for part, x, d in (("train", x_train, d_train), ("val", x_val, d_val)):
            loss, accuracy = _measure(network, x, d)
            history[f"{part}_loss"].append(loss)
            history[f"{part}_accuracy"].append(accuracy)
        if history["val_accuracy"][-1] > best_accuracy:
            best_network, best_accuracy = network, history["val_accuracy"][-1]
    return best_network, {key: np.array(values) for key, values in history.items()}


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
    # cross_entropy_error(d[s], y[s]) for every s at once, with its guard against log(0)
    loss = -np.sum(d * np.log(y + functions.LOG_GUARD), axis=(1, 2)) / y.shape[1]
    return loss, np.mean(y.argmax(axis=2) == d.argmax(axis=2), axis=1)


def train_stack(network, x, d, train_rows, val_rows, batch_size, learning_rates, epochs, rngs):
    """``epochs`` epochs of mini-batch SGD for S networks at once, each on its own part of one
    data set.

    ``x`` (N, D) and ``d`` (N, K) hold every sample; network s trains on the rows
    ``train_rows[s]`` and is measured on the rows ``val_rows[s]`` (index arrays of shapes
    (S, N_train) and (S, N_val)). It does exactly what ``reference_train_epoch`` does on
    ``x[train_rows[s]], d[train_rows[s]]`` with ``rngs[s]``, epoch after epoch, with its own
    learning rate ``learning_rates[s]``. (Every batch is gathered from the one small ``x``,
    which stays in the processor's cache: quicker than S copies of the data.) Returns the
    trained stack and a history dict of ``val_loss`` and ``val_accuracy``, each
    (epochs + 1, S): entry 0 before training.
    """
    network = {key: value.copy() for key, value in network.items()}
    rate = np.asarray(learning_rates, dtype=float).reshape(-1, 1, 1)
    rows = np.arange(len(train_rows))[:, None]
    x_val, d_val = x[val_rows], d[val_rows]
    history = {"val_loss": [], "val_accuracy": []}

    def record():
        loss, accuracy = evaluate_stack(network, x_val, d_val)
        history["val_loss"].append(loss)
        history["val_accuracy"].append(accuracy)

    record()
    for _ in range(epochs):
        batches = [reference_minibatch_indices(train_rows.shape[1], batch_size, rng)
                   for rng in rngs]
        for step in range(len(batches[0])):
            batch = train_rows[rows, np.stack([network_batches[step]
                                               for network_batches in batches])]
            x_batch, d_batch = x[batch], d[batch]
            y, u1, z1 = forward_stack(network, x_batch)
            delta2 = (y - d_batch) / batch.shape[1]
            delta1 = (delta2 @ network["W2"].transpose(0, 2, 1)) * (u1 > 0)
            grad = {"W1": x_batch.transpose(0, 2, 1) @ delta1, "b1": delta1.sum(axis=1),
                    "W2": z1.transpose(0, 2, 1) @ delta2, "b2": delta2.sum(axis=1)}
            for key in network:  # in place: network is this function's own copy
                network[key] -= (rate if network[key].ndim == 3 else rate[:, 0]) * grad[key]
        record()
    return network, {key: np.array(values) for key, values in history.items()}


# ----------------------------------------------------------------------------------------------
# Advice from the learner's source and for crashes


def _source_tree(func):
    """The syntax tree of ``func``'s source, or None when the source cannot be read."""
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None


def _compares_around_bitwise(func):
    """Whether ``func`` writes ``a == i & b == j``: Python reads it as
    ``a == (i & b) == j``, a chained comparison around the ``&`` (or ``|``)."""
    tree = _source_tree(func)
    return tree is not None and any(
        isinstance(node, ast.Compare) and any(
            isinstance(side, ast.BinOp) and isinstance(side.op, (ast.BitAnd, ast.BitOr))
            for side in (node.left, *node.comparators))
        for node in ast.walk(tree))


def _compares_with_number(func, number):
    """Whether ``func`` compares something with the number ``number`` (not a string)."""
    tree = _source_tree(func)
    return tree is not None and any(
        isinstance(node, ast.Compare) and any(
            isinstance(side, ast.Constant) and not isinstance(side.value, (str, bool))
            and side.value == number for side in (node.left, *node.comparators))
        for node in ast.walk(tree))


def _close(got, expected, rtol=1e-6, atol=1e-9):
    """Whether ``got`` would pass ``Checker.compare`` with these tolerances: a wrong answer's
    typical mistakes are worked out (sometimes by training again) only when it would not."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and np.allclose(got, expected, rtol=rtol, atol=atol)


def _call(c, args, label, advice):
    """``c.call(*args)``; a crash is explained by ``advice(message)`` when it says something
    (a string), in place of the Checker's general advice for that kind of crash."""
    try:
        return c.call(*args, label=label)
    except ExerciseFailed as failure:
        text = str(failure)
        if type(failure) is not ExerciseFailed or " raised " not in text:
            raise  # not a crash: not done yet, a refused function, a changed input
        specific = advice(text)
        if not specific:
            raise
        for _, general in CRASH_ADVICE:
            text = text.removesuffix(f" - {general}")
        raise ExerciseFailed(f"{text} - {specific}") from None


# ----------------------------------------------------------------------------------------------
# Exercise 1: init_network

NETWORK_KEYS = ("W1", "b1", "W2", "b2")


def _numbers(value):
    """``value`` as a float array, or None when it is not numbers."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _same(a, b):
    a, b = _numbers(a), _numbers(b)
    return a is not None and b is not None and a.shape == b.shape and np.array_equal(a, b)


def _expect_network(c, label, network):
    c.expect(isinstance(network, dict) and set(network) == set(NETWORK_KEYS),
             f"{label} should return a dict with the keys 'W1', 'b1', 'W2', 'b2', got "
             f"{sorted(network) if isinstance(network, dict) else type(network).__name__}")


def _spread_advice(weights, shape, method, key, sizes):
    """Advice for weights that are not the expected draw, from their mean and spread: the usual
    mix-ups (fan-out, the network's inputs for W2, Glorot's average, a variance, swapped rules,
    unscaled normals) or, with the right spread, numbers that are not rng's standard normals."""
    w = _numbers(weights)
    if w is None or w.shape != shape or not np.all(np.isfinite(w)):
        return None  # the shape or type message says more
    n_in, n_out = (sizes[0], sizes[1]) if key == "W1" else (sizes[1], sizes[2])
    target, spread = INIT_STDS[method](n_in), w.std()
    if abs(w.mean()) > 0.05 * spread:
        return (f"should have mean 0, got mean {w.mean():.3g}: draw from a normal distribution "
                "centred at 0 (rng.standard_normal)")
    known = [(INIT_STDS[method](n_out), f"that is the rule with the layer's number of outputs "
                                        f"({n_out}); use its number of inputs, {n_in}")]
    if key == "W2":
        known.append((INIT_STDS[method](sizes[0]),
                      f"that is the rule with the network's number of inputs ({sizes[0]}); W2's "
                      f"layer gets its inputs from the {n_in} hidden units"))
    known += [(np.sqrt(2 / (n_in + n_out)), "that is Glorot and Bengio's sqrt(2 / (n_in + "
                                            "n_out)); the lesson's rules use the layer's number "
                                            "of inputs alone"),
              (target ** 2, "that is the variance: the standard deviation is its square root"),
              (1.0, "the weights are standard normals: multiply them by the standard deviation"),
              (INIT_STDS["he"](n_in), "that is He's rule, sqrt(2 / n_in)"),
              (INIT_STDS["xavier"](n_in), "that is Xavier's rule, 1 / sqrt(n_in)"),
              (0.01, "that is the scale 0.01")]
    if method == "0.01":
        known.append((0.1, "0.01 is the standard deviation here, not the variance"))
    spread_text = (f"has standard deviation {spread:.4g}, expected {target:.4g} (a layer with "
                   f"{n_in} inputs)")
    for value, text in known:
        if abs(spread / value - 1) < 0.02 and abs(value / target - 1) > 0.02:
            return f"{spread_text}: {text}"
    if abs(spread / target - 1) < 0.02:
        return ("the spread is right, but these are not the numbers rng.standard_normal(shape) "
                "* sigma gives: draw standard normal numbers (not uniform ones) from rng, W1 "
                "first, then W2")
    return spread_text


METHOD_AS_NUMBER = ("method arrives as the string \"0.01\", in quotes like \"xavier\" and \"he\": "
                    "method == 0.01 compares it with a number and is never true; write "
                    "method == \"0.01\"")


def _drawn_w2_first(seed, sizes, method):
    """The weights of the right rules, drawn in the wrong order (W2 before W1)."""
    d, h, k = sizes
    rng = np.random.default_rng(seed)
    w2 = rng.standard_normal((h, k)) * INIT_STDS[method](h)
    return {"W1": rng.standard_normal((d, h)) * INIT_STDS[method](d), "W2": w2}


def check_init_network(init_network):
    """Check ``init_network(rng, sizes, method)`` for the methods "0.01", "xavier" and "he".

    The weights must be exactly ``rng.standard_normal(shape) * sigma``, ``W1`` first, then
    ``W2`` (``rng.normal(0, sigma, shape)`` gives the same numbers), the biases float zeros,
    for two seeds; the same seed must give the same network. Large layers (400-300-200) make
    the spread of a wrong draw a reliable clue: fan-out instead of fan-in, the network's inputs
    for W2, Glorot's average, a variance, swapped rules, uniform numbers, the wrong order.
    ``reference_init_network`` is refused.
    """
    c = Checker("init_network", init_network, without=(reference_init_network,))
    sizes = (400, 300, 200)
    as_number = _compares_with_number(init_network, 0.01)

    def crash_advice(message):
        if as_number:
            return METHOD_AS_NUMBER
        if "NoneType" in message:
            return ("a scale came out as None: method is one of the strings \"0.01\", "
                    "\"xavier\" and \"he\" (in quotes); compare with them as written, and let "
                    "every branch return a number")
        return None

    for method in ("0.01", "xavier", "he"):
        first = None
        for seed in (5, 6):
            label = f"init_network(np.random.default_rng({seed}), {sizes}, {method!r})"
            network = _call(c, (np.random.default_rng(seed), sizes, method), label, crash_advice)
            _expect_network(c, label, network)
            if first is None:
                again = _call(c, (np.random.default_rng(seed), sizes, method), label,
                              crash_advice)
                _expect_network(c, label, again)
                for key in ("W1", "W2"):
                    c.expect(_same(again[key], network[key]),
                             f"{label} gave another {key} for the same seed: draw every number "
                             "from rng (rng.standard_normal), not from np.random")
                first = network
            else:
                for key in ("W1", "W2"):
                    c.expect(not _same(network[key], first[key]),
                             f"{label} gave the same {key} as for seed 5: draw the weights from "
                             "the rng passed in")
            expected = reference_init_network(np.random.default_rng(seed), sizes, method)
            for key in ("W1", "W2"):
                hints = []
                if not _close(network[key], expected[key]):
                    hints = [(lambda received: True, METHOD_AS_NUMBER)] if (
                        as_number and method == "0.01") else []
                    hints.append((_drawn_w2_first(seed, sizes, method)[key],
                                  "W2 was drawn before W1: draw W1 first, then W2, so that "
                                  "every method scales the same random numbers"))
                    advice = _spread_advice(network[key], expected[key].shape, method, key, sizes)
                    if advice:
                        hints.append((lambda received: True, advice))
                c.compare(f"{label}['{key}']", network[key], expected[key], hints=hints)
            for key in ("b1", "b2"):
                c.compare(f"{label}['{key}']", network[key], expected[key],
                          hints=[(lambda received: received.any(),
                                  "should be all zeros: the biases start at 0")])
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 2: train_with_validation


def _training_case(seed, n_train, n_val, sizes, whole_numbers=False):
    """A He-initialised network with small biases, training and validation data, one seed."""
    rng = np.random.default_rng(seed)
    network = reference_init_network(rng, sizes, "he")
    network["b1"] = rng.normal(0, 0.1, sizes[1])
    network["b2"] = rng.normal(0, 0.1, sizes[2])
    x = (rng.integers(0, 3, (n_train + n_val, sizes[0])) if whole_numbers
         else rng.uniform(0, 1, (n_train + n_val, sizes[0])))
    d = np.eye(sizes[2])[rng.integers(0, sizes[2], n_train + n_val)]
    return network, x[:n_train], d[:n_train], x[n_train:], d[n_train:]


#: The check's two cases: (seed, training samples, validation samples, sizes, whole-number
#: inputs, batch size, learning rate, epochs). The first has a last batch of 3 and a best
#: epoch in the middle, tied later on (tests/test_checks_digits.py asserts both); the second
#: integer inputs and batches that divide the data.
TRAINING_CASES = ((219, 23, 12, (4, 5, 3), False, 5, 0.5, 6),
                  (4, 40, 15, (6, 8, 4), True, 8, 0.2, 3))


def _simulate(network, x_train, d_train, x_val, d_val, epochs, batch_size, learning_rate, seed,
              mistake=None):
    """The training of the exercise, right or with one typical mistake in the loop; returns the
    network after every epoch (entry 0: the start) and the history."""
    n, rng = len(x_train), np.random.default_rng(seed)
    current, networks_after, history = network, [network], {key: [] for key in HISTORY_KEYS}
    same_order = (reference_minibatch_indices(n, batch_size, rng) if mistake == "same order"
                  else None)
    parts = (("val", x_train, d_train), ("train", x_val, d_val)) if mistake == "swapped" else (
        ("train", x_train, d_train), ("val", x_val, d_val))
    for epoch in range(epochs + 1):
        if epoch > 0:
            if mistake == "in order":
                batches = [np.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
            elif mistake == "full batch":
                batches = [np.arange(n)]
            elif mistake == "same order":
                batches = same_order
            elif mistake in ("fresh", "fresh first"):
                batches = range(-(-n // batch_size))
            elif mistake == "drawn alone":  # the course's sample: rng.choice, step by step
                batches = [rng.choice(n, batch_size) for _ in range(-(-n // batch_size))]
            else:
                batches = reference_minibatch_indices(n, batch_size, rng)
                if mistake == "drop last":
                    batches = batches[:-1]
                elif mistake == "first only":
                    batches = batches[:1]
            for step, batch in enumerate(batches):
                if mistake in ("fresh", "fresh first"):
                    batch = reference_minibatch_indices(n, batch_size, rng)[
                        step if mistake == "fresh" else 0]
                at = network if mistake in ("from start", "start gradients") else current
                base = network if mistake == "from start" else current
                u1, z1, y = networks.forward(at, x_train[batch])
                grad = networks.backward(at, x_train[batch], d_train[batch], u1, z1, y)
                rate = -learning_rate if mistake == "uphill" else learning_rate
                current = reference_gradient_descent_step(base, grad, rate)
            networks_after.append(current)
        for part, x, d in parts:
            loss, accuracy = _measure(current, x, d)
            history[f"{part}_loss"].append(loss)
            history[f"{part}_accuracy"].append(accuracy)
    return networks_after, {key: np.array(values) for key, values in history.items()}


LOOP_MISTAKES = {
    "in order": "the samples go in file order: shuffle them with "
                "minibatch_indices(len(x_train), batch_size, rng) at the start of every epoch",
    "same order": "every epoch used the same batches: call minibatch_indices at the start of "
                  "each epoch, for a fresh order",
    "fresh": "minibatch_indices was called at every step: call it once per epoch and loop over "
             "the batches it returns",
    "fresh first": "minibatch_indices was called at every step: call it once per epoch and loop "
                   "over the batches it returns",
    "drawn alone": "these batches were drawn at random one by one (rng.choice, as in the "
                   "course's sample): shuffle once per epoch with minibatch_indices(len(x_train), "
                   "batch_size, rng) and take one step per batch",
    "drop last": "the last, smaller batch is missing: every sample is used once per epoch",
    "first only": "only the first batch of each epoch took a step: loop over all the batches",
    "full batch": "that is one full-batch step per epoch: take one step per mini-batch",
    "uphill": "the weights moved up the gradient: W - learning_rate * grad",
    "from start": "every step started from the network you were given: start each step from the "
                  "network of the previous step",
    "start gradients": "every gradient was computed at the network you were given: run forward "
                       "and backward on the current network, the one the previous step left",
    "swapped": "the training and the validation numbers are swapped: train_* is measured on "
               "x_train, d_train and val_* on x_val, d_val",
}


#: The advice for a training that starts right and then goes its own way, when no typical
#: mistake above explains it (own batches from rng.choice or rng.permutation, for example).
OWN_BATCHES = ("the start is right, but from epoch 1 on the numbers differ: draw the batches "
               "only with minibatch_indices(len(x_train), batch_size, rng), once at the start of "
               "each epoch, and take one step per batch with lesson 05's forward and backward; "
               "the check follows rng's numbers, so any other draw from rng changes them")

#: A crash from arrays that do not belong together (a shape error).
MIXED_ARRAYS = ("the arrays of one computation must belong together: a step passes the batch to "
                "both passes, networks.forward(network, x_train[batch]) and "
                "networks.backward(network, x_train[batch], d_train[batch], u1, z1, y); a "
                "measurement takes one whole part, x_train with d_train or x_val with d_val")


def _mixed_arrays_advice(message):
    shape_error = ("d_softmax_with_loss" in message or "not aligned" in message
                   or "could not be broadcast" in message or "cross_entropy_error" in message)
    return MIXED_ARRAYS if shape_error else None


def _history_hints(key, epochs, expected, variants):
    hints = [(lambda got: got.shape == (epochs,),
              f"there should be epochs + 1 = {epochs + 1} entries: entry 0 measures the network "
              "before training, then one entry after each epoch")]
    if key.endswith("accuracy"):
        hints.append((100 * expected, "an accuracy is a fraction between 0 and 1, not a "
                                      "percentage"))
    hints += [(history[key], advice) for history, advice in variants]
    return hints + [(lambda got: got.shape == expected.shape
                     and np.isclose(got[0], expected[0], rtol=1e-5), OWN_BATCHES)]


def _best_hints(key, networks_after, history):
    """Wrong choices of the network to return, each with its advice."""
    accuracy = history["val_accuracy"]
    best = int(np.argmax(accuracy))
    last_of_best = int(np.flatnonzero(accuracy == accuracy.max())[-1])
    choices = [
        (len(networks_after) - 1, "that is the network after the last epoch: return the one of "
                                  "the epoch with the highest validation accuracy (if you "
                                  "update in place, keep a copy of it)"),
        (last_of_best, "of epochs with equal validation accuracy keep the earliest: replace the "
                       "best only when the new accuracy is higher (>, not >=)"),
        (int(np.argmin(history["val_loss"])), "that is the epoch of the lowest validation loss: "
                                              "choose by validation accuracy"),
        (int(np.argmax(history["train_accuracy"])), "that is the epoch of the best training "
                                                    "accuracy: choose on the validation set"),
        (best + 1, "that is the network one epoch after the best: keep the network whose "
                   "validation accuracy you have just measured"),
        (best - 1, "that is the network one epoch before the best: keep the network whose "
                   "validation accuracy you have just measured"),
    ]
    return [(networks_after[epoch][key], advice) for epoch, advice in choices
            if 0 <= epoch < len(networks_after) and epoch != best]


def check_train_with_validation(train_with_validation):
    """Check ``train_with_validation(network, x_train, d_train, x_val, d_val, epochs,
    batch_size, learning_rate, rng)`` against the reference on the two ``TRAINING_CASES``.

    Compares the four histories (NumPy arrays of epochs + 1 floats) and the returned network,
    which must be the one of the best validation accuracy (the earliest of equals). Typical
    mistakes in the loop, the history and the choice get a hint; the inputs must stay
    unchanged; the lesson's reference trainers are refused.
    """
    c = Checker("train_with_validation", train_with_validation,
                without=(reference_train_with_validation, reference_train_epoch, _sgd_step,
                         train_stack))
    for (seed, n_train, n_val, sizes, whole, batch_size, learning_rate,
         epochs) in TRAINING_CASES:
        case = _training_case(seed, n_train, n_val, sizes, whole)
        settings = (epochs, batch_size, learning_rate)
        shape = "-".join(str(s) for s in sizes)
        label = (f"train_with_validation(network, x_train, d_train, x_val, d_val, {epochs}, "
                 f"{batch_size}, {learning_rate}, np.random.default_rng({seed})) for a {shape} "
                 f"network, {n_train} training and {n_val} validation samples"
                 + (" (whole-number inputs)" if whole else ""))
        result = _call(c, (*case, *settings, np.random.default_rng(seed)), label,
                       _mixed_arrays_advice)
        c.expect(result is not None, f"{label} returned None: end the function with `return "
                                     "best_network, history`")
        c.expect(isinstance(result, (tuple, list)) and len(result) == 2,
                 f"{label} should return two things, (best_network, history), got "
                 f"{type(result).__name__}"
                 + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
        best, history = result
        c.expect(isinstance(history, dict) and set(history) >= set(HISTORY_KEYS),
                 f"{label}: history should be a dict with the keys {', '.join(HISTORY_KEYS)}, "
                 f"got {sorted(history) if isinstance(history, dict) else type(history).__name__}")
        expected_best, expected = reference_train_with_validation(
            *case, *settings, np.random.default_rng(seed))
        for key in HISTORY_KEYS:
            hints = []  # the typical mistakes are simulated only for a wrong answer
            if not _close(history[key], expected[key], rtol=1e-5):
                variants = [(_simulate(*case, *settings, seed, mistake)[1], advice)
                            for mistake, advice in LOOP_MISTAKES.items()]
                hints = _history_hints(key, epochs, expected[key], variants)
            c.compare(f"{label}: history['{key}']", history[key], expected[key], hints=hints,
                      rtol=1e-5)
        _expect_network(c, f"{label}: the returned best_network", best)
        for key in ("W2", "b2", "W1", "b1"):
            hints = []
            if not _close(best[key], expected_best[key], rtol=1e-7, atol=1e-10):
                networks_after, _ = _simulate(*case, *settings, seed)
                hints = _best_hints(key, networks_after, expected)
            c.compare(f"{label}: best_network['{key}']", best[key], expected_best[key],
                      hints=hints, rtol=1e-7, atol=1e-10)
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 3: confusion_matrix


def _whole_counts(message, got):
    """``message`` with the expected count, and the received one if it is an integer array,
    written as whole numbers ("should be 2, got 1" rather than "should be 2.0, got 1.0")."""
    whole = isinstance(got, np.ndarray) and got.dtype.kind in "iu"
    return re.sub(r"(should be|got) (-?\d+)\.0\b",
                  lambda m: m[0][:-2] if m[1] == "should be" or whole else m[0], message)


PRECEDENCE = ("& binds before ==: labels == i & predicted == j means labels == (i & predicted) "
              "== j; write (labels == i) & (predicted == j), with the brackets")


def check_confusion_matrix(confusion_matrix):
    """Check ``confusion_matrix(labels, predicted, n_classes)``: counts, rows true, columns
    predicted, as a NumPy array of whole numbers (an integer dtype).

    Cases: a small one with repeated (true, predicted) pairs (where ``m[labels, predicted] += 1``
    counts a repeated pair only once) and an asymmetric mistake (where a transposed matrix
    differs), a class that never occurs (the matrix must still be n_classes square), everything
    right, and a seeded random case of 10 classes. ``reference_confusion_matrix`` is refused.
    """
    c = Checker("confusion_matrix", confusion_matrix, without=(reference_confusion_matrix,))
    rng = np.random.default_rng(9)
    random_labels = rng.integers(0, 10, 200)
    random_predicted = np.where(rng.random(200) < 0.8, random_labels, rng.integers(0, 10, 200))
    cases = [
        (np.array([0, 0, 1, 1, 2, 2, 2]), np.array([0, 0, 2, 2, 1, 2, 2]), 3),
        (np.array([0, 1, 1, 3]), np.array([1, 1, 0, 3]), 5),
        (np.array([2, 0, 1, 1]), np.array([2, 0, 1, 1]), 3),
        (random_labels, random_predicted, 10),
    ]
    unbracketed = _compares_around_bitwise(confusion_matrix)
    for labels, predicted, n_classes in cases:
        what = (f"labels {labels.tolist()} and predicted {predicted.tolist()}" if len(labels) < 10
                else f"{len(labels)} random labels and predictions")
        label = f"confusion_matrix(labels, predicted, {n_classes}) with {what}"
        expected = reference_confusion_matrix(labels, predicted, n_classes)
        got = _call(c, (labels, predicted, n_classes), label,
                    lambda message: PRECEDENCE if unbracketed else None)
        once = np.zeros((n_classes, n_classes))
        once[labels, predicted] = 1
        # one sample at a time, labels[n] == i & predicted[n] == j runs, as a chained comparison
        classes = np.arange(n_classes)
        chained = np.array([[np.sum((labels == (i & predicted)) & ((i & predicted) == j))
                             for j in classes] for i in classes])
        hints = [(lambda got: True, PRECEDENCE)] if unbracketed else []
        hints += [
            (chained, PRECEDENCE),
            (expected.T, "rows and columns are swapped: row i is the true class, column j the "
                         "predicted one, entry [labels[n], predicted[n]]"),
            (once, "a repeated (true, predicted) pair counts only once: m[labels, predicted] "
                   "+= 1 adds 1 once per distinct pair, so count with a loop over the samples "
                   "or np.add.at"),
            (expected / np.maximum(expected.sum(axis=1, keepdims=True), 1),
             "these are fractions per row: return the counts"),
            (lambda got, m=expected: got.shape != m.shape,
             f"the matrix is n_classes x n_classes ({n_classes} x {n_classes}), even when a "
             "class never occurs in labels or predicted")]
        try:
            c.compare(label, got, expected, hints=hints)
        except ExerciseFailed as failure:  # the Checker shows numbers as floats: counts are whole
            raise ExerciseFailed(_whole_counts(str(failure), got)) from None
        kind = np.asarray(got).dtype
        c.expect(kind.kind in "iu", f"{label} should hold whole-number counts (an integer "
                                    f"dtype), got dtype {kind}: start from np.zeros((n_classes, "
                                    "n_classes), dtype=int)")
    c.done()
