"""Checks for lesson 06, the Iris assignment: the split, the scaling, the network and its accuracy.

Five exercises: ``stratified_split`` (a shuffled, stratified split into parts),
``standardise`` (scaling with the training set's statistics), ``forward``, ``backward`` and
``accuracy`` of the assignment's 4-6-3 network. The module also holds the reference versions
(``reference_stratified_split``, the lesson's rule; ``reference_forward``,
``reference_backward``, ``reference_accuracy``), which the checks compare the learner's code
with. (The stacked trainer of the lesson's robustness study lives in ``common.stacked``, which
the notebook imports.) While an exercise is checked, every function of the course's library
that computes its answer is unavailable (``Checker(without=...)``), so a function that merely
calls one fails with "write it yourself".

The network is the assignment's: total input ``u1 = x W1 + b1``, hidden output
``z1 = relu(u1)``, output ``y = softmax(z1 W2 + b2)``, loss ``cross_entropy_error(d, y)``.
"""

import contextlib
import importlib
import types

import numpy as np

from common import functions, networks, splits, stacked
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, ExerciseFailed, ExerciseNotDone

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


def reference_stratified_split(labels, fractions, rng):
    """The lesson's split rule, step by step, with the random draws in the lesson's order.

    For each class (in the order of ``np.unique``): one ``rng.permutation`` of its indices; each
    part gets its share rounded down, and the leftovers go, one each, to the parts furthest
    behind their share of the samples seen so far, the earlier part on a tie. At the end one
    ``rng.permutation`` per part, in part order. Returns a tuple of index arrays.
    """
    labels, fractions = np.asarray(labels), np.asarray(fractions, dtype=float)
    pieces, given, seen = [[] for _ in fractions], np.zeros(len(fractions)), 0
    for k in np.unique(labels):
        shuffled = rng.permutation(np.flatnonzero(labels == k))
        sizes = np.floor(fractions * shuffled.size + 1e-9).astype(int)
        seen += shuffled.size
        lag = fractions * seen - given - sizes
        sizes[np.argsort(-lag, kind="stable")[:shuffled.size - sizes.sum()]] += 1
        given += sizes
        for j, piece in enumerate(np.split(shuffled, np.cumsum(sizes)[:-1])):
            pieces[j].append(piece)
    return tuple(rng.permutation(np.concatenate(p)) for p in pieces)


# ----------------------------------------------------------------------------------------------
# What a learner could call instead of writing the exercise: refused while it is checked


def _library(module, *names):
    """The functions ``names`` of ``common.<module>`` that exist (other lessons' modules evolve)."""
    try:
        found = importlib.import_module(f"common.{module}")
    except ImportError:
        return []
    return [getattr(found, name) for name in names if callable(getattr(found, name, None))]


def _forward_references():
    """Every function of the course's library that computes this network's forward pass."""
    return [networks.forward, reference_forward, stacked.forward_stack, stacked._forward,
            stacked.accuracy_stack,
            *_library("checks.forward_propagation", "_forward", "_run"),
            *_library("checks.gradient_descent", "reference_forward"),
            *_library("checks.backpropagation", "reference_forward_3layer",
                      "reference_forward_regression"),
            *_library("checks.digits", "forward_stack", "evaluate_stack", "_measure")]


def _backward_references():
    """Every function of the course's library that computes (or applies) these gradients."""
    return ["numerical_gradient", networks.backward, reference_backward, stacked.train_stack,
            *_library("checks.backpropagation", "_chain", "reference_backward_regression",
                      "reference_backward_3layer"),
            *_library("checks.gradient_descent", "reference_backward", "reference_train"),
            *_library("checks.digits", "_sgd_step", "train_stack", "reference_train_epoch")]


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


_SHAPE_WORDS = ("shape", "aligned", "broadcast", "mismatch", "dimension")


def _call_with_shape_advice(c, args, label, advice):
    """``c.call``; a crash on mismatched shapes gets ``advice`` after NumPy's own words, which
    name the shapes but not which product to write instead."""
    try:
        return c.call(*args, label=label)
    except ExerciseNotDone:
        raise
    except ExerciseFailed as failure:
        message = str(failure)
        if " raised ValueError: " in message and any(w in message for w in _SHAPE_WORDS):
            raise ExerciseFailed(f"{message} - {advice}") from None
        raise


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


