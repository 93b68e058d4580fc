"""The checks of lesson 07 (digits): right answers pass, typical mistakes fail with a useful hint,
and the lesson's reference versions and stacked trainer do what they say."""

import numpy as np
import pytest

from common import networks
from common.checks import digits
from common.checks.digits import (
    check_confusion_matrix,
    check_init_network,
    check_train_epoch,
    evaluate_stack,
    forward_stack,
    reference_confusion_matrix,
    reference_init_network,
    reference_train_epoch,
    stack,
    train_stack,
    unstack,
)
from common.checks.gradient_descent import (
    reference_gradient_descent_step,
    reference_minibatch_indices,
)


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


def epoch_with_networks(network, x, d, batch_size, learning_rate, rng):
    """The exercise as the lesson asks for it: lesson 04's and lesson 05's pieces."""
    for batch in reference_minibatch_indices(len(x), batch_size, rng):
        u1, z1, y = networks.forward(network, x[batch])
        grad = networks.backward(network, x[batch], d[batch], u1, z1, y)
        network = reference_gradient_descent_step(network, grad, learning_rate)
    return network


# ---------------------------------------------------------------------------------------------
# The reference versions and the stacked trainer


@pytest.mark.parametrize("method, std1, std2", [
    ("0.01", 0.01, 0.01), ("xavier", 1 / 8, 1 / np.sqrt(40)), ("he", np.sqrt(2 / 64),
                                                               np.sqrt(2 / 40))])
def test_reference_init_scales_the_same_normal_numbers(method, std1, std2):
    network = reference_init_network(np.random.default_rng(0), (64, 40, 10), method)
    normals = np.random.default_rng(0)
    np.testing.assert_allclose(network["W1"], normals.standard_normal((64, 40)) * std1)
    np.testing.assert_allclose(network["W2"], normals.standard_normal((40, 10)) * std2)
    assert not network["b1"].any() and network["b2"].shape == (10,)


def test_reference_epoch_is_lesson_05s_forward_and_backward():
    network, x, d = digits._epoch_case(1, 257, (64, 40, 10))
    fast = reference_train_epoch(network, x, d, 100, 0.5, np.random.default_rng(2))
    slow = epoch_with_networks(network, x, d, 100, 0.5, np.random.default_rng(2))
    for key in network:
        np.testing.assert_allclose(fast[key], slow[key], rtol=1e-12, atol=1e-14)


def test_reference_epoch_lowers_the_loss_and_leaves_its_input_alone():
    network, x, d = digits._epoch_case(2, 60, (5, 6, 3))
    before = {key: value.copy() for key, value in network.items()}
    trained = network
    for _ in range(30):
        trained = reference_train_epoch(trained, x, d, 10, 0.5, np.random.default_rng(0))
    assert all(np.array_equal(network[key], before[key]) for key in network)
    loss = [networks.forward(n, x)[2][d.astype(bool)].mean() for n in (network, trained)]
    assert loss[1] > loss[0]  # the mean probability of the right class went up


def test_train_stack_does_what_reference_train_epoch_does_per_network():
    cases = [digits._epoch_case(seed, 45, (6, 7, 4)) for seed in range(3)]
    rates = [0.1, 0.5, 1.0]
    start = stack([network for network, _, _ in cases])
    x = np.stack([x for _, x, _ in cases])
    d = np.stack([d for _, _, d in cases])
    trained, history = train_stack(start, x, d, 10, rates, 3, [np.random.default_rng(s)
                                                                 for s in (7, 8, 9)], x, d)
    assert history["val_loss"].shape == history["val_accuracy"].shape == (4, 3)
    for s, ((network, x_s, d_s), rate, seed) in enumerate(zip(cases, rates, (7, 8, 9),
                                                             strict=True)):
        rng = np.random.default_rng(seed)
        for _ in range(3):
            network = reference_train_epoch(network, x_s, d_s, 10, rate, rng)
        for key in network:
            np.testing.assert_allclose(unstack(trained, s)[key], network[key], rtol=1e-10,
                                       atol=1e-12)
        y = networks.forward(network, x_s)[2]
        assert history["val_accuracy"][-1, s] == np.mean(y.argmax(1) == d_s.argmax(1))
    assert all(np.array_equal(start[key], stack([n for n, _, _ in cases])[key]) for key in start)


