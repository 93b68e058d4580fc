"""The checks of lesson 05 accept right answers and reject typical wrong ones with a useful hint."""

import numpy as np
import pytest

from common import functions
from common.checks.backpropagation import (
    check_backward,
    check_delta_hidden,
    reference_backward,
    reference_delta_hidden,
    reference_forward,
)

# ---------------------------------------------------------------------------------------------
# backward(network, x, d, u1, z1, y)


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


def backward_rewritten(network, x, d, u1, z1, y):
    """Correct, written differently: the famous (y - d) / N, einsum and a loop over layers."""
    n = x.shape[0]
    grad = {}
    delta = (y - d) / n
    layers = [("2", z1, None), ("1", x, u1)]
    for i, (name, inputs, _) in enumerate(layers):
        grad["W" + name] = np.einsum("ni,nj->ij", inputs, delta)
        grad["b" + name] = delta.sum(axis=0)
        if i == 0:
            delta = (delta @ network["W2"].T) * (u1 > 0)
    return grad


def backward_with(**change):
    """The reference backward pass with one line replaced by a typical mistake."""
    def backward(network, x, d, u1, z1, y):
        delta2 = change.get("delta2", lambda: functions.d_softmax_with_loss(d, y))()
        w2 = change.get("w2", lambda: network["W2"].T)()
        slope = change.get("slope", lambda: functions.d_relu(u1))()
        grad_w = change.get("grad_w", lambda inputs, delta: np.dot(inputs.T, delta))
        grad_b = change.get("grad_b", lambda delta: np.sum(delta, axis=0))
        delta1 = np.dot(delta2, w2) * slope
        return {"W1": grad_w(x, delta1), "W2": grad_w(z1, delta2),
                "b1": grad_b(delta1), "b2": grad_b(delta2)}
    return backward


def backward_sigmoid_at_z1(network, x, d, u1, z1, y):
    """The course's DN15 mistake: sigmoid's derivative (of a ReLU layer), taken at z1."""
    return backward_with(slope=lambda: functions.d_sigmoid(z1))(network, x, d, u1, z1, y)


def backward_wrong_keys(network, x, d, u1, z1, y):
    grad = reference_backward(network, x, d, u1, z1, y)
    return {"dW1": grad["W1"], "W2": grad["W2"], "b1": grad["b1"], "b2": grad["b2"]}


def backward_returns_tuple(network, x, d, u1, z1, y):
    grad = reference_backward(network, x, d, u1, z1, y)
    return grad["W1"], grad["W2"], grad["b1"], grad["b2"]


def backward_course_loss(network, x, d, u1, z1, y):
    """The course calls d_sigmoid_with_loss on the softmax output: common's refuses 2 columns."""
    delta2 = functions.d_sigmoid_with_loss(d, y)
    return {"b2": delta2.sum(axis=0)}


def backward_no_average(network, x, d, u1, z1, y):
    """The famous y - d, without the 1/N of the batch average."""
    return backward_with(delta2=lambda: y - d)(network, x, d, u1, z1, y)


def backward_w2_not_transposed(network, x, d, u1, z1, y):
    return backward_with(w2=lambda: network["W2"])(network, x, d, u1, z1, y)


def backward_activation_not_derivative(network, x, d, u1, z1, y):
    return backward_with(slope=lambda: z1)(network, x, d, u1, z1, y)


# name: (wrong backward, a piece of the hint its failure must show)
WRONG_BACKWARDS = {
    "no batch average": (backward_no_average, "leaves out the batch average"),
    "W2 not transposed": (backward_w2_not_transposed, "needs W2.T"),
    "x and z1 not transposed": (backward_with(grad_w=lambda inputs, delta: np.dot(inputs, delta)),
                                "transpose the layer's input"),
    "operands swapped": (backward_with(grad_w=lambda inputs, delta: np.dot(delta.T, inputs)),
                         "gives its transpose"),
    "bias averaged": (backward_with(grad_b=lambda delta: np.mean(delta, axis=0)),
                      "already inside delta2"),
    "bias over axis 1": (backward_with(grad_b=lambda delta: np.sum(delta, axis=1)), "not axis=1"),
    "bias without axis": (backward_with(grad_b=np.sum), "one value per unit"),
    "no derivative": (backward_with(slope=lambda: 1.0), "forgets the activation's derivative"),
    "activation instead of derivative": (backward_activation_not_derivative,
                                         "not by the activation"),
    "sigmoid derivative at z1": (backward_sigmoid_at_z1, "must match the forward activation"),
    "wrong keys": (backward_wrong_keys, "missing 'W1'"),
    "tuple": (backward_returns_tuple, "should return a dict"),
    "course's d_sigmoid_with_loss": (backward_course_loss, "several classes need softmax"),
}


