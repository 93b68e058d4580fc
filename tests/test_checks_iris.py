"""The checks of lesson 06 (Iris): right answers pass, typical mistakes fail with a useful hint.

The reference functions are refused while their exercise is checked, so the "right answers"
here are written out, several ways each.
"""

import types

import numpy as np
import pytest

from common import functions, networks, splits, stacked
from common.checks import iris
from common.checks.iris import (
    check_accuracy,
    check_backward,
    check_forward,
    check_standardise,
    check_stratified_split,
    reference_accuracy,
    reference_backward,
    reference_forward,
)


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# The reference versions and the fixed inputs


def test_reference_forward_gives_probabilities_and_its_cache():
    network, x, _ = iris._iris_sized_case(2, 5)
    y, cache = reference_forward(network, x)
    assert y.shape == (5, 3) and np.allclose(y.sum(axis=1), 1)
    assert np.array_equal(cache["z1"], np.maximum(cache["u1"], 0))
    assert cache["y"] is y


def test_reference_backward_matches_the_numerical_gradient():
    network, x, d = iris._iris_sized_case(21, 8)
    _, cache = reference_forward(network, x)
    grad = reference_backward(network, x, d, cache)

    def loss(_):  # unguarded, as in the check
        y, _ = reference_forward(network, x)
        return -np.mean(np.log(np.sum(d * y, axis=1)))

    for key in network:
        numerical = functions.numerical_gradient(loss, network[key])
        assert functions.relative_error(grad[key], numerical) < 1e-7, key


def test_check_inputs_keep_away_from_the_relu_kink():
    # The numerical gradient is only trustworthy where no total input u1 sits near 0.
    network, x, _ = iris._iris_sized_case(21, 8)
    assert np.abs(x @ network["W1"] + network["b1"]).min() > 1e-2
    square = iris._square_network()
    u1 = iris._SQUARE_X4 @ square["W1"] + square["b1"]
    assert np.abs(u1).min() > 1e-2 and (u1 < 0).any() and (u1 > 0).any()


def test_reference_accuracy_takes_labels_or_one_hot():
    y = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])
    labels = np.array([0, 2, 0, 2])
    assert reference_accuracy(labels, y) == 0.75
    assert reference_accuracy(np.eye(3)[labels], y) == 0.75


# ---------------------------------------------------------------------------------------------
# Exercise 1: forward


def own_forward(network, x):
    u1 = np.dot(x, network["W1"]) + network["b1"]
    z1 = functions.relu(u1)
    y = functions.softmax(np.dot(z1, network["W2"]) + network["b2"])
    return y, {"u1": u1, "z1": z1, "y": y}


def test_forward_written_out_passes(passes):
    passes(check_forward, own_forward, "forward")


@pytest.mark.parametrize("reference", [reference_forward, networks.forward])
def test_forward_that_calls_the_reference_is_refused(reference, rejected):
    def forward(network, x):
        result = reference(network, x)
        return result if isinstance(result[1], dict) else (result[2], dict(
            zip(("u1", "z1", "y"), result, strict=True)))

    assert "write it yourself, without" in rejected(check_forward, forward, "forward")


def test_forward_not_done(not_done):
    not_done(check_forward, stub, "forward")