def test_forward_and_evaluate_stack_agree_with_networks():
    cases = [digits._epoch_case(seed, 12, (5, 4, 3)) for seed in (1, 2)]
    network = stack([n for n, _, _ in cases])
    x = np.stack([x for _, x, _ in cases])
    d = np.stack([d for _, _, d in cases])
    y, _, _ = forward_stack(network, x)
    loss, accuracy = evaluate_stack(network, x, d)
    for s, (single, x_s, d_s) in enumerate(cases):
        expected = networks.forward(single, x_s)[2]
        np.testing.assert_allclose(y[s], expected, rtol=1e-12)
        assert accuracy[s] == np.mean(expected.argmax(1) == d_s.argmax(1))
        assert np.isclose(loss[s], -np.mean(np.log(expected[d_s.astype(bool)] + 1e-7)))


def test_reference_confusion_matrix_counts_repeats():
    m = reference_confusion_matrix(np.array([0, 0, 1, 1, 2]), np.array([0, 0, 2, 2, 2]), 4)
    np.testing.assert_array_equal(m, [[2, 0, 0, 0], [0, 0, 2, 0], [0, 0, 1, 0], [0, 0, 0, 0]])


# ---------------------------------------------------------------------------------------------
# Exercise 1: init_network


def test_init_reference_passes(passes):
    passes(check_init_network, reference_init_network, "init_network")


def test_init_not_done(not_done):
    not_done(check_init_network, stub, "init_network")


def test_init_written_differently_passes(passes):
    def init_network(rng, sizes, method):
        n_input, n_hidden, n_output = sizes
        network = {}
        for key, fan_in, fan_out in (("1", n_input, n_hidden), ("2", n_hidden, n_output)):
            scale = {"0.01": 0.01, "xavier": fan_in ** -0.5, "he": (2 / fan_in) ** 0.5}[method]
            network["W" + key] = rng.normal(0.0, scale, size=(fan_in, fan_out))
            network["b" + key] = np.zeros(fan_out)
        return network

    passes(check_init_network, init_network, "init_network")


def make_init(rule=None, biases=0.0, source="rng"):
    rules = {"0.01": lambda n_in, n_out: 0.01, "xavier": lambda n_in, n_out: 1 / np.sqrt(n_in),
             "he": lambda n_in, n_out: np.sqrt(2 / n_in)}

    def init_network(rng, sizes, method):
        d, h, k = sizes
        std = rule(method) if rule else rules[method]
        draw = rng.standard_normal if source == "rng" else np.random.standard_normal
        return {"W1": draw((d, h)) * std(d, h), "b1": np.full(h, biases),
                "W2": draw((h, k)) * std(h, k), "b2": np.full(k, biases)}
    return init_network


@pytest.mark.parametrize("init_network, hint", [
    (make_init(lambda m: {"0.01": lambda i, o: 0.01, "xavier": lambda i, o: 1 / np.sqrt(o),
                          "he": lambda i, o: np.sqrt(2 / o)}[m]), "number of outputs"),
    (make_init(lambda m: {"0.01": lambda i, o: 0.01, "xavier": lambda i, o: 1 / i,
                          "he": lambda i, o: 2 / i}[m]), "that is the variance"),
    (make_init(lambda m: {"0.01": lambda i, o: 0.1, "xavier": lambda i, o: 1 / np.sqrt(i),
                          "he": lambda i, o: np.sqrt(2 / i)}[m]), "not the variance"),
    (make_init(lambda m: {"0.01": lambda i, o: 1.0, "xavier": lambda i, o: 1 / np.sqrt(i),
                          "he": lambda i, o: np.sqrt(2 / i)}[m]), "multiply them"),
    (make_init(lambda m: {"0.01": lambda i, o: 0.01, "xavier": lambda i, o: np.sqrt(2 / i),
                          "he": lambda i, o: 1 / np.sqrt(i)}[m]), "that is He's rule"),
    (make_init(biases=0.1), "should be all zeros"),
    (make_init(source="global"), "draw every number from rng"),
])
def test_init_typical_mistakes_get_a_hint(init_network, hint, rejected):
    assert hint in rejected(check_init_network, init_network, "init_network")