def test_backward_reference_passes(passes):
    assert passes(check_backward, reference_backward, "backward") == (
        "✔ backward: 34/34 checks passed")


def test_backward_written_differently_passes(passes):
    passes(check_backward, backward_rewritten, "backward")


def test_backward_not_done(not_done):
    not_done(check_backward, stub, "backward")


@pytest.mark.parametrize("name", WRONG_BACKWARDS)
def test_backward_typical_mistakes_fail_with_hint(name, rejected):
    wrong, hint = WRONG_BACKWARDS[name]
    assert hint in rejected(check_backward, wrong, "backward")


def test_backward_message_names_input_expected_and_received(rejected):
    message = rejected(check_backward, backward_no_average, "backward")
    assert "3-3-3 network with a batch of 3" in message
    assert "should be" in message and "got" in message


def test_reference_backward_matches_course_numbers():
    network = {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
               "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
               "b1": np.array([0.1, 0.2, 0.3]), "b2": np.array([0.1, 0.2])}
    x, d = np.array([[1.0, 5.0]]), np.array([[0.0, 1.0]])
    grad = reference_backward(network, x, d, *reference_forward(network, x))
    np.testing.assert_allclose(grad["b2"], [0.08706577, -0.08706577], atol=2e-8)
    np.testing.assert_allclose(grad["b1"], [-0.02611973] * 3, atol=2e-8)
    np.testing.assert_allclose(grad["W1"][1], [-0.13059864] * 3, atol=2e-8)
    np.testing.assert_allclose(grad["W2"][:, 0], [0.10447892, 0.21766441, 0.3308499], atol=2e-8)


# ---------------------------------------------------------------------------------------------
# delta_hidden(delta2, W2, u1), sigmoid hidden layer


def delta_hidden_rewritten(delta2, W2, u1):
    """Correct, written differently: sigma(u) (1 - sigma(u)) via z1, and the @ operator."""
    z1 = 1 / (1 + np.exp(-u1))
    return (delta2 @ W2.T) * z1 * (1 - z1)


WRONG_DELTAS = {
    "W2 not transposed": (lambda delta2, W2, u1: np.dot(delta2, W2) * functions.d_sigmoid(u1),
                          "needs W2.T"),
    "W2 first": (lambda delta2, W2, u1: np.dot(W2, delta2.T) * functions.d_sigmoid(u1),
                 "put delta2 first"),
    "derivative at z1": (lambda delta2, W2, u1: np.dot(delta2, W2.T)
                         * functions.d_sigmoid(functions.sigmoid(u1)),
                         "take it at the total input"),
    "formula applied to u1": (lambda delta2, W2, u1: np.dot(delta2, W2.T) * u1 * (1 - u1),
                              "not to u1 itself"),
    "activation instead of derivative": (lambda delta2, W2, u1: np.dot(delta2, W2.T)
                                         * functions.sigmoid(u1), "not by the activation"),
    "no derivative": (lambda delta2, W2, u1: np.dot(delta2, W2.T),
                      "forgets the activation's derivative"),
    "relu derivative": (lambda delta2, W2, u1: np.dot(delta2, W2.T) * functions.d_relu(u1),
                        "must match the forward activation"),
    "matrix product": (lambda delta2, W2, u1: np.dot(np.dot(delta2, W2.T), functions.d_sigmoid(u1)),
                       "elementwise"),
    "averaged again": (lambda delta2, W2, u1: np.dot(delta2, W2.T) * functions.d_sigmoid(u1)
                       / len(u1), "do not divide by N again"),
}


def test_delta_hidden_reference_passes(passes):
    assert passes(check_delta_hidden, reference_delta_hidden, "delta_hidden") == (
        "✔ delta_hidden: 7/7 checks passed")


def test_delta_hidden_written_differently_passes(passes):
    passes(check_delta_hidden, delta_hidden_rewritten, "delta_hidden")


def test_delta_hidden_not_done(not_done):
    not_done(check_delta_hidden, stub, "delta_hidden")


@pytest.mark.parametrize("name", WRONG_DELTAS)
def test_delta_hidden_typical_mistakes_fail_with_hint(name, rejected):
    wrong, hint = WRONG_DELTAS[name]
    assert hint in rejected(check_delta_hidden, wrong, "delta_hidden")


def test_delta_hidden_in_place_change_is_reported(rejected):
    def in_place(delta2, W2, u1):
        u1 *= 0.5
        return reference_delta_hidden(delta2, W2, u1)

    assert "changed its input in place" in rejected(check_delta_hidden, in_place, "delta_hidden")