def test_forward_written_differently_passes(passes):
    def forward(network, x):
        u1 = x @ network["W1"] + network["b1"]
        z1 = np.where(u1 > 0, u1, 0.0)
        u2 = z1 @ network["W2"] + network["b2"]
        e = np.exp(u2 - u2.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
        return y, {"y": y, "z1": z1, "u1": u1}

    passes(check_forward, forward, "forward")


def make_forward(hidden, output, transpose_w1=False, bias1=True, bias2=True):
    def forward(network, x):
        W1 = network["W1"].T if transpose_w1 else network["W1"]
        u1 = np.dot(x, W1) + (network["b1"] if bias1 else 0)
        z1 = hidden(u1)
        u2 = np.dot(z1, network["W2"]) + (network["b2"] if bias2 else 0)
        y = output(u2)
        return y, {"u1": u1, "z1": z1, "y": y}
    return forward


def softmax_over_columns(u):
    e = np.exp(u - u.max(axis=0))
    return e / e.sum(axis=0)


@pytest.mark.parametrize("forward, hint", [
    (make_forward(functions.relu, functions.softmax, transpose_w1=True), "W1 is used transposed"),
    (make_forward(functions.relu, functions.softmax, bias1=False), "forgets its bias: add b1"),
    (make_forward(functions.relu, functions.softmax, bias2=False), "forgets its bias: add b2"),
    (make_forward(functions.relu, softmax_over_columns), "softmax runs over the wrong axis"),
    (make_forward(functions.relu, lambda u: u), "this is the total input u2"),
    (make_forward(functions.sigmoid, functions.softmax), "uses sigmoid"),
])
def test_forward_typical_mistakes_get_a_hint(forward, hint, rejected):
    assert hint in rejected(check_forward, forward, "forward")


def test_forward_with_u1_and_z1_swapped_in_the_cache(rejected):
    def forward(network, x):
        y, cache = own_forward(network, x)
        return y, {"u1": cache["z1"], "z1": cache["u1"], "y": y}

    assert "cache['u1'] holds z1" in rejected(check_forward, forward, "forward")


def test_forward_returning_only_y(rejected):
    message = rejected(check_forward, lambda network, x: own_forward(network, x)[0], "forward")
    assert "should return a pair (y, cache)" in message


# ---------------------------------------------------------------------------------------------
# Exercise 2: backward


def own_backward(network, x, d, cache):
    delta2 = functions.d_softmax_with_loss(d, cache["y"])
    delta1 = np.dot(delta2, network["W2"].T) * functions.d_relu(cache["u1"])
    return {"W1": np.dot(x.T, delta1), "b1": np.sum(delta1, axis=0),
            "W2": np.dot(cache["z1"].T, delta2), "b2": np.sum(delta2, axis=0)}


def test_backward_written_out_passes(passes):
    passes(check_backward, own_backward, "backward")


def test_backward_with_matmul_and_a_loop_passes(passes):
    def backward(network, x, d, cache):
        delta2 = (cache["y"] - d) / x.shape[0]
        delta1 = (delta2 @ network["W2"].T) * (cache["u1"] > 0)
        grad = {"W1": np.zeros_like(network["W1"]), "W2": np.zeros_like(network["W2"])}
        for n in range(x.shape[0]):  # one sample at a time: outer products
            grad["W1"] += np.outer(x[n], delta1[n])
            grad["W2"] += np.outer(cache["z1"][n], delta2[n])
        grad["b1"], grad["b2"] = delta1.sum(axis=0), delta2.sum(axis=0)
        return grad

    passes(check_backward, backward, "backward")


@pytest.mark.parametrize("reference", [reference_backward, "networks"])
def test_backward_that_calls_the_reference_is_refused(reference, rejected):
    def backward(network, x, d, cache):
        if reference == "networks":
            return networks.backward(network, x, d, cache["u1"], cache["z1"], cache["y"])
        return reference(network, x, d, cache)

    assert "write it yourself, without" in rejected(check_backward, backward, "backward")


def test_backward_that_changes_the_cache_in_place(rejected):
    def backward(network, x, d, cache):
        delta2 = cache["y"]
        delta2 -= d  # changes cache['y'] itself
        delta2 /= len(x)
        delta1 = np.dot(delta2, network["W2"].T) * functions.d_relu(cache["u1"])
        return {"W1": np.dot(x.T, delta1), "b1": np.sum(delta1, axis=0),
                "W2": np.dot(cache["z1"].T, delta2), "b2": np.sum(delta2, axis=0)}

    assert "changed its input in place (cache['y'])" in rejected(check_backward, backward,
                                                                 "backward")


def test_backward_not_done(not_done):
    not_done(check_backward, stub, "backward")


def test_backward_written_differently_passes(passes):
    def backward(network, x, d, cache):
        delta2 = (cache["y"] - d) / len(x)  # the textbook (y - d) / N
        delta1 = np.einsum("nk,hk->nh", delta2, network["W2"]) * (cache["z1"] > 0)
        return {"W1": np.einsum("nd,nh->dh", x, delta1), "b1": delta1.sum(axis=0),
                "W2": np.einsum("nh,nk->hk", cache["z1"], delta2), "b2": delta2.sum(axis=0)}

    passes(check_backward, backward, "backward")


def make_backward(average=True, relu_slope=True, transpose_w2=True, sign=1.0, bias_mean=False,
                  slope=functions.d_relu, divisor=1, keepdims=False):
    def backward(network, x, d, cache):
        delta2 = sign * (cache["y"] - d) / (len(x) if average else 1) / divisor
        W2 = network["W2"].T if transpose_w2 else network["W2"]
        delta1 = np.dot(delta2, W2)
        if relu_slope:
            delta1 = delta1 * slope(cache["u1"])
        total = np.mean if bias_mean else np.sum
        return {"W1": np.dot(x.T, delta1), "b1": total(delta1, axis=0, keepdims=keepdims),
                "W2": np.dot(cache["z1"].T, delta2), "b2": total(delta2, axis=0,
                                                                 keepdims=keepdims)}
    return backward


@pytest.mark.parametrize("backward, hint", [
    (make_backward(average=False), "no batch average"),
    (make_backward(relu_slope=False), "the ReLU derivative is missing"),
    (make_backward(transpose_w2=False), "a transpose is missing"),
    (make_backward(sign=-1.0), "the sign is flipped"),
    (make_backward(bias_mean=True), "averaged twice"),
    (make_backward(slope=functions.relu), "multiplies by ReLU itself"),
    (make_backward(divisor=len(iris._SQUARE_X4)), "the batch average is applied twice"),
    (make_backward(keepdims=True), "keepdims=True keeps a row of shape (1, H)"),
])
def test_backward_typical_mistakes_get_a_hint(backward, hint, rejected):
    assert hint in rejected(check_backward, backward, "backward")


def test_backward_with_transposed_weight_gradients(rejected):
    def backward(network, x, d, cache):
        grad = own_backward(network, x, d, cache)
        return {key: value.T for key, value in grad.items()}

    assert "the weight gradient is transposed" in rejected(check_backward, backward, "backward")


def test_backward_with_sigmoid_derivative(rejected):
    def backward(network, x, d, cache):
        delta2 = functions.d_softmax_with_loss(d, cache["y"])
        delta1 = np.dot(delta2, network["W2"].T) * functions.d_sigmoid(cache["u1"])
        return {"W1": np.dot(x.T, delta1), "b1": delta1.sum(axis=0),
                "W2": np.dot(cache["z1"].T, delta2), "b2": delta2.sum(axis=0)}

    assert "sigmoid's derivative" in rejected(check_backward, backward, "backward")


def test_backward_that_matches_the_reference_only_on_the_square_network_is_caught(rejected):
    # A gradient off by a tiny amount everywhere fails the comparison with the reference.
    def backward(network, x, d, cache):
        return {k: v * 1.01 for k, v in own_backward(network, x, d, cache).items()}

    assert "grad['W2']" in rejected(check_backward, backward, "backward")


def test_backward_missing_a_key(rejected):
    def backward(network, x, d, cache):
        grad = own_backward(network, x, d, cache)
        del grad["b1"]
        return grad

    assert "'W1', 'b1', 'W2', 'b2'" in rejected(check_backward, backward, "backward")


# ---------------------------------------------------------------------------------------------
# Exercise 3: accuracy


def test_accuracy_written_out_passes(passes):
    def accuracy(d, y):
        if d.shape == y.shape:
            d = d.argmax(axis=1)
        return float(np.mean(y.argmax(axis=1) == d))

    passes(check_accuracy, accuracy, "accuracy")


def test_accuracy_that_calls_the_reference_is_refused(rejected):
    assert "write it yourself, without iris.reference_accuracy" in rejected(
        check_accuracy, lambda d, y: reference_accuracy(d, y), "accuracy")


def test_accuracy_not_done(not_done):
    not_done(check_accuracy, stub, "accuracy")


def test_accuracy_written_differently_passes(passes):
    def accuracy(d, y):
        if np.ndim(d) == 2:
            d = np.argmax(d, axis=-1)
        return np.count_nonzero(np.argmax(y, axis=-1) == d) / len(d)

    passes(check_accuracy, accuracy, "accuracy")


def to_labels(d, y):
    return d.argmax(axis=1) if d.shape == y.shape else d


@pytest.mark.parametrize("accuracy, hint", [
    (lambda d, y: float(np.sum(y.argmax(axis=1) == to_labels(d, y))), "number of correct"),
    (lambda d, y: 100 * np.mean(y.argmax(axis=1) == to_labels(d, y)), "percentage"),
    (lambda d, y: np.mean(y.argmax(axis=1) == d), "d is one-hot here"),
    (lambda d, y: np.mean(y.argmax(axis=0) == d.argmax(axis=0)), "wrong axis"),
    (lambda d, y: np.mean(y == d), "not the probabilities"),
])
def test_accuracy_typical_mistakes_get_a_hint(accuracy, hint, rejected):
    assert hint in rejected(check_accuracy, accuracy, "accuracy")


def test_accuracy_returning_an_array(rejected):
    message = rejected(check_accuracy,
                       lambda d, y: (y.argmax(axis=1) == to_labels(d, y)).mean(keepdims=True),
                       "accuracy")
    assert "should have shape ()" in message


def test_check_of_a_non_function(rejected):
    assert "expected a function" in rejected(check_accuracy, 0.5, "accuracy")


# ---------------------------------------------------------------------------------------------
# Exercise 1: stratified_split


def split_by_running_deficit(labels, fractions, rng):
    """The lesson's solution: leftovers go to the parts furthest below their share so far."""
    labels, fractions = np.asarray(labels), np.asarray(fractions, dtype=float)
    parts, sizes, seen = [[] for _ in fractions], np.zeros(len(fractions)), 0
    for k in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == k))
        counts = np.floor(fractions * members.size + 1e-9).astype(int)
        seen += members.size
        behind = fractions * seen - sizes - counts
        counts[np.argsort(-behind, kind="stable")[:members.size - counts.sum()]] += 1
        sizes += counts
        for part, piece in zip(parts, np.split(members, np.cumsum(counts)[:-1]), strict=True):
            part.append(piece)
    return tuple(rng.permutation(np.concatenate(part)) for part in parts)


