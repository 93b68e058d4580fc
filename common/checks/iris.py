"""Checks for lesson 06, the Iris assignment: the split, the scaling, the network and its accuracy.

Five exercises: ``stratified_split`` (a shuffled, stratified split into parts),
``standardise`` (scaling with the training set's statistics), ``forward``, ``backward`` and
``accuracy`` of the assignment's 4-6-3 network. The module also holds the reference versions of
the last three (``reference_forward``, ``reference_backward``, ``reference_accuracy``), which the
checks compare the learner's code with; ``common.splits.stratified_split`` is the reference
split. While an exercise is checked, its reference is unavailable (``Checker(without=...)``), so
a function that merely calls it fails with "write it yourself".

The network is the assignment's: total input ``u1 = x W1 + b1``, hidden output
``z1 = relu(u1)``, output ``y = softmax(z1 W2 + b2)``, loss ``cross_entropy_error(d, y)``.
"""

import numpy as np

from common import functions, networks, splits
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


def _computable(candidates):
    """Evaluate each (make, advice) pair; skip the wrong answers whose shapes cannot multiply."""
    variants = []
    for make, advice in candidates:
        try:
            variants.append((make(), advice))
        except ValueError:
            pass
    return variants



# ----------------------------------------------------------------------------------------------
# Exercise 1: the stratified split


def _allowed(share):
    """The whole numbers a share may be rounded to: down or up (just itself if it is whole)."""
    low = int(np.floor(share + 1e-9))
    return {low} if abs(share - low) < 1e-9 else {low, low + 1}


def _is_cyclic_run(positions, n):
    """True if ``positions`` (within 0..n-1) are consecutive, counting round from n-1 to 0."""
    chosen = np.zeros(n, dtype=bool)
    chosen[positions] = True
    if chosen.all() or not chosen.any():
        return False
    return int(np.sum(chosen & ~np.roll(chosen, -1))) == 1


def _split_cases():
    """(what, labels, fractions, seed): sorted, mixed, unequal classes, odd class numbers."""
    rng = np.random.default_rng(6)
    unequal = rng.permutation(np.repeat([0, 1, 2], [10, 7, 5]))
    odd_ids = rng.permutation(np.repeat([1, 4, 7], [8, 8, 6]))
    return [
        ("the 150 Iris labels, sorted by class", np.repeat([0, 1, 2], 50), (2 / 3, 1 / 3), 0),
        ("22 labels of the classes 1, 4 and 7", odd_ids, (0.5, 0.5), 1),
        ("22 labels in classes of 10, 7 and 5", unequal, (0.6, 0.2, 0.2), 2),
        ("the 150 Iris labels, sorted by class", np.repeat([0, 1, 2], 50), (0.25,) * 4, 3),
        ("100 labels in classes of 34, 33 and 33", np.random.default_rng(7).permutation(
            np.repeat([0, 1, 2], [34, 33, 33])), (0.25,) * 4, 4),
    ]