#: The generators of the lesson's main line: default_rng([SEED, 0]) splits, [SEED, 1] draws the
#: initial weights, [SEED, 2] cuts the folds (SEED = 0).
MAIN_SEEDS = ([0, 0], [0, 1], [0, 2])


def _pinned_cases():
    """(what, labels, fractions, seed) of the main line: its 2:1 split and its 4 folds.

    The folds hold ties (a class of 33 or 34 cut 4 ways), so the tie rule is pinned too.
    """
    labels = np.repeat([0, 1, 2], 50)
    train, _ = reference_stratified_split(labels, (2 / 3, 1 / 3),
                                          np.random.default_rng(MAIN_SEEDS[0]))
    return [("the 150 Iris labels, sorted by class", labels, (2 / 3, 1 / 3), MAIN_SEEDS[0]),
            ("the 100 training labels of that split", labels[train], (0.25,) * 4, MAIN_SEEDS[2]),
            ("100 labels in classes of 34, 33 and 33", np.random.default_rng(7).permutation(
                np.repeat([0, 1, 2], [34, 33, 33])), (0.25,) * 4, MAIN_SEEDS[2])]


def _expect_the_lessons_draws(c, label, labels, parts, expected):
    """The same split as the lesson's rule, index for index: then the text's numbers hold."""
    classes = np.unique(labels)
    for j, (part, right) in enumerate(zip(parts, expected, strict=True)):
        for k in classes:
            got, want = int(np.sum(labels[part] == k)), int(np.sum(labels[right] == k))
            c.expect(got == want,
                     f"{label}: part {j} holds {got} samples of class {k}, the lesson's rule "
                     f"gives {want}: give a class's leftovers to the parts furthest behind "
                     "f_j n_seen (this class's rounded-down counts included), and on a tie to "
                     "the earlier part, as np.argsort(-behind, kind='stable') does (step 3)")
    for j, (part, right) in enumerate(zip(parts, expected, strict=True)):
        c.expect(np.array_equal(np.sort(part), np.sort(right)),
                 f"{label}: part {j} holds other samples than the lesson's rule draws from this "
                 "seed: shuffle each class once with rng.permutation, classes in the order of "
                 "np.unique, and cut it into pieces in part order, part 0 first (steps 1 and "
                 "4); draw nothing else from rng before the last step")
    for j, (part, right) in enumerate(zip(parts, expected, strict=True)):
        c.expect(np.array_equal(part, right),
                 f"{label}: part {j} holds the right samples in another order: at the end "
                 "shuffle each part once, rng.permutation(...) of its pieces joined in class "
                 "order, part 0 first (step 5)")


def check_stratified_split(stratified_split):
    """Check ``stratified_split(labels, fractions, rng) -> tuple of index arrays``.

    On sorted, mixed and unequal classes, classes numbered 1, 4, 7, and 2 to 4 parts: every
    index in exactly one part; each class's count in part j is its share f_j n_k rounded down
    or up, each part's size f_j N rounded down or up; the parts shuffled (not in increasing
    order, not class by class); the randomness drawn from ``rng`` alone (the same seed gives the
    same split whatever ``np.random`` holds, other seeds give other training sets, and a class
    is shuffled, not just rotated). Then, for the main line's split and folds, the very split
    of the lesson's rule (``reference_stratified_split``): the counts (ties to the earlier
    part), the members and their order, so that every number the lesson quotes is the one the
    learner sees. ``common.splits`` and the reference are refused.
    """
    # split_counts and its rounding are the hard half of the exercise, so they are refused too.
    c = Checker("stratified_split", stratified_split,
                without=(splits.stratified_split, splits.split_counts,
                         splits._round_keeping_sum, reference_stratified_split))
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

    for what, labels, fractions, seed in _pinned_cases():
        label = (f"stratified_split(labels, {tuple(round(f, 3) for f in fractions)}, "
                 f"np.random.default_rng({seed})) with {what}")
        parts = c.call(labels, fractions, np.random.default_rng(seed), label=label)
        _check_one_split(c, label, labels, fractions, parts)
        expected = reference_stratified_split(labels, fractions, np.random.default_rng(seed))
        _expect_the_lessons_draws(c, label, labels, parts, expected)
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 2: standardisation with the training set's statistics


