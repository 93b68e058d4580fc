"""The checks of lesson 06 (Iris): right answers pass, typical mistakes fail with a useful hint."""

import numpy as np
import pytest

from common import functions
from common.checks import iris
from common.checks.iris import (
    check_accuracy,
    check_backward,
    check_forward,
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

    def loss(_):
        return functions.cross_entropy_error(d, reference_forward(network, x)[0])

    for key in network:
        numerical = functions.numerical_gradient(loss, network[key])
        assert functions.relative_error(grad[key], numerical) < 1e-6, key


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


def test_forward_reference_passes(passes):
    passes(check_forward, reference_forward, "forward")


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
        y, cache = reference_forward(network, x)
        return y, {"u1": cache["z1"], "z1": cache["u1"], "y": y}

    assert "cache['u1'] holds z1" in rejected(check_forward, forward, "forward")


def test_forward_returning_only_y(rejected):
    message = rejected(check_forward, lambda network, x: reference_forward(network, x)[0],
                       "forward")
    assert "should return a pair (y, cache)" in message


# ---------------------------------------------------------------------------------------------
# Exercise 2: backward


def test_backward_reference_passes(passes):
    passes(check_backward, reference_backward, "backward")


def test_backward_not_done(not_done):
    not_done(check_backward, stub, "backward")


def test_backward_written_differently_passes(passes):
    def backward(network, x, d, cache):
        delta2 = (cache["y"] - d) / len(x)  # the textbook (y - d) / N
        delta1 = np.einsum("nk,hk->nh", delta2, network["W2"]) * (cache["z1"] > 0)
        return {"W1": np.einsum("nd,nh->dh", x, delta1), "b1": delta1.sum(axis=0),
                "W2": np.einsum("nh,nk->hk", cache["z1"], delta2), "b2": delta2.sum(axis=0)}

    passes(check_backward, backward, "backward")


def make_backward(average=True, relu_slope=True, transpose_w2=True, sign=1.0, bias_mean=False):
    def backward(network, x, d, cache):
        delta2 = sign * (cache["y"] - d) / (len(x) if average else 1)
        W2 = network["W2"].T if transpose_w2 else network["W2"]
        delta1 = np.dot(delta2, W2)
        if relu_slope:
            delta1 = delta1 * functions.d_relu(cache["u1"])
        total = np.mean if bias_mean else np.sum
        return {"W1": np.dot(x.T, delta1), "b1": total(delta1, axis=0),
                "W2": np.dot(cache["z1"].T, delta2), "b2": total(delta2, axis=0)}
    return backward


@pytest.mark.parametrize("backward, hint", [
    (make_backward(average=False), "no batch average"),
    (make_backward(relu_slope=False), "the ReLU derivative is missing"),
    (make_backward(transpose_w2=False), "a transpose is missing"),
    (make_backward(sign=-1.0), "the sign is flipped"),
    (make_backward(bias_mean=True), "averaged twice"),
])
def test_backward_typical_mistakes_get_a_hint(backward, hint, rejected):
    assert hint in rejected(check_backward, backward, "backward")


def test_backward_with_transposed_weight_gradients(rejected):
    def backward(network, x, d, cache):
        grad = reference_backward(network, x, d, cache)
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
        return {k: v * 1.01 for k, v in reference_backward(network, x, d, cache).items()}

    assert "grad['W2']" in rejected(check_backward, backward, "backward")


def test_backward_missing_a_key(rejected):
    def backward(network, x, d, cache):
        grad = reference_backward(network, x, d, cache)
        del grad["b1"]
        return grad

    assert "'W1', 'b1', 'W2', 'b2'" in rejected(check_backward, backward, "backward")


# ---------------------------------------------------------------------------------------------
# Exercise 3: accuracy


def test_accuracy_reference_passes(passes):
    passes(check_accuracy, reference_accuracy, "accuracy")


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