def _check_one_split(c, label, labels, fractions, parts):
    """Every promise of a stratified split, for one returned value ``parts``."""
    n, fractions = labels.size, np.asarray(fractions)
    c.expect(isinstance(parts, (tuple, list)) and len(parts) == len(fractions),
             f"{label} should return a tuple of {len(fractions)} index arrays, one per fraction, "
             f"got {type(parts).__name__}"
             + (f" of length {len(parts)}" if isinstance(parts, (tuple, list)) else "")
             + ": end with e.g. `return tuple(parts)`")
    for j, part in enumerate(parts):
        c.expect(isinstance(part, np.ndarray) and part.ndim == 1,
                 f"{label}: part {j} should be a 1-D NumPy array of indices, got "
                 f"{type(part).__name__}: np.array(...) or np.concatenate(...) makes one")
        c.expect(part.dtype.kind in "iu",
                 f"{label}: part {j} should hold whole-number indices, got dtype {part.dtype}: "
                 "indices into labels come from np.flatnonzero or np.arange, never from "
                 "fractions")
    everything = np.concatenate(parts)
    c.expect(everything.size == 0 or (everything.min() >= 0 and everything.max() < n),
             f"{label}: indices must lie between 0 and {n - 1}, got some outside: return "
             "positions in labels, not the labels themselves")
    counts = np.bincount(everything, minlength=n)
    if counts.max() > 1:
        c.fail(f"{label}: index {int(np.argmax(counts))} appears {counts.max()} times: every "
               "sample goes into exactly one part")
    missing = np.flatnonzero(counts == 0)
    c.expect(missing.size == 0, f"{label}: {missing.size} of the {n} samples are in no part "
                                f"(index {missing[:1].tolist()[0] if missing.size else ''} for "
                                "one): every sample must go into some part")
    for j, (part, fraction) in enumerate(zip(parts, fractions, strict=True)):
        for k in np.unique(labels):
            n_k = int(np.sum(labels == k))
            got = int(np.sum(labels[part] == k))
            allowed = sorted(_allowed(fraction * n_k))
            c.expect(got in allowed,
                     f"{label}: part {j} (fraction {fraction:.3g}) holds {got} of the {n_k} "
                     f"samples of class {k}, should hold {' or '.join(map(str, allowed))} "
                     f"({fraction:.3g} x {n_k}): cut each class on its own, its share rounded "
                     "down or up")
    for j, (part, fraction) in enumerate(zip(parts, fractions, strict=True)):
        allowed = sorted(_allowed(fraction * n))
        c.expect(part.size in allowed,
                 f"{label}: part {j} holds {part.size} samples, should hold "
                 f"{' or '.join(map(str, allowed))} ({fraction:.3g} x {n}): each class gives "
                 "its share rounded down, and a class's samples left over go, one each, to the "
                 "parts that are furthest below their target size f N so far")
    for j, part in enumerate(parts):
        if len(np.unique(labels[part])) > 1 and part.size >= 10:
            c.expect(np.any(np.diff(part) < 0),
                     f"{label}: part {j} lists its indices in increasing order: shuffle each "
                     "part at the end (rng.permutation), so that its classes are mixed")
            c.expect(_mixed(labels[part]),
                     f"{label}: part {j} lists its samples class by class: shuffle each part at "
                     "the end (rng.permutation), so that its classes are mixed")


def _mixed(part_labels):
    """True unless the labels come in one block per class."""
    changes = np.count_nonzero(part_labels[1:] != part_labels[:-1])
    return changes > len(np.unique(part_labels)) - 1


def check_stratified_split(stratified_split):
    """Check ``stratified_split(labels, fractions, rng) -> tuple of index arrays``.

    On sorted, mixed and unequal classes, classes numbered 1, 4, 7, and 2 to 4 parts: every
    index in exactly one part; each class's count in part j is its share f_j n_k rounded down
    or up, each part's size f_j N rounded down or up; the parts shuffled (not in increasing
    order, not class by class); the randomness drawn from ``rng`` alone (the same seed gives the
    same split whatever ``np.random`` holds, other seeds give other training sets, and a class
    is shuffled, not just rotated). ``common.splits.stratified_split`` and its
    ``split_counts`` are refused.
    """
    # split_counts is the hard half of the exercise (the rounding), so it is refused too.
    c = Checker("stratified_split", stratified_split,
                without=(splits.stratified_split, splits.split_counts))
    for what, labels, fractions, seed in _split_cases():
        label = (f"stratified_split(labels, {tuple(round(f, 3) for f in fractions)}, "
                 f"np.random.default_rng({seed})) with {what}")
        parts = c.call(labels, fractions, np.random.default_rng(seed), label=label)
        if parts is None:
            c.fail(f"{label} returned None: end the function with `return ...`")
        _check_one_split(c, label, labels, fractions, parts)

    labels = np.repeat([0, 1, 2], 50)
    label = "stratified_split(labels, (2/3, 1/3), rng) with the 150 Iris labels"
    state = np.random.get_state()  # the learner's global generator, restored below
    try:
        np.random.seed(1)
        first = c.call(labels, (2 / 3, 1 / 3), np.random.default_rng(5), label=label)
        np.random.seed(2)
        again = c.call(labels, (2 / 3, 1 / 3), np.random.default_rng(5), label=label)
    finally:
        np.random.set_state(state)
    c.expect(all(np.array_equal(a, b) for a, b in zip(first, again, strict=True)),
             f"{label}: two generators made from the same seed gave different splits: draw "
             "every random number from rng (rng.permutation or rng.shuffle), not from "
             "np.random.shuffle or np.random.permutation")

    training_sets = []
    for seed in range(8):
        parts = c.call(labels, (2 / 3, 1 / 3), np.random.default_rng(seed), label=label)
        training_sets.append(np.sort(parts[0]))
    c.expect(any(not np.array_equal(training_sets[0], other) for other in training_sets[1:]),
             f"{label}: the seeds 0 to 7 all give the same training samples: shuffle each "
             "class with rng before you cut it")
    c.expect(not all(_is_cyclic_run(part[labels[part] == k] - 50 * k, 50)
                     for part in training_sets for k in range(3)),
             f"{label}: each class's training samples are always a run of neighbours in the "
             "file, as if the class were rotated, not shuffled: use rng.permutation, which "
             "puts the members in a random order")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 2: standardisation with the training set's statistics