def _standardise_variants(x_train, x):
    """Typical wrong results of standardise(x_train, x), each with the advice that fixes it."""
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    both = np.concatenate([x_train, np.atleast_2d(x)])
    return _computable([
        (lambda: (x - x.mean(axis=0)) / x.std(axis=0),
         "x was scaled with its own mean and std: use the training set's, "
         "x_train.mean(axis=0) and x_train.std(axis=0), for every set"),
        (lambda: (x - both.mean(axis=0)) / both.std(axis=0),
         "the mean and std came from x_train and x together: use x_train's statistics only, "
         "so that the test set does not inform the scaling (section 4)"),
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
        # rtol 1e-5: a result in float32 (about 7 digits) is right too.
        c.expect_close((train, x), expected, label=label, rtol=1e-5, atol=1e-6,
                       hints=_standardise_variants(train.astype(float), x.astype(float)))
    got = c.call(x_small, x_small, label="standardise(x_train, x_train)")
    # atol 1e-5: a float32 result (about 7 digits) is right too.
    c.expect(np.allclose(np.mean(got, axis=0), 0, atol=1e-5)
             and np.allclose(np.std(got, axis=0), 1, atol=1e-5),
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
        (lambda: softmax(softmax(x @ W1 + b1) @ W2 + b2),
         "the hidden layer uses softmax: z1 = functions.relu(u1); softmax goes on u2 only"),
        (lambda: softmax(x @ W1 + b1) @ W2 + b2,
         "softmax went on u1: the hidden layer is z1 = functions.relu(u1), and softmax goes on "
         "u2 = np.dot(z1, W2) + b2, at the output"),
        (lambda: relu(z1 @ W2 + b2),
         "the output layer uses ReLU: the rows of y must sum to 1, so the output is "
         "functions.softmax(u2)"),
        (lambda: softmax(x @ W1 + b1),
         "y is softmax(u1), the hidden layer's total input: go on through ReLU and the output "
         "layer, u2 = np.dot(z1, W2) + b2, y = functions.softmax(u2)"),
    ]) + [
        (lambda received: received.ndim == 2 and not np.allclose(received.sum(axis=-1), 1),
         "the rows of y do not sum to 1: the output layer's activation is softmax, "
         "functions.softmax(u2), applied last")]


def _wide_network():
    """A 3-4-2 network of round numbers: a shape mistake that 3-3-3 hides shows here."""
    return {"W1": np.array([[0.3, -0.6, 0.2, 0.5], [-0.4, 0.2, 0.7, -0.1],
                            [0.6, 0.4, -0.3, 0.2]]),
            "b1": np.array([0.1, -0.1, 0.2, 0.0]),
            "W2": np.array([[0.5, -0.3], [-0.2, 0.6], [0.4, 0.1], [-0.5, 0.3]]),
            "b2": np.array([0.1, -0.2])}


def check_forward(forward):
    """Check ``forward(network, x) -> (y, cache)`` of the 4-6-3 ReLU/softmax network.

    Tests a 3-3-3 network of round numbers (where a transposed weight, a forgotten bias or a
    softmax over the wrong axis each give a recognisable answer), a 3-4-2 network (where a
    softmax in the wrong layer gives the wrong shape), then seeded random 4-6-3 networks on
    batches of 1 and 5 flowers: ``y`` and the cache entries ``u1``, ``z1``, ``y``, the shapes,
    the rows of ``y`` summing to 1, and that ``x`` stays unchanged. Every forward pass of the
    course's library is refused.
    """
    c = Checker("forward", forward, without=_forward_references())

    def run(network, x, what):
        label = f"forward(network, x) for {_describe_network(network)} and {what}"
        n, n_hidden = len(x), network["W1"].shape[1]
        result = _call_with_shape_advice(c, (network, x), label, (
            f"x has one flower per row, shape (N, D) = {x.shape}, and W1 has the shape (D, H) = "
            f"{network['W1'].shape}: the total input is np.dot(x, W1) + b1, of shape (N, H) = "
            f"({n}, {n_hidden}), then u2 = np.dot(z1, W2) + b2"))
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], dict):
            c.fail(f"{label} should return a pair (y, cache), got "
                   f"({', '.join(type(r).__name__ for r in result)}): y first, then cache, "
                   "`return y, cache`")
        c.expect(isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict),
                 f"{label} should return a pair (y, cache) with cache a dict, got "
                 + (f"({', '.join(type(r).__name__ for r in result)})"
                    if isinstance(result, tuple) else type(result).__name__)
                 + ": end with `return y, cache`")
        return label, result

    def compare(label, result, key, expected, hints=()):
        c.expect(key in result[1], f"{label}: cache should have the key {key!r}, got keys "
                                   f"{sorted(result[1])}: cache = {{'u1': u1, 'z1': z1, "
                                   f"'y': y}}")
        c.compare(f"cache[{key!r}] of {label}", result[1][key], expected, hints=hints)

    for network, x in ((_square_network(), _SQUARE_X), (_wide_network(), _SQUARE_X)):
        label, result = run(network, x, f"x of shape {x.shape}")
        expected, _ = reference_forward(network, x)
        c.compare(f"y of {label}", result[0], expected, hints=_forward_variants(network, x))

    for seed, n in ((1, 1), (2, 5)):
        network, x, _ = _iris_sized_case(seed, n)
        label, result = run(network, x, f"{n} random input(s) x of shape {x.shape}")
        expected, cache = reference_forward(network, x)
        c.compare(f"y of {label}", result[0], expected, hints=_forward_variants(network, x))
        c.expect(np.allclose(np.sum(result[0], axis=1), 1.0),
                 f"each row of y from {label} should sum to 1 (probabilities of one flower)")
        kept = result[1]
        one_array = all(isinstance(kept.get(key), np.ndarray) for key in ("u1", "z1")) and (
            np.shares_memory(kept["u1"], kept["z1"]))
        compare(label, result, "u1", cache["u1"], hints=[
            (cache["z1"], "cache['u1'] holds z1: u1 is the total input before ReLU"
                          + ("; z1 = u1 is the same array, not a copy, so setting z1's entries "
                             "(z1[z1 < 0] = 0) changes u1 too: functions.relu(u1) makes a new "
                             "one" if one_array else ""))])
        compare(label, result, "z1", cache["z1"], hints=[
            (cache["u1"], "cache['z1'] holds u1: z1 is ReLU's output, functions.relu(u1)")])
        compare(label, result, "y", cache["y"], hints=[
            (np.full_like(expected, 1 / 3), "cache['y'] holds 1/3 everywhere: store the y you "
                                            "return, cache['y'] = y")])
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
        (lambda: grads((y - d) / y.shape[1])[key],
         "delta2 is divided by the number of classes K: the loss averages over the N samples "
         "of the batch, so delta2 = (y - d) / N"),
        (lambda: grads((y - d) / y.size)[key],
         "delta2 is divided by N K (y.size): the loss averages over the N samples only, "
         "delta2 = (y - d) / N"),
        (lambda: grads(delta2 * y * (1 - y))[key],
         "for softmax with the cross-entropy, (y - d) / N already includes the softmax's "
         "derivative: do not multiply by y (1 - y)"),
    ]
    if key in ("b1", "b2"):  # checked first: W1 and W2 were right if we got here
        candidates[:0] = [
            (lambda: right[key] / n, "the bias gradient is averaged twice: delta2 already "
                                     "holds the 1/N, so sum over the batch, "
                                     "np.sum(delta, axis=0)"),
            (lambda: right[key][None, :], "keepdims=True keeps a row of shape (1, H): the bias "
                                          "gradient has the shape of the bias, "
                                          "np.sum(delta, axis=0)"),
            (lambda: np.sum(right[key]), "np.sum(delta) without an axis adds everything into "
                                         "one number: sum over the batch only, "
                                         "np.sum(delta, axis=0), one value per unit")]
    variants = _computable(candidates)
    return variants