def split_with_shuffle_and_lists(labels, fractions, rng):
    """Python lists, rng.shuffle on a copy, and the leftovers handed out one at a time."""
    classes = sorted(set(labels.tolist()))
    parts = [[] for _ in fractions]
    seen = 0
    for k in classes:
        members = [i for i, label in enumerate(labels) if label == k]
        shuffled = np.array(members)
        rng.shuffle(shuffled)
        counts = [int(f * len(members) + 1e-9) for f in fractions]
        seen += len(members)
        for _ in range(len(members) - sum(counts)):
            behind = [f * seen - len(part) - n for f, part, n in zip(fractions, parts, counts,
                                                                     strict=True)]
            counts[behind.index(max(behind))] += 1  # index() finds the earliest on a tie
        start = 0
        for part, n in zip(parts, counts, strict=True):
            part.extend(shuffled[start:start + n].tolist())
            start += n
    result = []
    for part in parts:
        part = np.array(part, dtype=int)
        rng.shuffle(part)
        result.append(part)
    return tuple(result)


def split_with_index_permutations(labels, fractions, rng):
    """members[rng.permutation(n)] draws the same as rng.permutation(members)."""
    fractions = np.asarray(fractions)
    parts, totals, seen = [[] for _ in fractions], np.zeros(len(fractions), dtype=int), 0
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        members = members[rng.permutation(members.size)]
        counts = np.floor(fractions * members.size + 1e-9).astype(int)
        seen += members.size
        while counts.sum() < members.size:
            counts[np.argmax(fractions * seen - totals - counts)] += 1
        totals += counts
        edges = np.concatenate([[0], np.cumsum(counts)])
        for j in range(len(fractions)):
            parts[j].append(members[edges[j]:edges[j + 1]])
    return tuple(np.concatenate(part)[rng.permutation(sum(map(len, part)))] for part in parts)