def _standardise_variants(x_train, x):
    """Typical wrong results of standardise(x_train, x), each with the advice that fixes it."""
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return _computable([
        (lambda: (x - x.mean(axis=0)) / x.std(axis=0),
         "x was scaled with its own mean and std: use the training set's, "
         "x_train.mean(axis=0) and x_train.std(axis=0), for every set"),
        (lambda: (x_train - x.mean(axis=0)) / x.std(axis=0),
         "the arguments are swapped: the first one, x_train, gives the mean and std, the "
         "second one, x, is what you scale and return"),
        (lambda: (x_train - mean) / std,
         "that is x_train scaled: return x scaled with x_train's mean and std"),
        (lambda: (x - x_train.mean()) / x_train.std(),
         "one mean and std over all numbers: take them per feature (per column), axis=0"),
        (lambda: (x - x_train.mean(axis=1, keepdims=True)) / x_train.std(axis=1, keepdims=True),
         "axis=1 averages over the features of each sample: take the mean and std per "
         "feature, down the columns, axis=0"),
        (lambda: (x - mean) / x_train.std(axis=0, ddof=1),
         "np.std(..., ddof=1) divides by N - 1: the lesson's sigma divides by N, np.std's "
         "default"),
        (lambda: (x - mean) / std ** 2,
         "that divides by the variance: divide by the standard deviation, std = sqrt(variance)"),
        (lambda: x / std,
         "the mean is not subtracted: centre the features too, (x - mean) / std; centring is "
         "what keeps ReLU units alive (section 8)"),
        (lambda: x - mean, "the features are centred but not scaled: divide by the std too"),
        (lambda: ((x - mean) / std)[None, :] if x.ndim == 1 else None,
         "keepdims=True makes one sample of shape (D,) come back as (1, D): the mean and std "
         "of shape (D,) need no keepdims, and the result keeps the shape of x"),
        (lambda: (x - x_train.min(axis=0)) / (x_train.max(axis=0) - x_train.min(axis=0)),
         "that is min-max scaling: standardising subtracts the mean and divides by the "
         "standard deviation"),
    ])


def check_standardise(standardise):
    """Check ``standardise(x_train, x) -> (x - mean) / std`` with x_train's per-feature statistics.

    Cases: x = x_train (the result has mean 0 and std 1 per feature), a different x (scaled with
    x_train's statistics, not its own), a single sample of shape (D,), centimetres given as whole
    millimetres (integer dtype: the result must still be decimal numbers). Neither input may
    change.
    """
    c = Checker("standardise", standardise)
    rng = np.random.default_rng(16)
    x_train = np.array([[5.0, 1.0], [7.0, 3.0], [6.0, 2.0], [4.0, 2.0], [8.0, 2.0]])
    x_small = rng.normal([5.8, 3.1, 3.7, 1.2], [0.8, 0.4, 1.7, 0.8], size=(6, 4))
    x_other = rng.normal([6.0, 3.0, 4.0, 1.3], [0.9, 0.5, 1.5, 0.7], size=(4, 4))
    millimetres = np.round(x_small * 10).astype(int)
    cases = [
        ("x_train of shape (5, 2) and x = x_train", x_train, x_train),
        ("x_train of shape (6, 4) and a different x of shape (4, 4)", x_small, x_other),
        ("x_train of shape (6, 4) and one sample x of shape (4,)", x_small, x_other[0]),
        ("x_train of shape (6, 4) and x = x_train, in whole millimetres (integer dtype)",
         millimetres, millimetres),
        ("x_train of shape (6, 4) and a different x, both in whole millimetres",
         millimetres, np.round(x_other * 10).astype(int)),
    ]
    for what, train, x in cases:
        label = f"standardise(x_train, x) with {what}"
        expected = (x - train.mean(axis=0)) / train.std(axis=0)
        c.expect_close((train, x), expected, label=label,
                       hints=_standardise_variants(train.astype(float), x.astype(float)))
    got = c.call(x_small, x_small, label="standardise(x_train, x_train)")
    c.expect(np.allclose(np.mean(got, axis=0), 0) and np.allclose(np.std(got, axis=0), 1),
             "standardise(x_train, x_train) should give every feature mean 0 and std 1")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 3: the forward pass


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
        (lambda: softmax(functions.d_relu(x @ W1 + b1) @ W2 + b2),
         "the hidden layer applies ReLU's derivative: the forward pass uses functions.relu"),
    ])