_NO_NUMERICAL = ("compute the gradients by backpropagation, without "
                 "functions.numerical_gradient: it nudges every parameter in turn, and the check "
                 "uses it to test your answer")

#: The library's pieces of a forward pass and its loss: backpropagation from the cache needs
#: none of them (at most one forward pass, to recompute y); a numerical gradient needs two
#: forward passes per parameter.
_FORWARD_PIECES = ("relu", "sigmoid", "softmax", "cross_entropy_error", "softmax_with_loss")
_MOST_FORWARD_PASSES = 2

_counting = []  # while a learner's backward runs: {piece: calls so far}, and the originals


def _counted(name, args, kwargs):
    """What a forward piece does while a learner's backward runs: count the call, then compute
    as always."""
    calls, originals = _counting[-1]
    calls[name] = calls.get(name, 0) + 1
    return originals[name](*args, **kwargs)


def _counting_code(name):
    """The code of a function that hands its call to ``_counted(name, ...)``."""
    namespace = {}
    exec(f"def {name}(*args, **kwargs):\n"
         "    import common.checks.iris\n"
         f"    return common.checks.iris._counted({name!r}, args, kwargs)\n", namespace)
    return namespace[name].__code__


@contextlib.contextmanager
def _counting_forward_passes():
    """Count the calls of each forward piece inside the block, however the learner imported it:
    its code is swapped, as ``common.grading.refusing`` does, and put back."""
    found = [getattr(functions, name) for name in _FORWARD_PIECES if hasattr(functions, name)]
    originals = {func.__name__: types.FunctionType(func.__code__, func.__globals__,
                                                   func.__name__, func.__defaults__,
                                                   func.__closure__) for func in found}
    calls = {}
    _counting.append((calls, originals))
    saved = [(func, func.__code__) for func in found]
    try:
        for func in found:
            func.__code__ = _counting_code(func.__name__)
        yield calls
    finally:
        for func, code in saved:
            func.__code__ = code
        _counting.pop()