def copy_of_the_library():
    """common.splits.stratified_split and split_counts as other function objects: their body
    still calls splits._round_keeping_sum, which the check refuses."""
    namespace = dict(vars(splits))
    for name in ("stratified_split", "split_counts"):
        namespace[name] = types.FunctionType(getattr(splits, name).__code__, namespace, name)
    return namespace["stratified_split"]


@pytest.mark.parametrize("split", [split_by_running_deficit, split_with_shuffle_and_lists,
                                   split_with_index_permutations])
def test_stratified_split_correct_versions_pass(split, passes):
    passes(check_stratified_split, split, "stratified_split")


def test_stratified_split_copied_from_the_library_is_refused(rejected):
    message = rejected(check_stratified_split, copy_of_the_library(), "stratified_split")
    assert "write it yourself, without splits._round_keeping_sum" in message


def test_stratified_split_that_calls_the_lessons_reference_is_refused(rejected):
    message = rejected(check_stratified_split, iris.reference_stratified_split,
                       "stratified_split")
    assert "write it yourself, without iris.reference_stratified_split" in message


def test_stratified_split_not_done(not_done):
    not_done(check_stratified_split, stub, "stratified_split")


@pytest.mark.parametrize("split", [splits.stratified_split,
                                   lambda labels, f, rng: splits.stratified_split(labels, f, rng)])
def test_stratified_split_that_calls_common_splits_is_refused(split, rejected):
    message = rejected(check_stratified_split, split, "stratified_split")
    assert "write it yourself, without splits.stratified_split" in message


def test_stratified_split_that_takes_its_counts_from_common_splits_is_refused(rejected):
    def split(labels, fractions, rng):
        classes = np.unique(labels)
        counts = splits.split_counts([np.sum(labels == k) for k in classes], fractions)
        parts = [[] for _ in fractions]
        for k, class_counts in zip(classes, counts, strict=True):
            members = rng.permutation(np.flatnonzero(labels == k))
            for part, piece in zip(parts, np.split(members, np.cumsum(class_counts)[:-1]),
                                   strict=True):
                part.append(piece)
        return tuple(rng.permutation(np.concatenate(part)) for part in parts)

    message = rejected(check_stratified_split, split, "stratified_split")
    assert "write it yourself, without splits.split_counts" in message


def make_split(shuffle_classes=True, shuffle_parts=True, sort_parts=False, use_global=False,
               rotate=False, as_lists=False, as_float=False, fix_totals=True):
    def split(labels, fractions, rng):
        fractions = np.asarray(fractions)
        parts = [[] for _ in fractions]
        sizes, seen = np.zeros(len(fractions)), 0
        for k in np.unique(labels):
            members = np.flatnonzero(labels == k)
            if rotate:
                members = np.roll(members, rng.integers(members.size))
            elif use_global:
                members = np.random.permutation(members)
            elif shuffle_classes:
                members = rng.permutation(members)
            counts = np.floor(fractions * members.size + 1e-9).astype(int)
            seen += members.size
            behind = (fractions * seen - sizes - counts if fix_totals
                      else fractions * members.size - counts)
            counts[np.argsort(-behind, kind="stable")[:members.size - counts.sum()]] += 1
            sizes += counts
            for part, piece in zip(parts, np.split(members, np.cumsum(counts)[:-1]),
                                   strict=True):
                part.append(piece)
        result = [np.concatenate(part) for part in parts]
        if shuffle_parts:
            result = [rng.permutation(part) for part in result]
        if sort_parts:
            result = [np.sort(part) for part in result]
        if as_lists:
            result = [part.tolist() for part in result]
        if as_float:
            result = [part.astype(float) for part in result]
        return tuple(result)
    return split


def shuffle_all_and_cut(labels, fractions, rng):
    order = rng.permutation(labels.size)
    cuts = np.round(np.cumsum(fractions)[:-1] * labels.size).astype(int)
    return tuple(np.split(order, cuts))


def sorts_the_labels(labels, fractions, rng):
    labels.sort()  # changes the caller's array
    return split_by_running_deficit(labels, fractions, rng)


@pytest.mark.parametrize("split, hint", [
    (make_split(shuffle_classes=False), "the seeds 0 to 7 all give the same training samples"),
    (make_split(shuffle_parts=False), "lists its samples class by class"),
    (make_split(sort_parts=True), "lists its indices in increasing order"),
    (make_split(use_global=True), "draw every random number from rng"),
    (make_split(rotate=True), "as if the class were rotated, not shuffled"),
    (make_split(as_lists=True), "should be a 1-D NumPy array of indices"),
    (make_split(as_float=True), "should hold whole-number indices"),
    (make_split(fix_totals=False), "parts that are furthest below their target size"),
    (shuffle_all_and_cut, "cut each class on its own"),
    (sorts_the_labels, "changed its input in place (labels)"),
    (lambda labels, fractions, rng: None, "returned None"),
])
def test_stratified_split_typical_mistakes_get_a_hint(split, hint, rejected):
    assert hint in rejected(check_stratified_split, split, "stratified_split")


def test_stratified_split_check_leaves_the_global_generator_alone():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    check_stratified_split(split_by_running_deficit)
    assert np.random.random() == expected


# ---------------------------------------------------------------------------------------------
# Exercise 2: standardise


