"""The checks of lesson 01 pass the reference solutions and catch the typical mistakes."""

import numpy as np
import pytest

from common import functions
from common.checks.forward_propagation import (
    COURSE_NETWORK,
    COURSE_X,
    SEED,
    check_affine,
    check_forward,
    random_network,
)

# ---------------------------------------------------------------------------------------------
# Exercise 1: affine(x, W, b)


def affine_reference(x, W, b):
    return np.dot(x, W) + b


def affine_matmul(x, W, b):
    """Correct, written differently: the @ operator."""
    return x @ W + b


def affine_loops(x, W, b):
    """Correct, written differently: explicit sums, one sample at a time."""
    def one(sample):
        return np.array([sum(sample[i] * W[i, j] for i in range(W.shape[0])) + b[j]
                         for j in range(W.shape[1])])
    x = np.asarray(x, dtype=float)
    return one(x) if x.ndim == 1 else np.array([one(row) for row in x])


def affine_not_done(x, W, b):
    raise NotImplementedError


def affine_transposed(x, W, b):
    return np.dot(W, x) + b


def affine_matmul_transposed(x, W, b):
    return x @ W.T + b


def affine_no_bias(x, W, b):
    return np.dot(x, W)


def affine_sums_batch(x, W, b):
    return np.sum(np.atleast_2d(np.dot(x, W)), axis=0) + b


def affine_sums_everything(x, W, b):
    return np.sum(x @ W) + np.sum(b)


def affine_always_batch(x, W, b):
    return np.dot(np.atleast_2d(x), W) + b


def affine_squeezed(x, W, b):
    return np.squeeze(np.dot(x, W) + b)


def affine_flattens_batch_of_one(x, W, b):
    u = np.dot(x, W) + b
    return u[0] if u.ndim == 2 and u.shape[0] == 1 else u


def affine_in_place(x, W, b):
    x *= 1.0
    W += 0.0
    b += 1.0
    return np.dot(x, W) + b - 1.0


@pytest.mark.parametrize("correct", [affine_reference, affine_matmul, affine_loops])
def test_affine_correct_versions_pass(correct, passes):
    assert passes(check_affine, correct, "affine") == "✔ affine: 7/7 checks passed"


def test_affine_not_done(not_done):
    not_done(check_affine, affine_not_done, "affine")


@pytest.mark.parametrize("wrong, hint", [
    (affine_transposed, "transposed weights"),
    (affine_matmul_transposed, "transposed weights"),
    (affine_no_bias, "forgot to add the bias"),
    (affine_sums_batch, "one row per sample"),
    (affine_sums_everything, "single number"),
    (affine_flattens_batch_of_one, "still a batch"),
    (affine_always_batch, "do not turn x into a batch"),
    (affine_squeezed, "np.squeeze"),
    (affine_in_place, "changed its input in place"),
])
def test_affine_wrong_versions_fail_with_a_hint(wrong, hint, rejected):
    assert hint in rejected(check_affine, wrong, "affine")


def test_affine_transposed_shape_error_gets_advice(rejected):
    def transposed_for_batches(x, W, b):  # right for one sample, a shape error for batches
        return np.dot(W.T, x.T).T + b if x.ndim == 1 else np.dot(W, x.T).T + b

    assert "np.dot(x, W)" in rejected(check_affine, transposed_for_batches, "affine")


def test_affine_not_a_function(rejected):
    # The learner passes the result of a call instead of the function itself.
    called = affine_reference(COURSE_X, COURSE_NETWORK["W1"], COURSE_NETWORK["b1"])
    assert rejected(check_affine, called, "affine").startswith("[affine] expected a function")


# ---------------------------------------------------------------------------------------------
# Exercise 2: forward(network, x)


def forward_reference(network, x):
    W1, W2 = network["W1"], network["W2"]
    b1, b2 = network["b1"], network["b2"]
    u1 = np.dot(x, W1) + b1
    z1 = functions.relu(u1)
    u2 = np.dot(z1, W2) + b2
    return functions.softmax(u2)


def forward_own_softmax(network, x):
    """Correct, written differently: np.maximum and a hand-written stable softmax."""
    z1 = np.maximum(x @ network["W1"] + network["b1"], 0)
    u2 = z1 @ network["W2"] + network["b2"]
    e = np.exp(u2 - u2.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward_not_done(network, x):
    raise NotImplementedError


def forward_no_softmax(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    return np.dot(z1, network["W2"]) + network["b2"]


def forward_no_relu(network, x):
    u1 = np.dot(x, network["W1"]) + network["b1"]
    return functions.softmax(np.dot(u1, network["W2"]) + network["b2"])


def forward_sigmoid_output(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    return functions.sigmoid(np.dot(z1, network["W2"]) + network["b2"])


def forward_relu_on_output(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    return functions.softmax(functions.relu(np.dot(z1, network["W2"]) + network["b2"]))


def forward_returns_tuple(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    return functions.softmax(np.dot(z1, network["W2"]) + network["b2"]), z1


def forward_softmax_whole_batch(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    u2 = np.dot(z1, network["W2"]) + network["b2"]
    e = np.exp(u2 - np.max(u2))
    return e / np.sum(e)


def forward_softmax_down_columns(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    u2 = np.dot(z1, network["W2"]) + network["b2"]
    e = np.exp(u2 - np.max(u2, axis=0))
    return e / np.sum(e, axis=0)


def forward_no_b2(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    return functions.softmax(np.dot(z1, network["W2"]))


def forward_transposed(network, x):
    z1 = functions.relu(np.dot(network["W1"], x) + network["b1"])
    return functions.softmax(np.dot(network["W2"], z1) + network["b2"])


def forward_global_network(network, x):
    return forward_reference(COURSE_NETWORK, x)


@pytest.mark.parametrize("correct", [forward_reference, forward_own_softmax])
def test_forward_correct_versions_pass(correct, passes):
    assert passes(check_forward, correct, "forward") == "✔ forward: 7/7 checks passed"


def test_forward_not_done(not_done):
    not_done(check_forward, forward_not_done, "forward")


@pytest.mark.parametrize("wrong, hint", [
    (forward_no_softmax, "apply softmax"),
    (forward_no_relu, "z1 = functions.relu(u1)"),
    (forward_sigmoid_output, "not sigmoid"),
    (forward_relu_on_output, "do not apply ReLU to the output layer"),
    (forward_returns_tuple, "return y only"),
    (forward_softmax_whole_batch, "whole batch at once"),
    (forward_softmax_down_columns, "down the columns"),
    (forward_no_b2, "bias b2"),
    (forward_transposed, "np.dot(x, W)"),
    (forward_global_network, "must come from the arguments"),
])
def test_forward_wrong_versions_fail_with_a_hint(wrong, hint, rejected):
    assert hint in rejected(check_forward, wrong, "forward")


def test_forward_random_networks_exercise_relu():
    """The random cases have negative hidden totals, so a forgotten ReLU cannot pass."""
    rng = np.random.default_rng(SEED + 1)
    net = random_network(rng, (3, 5, 4))
    random_network(rng, (4, 6, 3))
    x = rng.normal(size=3)
    assert np.any(np.dot(x, net["W1"]) + net["b1"] < 0)