def check_backward(backward):
    """Check ``backward(network, x, d, cache) -> grad`` against the analytic and numerical gradient.

    Tests a 3-3-3 network of round numbers (where a missing transpose, a missing ReLU derivative
    or a missing batch average each give a recognisable answer), then a seeded random 4-6-3
    network on 8 flowers, whose gradients must also agree with ``numerical_gradient`` of the
    cross-entropy. Each of ``grad['W1']``, ``grad['b1']``, ``grad['W2']``, ``grad['b2']`` is
    compared, and ``x`` and ``d`` must stay unchanged. ``numerical_gradient`` and every backward
    pass of the course's library are refused.
    """
    c = Checker("backward", backward, without=_backward_references())

    def run(network, x, d, what):
        label = f"backward(network, x, d, cache) for {_describe_network(network)} and {what}"
        _, cache = reference_forward(network, x)
        (n, n_input), (n_hidden, n_output) = x.shape, network["W2"].shape
        try:
            with _counting_forward_passes() as calls:
                grad = _call_with_shape_advice(c, (network, x, d, cache), label, (
                    "a weight gradient has the weight's shape: grad['W1'] = np.dot(x.T, delta1), "
                    f"(D, N) times (N, H), and grad['W2'] = np.dot(z1.T, delta2); back through "
                    f"W2, delta1 = np.dot(delta2, W2.T), (N, K) times (K, H); here N = {n}, "
                    f"D = {n_input}, H = {n_hidden}, K = {n_output}"))
        except ExerciseNotDone:
            raise
        except ExerciseFailed as failure:
            if "without functions.numerical_gradient" in str(failure):
                c.fail(_NO_NUMERICAL)
            raise
        piece, passes = max(calls.items(), key=lambda item: item[1], default=("", 0))
        c.expect(passes <= _MOST_FORWARD_PASSES,
                 f"{label} ran functions.{piece} {passes} times: nudging every parameter in turn "
                 "and running the network again is a numerical gradient, and the check uses "
                 "that to test your answer; compute the gradients by backpropagation instead, "
                 "from what forward left in the cache (section 6.2)")
        c.expect(isinstance(grad, dict) and set(grad) >= {"W1", "b1", "W2", "b2"},
                 f"{label} should return a dict grad with the keys 'W1', 'b1', 'W2', 'b2', got "
                 f"{sorted(grad) if isinstance(grad, dict) else type(grad).__name__}")
        expected = reference_backward(network, x, d, cache)
        for key in ("W2", "b2", "W1", "b1"):
            c.compare(f"grad[{key!r}] of {label}", grad[key], expected[key],
                      hints=_backward_variants(network, x, d, cache, key), rtol=1e-5, atol=1e-7)
        for key in ("W2", "b2", "W1", "b1"):
            # Backpropagation in float64 agrees with the reference to about 1e-15; the best
            # central difference (h near 1e-5) only to about 1e-11, so 1e-12 tells them apart.
            error = float(np.linalg.norm(np.asarray(grad[key], dtype=float) - expected[key])
                          / np.linalg.norm(expected[key]))
            c.expect(error < 1e-12,
                     f"grad[{key!r}] of {label} agrees with backpropagation only to {error:.0e} "
                     "(relative), as a numerical gradient does, while backpropagation's own "
                     "rounding is about 1e-15: compute the gradients by backpropagation, not by "
                     "nudging weights (and in float64, not float32)")
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
        # Correct code gives about 1e-9 here (lesson 05's bands: 1e-6 or below agrees).
        c.expect(error < 1e-4,
                 f"grad[{key!r}] disagrees with the numerical gradient of the cross-entropy "
                 f"(relative error {error:.2g}, should be below 1e-4)")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 5: the accuracy