def test_standardise_written_in_several_ways_passes(passes):
    def plain(x_train, x):
        return (x - x_train.mean(axis=0)) / x_train.std(axis=0)

    def by_hand(x_train, x):
        mean = np.sum(x_train, axis=0) / len(x_train)
        std = np.sqrt(np.mean((x_train - mean) ** 2, axis=0))
        return (np.asarray(x, dtype=float) - mean) / std

    def with_a_copy(x_train, x):
        result = np.array(x, dtype=float)  # a new array: changing it in place is fine
        result -= np.mean(x_train, axis=0)
        result /= np.std(x_train, axis=0)
        return result

    for standardise in (plain, by_hand, with_a_copy):
        passes(check_standardise, standardise, "standardise")


def test_standardise_not_done(not_done):
    not_done(check_standardise, stub, "standardise")


def in_place(x_train, x):
    x -= x_train.mean(axis=0)
    x /= x_train.std(axis=0)
    return x


@pytest.mark.parametrize("standardise, hint", [
    (lambda x_train, x: (x - x.mean(axis=0)) / x.std(axis=0), "scaled with its own mean"),
    (lambda x_train, x: (x_train - x.mean(axis=0)) / x.std(axis=0), "the arguments are swapped"),
    (lambda x_train, x: (x - x_train.mean()) / x_train.std(), "per feature (per column)"),
    (lambda x_train, x: (x - x_train.mean(axis=1, keepdims=True))
     / x_train.std(axis=1, keepdims=True), "axis=1 averages over the features"),
    (lambda x_train, x: (x - x_train.mean(axis=0)) / x_train.std(axis=0, ddof=1), "ddof=1"),
    (lambda x_train, x: (x - x_train.mean(axis=0)) / x_train.var(axis=0), "the variance"),
    (lambda x_train, x: x / x_train.std(axis=0), "the mean is not subtracted"),
    (lambda x_train, x: x - x_train.mean(axis=0), "centred but not scaled"),
    (lambda x_train, x: (x - x_train.min(axis=0)) / np.ptp(x_train, axis=0), "min-max"),
    (in_place, "changed its input in place"),
    (lambda x_train, x: (x - x_train.mean(axis=0, keepdims=True))
     / x_train.std(axis=0, keepdims=True), "keepdims=True makes one sample"),
    (lambda x_train, x: ((x - x_train.mean(axis=0)) / x_train.std(axis=0)).tolist(),
     "should return a NumPy array"),
])
def test_standardise_typical_mistakes_get_a_hint(standardise, hint, rejected):
    assert hint in rejected(check_standardise, standardise, "standardise")


def test_standardise_on_whole_millimetres_must_give_decimals(rejected):
    def rounds(x_train, x):
        return np.round((x - x_train.mean(axis=0)) / x_train.std(axis=0)).astype(int)

    assert "should give decimal numbers" in rejected(check_standardise, rounds, "standardise")


# ---------------------------------------------------------------------------------------------
# The main line's split must be the lesson's, draw for draw: then the text's numbers hold


def lesson_rule(tie_to_later=False, draw_per_class=None, shuffle_last_part_first=False,
                largest_remainder=False):
    """The lesson's rule with one step done another (reasonable) way."""
    def split(labels, fractions, rng):
        fractions = np.asarray(fractions)
        parts, sizes, seen = [[] for _ in fractions], np.zeros(len(fractions)), 0
        everything = rng.permutation(labels.size) if draw_per_class == "all first" else None
        for k in np.unique(labels):
            if draw_per_class == "all first":  # shuffle everything, then group by class
                members = everything[labels[everything] == k]
            elif draw_per_class == "sort keys":
                members = np.flatnonzero(labels == k)
                members = members[np.argsort(rng.random(members.size))]
            else:
                members = rng.permutation(np.flatnonzero(labels == k))
            counts = np.floor(fractions * members.size + 1e-9).astype(int)
            seen += members.size
            behind = (fractions * members.size - counts if largest_remainder
                      else fractions * seen - sizes - counts)
            order = np.argsort(behind)[::-1] if tie_to_later else np.argsort(-behind,
                                                                             kind="stable")
            counts[order[:members.size - counts.sum()]] += 1
            sizes += counts
            for part, piece in zip(parts, np.split(members, np.cumsum(counts)[:-1]),
                                   strict=True):
                part.append(piece)
        joined = [np.concatenate(part) for part in parts]
        order = range(len(joined) - 1, -1, -1) if shuffle_last_part_first else range(len(joined))
        shuffled = {j: rng.permutation(joined[j]) for j in order}
        return tuple(shuffled[j] for j in range(len(joined)))
    return split


@pytest.mark.parametrize("split, hint", [
    (lesson_rule(tie_to_later=True), "on a tie to the earlier part"),
    (lesson_rule(largest_remainder=True), "furthest below their target size"),
    (lesson_rule(draw_per_class="all first"), "shuffle each class once with rng.permutation"),
    (lesson_rule(draw_per_class="sort keys"), "holds other samples than the lesson's rule"),
    (lesson_rule(shuffle_last_part_first=True), "right samples in another order"),
])
def test_stratified_split_that_draws_differently_is_told_which_step(split, hint, rejected):
    assert hint in rejected(check_stratified_split, split, "stratified_split")


def test_the_pinned_split_is_the_lessons_main_line():
    # The notebook draws its split from default_rng([SEED, 0]) and its folds from [SEED, 2].
    labels = np.repeat([0, 1, 2], 50)
    train, test = iris.reference_stratified_split(labels, (2 / 3, 1 / 3),
                                                  np.random.default_rng([0, 0]))
    assert np.bincount(labels[train]).tolist() == [33, 34, 33]
    assert np.bincount(labels[test]).tolist() == [17, 16, 17]
    cases = iris._pinned_cases()
    assert [case[3] for case in cases] == [[0, 0], [0, 2], [0, 2]]
    assert np.array_equal(cases[1][1], labels[train])