def test_init_with_uniform_weights_of_the_wrong_spread(rejected):
    def init_network(rng, sizes, method):
        d, h, k = sizes
        return {"W1": rng.uniform(-0.01, 0.01, (d, h)), "b1": np.zeros(h),
                "W2": rng.uniform(-0.01, 0.01, (h, k)), "b2": np.zeros(k)}

    assert "has standard deviation" in rejected(check_init_network, init_network, "init_network")


def test_init_with_transposed_weights(rejected):
    def init_network(rng, sizes, method):
        network = reference_init_network(rng, sizes, method)
        return {**network, "W1": network["W1"].T}

    assert "should have shape (400, 300)" in rejected(check_init_network, init_network,
                                                      "init_network")


def test_init_with_a_missing_key(rejected):
    def init_network(rng, sizes, method):
        network = reference_init_network(rng, sizes, method)
        del network["b2"]
        return network

    assert "'W1', 'b1', 'W2', 'b2'" in rejected(check_init_network, init_network, "init_network")


def test_init_with_weights_that_are_all_positive(rejected):
    def init_network(rng, sizes, method):
        network = reference_init_network(rng, sizes, method)
        return {key: np.abs(value) for key, value in network.items()}

    assert "should have mean 0" in rejected(check_init_network, init_network, "init_network")


# ---------------------------------------------------------------------------------------------
# Exercise 2: train_epoch


def test_epoch_reference_passes(passes):
    passes(check_train_epoch, reference_train_epoch, "train_epoch")


def test_epoch_with_lesson_pieces_passes(passes):
    passes(check_train_epoch, epoch_with_networks, "train_epoch")


def test_epoch_with_its_own_shuffle_and_update_passes(passes):
    def train_epoch(network, x, d, batch_size, learning_rate, rng):
        order = rng.permutation(len(x))
        network = dict(network)
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            u1, z1, y = networks.forward(network, x[batch])
            grad = networks.backward(network, x[batch], d[batch], u1, z1, y)
            network = {key: network[key] - learning_rate * grad[key] for key in network}
        return network

    passes(check_train_epoch, train_epoch, "train_epoch")


def test_epoch_not_done(not_done):
    not_done(check_train_epoch, stub, "train_epoch")