def _accuracy_variants(d, y):
    """Typical wrong accuracies, each with the advice that fixes it.

    A wrong answer of 0 has several causes, so a hint whose value is 0 gets advice that names
    them all instead of its own.
    """
    n, k = y.shape
    labels = d.argmax(axis=1) if d.shape == y.shape else d
    predicted = y.argmax(axis=1)
    hits = predicted == labels
    wrong_axis = "argmax runs over the wrong axis: each row is one sample, so take argmax(axis=1)"
    variants = [
        (100.0 * hits.mean(), "that is a percentage: return a fraction between 0 and 1"),
        (np.mean(y.argmin(axis=1) == labels), "argmin picks the least likely class: the "
                                              "prediction is y.argmax(axis=1)"),
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
    none_right = ("no sample counted as right: compare the predicted class y.argmax(axis=1) "
                  "(argmax, not argmin; not the probabilities themselves) with each sample's "
                  "label, and divide with / (// rounds down to 0)")
    return [(wrong, none_right if wrong == 0 else advice) for wrong, advice in variants]


def check_accuracy(accuracy):
    """Check ``accuracy(d, y)``: the fraction of rows of ``y`` whose argmax is the target class.

    Tests one-hot targets on a 3 x 3 case (where comparing one-hot targets with labels gives a
    recognisable number), label targets, a batch of 10 with seeded random outputs, and the
    extremes 0 and 1. The answer must be a single number between 0 and 1, not a count or a
    percentage (a count is named before any type advice).
    """
    c = Checker("accuracy", accuracy,
                without=(reference_accuracy, stacked.accuracy_stack, stacked._forward,
                         *_library("checks.digits", "evaluate_stack", "_measure")))
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
        expected = reference_accuracy(d, y)
        try:
            got = c.call(d, y, label=label)
        except ExerciseFailed as failure:
            if d.ndim == 1 and "AxisError" in str(failure):
                raise ExerciseFailed(f"{failure} - d holds labels here (shape {d.shape}), not "
                                     "one-hot rows: when d.ndim == 1, compare y.argmax(axis=1) "
                                     "with d itself") from None
            raise
        if isinstance(got, (bool, np.bool_)):
            c.fail(f"{label} should be {expected:.6g}, got {got}: that is one True/False for "
                   "all samples together; the accuracy is the fraction of the comparisons that "
                   "are True: average them, np.mean(...)")
        if isinstance(got, np.ndarray) and got.dtype == bool and got.ndim == 1:
            c.fail(f"{label} should be one number, {expected:.6g}, got an array of "
                   f"{got.size} True/False: one comparison per sample; average them, "
                   "np.mean(...), for the fraction that are right")
        count = int(np.sum(y.argmax(axis=1) == (d.argmax(axis=1) if d.ndim == 2 else d)))
        if np.ndim(got) == 0 and isinstance(got, (int, float, np.number)) and (
                count != expected and float(got) == count):
            c.fail(f"{label} should be {expected:.6g}, got {got}: that is the number of "
                   f"correct answers; divide by the number of samples, {len(y)}, to get a "
                   "fraction (np.mean of the True/False comparisons does both)")
        if np.ndim(got) == 0 and isinstance(got, (int, np.integer)) and (
                got == count // len(y) and expected != got):
            c.fail(f"{label} should be {expected:.6g}, got {got}: // divides whole numbers and "
                   "rounds down; divide with / (or take np.mean of the comparisons)")
        c.compare(label, got, expected, hints=_accuracy_variants(d, y))
        c.expect(np.ndim(got) == 0, f"{label} should return one number, got shape {np.shape(got)}")
    c.done()