def test_the_lessons_reference_split_has_ties_in_its_folds():
    # A class of 33 cut 4 ways leaves one sample over with every part equally behind.
    labels = np.repeat([0, 1, 2], [33, 34, 33])
    folds = iris.reference_stratified_split(labels, (0.25,) * 4, np.random.default_rng(0))
    assert [np.bincount(labels[f], minlength=3).tolist() for f in folds] == [
        [9, 8, 8], [8, 9, 8], [8, 9, 8], [8, 8, 9]]


# ---------------------------------------------------------------------------------------------
# Every reachable function of the course's library that gives an exercise's answer is refused


def one_network(network):
    return {key: value[None] for key, value in network.items()}


def forward_through(reference):
    def forward(network, x):
        if reference.__name__ == "forward_stack":
            result = reference(one_network(network), x[None])
            y = result[0][0] if isinstance(result, tuple) else result[0]
        else:
            y = reference(network, x)
            y = y[0] if isinstance(y, tuple) else y
        return y, {"u1": x @ network["W1"] + network["b1"],
                   "z1": np.maximum(x @ network["W1"] + network["b1"], 0), "y": y}
    return forward


def forward_references():
    from common.checks import digits, forward_propagation, gradient_descent
    return [stacked.forward_stack, digits.forward_stack, forward_propagation._forward,
            gradient_descent.reference_forward]


@pytest.mark.parametrize("reference", forward_references(), ids=lambda f: f.__module__)
def test_forward_through_any_library_forward_is_refused(reference, rejected):
    message = rejected(check_forward, forward_through(reference), "forward")
    assert f"write it yourself, without {reference.__module__.rpartition('.')[2]}." in message


def backward_from_numerical_gradient(network, x, d, cache):
    def loss(_):
        return functions.cross_entropy_error(d, own_forward(network, x)[0])
    return {key: functions.numerical_gradient(loss, network[key]) for key in network}


def backward_from_chain(network, x, d, cache):
    from common.checks.backpropagation import _chain
    return _chain(network, x, [cache["u1"]], [cache["z1"]], (cache["y"] - d) / len(x))


def backward_from_lesson_04(network, x, d, cache):
    from common.checks.gradient_descent import reference_backward as lesson_04
    return lesson_04(network, x, d, cache["u1"], cache["z1"], cache["y"])


def backward_from_one_stacked_step(network, x, d, cache):
    after = stacked.train_stack(one_network(network), x[None], d[None], 1.0, 1)
    return {key: network[key] - after[key][0] for key in network}


@pytest.mark.parametrize("backward, refused", [
    (backward_from_chain, "backpropagation._chain"),
    (backward_from_lesson_04, "gradient_descent.reference_backward"),
    (backward_from_one_stacked_step, "stacked.train_stack"),
])
def test_backward_through_the_library_is_refused(backward, refused, rejected):
    assert f"write it yourself, without {refused}" in rejected(check_backward, backward,
                                                               "backward")


# ---------------------------------------------------------------------------------------------
# New hints of the review


def test_forward_whose_cache_lacks_y_fails(rejected):
    def forward(network, x):
        y, cache = own_forward(network, x)
        return y, {"u1": cache["u1"], "z1": cache["z1"]}

    assert "cache should have the key 'y'" in rejected(check_forward, forward, "forward")


def test_forward_whose_cache_y_is_a_placeholder_fails(rejected):
    def forward(network, x):
        y, cache = own_forward(network, x)
        return y, dict(cache, y=np.full_like(y, 1 / 3))

    assert "cache['y'] holds 1/3 everywhere" in rejected(check_forward, forward, "forward")


def test_forward_returning_cache_first_is_told_the_order(rejected):
    def forward(network, x):
        y, cache = own_forward(network, x)
        return cache, y

    message = rejected(check_forward, forward, "forward")
    assert "got (dict, ndarray): y first, then cache" in message


@pytest.mark.parametrize("forward, hint", [
    (make_forward(functions.softmax, functions.softmax), "the hidden layer uses softmax"),
    (make_forward(functions.softmax, lambda u: u), "softmax went on u1"),
    (make_forward(functions.relu, functions.relu), "the output layer uses ReLU"),
    (make_forward(functions.relu, lambda u: np.exp(u)), "the rows of y do not sum to 1"),
])
def test_forward_with_softmax_or_relu_in_the_wrong_layer(forward, hint, rejected):
    assert hint in rejected(check_forward, forward, "forward")


def test_forward_with_softmax_of_u1_as_y(rejected):
    def forward(network, x):
        u1 = x @ network["W1"] + network["b1"]
        y = functions.softmax(u1)
        return y, {"u1": u1, "z1": functions.relu(u1), "y": y}

    message = rejected(check_forward, forward, "forward")
    assert "y is softmax(u1)" in message


@pytest.mark.parametrize("delta2, hint", [
    (lambda y, d: (y - d) / y.shape[1], "divided by the number of classes K"),
    (lambda y, d: (y - d) / y.size, "divided by N K"),
    (lambda y, d: (y - d) / len(y) * y * (1 - y), "do not multiply by y (1 - y)"),
])
def test_backward_with_a_wrong_output_delta(delta2, hint, rejected):
    def backward(network, x, d, cache):
        out = delta2(cache["y"], d)
        hidden = np.dot(out, network["W2"].T) * functions.d_relu(cache["u1"])
        return {"W1": np.dot(x.T, hidden), "b1": hidden.sum(axis=0),
                "W2": np.dot(cache["z1"].T, out), "b2": out.sum(axis=0)}

    assert hint in rejected(check_backward, backward, "backward")