def check_forward(forward):
    """Check ``forward(network, x) -> (y, cache)`` of the 4-6-3 ReLU/softmax network.

    Tests a 3-3-3 network of round numbers (where a transposed weight, a forgotten bias or a
    softmax over the wrong axis each give a recognisable answer), then seeded random 4-6-3
    networks on batches of 1 and 5 flowers: ``y`` and the cache entries ``u1``, ``z1``, ``y``,
    the shapes, the rows of ``y`` summing to 1, and that ``x`` stays unchanged.
    """
    c = Checker("forward", forward, without=(networks.forward, reference_forward))

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
        c.compare(f"{key} of {label}", received, expected, hints=hints)

    network, x = _square_network(), _SQUARE_X
    label, result = run(network, x, f"x of shape {x.shape}")
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
# Exercise 4: the gradients


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
        (lambda: grads(delta2, slope=functions.relu(u1))[key],
         "that multiplies by ReLU itself: the backward pass needs ReLU's derivative, "
         "functions.d_relu(u1)"),
        (lambda: grads(delta2 / n)[key],
         "the batch average is applied twice: functions.d_softmax_with_loss(d, y) already "
         "divides by N"),
    ]
    if key in ("b1", "b2"):  # checked first: W1 and W2 were right if we got here
        candidates[:0] = [
            (lambda: right[key] / n, "the bias gradient is averaged twice: delta2 already "
                                     "holds the 1/N, so sum over the batch, "
                                     "np.sum(delta, axis=0)"),
            (lambda: right[key][None, :], "keepdims=True keeps a row of shape (1, H): the bias "
                                          "gradient has the shape of the bias, "
                                          "np.sum(delta, axis=0)")]
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
    c = Checker("backward", backward, without=(networks.backward, reference_backward))

    def run(network, x, d, what):
        label = f"backward(network, x, d, cache) for {_describe_network(network)} and {what}"
        _, cache = reference_forward(network, x)
        grad = c.call(network, x, d, cache, label=label)
        c.expect(isinstance(grad, dict) and set(grad) >= {"W1", "b1", "W2", "b2"},
                 f"{label} should return a dict grad with the keys 'W1', 'b1', 'W2', 'b2', got "
                 f"{sorted(grad) if isinstance(grad, dict) else type(grad).__name__}")
        expected = reference_backward(network, x, d, cache)
        for key in ("W2", "b2", "W1", "b1"):
            c.compare(f"grad[{key!r}] of {label}", grad[key], expected[key],
                      hints=_backward_variants(network, x, d, cache, key), rtol=1e-5, atol=1e-7)
        return grad

    run(_square_network(), _SQUARE_X4, _SQUARE_D4, "x of shape (4, 3), d with labels [0, 2, 1, 2]")

    network, x, d = _iris_sized_case(21, 8)
    grad = run(network, x, d, "8 random inputs x of shape (8, 4)")

    def loss(_):  # the cross-entropy without the 1e-7 guard: (y - d) / N is its exact gradient
        y, _ = reference_forward(network, x)
        return -np.mean(np.log(np.sum(d * y, axis=1)))

    for key in ("W1", "b1", "W2", "b2"):
        numerical = numerical_gradient(loss, network[key])
        error = relative_error(grad[key], numerical)
        # Correct code gives about 1e-9 here; a bug gives 1e-2 or more.
        c.expect(error < 1e-4,
                 f"grad[{key!r}] disagrees with the numerical gradient of the cross-entropy "
                 f"(relative error {error:.2g}, should be below 1e-4)")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 5: the accuracy


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
    c = Checker("accuracy", accuracy, without=(reference_accuracy,))
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