def epoch_variant(batches="shuffled", sign=1.0, ret="end", keep_last_step_only=False):
    def train_epoch(network, x, d, batch_size, learning_rate, rng):
        if batches == "shuffled":
            chosen = reference_minibatch_indices(len(x), batch_size, rng)
        elif batches == "in order":
            chosen = [np.arange(s, min(s + batch_size, len(x)))
                      for s in range(0, len(x), batch_size)]
        elif batches == "drop last":
            chosen = reference_minibatch_indices(len(x), batch_size, rng)[:-1]
        elif batches == "full":
            chosen = [np.arange(len(x))]
        else:  # a fresh random batch per step, as the course draws them
            chosen = [rng.choice(len(x), batch_size, replace=False)
                      for _ in range(-(-len(x) // batch_size))]
        start = network
        for batch in chosen:
            base = start if keep_last_step_only else network
            u1, z1, y = networks.forward(base, x[batch])
            grad = networks.backward(base, x[batch], d[batch], u1, z1, y)
            network = reference_gradient_descent_step(base, grad, sign * learning_rate)
            if ret == "first":
                return network
        return network
    return train_epoch


@pytest.mark.parametrize("train_epoch, hint", [
    (epoch_variant(batches="in order"), "shuffle them with minibatch_indices"),
    (epoch_variant(batches="drop last"), "the last, smaller batch is missing"),
    (epoch_variant(ret="first"), "only the first batch took a step"),
    (epoch_variant(batches="full"), "one full-batch step"),
    (epoch_variant(sign=-1.0), "moved up the gradient"),
    (epoch_variant(keep_last_step_only=True), "start each step from the network of the "
                                              "previous step"),
])
def test_epoch_typical_mistakes_get_a_hint(train_epoch, hint, rejected):
    assert hint in rejected(check_train_epoch, train_epoch, "train_epoch")


def test_epoch_with_batches_drawn_independently_fails(rejected):
    message = rejected(check_train_epoch, epoch_variant(batches="choice"), "train_epoch")
    assert "['W2'] differs most at" in message or "['W2'] should be" in message


def test_epoch_that_updates_the_network_in_place(rejected):
    def train_epoch(network, x, d, batch_size, learning_rate, rng):
        for batch in reference_minibatch_indices(len(x), batch_size, rng):
            u1, z1, y = networks.forward(network, x[batch])
            grad = networks.backward(network, x[batch], d[batch], u1, z1, y)
            for key in network:
                network[key] -= learning_rate * grad[key]
        return network

    assert "changed its input in place (network['" in rejected(check_train_epoch, train_epoch,
                                                               "train_epoch")


def test_epoch_that_returns_nothing(rejected):
    def train_epoch(network, x, d, batch_size, learning_rate, rng):
        epoch_with_networks(network, x, d, batch_size, learning_rate, rng)

    assert "should return the network" in rejected(check_train_epoch, train_epoch, "train_epoch")


def test_epoch_that_mixes_up_x_and_d_batches(rejected):
    def train_epoch(network, x, d, batch_size, learning_rate, rng):
        for batch in reference_minibatch_indices(len(x), batch_size, rng):
            u1, z1, y = networks.forward(network, x[batch])
            grad = networks.backward(network, x[batch], d[:len(batch)], u1, z1, y)
            network = reference_gradient_descent_step(network, grad, learning_rate)
        return network

    rejected(check_train_epoch, train_epoch, "train_epoch")


# ---------------------------------------------------------------------------------------------
# Exercise 3: confusion_matrix


def test_confusion_reference_passes(passes):
    passes(check_confusion_matrix, reference_confusion_matrix, "confusion_matrix")


def test_confusion_written_differently_passes(passes):
    def confusion_matrix(labels, predicted, n_classes):
        return np.bincount(labels * n_classes + predicted,
                           minlength=n_classes ** 2).reshape(n_classes, n_classes)

    passes(check_confusion_matrix, confusion_matrix, "confusion_matrix")


def test_confusion_with_float_counts_passes(passes):
    def confusion_matrix(labels, predicted, n_classes):
        m = np.zeros((n_classes, n_classes))
        for i, j in zip(labels, predicted, strict=True):
            m[i, j] += 1
        return m

    passes(check_confusion_matrix, confusion_matrix, "confusion_matrix")


def test_confusion_not_done(not_done):
    not_done(check_confusion_matrix, stub, "confusion_matrix")


def fancy_index(labels, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    m[labels, predicted] += 1
    return m


@pytest.mark.parametrize("confusion_matrix, hint", [
    (lambda labels, predicted, k: reference_confusion_matrix(labels, predicted, k).T,
     "rows and columns are swapped"),
    (fancy_index, "counts only once"),
    (lambda labels, predicted, k: reference_confusion_matrix(labels, predicted, k)
     / np.maximum(reference_confusion_matrix(labels, predicted, k).sum(1, keepdims=True), 1),
     "fractions per row"),
    (lambda labels, predicted, k: reference_confusion_matrix(
        labels, predicted, max(labels.max(), predicted.max()) + 1),
     "even when a class never occurs"),
])
def test_confusion_typical_mistakes_get_a_hint(confusion_matrix, hint, rejected):
    assert hint in rejected(check_confusion_matrix, confusion_matrix, "confusion_matrix")


def test_check_of_a_non_function(rejected):
    assert "expected a function" in rejected(check_confusion_matrix, np.eye(3),
                                             "confusion_matrix")