def test_backward_summing_the_bias_without_an_axis(rejected):
    def backward(network, x, d, cache):
        grad = own_backward(network, x, d, cache)
        delta2 = functions.d_softmax_with_loss(d, cache["y"])
        return dict(grad, b2=np.sum(delta2))

    message = rejected(check_backward, backward, "backward")
    assert "should have shape (3,), got shape ()" in message and "axis=0" in message


@pytest.mark.parametrize("count", [lambda hits: float(hits.sum()), lambda hits: int(hits.sum())])
def test_accuracy_returning_a_count_is_told_so_first(count, rejected):
    def accuracy(d, y):
        return count(y.argmax(axis=1) == to_labels(d, y))

    message = rejected(check_accuracy, accuracy, "accuracy")
    assert "that is the number of correct answers" in message
    assert "write 1.0" not in message


def test_accuracy_with_integer_division(rejected):
    def accuracy(d, y):
        return int(np.sum(y.argmax(axis=1) == to_labels(d, y))) // len(y)

    message = rejected(check_accuracy, accuracy, "accuracy")
    assert "// divides whole numbers and rounds down" in message


def test_accuracy_with_argmin(rejected):
    message = rejected(check_accuracy,
                       lambda d, y: float(np.mean(y.argmin(axis=1) == to_labels(d, y))),
                       "accuracy")
    assert "argmin picks the least likely class" in message or "no sample counted" in message


def test_accuracy_of_zero_is_not_blamed_on_one_cause(rejected):
    # np.mean(y == d) is 0 here: the advice names every cause of a 0, not only this one.
    message = rejected(check_accuracy, lambda d, y: float(np.mean(y == d)), "accuracy")
    assert "no sample counted as right" in message and "argmin" in message


def test_accuracy_that_treats_labels_as_one_hot(rejected):
    message = rejected(check_accuracy,
                       lambda d, y: float(np.mean(y.argmax(axis=1) == d.argmax(axis=1))),
                       "accuracy")
    assert "AxisError" in message and "d holds labels here (shape (3,))" in message


def test_standardise_with_statistics_of_both_sets(rejected):
    def leaky(x_train, x):
        both = np.concatenate([x_train, np.atleast_2d(x)])
        return (x - both.mean(axis=0)) / both.std(axis=0)

    assert "x_train's statistics only" in rejected(check_standardise, leaky, "standardise")


def test_standardise_in_float32_passes(passes):
    def single_precision(x_train, x):
        x_train, x = np.asarray(x_train, np.float32), np.asarray(x, np.float32)
        return (x - x_train.mean(axis=0)) / x_train.std(axis=0)

    passes(check_standardise, single_precision, "standardise")


# ---------------------------------------------------------------------------------------------
# Final review: numerical gradients refused however they are written, shape crashes explained,
# an in-place ReLU, a True/False accuracy


def test_backward_through_numerical_gradient_gets_lesson_05s_reason(rejected):
    message = rejected(check_backward, backward_from_numerical_gradient, "backward")
    assert "compute the gradients by backpropagation, without functions.numerical_gradient" in (
        message)
    assert "the check uses it to test your answer" in message


def central_differences(forward_pass, h):
    """A hand-written numerical gradient: nudge each parameter both ways, run the network."""
    def backward(network, x, d, cache):
        grad = {}
        for key in network:
            weights, slope = network[key], np.zeros_like(network[key])
            for i in np.ndindex(weights.shape):
                kept = weights[i]
                weights[i] = kept + h
                up = -np.mean(np.log(np.sum(d * forward_pass(network, x)[0], axis=1)))
                weights[i] = kept - h
                down = -np.mean(np.log(np.sum(d * forward_pass(network, x)[0], axis=1)))
                weights[i] = kept
                slope[i] = (up - down) / (2 * h)
            grad[key] = slope
        return grad
    return backward


def numpy_forward(network, x):
    """The forward pass without the library: np.maximum and np.exp."""
    u1 = x @ network["W1"] + network["b1"]
    u2 = np.maximum(u1, 0) @ network["W2"] + network["b2"]
    e = np.exp(u2 - u2.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), None


def test_a_hand_written_numerical_gradient_through_the_library_is_refused(rejected):
    # 3-3-3 network: 24 parameters, two forward passes each.
    message = rejected(check_backward, central_differences(own_forward, 1e-5), "backward")
    assert "ran functions.relu 48 times" in message or "ran functions.softmax 48 times" in message
    assert "nudging every parameter in turn" in message and "by backpropagation" in message


@pytest.mark.parametrize("h", [1e-4, 1e-5, 1e-6])
def test_a_hand_written_numerical_gradient_in_plain_numpy_is_refused(h, rejected):
    # The best step gives about 4e-11: close, but not backpropagation's 1e-15.
    message = rejected(check_backward, central_differences(numpy_forward, h), "backward")
    assert "agrees with backpropagation only to" in message
    assert "as a numerical gradient does" in message


def test_backward_that_runs_its_forward_again_passes(passes):
    # Recomputing y and the cache once (one forward pass) is backpropagation still.
    def backward(network, x, d, cache):
        y, again = own_forward(network, x)
        return own_backward(network, x, d, again)

    passes(check_backward, backward, "backward")


