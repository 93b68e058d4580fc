"""The checks of lesson 07 (digits): right answers pass, typical mistakes fail with a useful hint,
delegation to the lesson's references is refused, and the lesson's reference versions and
stacked trainer do what they say."""

import inspect
import types

import numpy as np
import pytest

from common import functions, networks
from common.checks import digits
from common.checks.digits import (
    HISTORY_KEYS,
    TRAINING_CASES,
    check_confusion_matrix,
    check_init_network,
    check_train_with_validation,
    evaluate_stack,
    forward_stack,
    reference_confusion_matrix,
    reference_init_network,
    reference_train_epoch,
    reference_train_with_validation,
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


def copy_of(func):
    """The same code as another function object, which the check does not refuse."""
    return types.FunctionType(func.__code__, func.__globals__, func.__name__)


def accuracy(d, y):
    return float(np.mean(y.argmax(axis=1) == d.argmax(axis=1)))


def train_as_in_the_lesson(network, x_train, d_train, x_val, d_val, epochs, batch_size,
                           learning_rate, rng):
    """The exercise as the lesson asks for it: lesson 04's and lesson 05's pieces."""
    history = {key: [] for key in HISTORY_KEYS}
    best_network, best_accuracy = network, -1.0
    for epoch in range(epochs + 1):
        if epoch > 0:
            for batch in reference_minibatch_indices(len(x_train), batch_size, rng):
                u1, z1, y = networks.forward(network, x_train[batch])
                grad = networks.backward(network, x_train[batch], d_train[batch], u1, z1, y)
                network = reference_gradient_descent_step(network, grad, learning_rate)
        for part, x, d in (("train", x_train, d_train), ("val", x_val, d_val)):
            y = networks.forward(network, x)[2]
            history[part + "_loss"].append(functions.cross_entropy_error(d, y))
            history[part + "_accuracy"].append(accuracy(d, y))
        if history["val_accuracy"][-1] > best_accuracy:
            best_network, best_accuracy = network, history["val_accuracy"][-1]
    return best_network, {key: np.array(values) for key, values in history.items()}


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


def test_rng_normal_gives_the_same_numbers_as_scaled_standard_normals():
    """The check compares exactly, so both ways the lesson allows must agree bit for bit."""
    scaled = np.random.default_rng(3).standard_normal((50, 40)) * np.sqrt(2 / 50)
    drawn = np.random.default_rng(3).normal(0, np.sqrt(2 / 50), (50, 40))
    assert np.array_equal(scaled, drawn)


def test_reference_epoch_is_lesson_05s_forward_and_backward():
    network, x, d, _, _ = digits._training_case(1, 257, 1, (64, 40, 10))
    fast = reference_train_epoch(network, x, d, 100, 0.5, np.random.default_rng(2))
    slow = network
    for batch in reference_minibatch_indices(len(x), 100, np.random.default_rng(2)):
        u1, z1, y = networks.forward(slow, x[batch])
        grad = networks.backward(slow, x[batch], d[batch], u1, z1, y)
        slow = reference_gradient_descent_step(slow, grad, 0.5)
    for key in network:
        np.testing.assert_allclose(fast[key], slow[key], rtol=1e-12, atol=1e-14)


def test_reference_training_is_the_lessons_and_leaves_its_input_alone():
    case = digits._training_case(2, 60, 20, (5, 6, 3))
    before = {key: value.copy() for key, value in case[0].items()}
    best, history = reference_train_with_validation(*case, 30, 10, 0.5, np.random.default_rng(0))
    same_best, same = train_as_in_the_lesson(*case, 30, 10, 0.5, np.random.default_rng(0))
    assert all(np.array_equal(case[0][key], before[key]) for key in before)
    for key in HISTORY_KEYS:
        assert history[key].shape == (31,)
        np.testing.assert_allclose(history[key], same[key], rtol=1e-10)
    for key in best:
        np.testing.assert_allclose(best[key], same_best[key], rtol=1e-10, atol=1e-12)
    assert history["train_loss"][-1] < history["train_loss"][0]
    # the best network is the one after the first epoch of the best validation accuracy
    best_epoch = int(np.argmax(history["val_accuracy"]))
    assert best_epoch < 30
    upto, _ = reference_train_with_validation(*case, best_epoch, 10, 0.5,
                                              np.random.default_rng(0))
    assert all(np.array_equal(best[key], upto[key]) for key in best)


def test_the_first_training_case_separates_every_wrong_choice():
    """Every wrong choice of the returned network picks another epoch than the right one."""
    seed, n_train, n_val, sizes, whole, batch_size, learning_rate, epochs = TRAINING_CASES[0]
    assert n_train % batch_size and not whole
    case = digits._training_case(seed, n_train, n_val, sizes, whole)
    _, history = reference_train_with_validation(*case, epochs, batch_size, learning_rate,
                                                 np.random.default_rng(seed))
    accuracy_ = history["val_accuracy"]
    best = int(np.argmax(accuracy_))
    last_of_best = int(np.flatnonzero(accuracy_ == accuracy_.max())[-1])
    wrong = {last_of_best, int(np.argmin(history["val_loss"])),
             int(np.argmax(history["train_accuracy"])), epochs}
    assert 0 < best < last_of_best < epochs and len(wrong) == 4 and best not in wrong
    assert not {best - 1, best + 1} & (wrong - {epochs})


def test_train_stack_does_what_reference_train_epoch_does_per_network():
    """Three networks, each on its own rows of one data set, with its own rate and generator."""
    network_rng = np.random.default_rng(11)
    starts = [digits._training_case(seed, 1, 1, (6, 7, 4))[0] for seed in range(3)]
    x = network_rng.uniform(0, 1, (80, 6))
    d = np.eye(4)[network_rng.integers(0, 4, 80)]
    train_rows = np.stack([network_rng.permutation(80)[:45] for _ in range(3)])
    val_rows = np.stack([network_rng.permutation(80)[:20] for _ in range(3)])
    rates = [0.1, 0.5, 1.0]
    start = stack(starts)
    trained, history = train_stack(start, x, d, train_rows, val_rows, 10, rates, 3,
                                   [np.random.default_rng(s) for s in (7, 8, 9)])
    assert history["val_loss"].shape == history["val_accuracy"].shape == (4, 3)
    for s, (network, rate, seed) in enumerate(zip(starts, rates, (7, 8, 9), strict=True)):
        rng = np.random.default_rng(seed)
        for _ in range(3):
            network = reference_train_epoch(network, x[train_rows[s]], d[train_rows[s]], 10,
                                            rate, rng)
        for key in network:
            np.testing.assert_allclose(unstack(trained, s)[key], network[key], rtol=1e-10,
                                       atol=1e-12)
        y = networks.forward(network, x[val_rows[s]])[2]
        assert history["val_accuracy"][-1, s] == np.mean(y.argmax(1) == d[val_rows[s]].argmax(1))
        assert np.isclose(history["val_loss"][-1, s],
                          functions.cross_entropy_error(d[val_rows[s]], y))
    assert all(np.array_equal(start[key], stack(starts)[key]) for key in start)


def test_forward_and_evaluate_stack_agree_with_networks():
    cases = [digits._training_case(seed, 12, 1, (5, 4, 3)) for seed in (1, 2)]
    network = stack([case[0] for case in cases])
    x = np.stack([case[1] for case in cases])
    d = np.stack([case[2] for case in cases])
    y, _, _ = forward_stack(network, x)
    loss, accuracy_ = evaluate_stack(network, x, d)
    for s, (single, x_s, d_s, _, _) in enumerate(cases):
        expected = networks.forward(single, x_s)[2]
        np.testing.assert_allclose(y[s], expected, rtol=1e-12)
        assert accuracy_[s] == np.mean(expected.argmax(1) == d_s.argmax(1))
        assert np.isclose(loss[s], -np.mean(np.log(expected[d_s.astype(bool)] + 1e-7)))


def test_reference_confusion_matrix_counts_repeats():
    m = reference_confusion_matrix(np.array([0, 0, 1, 1, 2]), np.array([0, 0, 2, 2, 2]), 4)
    np.testing.assert_array_equal(m, [[2, 0, 0, 0], [0, 0, 2, 0], [0, 0, 1, 0], [0, 0, 0, 0]])


# ---------------------------------------------------------------------------------------------
# Exercise 1: init_network


def init_with_loops(rng, sizes, method):
    n_input, n_hidden, n_output = sizes
    network = {}
    for key, fan_in, fan_out in (("1", n_input, n_hidden), ("2", n_hidden, n_output)):
        scale = {"0.01": 0.01, "xavier": fan_in ** -0.5, "he": (2 / fan_in) ** 0.5}[method]
        network["W" + key] = rng.normal(0.0, scale, size=(fan_in, fan_out))
        network["b" + key] = np.zeros(fan_out)
    return network


def init_dividing(rng, sizes, method):
    d, h, k = sizes
    w1, w2 = rng.standard_normal((d, h)), rng.standard_normal((h, k))
    if method == "0.01":
        w1, w2 = w1 / 100, w2 / 100
    else:
        factor = 1.0 if method == "xavier" else 2.0
        w1, w2 = w1 / np.sqrt(d / factor), w2 / np.sqrt(h / factor)
    return {"b1": np.zeros(h), "W1": w1, "b2": np.zeros(k, dtype=np.float64), "W2": w2}


@pytest.mark.parametrize("init_network", [copy_of(reference_init_network), init_with_loops,
                                          init_dividing])
def test_init_correct_versions_pass(init_network, passes):
    passes(check_init_network, init_network, "init_network")


def test_init_not_done(not_done):
    not_done(check_init_network, stub, "init_network")


@pytest.mark.parametrize("init_network", [
    reference_init_network,
    lambda rng, sizes, method: digits.reference_init_network(rng, sizes, method),
])
def test_init_that_calls_the_reference_is_refused(init_network, rejected):
    message = rejected(check_init_network, init_network, "init_network")
    assert "write it yourself, without digits.reference_init_network" in message


def make_init(rule=None, biases=0.0, source="rng", order="W1 first", bias_dtype=float,
              container=np.asarray):
    rules = {"0.01": lambda n_in, n_out: 0.01, "xavier": lambda n_in, n_out: 1 / np.sqrt(n_in),
             "he": lambda n_in, n_out: np.sqrt(2 / n_in)}

    def init_network(rng, sizes, method):
        d, h, k = sizes
        std = rule(method, sizes) if rule else rules[method]
        draw = {"rng": rng.standard_normal, "global": np.random.standard_normal,
                "uniform": lambda shape: rng.uniform(-np.sqrt(3), np.sqrt(3), shape)}[source]
        if order == "W1 first":
            w1 = draw((d, h))
            w2 = np.random.randn(h, k) if source == "W2 global" else draw((h, k))
        else:
            w2 = draw((h, k))
            w1 = draw((d, h))
        return {"W1": container(w1 * std(d, h)), "b1": np.full(h, biases, dtype=bias_dtype),
                "W2": container(w2 * std(h, k)), "b2": np.full(k, biases, dtype=bias_dtype)}
    return init_network


def rule(xavier, he, small=lambda i, o: 0.01):
    return lambda method, sizes: {"0.01": small, "xavier": xavier, "he": he}[method]


@pytest.mark.parametrize("init_network, hint", [
    (make_init(rule(lambda i, o: 1 / np.sqrt(o), lambda i, o: np.sqrt(2 / o))),
     "number of outputs (300); use its number of inputs, 400"),
    (make_init(rule(lambda i, o: 1 / i, lambda i, o: 2 / i)), "that is the variance"),
    (make_init(rule(lambda i, o: 1 / np.sqrt(i), lambda i, o: np.sqrt(2 / i),
                    small=lambda i, o: 0.1)), "not the variance"),
    (make_init(rule(lambda i, o: 1 / np.sqrt(i), lambda i, o: np.sqrt(2 / i),
                    small=lambda i, o: 1.0)), "multiply them"),
    (make_init(rule(lambda i, o: np.sqrt(2 / i), lambda i, o: 1 / np.sqrt(i))),
     "that is He's rule"),
    (make_init(rule(lambda i, o: np.sqrt(2 / (i + o)), lambda i, o: np.sqrt(2 / i))),
     "Glorot and Bengio's sqrt(2 / (n_in + n_out))"),
    (make_init(biases=0.1), "should be all zeros"),
    (make_init(source="global"), "draw every number from rng"),
    (make_init(source="uniform"), "the spread is right, but these are not the numbers"),
    (make_init(order="W2 first"), "W2 was drawn before W1"),
    (make_init(bias_dtype=int), "whole numbers (dtype int64)"),
    (make_init(container=lambda w: w.tolist()), "should return a NumPy array, got a list"),
])
def test_init_typical_mistakes_get_a_hint(init_network, hint, rejected):
    assert hint in rejected(check_init_network, init_network, "init_network")


def test_init_with_w2_from_np_random(rejected):
    def init_network(rng, sizes, method):
        network = reference_init_network(rng, sizes, method)
        d, h, k = sizes
        return {**network, "W2": np.random.randn(h, k) * digits.INIT_STDS[method](h)}

    with_copy = copy_of(init_network)  # reference_init_network is refused only by name: copy it
    with_copy.__globals__["reference_init_network"] = copy_of(reference_init_network)
    assert "gave another W2 for the same seed" in rejected(check_init_network, with_copy,
                                                           "init_network")


def test_init_that_scales_w2_by_the_networks_inputs(rejected):
    def init_network(rng, sizes, method):
        d, h, k = sizes
        std = digits.INIT_STDS[method]
        return {"W1": rng.standard_normal((d, h)) * std(d), "b1": np.zeros(h),
                "W2": rng.standard_normal((h, k)) * std(d), "b2": np.zeros(k)}

    message = rejected(check_init_network, init_network, "init_network")
    assert "'xavier')['W2']" in message
    assert ("the network's number of inputs (400); W2's layer gets its inputs from the 300"
            in message)


def test_init_with_its_own_fixed_seed(rejected):
    def init_network(rng, sizes, method):
        return copy_of(reference_init_network)(np.random.default_rng(5), sizes, method)

    assert "gave the same W1 as for seed 5" in rejected(check_init_network, init_network,
                                                        "init_network")


def test_init_with_uniform_weights_of_the_wrong_spread(rejected):
    def init_network(rng, sizes, method):
        d, h, k = sizes
        return {"W1": rng.uniform(-0.01, 0.01, (d, h)), "b1": np.zeros(h),
                "W2": rng.uniform(-0.01, 0.01, (h, k)), "b2": np.zeros(k)}

    assert "has standard deviation 0.005" in rejected(check_init_network, init_network,
                                                      "init_network")


def test_init_with_transposed_weights(rejected):
    def init_network(rng, sizes, method):
        network = copy_of(reference_init_network)(rng, sizes, method)
        return {**network, "W1": network["W1"].T}

    message = rejected(check_init_network, init_network, "init_network")
    assert message.endswith("should have shape (400, 300), got shape (300, 400)")


def test_init_with_a_missing_key(rejected):
    def init_network(rng, sizes, method):
        network = copy_of(reference_init_network)(rng, sizes, method)
        del network["b2"]
        return network

    assert "'W1', 'b1', 'W2', 'b2'" in rejected(check_init_network, init_network, "init_network")


def test_init_with_weights_that_are_all_positive(rejected):
    def init_network(rng, sizes, method):
        network = copy_of(reference_init_network)(rng, sizes, method)
        return {key: np.abs(value) for key, value in network.items()}

    assert "should have mean 0" in rejected(check_init_network, init_network, "init_network")


def init_comparing_method_with_a_number(rng, sizes, method):
    n_input, n_hidden, n_output = sizes

    def sigma(fan_in):
        if method == 0.01:
            return 0.01
        if method == "xavier":
            return 1 / np.sqrt(fan_in)
        if method == "he":
            return np.sqrt(2 / fan_in)

    return {"W1": rng.standard_normal((n_input, n_hidden)) * sigma(n_input),
            "b1": np.zeros(n_hidden),
            "W2": rng.standard_normal((n_hidden, n_output)) * sigma(n_hidden),
            "b2": np.zeros(n_output)}


def init_comparing_with_a_number_else_he(rng, sizes, method):
    d, h, k = sizes
    scale = {"xavier": lambda n: 1 / np.sqrt(n)}.get(method, lambda n: np.sqrt(2 / n))
    if method == 0.01:
        scale = lambda n: 0.01  # noqa: E731
    return {"W1": rng.standard_normal((d, h)) * scale(d), "b1": np.zeros(h),
            "W2": rng.standard_normal((h, k)) * scale(h), "b2": np.zeros(k)}


@pytest.mark.parametrize("init_network", [init_comparing_method_with_a_number,
                                          init_comparing_with_a_number_else_he])
def test_init_that_compares_method_with_the_number_001(init_network, rejected):
    """The beginner's walk: method == 0.01 crashed with a bare TypeError about NoneType."""
    message = rejected(check_init_network, init_network, "init_network")
    assert "'0.01')" in message
    assert message.endswith(" - " + digits.METHOD_AS_NUMBER)
    assert 'write method == "0.01"' in message


def test_init_whose_scale_is_none_without_its_source(rejected):
    """Compiled from a string (no source to read), a misspelt method's None scale is explained."""
    namespace = {"np": np}
    exec("def init_network(rng, sizes, method):\n"
         "    d, h, k = sizes\n"
         "    scale = {'0.01': 0.01, 'Xavier': 1 / np.sqrt(d), 'he': np.sqrt(2 / d)}.get(method)\n"
         "    return {'W1': rng.standard_normal((d, h)) * scale, 'b1': np.zeros(h),\n"
         "            'W2': rng.standard_normal((h, k)) * scale, 'b2': np.zeros(k)}\n", namespace)
    message = rejected(check_init_network, namespace["init_network"], "init_network")
    assert "'xavier') raised TypeError" in message and "NoneType" in message
    assert 'a scale came out as None: method is one of the strings "0.01"' in message


def test_init_that_compares_with_the_string_passes(passes):
    def init_network(rng, sizes, method):
        d, h, k = sizes
        factor = 0.01 if method == "0.01" else None
        scale = (lambda n: factor) if factor == 0.01 else (
            (lambda n: n ** -0.5) if method == "xavier" else (lambda n: (2 / n) ** 0.5))
        return {"W1": rng.standard_normal((d, h)) * scale(d), "b1": np.zeros(h),
                "W2": rng.standard_normal((h, k)) * scale(h), "b2": np.zeros(k)}

    passes(check_init_network, init_network, "init_network")


# ---------------------------------------------------------------------------------------------
# Exercise 2: train_with_validation


def train_in_place_with_copies(network, x_train, d_train, x_val, d_val, epochs, batch_size,
                               learning_rate, rng):
    """Updates a copy in place, keeps copies of the best, its own shuffle and bookkeeping."""
    network = {key: value.copy() for key, value in network.items()}
    history = {key: np.zeros(epochs + 1) for key in HISTORY_KEYS}
    best = None
    for epoch in range(epochs + 1):
        if epoch:
            order = rng.permutation(len(x_train))
            for start in range(0, len(x_train), batch_size):
                batch = order[start:start + batch_size]
                u1, z1, y = networks.forward(network, x_train[batch])
                grad = networks.backward(network, x_train[batch], d_train[batch], u1, z1, y)
                for key in network:
                    network[key] -= learning_rate * grad[key]
        for part, x, d in (("train", x_train, d_train), ("val", x_val, d_val)):
            y = networks.forward(network, x)[2]
            history[part + "_loss"][epoch] = -np.mean(np.log(np.sum(d * y, axis=1)))
            history[part + "_accuracy"][epoch] = np.mean(np.argmax(y, 1) == np.argmax(d, 1))
        if best is None or history["val_accuracy"][epoch] > history["val_accuracy"][:epoch].max():
            best = {key: value.copy() for key, value in network.items()}
    return best, history


def train_keeping_every_network(network, x_train, d_train, x_val, d_val, epochs, batch_size,
                                learning_rate, rng):
    """Keeps every epoch's network and picks the best with np.argmax afterwards."""
    kept = [network]
    for _ in range(epochs):
        current = kept[-1]
        for batch in reference_minibatch_indices(len(x_train), batch_size, rng):
            u1, z1, y = networks.forward(current, x_train[batch])
            grad = networks.backward(current, x_train[batch], d_train[batch], u1, z1, y)
            current = reference_gradient_descent_step(current, grad, learning_rate)
        kept.append(current)
    history = {}
    for part, x, d in (("train", x_train, d_train), ("val", x_val, d_val)):
        ys = [networks.forward(n, x)[2] for n in kept]
        history[part + "_loss"] = np.array([functions.cross_entropy_error(d, y) for y in ys])
        history[part + "_accuracy"] = np.array([accuracy(d, y) for y in ys])
    return kept[int(np.argmax(history["val_accuracy"]))], history


@pytest.mark.parametrize("train", [train_as_in_the_lesson, train_in_place_with_copies,
                                   train_keeping_every_network])
def test_train_correct_versions_pass(train, passes):
    passes(check_train_with_validation, train, "train_with_validation")


def test_train_not_done(not_done):
    not_done(check_train_with_validation, stub, "train_with_validation")


def epoch_by_the_reference(network, x_train, d_train, x_val, d_val, epochs, batch_size,
                           learning_rate, rng):
    """The lesson's loop with the inner epoch delegated to reference_train_epoch."""
    history = {key: [] for key in HISTORY_KEYS}
    best, best_accuracy = network, -1.0
    for epoch in range(epochs + 1):
        if epoch:
            network = digits.reference_train_epoch(network, x_train, d_train, batch_size,
                                                   learning_rate, rng)
        for part, x, d in (("train", x_train, d_train), ("val", x_val, d_val)):
            y = networks.forward(network, x)[2]
            history[part + "_loss"].append(functions.cross_entropy_error(d, y))
            history[part + "_accuracy"].append(accuracy(d, y))
        if history["val_accuracy"][-1] > best_accuracy:
            best, best_accuracy = network, history["val_accuracy"][-1]
    return best, {key: np.array(value) for key, value in history.items()}


@pytest.mark.parametrize("train, refused", [
    (reference_train_with_validation, "digits.reference_train_with_validation"),
    (copy_of(reference_train_with_validation), "digits.reference_train_epoch"),
    (epoch_by_the_reference, "digits.reference_train_epoch"),
    (lambda network, x, d, xv, dv, epochs, bs, lr, rng: (
        digits.train_stack(stack([network]), np.concatenate([x, xv]),
                           np.concatenate([d, dv]), np.arange(len(x))[None],
                           len(x) + np.arange(len(xv))[None], bs, [lr], epochs, [rng])),
     "digits.train_stack"),
])
def test_train_that_calls_a_reference_trainer_is_refused(train, refused, rejected):
    assert f"write it yourself, without {refused}" in rejected(
        check_train_with_validation, train, "train_with_validation")


def make_train(batches="shuffled", step_from="current", gradient_at="current", sign=1.0,
               keep="best", parts="right", record="all", returns="arrays"):
    """The lesson's exercise written as a learner might, with one mistake switched on."""

    def train(network, x_train, d_train, x_val, d_val, epochs, batch_size, learning_rate, rng):
        start, n = network, len(x_train)
        history = {key: [] for key in HISTORY_KEYS}
        kept = []
        once = reference_minibatch_indices(n, batch_size, rng) if batches == "once" else None
        evaluate = ((("train", x_train, d_train), ("val", x_val, d_val)) if parts == "right"
                    else (("train", x_val, d_val), ("val", x_train, d_train)))
        for epoch in range(epochs + 1):
            if epoch > 0:
                if batches == "in order":
                    chosen = [np.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
                elif batches == "once":
                    chosen = once
                elif batches == "full":
                    chosen = [np.arange(n)]
                elif batches in ("fresh", "fresh first"):
                    chosen = [reference_minibatch_indices(n, batch_size, rng)[
                        step if batches == "fresh" else 0] for step in range(-(-n // batch_size))]
                else:
                    chosen = reference_minibatch_indices(n, batch_size, rng)
                    chosen = {"drop last": chosen[:-1], "first": chosen[:1]}.get(batches, chosen)
                for batch in chosen:
                    at = start if gradient_at == "start" else network
                    base = start if step_from == "start" else network
                    u1, z1, y = networks.forward(at, x_train[batch])
                    grad = networks.backward(at, x_train[batch], d_train[batch], u1, z1, y)
                    network = reference_gradient_descent_step(base, grad, sign * learning_rate)
            if record == "after epochs" and epoch == 0:
                kept.append(network)
                continue
            for part, x, d in evaluate:
                y = networks.forward(network, x)[2]
                history[part + "_loss"].append(functions.cross_entropy_error(d, y))
                factor = 100 if returns == "percent" else 1
                history[part + "_accuracy"].append(factor * accuracy(d, y))
            kept.append(network)
        values = history["val_accuracy"]
        choose = {"best": lambda: int(np.argmax(values)),
                  "last": lambda: len(kept) - 1,
                  ">=": lambda: int(np.flatnonzero(np.array(values) == max(values))[-1]),
                  "loss": lambda: int(np.argmin(history["val_loss"])),
                  "train": lambda: int(np.argmax(history["train_accuracy"])),
                  "late": lambda: int(np.argmax(values)) + 1}[keep]
        if returns == "lists":
            return kept[choose()], history
        return kept[choose()], {key: np.array(value) for key, value in history.items()}
    return train


@pytest.mark.parametrize("train, hint", [
    (make_train(batches="in order"), "the samples go in file order"),
    (make_train(batches="once"), "every epoch used the same batches"),
    (make_train(batches="fresh"), "minibatch_indices was called at every step"),
    (make_train(batches="fresh first"), "minibatch_indices was called at every step"),
    (make_train(batches="drop last"), "the last, smaller batch is missing"),
    (make_train(batches="first"), "only the first batch of each epoch took a step"),
    (make_train(batches="full"), "one full-batch step per epoch"),
    (make_train(sign=-1.0), "moved up the gradient"),
    (make_train(step_from="start", gradient_at="start"),
     "every step started from the network you were given"),
    (make_train(gradient_at="start"), "every gradient was computed at the network you were "
                                      "given"),
    (make_train(parts="swapped"), "the training and the validation numbers are swapped"),
    (make_train(record="after epochs"), "there should be epochs + 1 = 7 entries: entry 0"),
    (make_train(returns="percent"), "not a percentage"),
    (make_train(returns="lists"), "should return a NumPy array, got a list"),
    (make_train(keep="last"), "that is the network after the last epoch"),
    (make_train(keep=">="), "keep the earliest: replace the best only when the new accuracy is "
                            "higher (>, not >=)"),
    (make_train(keep="loss"), "the lowest validation loss"),
    (make_train(keep="train"), "the best training accuracy: choose on the validation set"),
    (make_train(keep="late"), "one epoch after the best"),
])
def test_train_typical_mistakes_get_a_hint(train, hint, rejected):
    assert hint in rejected(check_train_with_validation, train, "train_with_validation")


def test_train_that_updates_the_network_in_place(rejected):
    def train(network, x_train, d_train, x_val, d_val, epochs, batch_size, learning_rate, rng):
        for batch in reference_minibatch_indices(len(x_train), batch_size, rng):
            u1, z1, y = networks.forward(network, x_train[batch])
            grad = networks.backward(network, x_train[batch], d_train[batch], u1, z1, y)
            for key in network:
                network[key] -= learning_rate * grad[key]
        return train_as_in_the_lesson(network, x_train, d_train, x_val, d_val, epochs - 1,
                                      batch_size, learning_rate, rng)

    assert "changed its input in place (network['" in rejected(
        check_train_with_validation, train, "train_with_validation")


@pytest.mark.parametrize("returned, message", [
    (lambda best, history: None, "returned None: end the function with `return best_network, "
                                 "history`"),
    (lambda best, history: best, "should return two things, (best_network, history), got dict"),
    (lambda best, history: (best, history, 0), "(best_network, history), got tuple of length 3"),
    (lambda best, history: (best, list(history.values())), "history should be a dict with the "
                                                           "keys train_loss"),
    (lambda best, history: (history, best), "history should be a dict with the keys"),
])
def test_train_that_returns_the_wrong_things(returned, message, rejected):
    def train(*args):
        return returned(*train_as_in_the_lesson(*args))

    assert message in rejected(check_train_with_validation, train, "train_with_validation")


def test_train_that_mixes_up_x_and_d_batches(rejected):
    def train(network, x_train, d_train, x_val, d_val, epochs, batch_size, learning_rate, rng):
        return train_as_in_the_lesson(network, x_train, np.roll(d_train, 1, axis=0), x_val,
                                      d_val, epochs, batch_size, learning_rate, rng)

    assert "history['train_loss']" in rejected(check_train_with_validation, train,
                                               "train_with_validation")


def train_with_batches(draw):
    """The lesson's loop with the batches of an epoch drawn by ``draw(n, batch_size, rng)``."""

    def train(network, x_train, d_train, x_val, d_val, epochs, batch_size, learning_rate, rng):
        history = {key: [] for key in HISTORY_KEYS}
        best, best_accuracy = network, -1.0
        for epoch in range(epochs + 1):
            if epoch:
                for batch in draw(len(x_train), batch_size, rng):
                    u1, z1, y = networks.forward(network, x_train[batch])
                    grad = networks.backward(network, x_train[batch], d_train[batch], u1, z1, y)
                    network = reference_gradient_descent_step(network, grad, learning_rate)
            for part, x, d in (("train", x_train, d_train), ("val", x_val, d_val)):
                y = networks.forward(network, x)[2]
                history[part + "_loss"].append(functions.cross_entropy_error(d, y))
                history[part + "_accuracy"].append(accuracy(d, y))
            if history["val_accuracy"][-1] > best_accuracy:
                best, best_accuracy = network, history["val_accuracy"][-1]
        return best, {key: np.array(value) for key, value in history.items()}
    return train


def permutation_sliced(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]


def test_train_with_its_own_permutation_in_the_same_order_passes(passes):
    passes(check_train_with_validation, train_with_batches(permutation_sliced),
           "train_with_validation")


@pytest.mark.parametrize("draw, hint", [
    (lambda n, b, rng: [rng.choice(n, b) for _ in range(-(-n // b))],
     "drawn at random one by one (rng.choice, as in the course's sample)"),
    (lambda n, b, rng: [rng.choice(n, b, replace=False) for _ in range(n // b)],
     digits.OWN_BATCHES),
    (lambda n, b, rng: permutation_sliced(n, b, rng)[::-1], digits.OWN_BATCHES),
])
def test_train_with_batches_of_its_own_gets_a_hint(draw, hint, rejected):
    """The beginner's walk: own batches from rng.choice got numbers only, no hint."""
    message = rejected(check_train_with_validation, train_with_batches(draw),
                       "train_with_validation")
    assert "history['train_loss']" in message and hint in message


@pytest.mark.parametrize("old, new", [
    ("grad = networks.backward(network, x_train[batch], d_train[batch], u1, z1, y)",
     "grad = networks.backward(network, x_train[batch], d_train, u1, z1, y)"),
    ("grad = networks.backward(network, x_train[batch], d_train[batch], u1, z1, y)",
     "grad = networks.backward(network, x_train, d_train[batch], u1, z1, y)"),
    ("u1, z1, y = networks.forward(network, x_train[batch])",
     "u1, z1, y = networks.forward(network, x_train)"),
])
def test_train_that_mixes_a_batch_with_a_whole_set(old, new, rejected, tmp_path):
    """The beginner's walk: the full d_train in backward was a bare ValueError."""
    source = inspect.getsource(train_as_in_the_lesson)
    assert old in source
    namespace = dict(globals())
    exec(compile(source.replace(old, new), str(tmp_path / "train.py"), "exec"), namespace)
    message = rejected(check_train_with_validation, namespace["train_as_in_the_lesson"],
                       "train_with_validation")
    assert "raised ValueError" in message
    assert message.endswith(" - " + digits.MIXED_ARRAYS)


# ---------------------------------------------------------------------------------------------
# Exercise 3: confusion_matrix


def confusion_by_bincount(labels, predicted, n_classes):
    return np.bincount(labels * n_classes + predicted,
                       minlength=n_classes ** 2).reshape(n_classes, n_classes)


def confusion_by_comparison(labels, predicted, n_classes):
    classes = np.arange(n_classes)
    return ((labels[:, None] == classes)[:, :, None]
            & (predicted[:, None] == classes)[:, None, :]).sum(axis=0)


@pytest.mark.parametrize("confusion_matrix", [copy_of(reference_confusion_matrix),
                                              confusion_by_bincount, confusion_by_comparison])
def test_confusion_correct_versions_pass(confusion_matrix, passes):
    passes(check_confusion_matrix, confusion_matrix, "confusion_matrix")


def test_confusion_not_done(not_done):
    not_done(check_confusion_matrix, stub, "confusion_matrix")


def test_confusion_that_calls_the_reference_is_refused(rejected):
    def confusion_matrix(labels, predicted, n_classes):
        return reference_confusion_matrix(labels, predicted, n_classes)

    assert "write it yourself, without digits.reference_confusion_matrix" in rejected(
        check_confusion_matrix, confusion_matrix, "confusion_matrix")


def fancy_index(labels, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    m[labels, predicted] += 1
    return m


def float_counts(labels, predicted, n_classes):
    m = np.zeros((n_classes, n_classes))
    for i, j in zip(labels, predicted, strict=True):
        m[i, j] += 1
    return m


@pytest.mark.parametrize("confusion_matrix, hint", [
    (lambda labels, predicted, k: confusion_by_bincount(labels, predicted, k).T,
     "rows and columns are swapped"),
    (fancy_index, "counts only once"),
    (lambda labels, predicted, k: confusion_by_bincount(labels, predicted, k)
     / np.maximum(confusion_by_bincount(labels, predicted, k).sum(1, keepdims=True), 1),
     "fractions per row"),
    (lambda labels, predicted, k: confusion_by_bincount(
        labels, predicted, max(labels.max(), predicted.max()) + 1),
     "even when a class never occurs"),
    (float_counts, "should hold whole-number counts (an integer dtype), got dtype float64"),
    (lambda labels, predicted, k: confusion_by_bincount(labels, predicted, k).tolist(),
     "should return a NumPy array, got a list"),
])
def test_confusion_typical_mistakes_get_a_hint(confusion_matrix, hint, rejected):
    assert hint in rejected(check_confusion_matrix, confusion_matrix, "confusion_matrix")


def confusion_unbracketed(labels, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    for i in range(n_classes):
        for j in range(n_classes):
            m[i, j] = np.sum(labels == i & predicted == j)
    return m


def confusion_unbracketed_per_sample(labels, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    for n in range(len(labels)):
        for i in range(n_classes):
            for j in range(n_classes):
                if labels[n] == i & predicted[n] == j:
                    m[i, j] += 1
    return m


def confusion_bracketed(labels, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    for i in range(n_classes):
        for j in range(n_classes):
            m[i, j] = np.sum((labels == i) & (predicted == j))
    return m


def test_confusion_with_brackets_passes(passes):
    passes(check_confusion_matrix, confusion_bracketed, "confusion_matrix")


def test_confusion_without_brackets_crashes_with_the_precedence_hint(rejected):
    """The beginner's walk: the Checker's general advice spoke of `if`; the fix is brackets."""
    message = rejected(check_confusion_matrix, confusion_unbracketed, "confusion_matrix")
    assert "raised ValueError: The truth value of an array" in message
    assert message.endswith(" - " + digits.PRECEDENCE)
    assert "np.where" not in message


def test_confusion_without_brackets_one_sample_at_a_time(rejected):
    """On single numbers the same precedence mistake runs and counts the wrong pairs."""
    message = rejected(check_confusion_matrix, confusion_unbracketed_per_sample,
                       "confusion_matrix")
    assert message.endswith(" - " + digits.PRECEDENCE)


def test_confusion_precedence_hint_without_a_readable_source(rejected):
    """Compiled from a string, the loop's wrong counts alone give the hint."""
    namespace = {"np": np}
    exec(inspect.getsource(confusion_unbracketed_per_sample), namespace)
    message = rejected(check_confusion_matrix, namespace["confusion_unbracketed_per_sample"],
                       "confusion_matrix")
    assert message.endswith(" - " + digits.PRECEDENCE)


def test_confusion_counts_are_shown_as_whole_numbers(rejected):
    def confusion_matrix(labels, predicted, n_classes):
        m = confusion_by_bincount(labels, predicted, n_classes)
        m[0, 0] += 1
        return m

    message = rejected(check_confusion_matrix, confusion_matrix, "confusion_matrix")
    assert message.endswith("differs most at [0, 0]: should be 2, got 3")


def test_check_of_a_non_function(rejected):
    assert "expected a function" in rejected(check_confusion_matrix, np.eye(3),
                                             "confusion_matrix")