def test_backward_with_the_libraries_loss_pieces_passes(passes):
    def backward(network, x, d, cache):
        z1 = functions.relu(cache["u1"])  # z1 recomputed from u1: one relu call
        delta2 = functions.d_softmax_with_loss(d, cache["y"])
        delta1 = (delta2 @ network["W2"].T) * functions.d_relu(cache["u1"])
        return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0), "W2": z1.T @ delta2,
                "b2": delta2.sum(axis=0)}

    passes(check_backward, backward, "backward")


def test_backward_in_longdouble_passes(passes):
    def backward(network, x, d, cache):
        wide = {key: np.asarray(value, dtype=np.longdouble) for key, value in cache.items()}
        grad = own_backward({k: np.asarray(v, np.longdouble) for k, v in network.items()},
                            np.asarray(x, np.longdouble), d, wide)
        return {key: value.astype(float) for key, value in grad.items()}

    passes(check_backward, backward, "backward")


def test_the_library_works_again_after_a_backward_check():
    # The counting wrappers are put back, also when the learner's function fails.
    with pytest.raises(iris.ExerciseFailed):
        check_backward(central_differences(own_forward, 1e-5))
    assert np.allclose(functions.softmax(np.array([[0.0, 0.0]])), 0.5)
    assert functions.relu.__code__.co_name == "relu"
    assert functions.softmax.__code__.co_name == "softmax"


@pytest.mark.parametrize("backward, hint", [
    (lambda network, x, d, cache: {
        "W1": np.dot(x, (cache["y"] - d) @ network["W2"].T * (cache["u1"] > 0)) / len(x),
        "b1": 0, "W2": 0, "b2": 0}, "a weight gradient has the weight's shape"),
    (lambda network, x, d, cache: {
        "W2": ((cache["y"] - d) / len(x)) @ cache["z1"], "b2": 0, "W1": 0, "b1": 0},
     "grad['W1'] = np.dot(x.T, delta1)"),
])
def test_backward_with_mismatched_shapes_is_told_which_product(backward, hint, rejected):
    # (4, 3) times (4, 3) cannot multiply: NumPy's words alone do not say which product to write.
    message = rejected(check_backward, backward, "backward")
    assert "raised ValueError" in message and hint in message
    assert "N = 4, D = 3, H = 3, K = 3" in message


def test_forward_with_the_weights_first_is_told_the_order(rejected):
    def forward(network, x):
        u1 = np.dot(network["W1"], x) + network["b1"]  # (3, 3) times (2, 3)
        z1 = functions.relu(u1)
        y = functions.softmax(np.dot(z1, network["W2"]) + network["b2"])
        return y, {"u1": u1, "z1": z1, "y": y}

    message = rejected(check_forward, forward, "forward")
    assert "not aligned" in message
    assert "x has one flower per row, shape (N, D) = (2, 3)" in message
    assert "np.dot(x, W1) + b1" in message


def test_forward_with_an_in_place_relu_is_told_why_u1_changed(rejected):
    def forward(network, x):
        u1 = np.dot(x, network["W1"]) + network["b1"]
        z1 = u1
        z1[z1 < 0] = 0  # also sets u1's entries: one array, two names
        y = functions.softmax(np.dot(z1, network["W2"]) + network["b2"])
        return y, {"u1": u1, "z1": z1, "y": y}

    message = rejected(check_forward, forward, "forward")
    assert "cache['u1'] holds z1" in message
    assert "z1 = u1 is the same array" in message and "functions.relu(u1) makes a new" in message


def test_forward_with_u1_and_z1_swapped_is_not_told_about_one_array(rejected):
    def forward(network, x):
        y, cache = own_forward(network, x)
        return y, {"u1": cache["z1"], "z1": cache["u1"], "y": y}

    assert "same array" not in rejected(check_forward, forward, "forward")


@pytest.mark.parametrize("accuracy", [
    lambda d, y: bool(np.all(y.argmax(axis=1) == to_labels(d, y))),
    lambda d, y: np.all(y.argmax(axis=1) == to_labels(d, y)),
    lambda d, y: (y.argmax(axis=1) == to_labels(d, y)).any(),
])
def test_accuracy_returning_one_true_or_false(accuracy, rejected):
    message = rejected(check_accuracy, accuracy, "accuracy")
    assert "one True/False for all samples together" in message and "np.mean" in message
    assert "//" not in message and "write 1.0" not in message


def test_accuracy_returning_the_comparisons(rejected):
    message = rejected(check_accuracy, lambda d, y: y.argmax(axis=1) == to_labels(d, y),
                       "accuracy")
    assert "got an array of 3 True/False: one comparison per sample" in message


# ---------------------------------------------------------------------------------------------
# The confusion matrix the lesson draws with common.plots


def test_plot_confusion_matrix_counts_rows_as_true_classes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from common.plots import plot_confusion_matrix

    fig, ax = plt.subplots()
    counts = plot_confusion_matrix(ax, np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]),
                                   ["a", "b", "c"])
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert counts.dtype.kind == "i" and len(ax.texts) == 9
    with pytest.raises(ValueError, match="plot_confusion_matrix: expected class indices"):
        plot_confusion_matrix(ax, np.array([0, 3]), np.array([0, 1]), ["a", "b", "c"])
    with pytest.raises(ValueError, match="of one shape"):
        plot_confusion_matrix(ax, np.array([0, 1]), np.array([0]), ["a", "b", "c"])
    plt.close(fig)
