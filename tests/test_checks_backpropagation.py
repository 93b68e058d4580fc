"""The checks of lesson 05 accept right answers written many ways and reject typical wrong ones
with a hint a beginner can act on."""

import types

import numpy as np
import pytest

from common import functions, networks
from common.checks import backpropagation as B
from common.checks.backpropagation import (
    check_backward_3layer,
    check_backward_regression,
    reference_backward_3layer,
    reference_backward_regression,
    reference_forward_3layer,
    reference_forward_regression,
)
from common.functions import numerical_gradient

# The check refuses B._chain itself while the learner's function runs, so the wrong answers
# below are built with a copy of it: the same code under another function object.
chain = types.FunctionType(B._chain.__code__, B._chain.__globals__, "chain")
chain.__kwdefaults__ = B._chain.__kwdefaults__


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# backward_regression(network, x, d, u1, z1, y, c): ReLU hidden layer, identity output, the
# weighted squared error 1/2 sum_k c_k (y_k - d_k)^2 per sample, averaged over the batch (the
# lecture's loss when every c_k is 1)


def regression_as_in_the_notebook(network, x, d, u1, z1, y, c):
    delta2 = c * (y - d) / len(y)
    delta1 = (delta2 @ network["W2"].T) * functions.d_relu(u1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}


def regression_with_einsum_and_a_mask(network, x, d, u1, z1, y, c):
    n, _ = y.shape
    delta2 = np.einsum("nk,k->nk", y - d, c) / n
    delta1 = np.einsum("nk,hk->nh", delta2, network["W2"]) * np.where(u1 > 0, 1.0, 0.0)
    return {"W1": np.einsum("nd,nh->dh", x, delta1), "b1": np.einsum("nh->h", delta1),
            "W2": np.einsum("nh,nk->hk", z1, delta2), "b2": np.einsum("nk->k", delta2)}


def regression_sample_by_sample(network, x, d, u1, z1, y, c):
    """Loops over the samples, adding each one's gradient, with np.dot and (u1 >= 0)."""
    grad = {key: np.zeros_like(value, dtype=float) for key, value in network.items()}
    for n in range(len(x)):
        delta2 = c * (y[n] - d[n]) / y.shape[0]
        delta1 = np.dot(network["W2"], delta2) * (u1[n] >= 0)
        grad["W2"] += np.outer(z1[n], delta2)
        grad["b2"] += delta2
        grad["W1"] += np.outer(x[n], delta1)
        grad["b1"] += delta1
    return grad


def regression_from_the_loss_derivative(network, x, d, u1, z1, y, c):
    """dE/dy from the definition E = sum(c * (y - d)**2) / (2 * N), written out by hand, with
    the weights as a diagonal matrix and a row vector."""
    n = float(y.shape[0])
    delta2 = 2 * (y - d) @ np.diag(c) / (2 * n)
    return _layers_from(network, x, z1, u1, delta2 * np.ones((1, len(c))))


def regression_with_a_loop_over_the_outputs(network, x, d, u1, z1, y, c):
    """One output column at a time, the weights read as c[k]."""
    delta2 = np.zeros_like(y, dtype=float)
    for k in range(y.shape[1]):
        delta2[:, k] = c[k] * (y[:, k] - d[:, k]) / y.shape[0]
    return _layers_from(network, x, z1, u1, delta2)


def _layers_from(network, x, z1, u1, delta2):
    delta1 = np.dot(delta2, network["W2"].T) * (u1 > 0)
    return {"b2": np.sum(delta2, axis=0), "W2": np.dot(z1.T, delta2),
            "b1": np.sum(delta1, axis=0), "W1": np.dot(x.T, delta1)}


RIGHT_REGRESSIONS = [regression_as_in_the_notebook, regression_with_einsum_and_a_mask,
                     regression_sample_by_sample, regression_from_the_loss_derivative,
                     regression_with_a_loop_over_the_outputs]


@pytest.mark.parametrize("backward", RIGHT_REGRESSIONS, ids=lambda f: f.__name__)
def test_backward_regression_right_answers_pass(backward, passes):
    assert passes(check_backward_regression, backward, "backward_regression") == (
        "✔ backward_regression: 28/28 checks passed")


def test_backward_regression_not_done(not_done):
    not_done(check_backward_regression, stub, "backward_regression")


def regression_with(delta2=None, **change):
    """The reference backward pass with its output delta (a function of y, d and c) or one
    layer rule replaced."""
    def backward(network, x, d, u1, z1, y, c):
        delta = c * (y - d) / len(y) if delta2 is None else delta2(y, d, c)
        return chain(network, x, [u1], [z1], delta, **change)
    return backward


def regression_uses_the_library(network, x, d, u1, z1, y, c):
    return _layers_from(network, x, z1, u1, c * functions.d_mean_squared_error(d, y))


def regression_uses_the_reference(network, x, d, u1, z1, y, c):
    return B.reference_backward_regression(network, x, d, u1, z1, y, c)


def regression_uses_the_softmax_delta(network, x, d, u1, z1, y, c):
    from common.functions import d_softmax_with_loss as delta_of  # an alias refuses too
    return _layers_from(network, x, z1, u1, delta_of(d, y))


def regression_uses_the_numerical_gradient(network, x, d, u1, z1, y, c):
    def loss(_):
        out = B.reference_forward_regression(network, x)[2]
        return 0.5 * np.sum(c * (out - d) ** 2) / len(x)
    return {key: numerical_gradient(loss, network[key]) for key in network}


def regression_uses_the_check_helper(network, x, d, u1, z1, y, c):
    return B._chain(network, x, [u1], [z1], c * (y - d) / len(y))


def regression_uses_the_2_layer_reference(network, x, d, u1, z1, y, c):
    return networks.backward(network, x, d, u1, z1, y)


def regression_w2_not_transposed(network, x, d, u1, z1, y, c):
    delta2 = c * (y - d) / len(y)
    delta1 = (delta2 @ network["W2"]) * (u1 > 0)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}


def regression_weights_the_rows(network, x, d, u1, z1, y, c):
    return _layers_from(network, x, z1, u1, c.reshape(-1, 1) * (y - d) / len(y))


def regression_derivative_at_z1(network, x, d, u1, z1, y, c):
    """The course's d_relu(z1): the right mask for ReLU, by luck."""
    delta2 = c * (y - d) / len(y)
    delta1 = (delta2 @ network["W2"].T) * functions.d_relu(z1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}


def regression_derivative_at_z1_imported(network, x, d, u1, z1, y, c):
    from common.functions import d_relu as slope  # an alias is watched too
    delta2 = c * (y - d) / len(y)
    return _layers_from(network, x, z1, u1, delta2) | {
        "b1": ((delta2 @ network["W2"].T) * slope(z1)).sum(axis=0)}


def regression_returns_lists(network, x, d, u1, z1, y, c):
    return {key: value.tolist() for key, value in
            regression_as_in_the_notebook(network, x, d, u1, z1, y, c).items()}


def regression_prints(network, x, d, u1, z1, y, c):
    print(regression_as_in_the_notebook(network, x, d, u1, z1, y, c))


def regression_updates_in_place(network, x, d, u1, z1, y, c):
    grad = regression_as_in_the_notebook(network, x, d, u1, z1, y, c)
    network["W2"] -= 0.1 * grad["W2"]  # a training step hidden inside the backward pass
    return grad


def regression_changes_the_weights(network, x, d, u1, z1, y, c):
    c /= c.sum()  # normalised in place
    return regression_as_in_the_notebook(network, x, d, u1, z1, y, c * c.size)


def regression_keepdims(network, x, d, u1, z1, y, c):
    grad = regression_as_in_the_notebook(network, x, d, u1, z1, y, c)
    grad["b2"] = np.sum(c * (y - d) / len(y), axis=0, keepdims=True)
    return grad


def regression_int_bias(network, x, d, u1, z1, y, c):
    grad = regression_as_in_the_notebook(network, x, d, u1, z1, y, c)
    grad["b2"] = grad["b2"].astype(int)
    return grad


def regression_bias_not_summed(network, x, d, u1, z1, y, c):
    grad = regression_as_in_the_notebook(network, x, d, u1, z1, y, c)
    grad["b2"] = c * (y - d) / len(y)
    return grad


def regression_delta_collapsed(network, x, d, u1, z1, y, c):
    delta2 = np.mean(c * (y - d))  # one number instead of (N, K)
    delta1 = np.dot(delta2, network["W2"].T) * functions.d_relu(u1)
    return {"W1": np.dot(x.T, delta1), "b1": np.sum(delta1, axis=0),
            "W2": np.dot(z1.T, delta2), "b2": np.sum(delta2, axis=0)}


def regression_delta_collapsed_then_matmul(network, x, d, u1, z1, y, c):
    delta2 = np.mean(c * (y - d))  # the exercise's own @ and .sum(axis=0) around it
    delta1 = (delta2 @ network["W2"].T) * functions.d_relu(u1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}


def regression_bias_is_one_number(network, x, d, u1, z1, y, c):
    grad = regression_as_in_the_notebook(network, x, d, u1, z1, y, c)
    grad["b2"] = np.mean(c * (y - d))
    return grad


def regression_dict_with_a_none(network, x, d, u1, z1, y, c):
    grad = regression_as_in_the_notebook(network, x, d, u1, z1, y, c)
    grad["W1"] = None
    return grad


# name: (wrong backward_regression, a piece of the message its failure must show)
WRONG_REGRESSIONS = {
    "weights left out (section 3's delta)": (
        regression_with(lambda y, d, c: (y - d) / len(y)),
        "delta2 leaves out the weights: (y - d) / N is the delta of the unweighted loss"),
    "weights left out, delta over N K (mean_squared_error's)": (
        regression_with(lambda y, d, c: (y - d) / y.size), "the delta of functions.mean_squared"),
    "delta over N K": (regression_with(lambda y, d, c: c * (y - d) / y.size),
                       "divides by N K, like functions.mean_squared_error"),
    "weights squared": (regression_with(lambda y, d, c: c ** 2 * (y - d) / len(y)),
                        "not c_k squared"),
    "weights normalised": (regression_with(lambda y, d, c: c / c.sum() * (y - d) / len(y)),
                           "the weights are not divided by their sum"),
    "one weight for all outputs": (regression_with(lambda y, d, c: c.sum() * (y - d) / len(y)),
                                   "not every column by the sum of the weights"),
    "the mean weight": (regression_with(lambda y, d, c: np.mean(c) * (y - d) / len(y)),
                        "not every column by their mean"),
    "divided by the weights": (regression_with(lambda y, d, c: (y - d) / c / len(y)),
                               "multiply by c, do not divide"),
    "weights on the rows (a shape error, named from the square case)": (
        regression_weights_the_rows, "c[:, None] (or c.reshape(-1, 1)) weights the rows"),
    "no average": (regression_with(lambda y, d, c: c * (y - d)), "leaves out the batch average"),
    "delta over K": (regression_with(lambda y, d, c: c * (y - d) / y.shape[1]),
                     "divides by the number of outputs"),
    "precedence slip": (regression_with(lambda y, d, c: c * (y - d) / len(y) * y.shape[1]),
                        "Python reads c * (y - d) / n * k as (c * (y - d) / n) * k: that "
                        "multiplies by K; and / (n * k) would be mean_squared_error's average"),
    "sign flipped": (regression_with(lambda y, d, c: c * (d - y) / len(y)),
                     "the sign is flipped"),
    "half again": (regression_with(lambda y, d, c: c * (y - d) / (2 * len(y))),
                   "cancels the 2 of its derivative"),
    "factor 2 kept": (regression_with(lambda y, d, c: 2 * c * (y - d) / len(y)),
                      "has a 1/2 in front"),
    "the loss term instead of its derivative": (
        regression_with(lambda y, d, c: 0.5 * c * (y - d) ** 2 / len(y)),
        "that is the loss term itself; delta2 is its derivative with respect to y"),
    "the unweighted loss term": (
        regression_with(lambda y, d, c: 0.5 * (y - d) ** 2 / len(y)),
        "that is the loss term itself (and without c)"),
    "output treated as ReLU": (regression_with(lambda y, d, c: c * (y - d) / len(y) * (y > 0)),
                               "the output is the identity"),
    "d_relu(z1) (right by luck)": (regression_derivative_at_z1,
                                   "d_relu(z1) is right for ReLU only by luck"),
    "d_relu(z1) under another name": (regression_derivative_at_z1_imported,
                                      "take the derivative at the total input, d_relu(u1)"),
    "changes c in place": (regression_changes_the_weights, "in place (c)"),
    "W2 not transposed (a shape error, named from the square case)": (
        regression_w2_not_transposed, "raised ValueError: matmul"),
    "inputs of the two layers swapped": (None, "grad['W2'] uses z1"),
    "u1 as the input of layer 2": (None, "not its total input u1"),
    "input not transposed": (regression_with(grad_w=lambda a, delta: np.dot(a, delta)),
                             "transpose the layer's input"),
    "operands swapped": (regression_with(grad_w=lambda a, delta: np.dot(delta.T, a)),
                         "gives its transpose"),
    "bias averaged": (regression_with(grad_b=lambda delta: delta.mean(axis=0)),
                      "do not average again"),
    "bias over axis 1": (regression_with(grad_b=lambda delta: delta.sum(axis=1)), "not axis=1"),
    "bias without axis": (regression_with(grad_b=np.sum), "one value per unit"),
    "bias not summed over the batch": (regression_bias_not_summed, "one row per sample"),
    "delta collapsed into one number": (regression_delta_collapsed,
                                        "the output delta has the shape (N, K) of y"),
    "delta collapsed, then @": (regression_delta_collapsed_then_matmul,
                                "the output delta has the shape (N, K) of y"),
    "bias gradient one number": (regression_bias_is_one_number,
                                 "grad['b2'] came out as one number: is delta2 (N, K) like y?"),
    "a None inside the dict": (regression_dict_with_a_none,
                               "grad['W1'] is None: compute it before building the dict"),
    "no derivative": (regression_with(slope=lambda layer: 1.0), "forgets the activation's"),
    "library delegation": (regression_uses_the_library,
                           "write delta2 yourself, without functions.d_mean_squared_error: "
                           "it is the delta of another loss"),
    "numerical gradient": (regression_uses_the_numerical_gradient,
                           "without functions.numerical_gradient"),
    "the check's own helper": (regression_uses_the_check_helper,
                               "without backpropagation._chain"),
    "the 2-layer reference": (regression_uses_the_2_layer_reference,
                              "without networks.backward"),
    "reference delegation": (regression_uses_the_reference,
                             "without backpropagation.reference_backward_regression"),
    "softmax delta, imported under another name": (
        regression_uses_the_softmax_delta, "without functions.d_softmax_with_loss: it is the"),
    "lists": (regression_returns_lists, "should return a NumPy array, got a list"),
    "prints instead of returning": (regression_prints, "returned None: end the function with"),
    "changes the network in place": (regression_updates_in_place, "network['W2']"),
    "keepdims bias": (regression_keepdims, "keepdims=True keeps a batch axis of 1"),
    "integer bias gradient": (regression_int_bias, "dtype int64"),
}


def _wrong_regression(name):
    """The wrong answers of WRONG_REGRESSIONS that need the kept values."""
    def backward(network, x, d, u1, z1, y, c):
        inputs = {"inputs of the two layers swapped": (z1, x),
                  "u1 as the input of layer 2": (x, u1)}[name]
        return chain(network, x, [u1], [z1], c * (y - d) / len(y),
                     inputs=lambda layer: inputs[layer - 1])
    return backward


@pytest.mark.parametrize("name", WRONG_REGRESSIONS)
def test_backward_regression_mistakes_fail_with_hint(name, rejected):
    wrong, hint = WRONG_REGRESSIONS[name]
    wrong = wrong or _wrong_regression(name)
    assert hint in rejected(check_backward_regression, wrong, "backward_regression")


def test_backward_regression_mistake_is_named_on_the_first_case(rejected):
    """The first case has different sizes everywhere, so the first message is unambiguous."""
    message = rejected(check_backward_regression, WRONG_REGRESSIONS[
        "weights left out (section 3's delta)"][0], "backward_regression")
    assert "4-6-3 network with a batch of 5" in message and "grad['b2']" in message
    assert "should be" in message and "got" in message


def test_a_right_value_of_the_wrong_type_gets_no_mistake_hint(rejected):
    """A hint whose wrong value equals the right one (a mistake in another key) is not given."""
    message = rejected(check_backward_regression, regression_returns_lists, "backward_regression")
    assert message.endswith("(np.array(...) turns a list into one)"), message


def test_a_missing_transpose_is_named_in_the_shape_error(rejected):
    message = rejected(check_backward_regression, regression_w2_not_transposed,
                       "backward_regression")
    assert "4-6-3 network" in message and "delta1 needs W2.T" in message


def test_an_unknown_shape_error_gets_the_sizes(rejected):
    message = rejected(check_backward_regression, regression_delta_collapsed,
                       "backward_regression")
    assert "here N = 5, D = 4, H = 6, K = 3" in message


def test_the_activation_instead_of_its_derivative_is_named(rejected):
    def backward(network, x, d, u1, z1, y, c):
        return chain(network, x, [u1], [z1], c * (y - d) / len(y), slope=lambda layer: z1)

    assert "not by the activation" in rejected(check_backward_regression, backward,
                                               "backward_regression")


def test_regression_reference_matches_the_numerical_gradient_and_lesson_04():
    """The reference is the true gradient of the weighted squared error; for one output column
    it is c times lesson 04's backward (delta2 = d_mean_squared_error(d, y) = (y - d) / N)."""
    for _, network, x, d, c in B._regression_cases():
        kept = reference_forward_regression(network, x)
        grad = reference_backward_regression(network, x, d, *kept, c)
        for key in network:
            numerical = numerical_gradient(
                lambda _, net=network, x=x, d=d, c=c: B._regression_loss(net, x, d, c),
                network[key])
            np.testing.assert_allclose(grad[key], numerical, rtol=1e-5, atol=1e-9)
        if d.shape[1] == 1:
            delta2 = c * functions.d_mean_squared_error(d, kept[2])
            np.testing.assert_allclose(grad["b2"], delta2.sum(axis=0), rtol=1e-12)


def test_the_course_example_keeps_the_course_numbers():
    """With c = [1, 1] the loss is the lecture's, and grad['W2'][0, 1] is its -1.026."""
    label, network, x, d, c = B._regression_cases()[1]
    assert "course's 2-3-2" in label and list(c) == [1.0, 1.0]
    kept = reference_forward_regression(network, x)
    assert np.isclose(B.weighted_squared_error(d, kept[2], c), 1.94225)
    grad = reference_backward_regression(network, x, d, *kept, c)
    assert np.isclose(grad["W2"][0, 1], -1.026)
    np.testing.assert_allclose(grad["b2"], [-0.98, -1.71])


def test_weighted_squared_error():
    d, y = np.array([[2.0, 4.0], [0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 2.0], [0.5, 0.0],
                                                                      [1.0, 3.0]])
    ones = np.ones(2)
    assert np.isclose(B.weighted_squared_error(d, y, ones), 2 * functions.mean_squared_error(d, y))
    assert np.isclose(B.weighted_squared_error(d, y, ones), 0.5 * (1 + 4 + 0.25 + 1 + 4) / 3)
    assert np.isclose(B.weighted_squared_error(d, y, np.array([2.0, 0.5])),
                      0.5 * (2 * 1 + 0.5 * 4 + 2 * 0.25 + 0.5 * 1 + 0.5 * 4) / 3)


def test_the_first_regression_case_tells_the_weight_mistakes_apart():
    """No weight of the first case is 1 and all differ, so c, c**2, 1/c, sum(c) ... differ."""
    c = B._regression_cases()[0][4]
    candidates = [np.ones_like(c), c, c ** 2, 1 / c, c / c.sum(), c.sum() * np.ones_like(c),
                  c.mean() * np.ones_like(c), 2 * c, c / 2, c * c.size, c / c.size]
    assert len({tuple(np.round(v, 9)) for v in candidates}) == len(candidates)


def test_gradient_error_is_measured_by_norm():
    assert B.gradient_error(np.array([1.0, 1e-12]), np.array([1.0, -1e-12])) < 1e-11
    assert np.isclose(B.gradient_error(np.array([5.0, 0.0]), np.array([1.0, 0.0])), 4 / 6)
    assert B.gradient_error(np.zeros(2), np.zeros(2)) == 0.0
    with pytest.raises(ValueError, match=r"gradient_error: expected a and b of the same shape"):
        B.gradient_error(np.zeros(2), np.zeros(3))


def test_regression_cases_cover_both_output_widths():
    widths = {network["W2"].shape[1] for _, network, *_ in B._regression_cases()}
    assert {1, 2} <= widths
    assert "course's 2-3-2" in B._regression_cases()[1][0]


@pytest.mark.parametrize("cases", [B._regression_cases, B._3layer_cases])
def test_the_first_case_has_different_sizes_everywhere(cases):
    _, network, x, d, *_ = cases()[0]
    sizes = [len(x), x.shape[1], *(network[f"b{i}"].size for i in range(1, len(network) // 2))]
    assert len(set(sizes + [d.shape[1]])) == len(sizes) + 1


# ---------------------------------------------------------------------------------------------
# backward_3layer(network, x, d, u1, z1, u2, z2, y): ReLU, ReLU, softmax


def three_layer_as_in_the_notebook(network, x, d, u1, z1, u2, z2, y):
    delta3 = functions.d_softmax_with_loss(d, y)
    delta2 = (delta3 @ network["W3"].T) * functions.d_relu(u2)
    delta1 = (delta2 @ network["W2"].T) * functions.d_relu(u1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0), "W2": z1.T @ delta2,
            "b2": delta2.sum(axis=0), "W3": z2.T @ delta3, "b3": delta3.sum(axis=0)}


def three_layer_loop_over_layers(network, x, d, u1, z1, u2, z2, y):
    """A loop from the top layer down, the textbook (y - d) / N and a boolean mask."""
    inputs, totals = [x, z1, z2], [None, u1, u2]
    delta = (y - d) / len(y)
    grad = {}
    for layer in (3, 2, 1):
        grad[f"W{layer}"] = inputs[layer - 1].T @ delta
        grad[f"b{layer}"] = delta.sum(axis=0)
        if layer > 1:
            delta = (delta @ network[f"W{layer}"].T) * (totals[layer - 1] > 0)
    return grad


def two_layer_backward(network, x, d, u1, z1, y):
    """A learner's own backward pass of section 3 to 6's 2-layer network."""
    delta2 = functions.d_softmax_with_loss(d, y)
    delta1 = np.dot(delta2, network["W2"].T) * functions.d_relu(u1)
    return {"W1": np.dot(x.T, delta1), "b1": np.sum(delta1, axis=0),
            "W2": np.dot(z1.T, delta2), "b2": np.sum(delta2, axis=0)}


def three_layer_reusing_the_two_layer_backward(network, x, d, u1, z1, u2, z2, y):
    """The top two layers are a 2-layer network with input z1: reuse one's backward."""
    top = {"W1": network["W2"], "b1": network["b2"], "W2": network["W3"], "b2": network["b3"]}
    upper = two_layer_backward(top, z1, d, u2, z2, y)
    delta2 = (functions.d_softmax_with_loss(d, y) @ network["W3"].T) * (u2 > 0)
    delta1 = np.einsum("nj,ij->ni", delta2, network["W2"]) * (u1 > 0)
    return {"W3": upper["W2"], "b3": upper["b2"], "W2": upper["W1"], "b2": upper["b1"],
            "W1": np.einsum("nd,nh->dh", x, delta1), "b1": delta1.sum(axis=0)}


RIGHT_3LAYERS = [three_layer_as_in_the_notebook, three_layer_loop_over_layers,
                 three_layer_reusing_the_two_layer_backward]


@pytest.mark.parametrize("backward", RIGHT_3LAYERS, ids=lambda f: f.__name__)
def test_backward_3layer_right_answers_pass(backward, passes):
    assert passes(check_backward_3layer, backward, "backward_3layer") == (
        "✔ backward_3layer: 30/30 checks passed")


def test_backward_3layer_not_done(not_done):
    not_done(check_backward_3layer, stub, "backward_3layer")


def three_layer_with(delta3=None, **change):
    def backward(network, x, d, u1, z1, u2, z2, y):
        delta = (y - d) / len(y) if delta3 is None else delta3(y, d)
        return chain(network, x, [u1, u2], [z1, z2], delta, **change)
    return backward


def three_layer_two_layer_keys(network, x, d, u1, z1, u2, z2, y):
    grad = three_layer_as_in_the_notebook(network, x, d, u1, z1, u2, z2, y)
    del grad["W3"], grad["b3"]
    return grad


def three_layer_uses_the_reference(network, x, d, u1, z1, u2, z2, y):
    return B.reference_backward_3layer(network, x, d, u1, z1, u2, z2, y)


def three_layer_changes_a_kept_value(network, x, d, u1, z1, u2, z2, y):
    grad = three_layer_as_in_the_notebook(network, x, d, u1, z1, u2, z2, y)
    y -= d  # the course's habit of reusing y as the delta, in place
    return grad


def three_layer_sigmoid_delta(network, x, d, u1, z1, u2, z2, y):
    grad = three_layer_as_in_the_notebook(network, x, d, u1, z1, u2, z2, y)
    grad["b3"] = functions.d_sigmoid_with_loss(d, y).sum(axis=0)  # the same numbers here
    return grad


def three_layer_uses_the_numerical_gradient(network, x, d, u1, z1, u2, z2, y):
    def loss(_):
        return -np.sum(d * np.log(B.reference_forward_3layer(network, x)[-1])) / len(x)
    return {key: numerical_gradient(loss, network[key]) for key in network}


def three_layer_uses_the_check_helper(network, x, d, u1, z1, u2, z2, y):
    return B._chain(network, x, [u1, u2], [z1, z2], (y - d) / len(y))


def three_layer_derivative_at(layer_outputs):
    """The course's d_relu(z) in delta2 and/or delta1: the right mask for ReLU, by luck."""
    def backward(network, x, d, u1, z1, u2, z2, y):
        at = {"z1": z1, "z2": z2}
        delta3 = functions.d_softmax_with_loss(d, y)
        delta2 = (delta3 @ network["W3"].T) * functions.d_relu(at.get(layer_outputs[1], u2))
        delta1 = (delta2 @ network["W2"].T) * functions.d_relu(at.get(layer_outputs[0], u1))
        return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0), "W2": z1.T @ delta2,
                "b2": delta2.sum(axis=0), "W3": z2.T @ delta3, "b3": delta3.sum(axis=0)}
    return backward


def three_layer_swapped_softmax_delta(network, x, d, u1, z1, u2, z2, y):
    delta3 = functions.d_softmax_with_loss(y, d)  # target and output the wrong way round
    return chain(network, x, [u1, u2], [z1, z2], delta3)


def three_layer_bias_not_summed(network, x, d, u1, z1, u2, z2, y):
    grad = three_layer_as_in_the_notebook(network, x, d, u1, z1, u2, z2, y)
    grad["b2"] = (grad["b2"] * 0 + 1) * np.ones((len(x), 1))  # (N, H2): one row per sample
    return grad


WRONG_3LAYERS = {
    "no average": (three_layer_with(lambda y, d: y - d), "the loss is the average"),
    "divided by N K": (three_layer_with(lambda y, d: (y - d) / y.size),
                       "averages over the N samples only"),
    "diagonal softmax Jacobian": (three_layer_with(lambda y, d: -d * (1 - y) / len(y)),
                                  "the softmax's derivative is not diagonal"),
    "sign flipped": (three_layer_with(lambda y, d: (d - y) / len(y)), "the sign is flipped"),
    "softmax slope again": (three_layer_with(lambda y, d: (y - d) * y * (1 - y) / len(y)),
                            "do not multiply by y (1 - y)"),
    "no derivative in layer 2": (None, "layer 2's own"),
    "d_relu(u1) in delta2 (a shape error, named from the square case)": (
        None, "delta2 takes the derivative of its own layer, d_relu(u2)"),
    "d_relu(u2) in delta1": (None, "delta1 takes the derivative of its own layer, d_relu(u1)"),
    "delta1 from delta3 through W3.T": (None, "not from delta3 (through W3.T)"),
    "W2 not transposed in delta1": (None, "delta1 needs W2.T"),
    "W1 from z1": (None, "the input of layer 1 is x"),
    "u2 as the input of layer 3": (None, "not its total input u2"),
    "u1 as the input of layer 2": (None, "not its total input u1"),
    "sigmoid delta": (three_layer_sigmoid_delta, "this network's output is a softmax: use "
                                                 "functions.d_softmax_with_loss"),
    "numerical gradient": (three_layer_uses_the_numerical_gradient,
                           "without functions.numerical_gradient"),
    "the check's own helper": (three_layer_uses_the_check_helper,
                               "without backpropagation._chain"),
    "bias not summed over the batch": (three_layer_bias_not_summed, "one row per sample"),
    "W3 not transposed": (None, "needs W3.T"),
    "only W3 not transposed (a shape error, named from the square case)": (
        None, "delta2 needs W3.T: np.dot(delta3, W3.T) turns the (N, K) delta3 into the (N, H2)"),
    "delta1 from delta3 through W3.T and W2.T": (
        None, "delta1 starts from delta2, which already carries d_relu(u2)"),
    "d_relu(z1) in delta1 (right by luck)": (three_layer_derivative_at(("z1", "u2")),
                                            "d_relu(z1) is right for ReLU only by luck"),
    "d_relu(z2) in delta2 (right by luck)": (three_layer_derivative_at(("u1", "z2")),
                                            "d_relu(z2) is right for ReLU only by luck"),
    "the course's d_relu(z) in both": (three_layer_derivative_at(("z1", "z2")),
                                       "take the derivative at the total input"),
    "d_softmax_with_loss(y, d)": (three_layer_swapped_softmax_delta,
                                  "d_softmax_with_loss: d and y look swapped: y holds only 0s "
                                  "and 1s and d does not; the order is (d, y), target first"),
    "delta1 from delta3": (None, "from the delta of the layer just above"),
    "delta2 through W2": (None, "delta2 uses W3.T"),
    "derivatives swapped": (None, "at its own total input"),
    "wrong input of layer 3": (None, "the input of layer 3 is z2"),
    "wrong input of layer 2": (None, "the input of layer 2 is z1, not x"),
    "bias over axis 1": (three_layer_with(grad_b=lambda delta: delta.sum(axis=1)), "not axis=1"),
    "keys of a 2-layer network": (three_layer_two_layer_keys, "missing 'W3'"),
    "reference delegation": (three_layer_uses_the_reference,
                             "without backpropagation.reference_backward_3layer"),
    "changes y in place": (three_layer_changes_a_kept_value, "in place (y)"),
}


def _wrong_3layer(name):
    """The wrong answers of WRONG_3LAYERS that need the network or the kept values."""
    def backward(network, x, d, u1, z1, u2, z2, y):
        us, zs, delta3 = [u1, u2], [z1, z2], (y - d) / len(y)
        change = {
            "no derivative in layer 2": dict(
                slope=lambda layer: 1.0 if layer == 2 else functions.d_relu(u1)),
            "W3 not transposed": dict(
                back=lambda layer, deltas: deltas[layer + 1] @ network[f"W{layer + 1}"]),
            "only W3 not transposed (a shape error, named from the square case)": dict(
                back=lambda layer, deltas: deltas[3] @ network["W3"] if layer == 2
                else deltas[2] @ network["W2"].T),
            "delta1 from delta3 through W3.T and W2.T": dict(
                back=lambda layer, deltas: deltas[3] @ network["W3"].T if layer == 2
                else deltas[3] @ network["W3"].T @ network["W2"].T),
            "delta1 from delta3": dict(
                back=lambda layer, deltas: deltas[3] @ network[f"W{layer + 1}"].T),
            "delta2 through W2": dict(
                back=lambda layer, deltas: deltas[layer + 1] @ network[f"W{layer}"].T),
            "derivatives swapped": dict(slope=lambda layer: functions.d_relu(us[2 - layer])),
            "wrong input of layer 3": dict(inputs=lambda layer: (x, z1, z1)[layer - 1]),
            "wrong input of layer 2": dict(inputs=lambda layer: (x, x, z2)[layer - 1]),
            "d_relu(u1) in delta2 (a shape error, named from the square case)": dict(
                slope=lambda layer: functions.d_relu(u1)),
            "d_relu(u2) in delta1": dict(slope=lambda layer: functions.d_relu(u2)),
            "delta1 from delta3 through W3.T": dict(
                back=lambda layer, deltas: deltas[3] @ network["W3"].T),
            "W2 not transposed in delta1": dict(
                back=lambda layer, deltas: deltas[2] @ network["W2"] if layer == 1
                else deltas[3] @ network["W3"].T),
            "W1 from z1": dict(inputs=lambda layer: (z1, z1, z2)[layer - 1]),
            "u2 as the input of layer 3": dict(inputs=lambda layer: (x, z1, u2)[layer - 1]),
            "u1 as the input of layer 2": dict(inputs=lambda layer: (x, u1, z2)[layer - 1]),
        }[name]
        return chain(network, x, us, zs, delta3, **change)
    return backward


@pytest.mark.parametrize("name", WRONG_3LAYERS)
def test_backward_3layer_mistakes_fail_with_hint(name, rejected):
    wrong, hint = WRONG_3LAYERS[name]
    wrong = wrong or _wrong_3layer(name)
    assert hint in rejected(check_backward_3layer, wrong, "backward_3layer")


def test_3layer_reference_matches_the_numerical_gradient():
    for _, network, x, d in B._3layer_cases():
        grad = reference_backward_3layer(network, x, d, *reference_forward_3layer(network, x))
        for key in network:
            numerical = numerical_gradient(
                lambda _, net=network, x=x, d=d: B._3layer_loss(net, x, d), network[key])
            np.testing.assert_allclose(grad[key], numerical, rtol=1e-5, atol=1e-9)


def test_check_cases_keep_away_from_the_relu_kink():
    cases = [case for case in B._3layer_cases() + B._regression_cases() if "random" in case[0]]
    assert len(cases) == 5
    for _, network, x, *_ in cases:
        forward = reference_forward_3layer if "W3" in network else reference_forward_regression
        for u in forward(network, x)[:-1:2]:
            assert np.abs(u).min() > 0.05 and (u < 0).any()


def test_the_2_layer_reference_is_common_networks():
    """The notebook's reference_backward is the network of lessons 01 and 06, unchanged."""
    assert B.reference_backward is networks.backward and B.reference_forward is networks.forward


def test_the_sign_hint_names_the_argument_order(rejected):
    """A flipped sign written by hand is told the sign and the order of the library's delta."""
    message = rejected(check_backward_3layer, three_layer_with(lambda y, d: (d - y) / len(y)),
                       "backward_3layer")
    assert "(or d_softmax_with_loss(y, d): the order is (d, y), target first)" in message


def test_the_delta1_shortcut_is_named_before_the_accepted_delta2(rejected):
    """delta3 @ W3.T @ W2.T gets right b2 and W2, so its message is about delta1, on b1."""
    message = rejected(check_backward_3layer,
                       _wrong_3layer("delta1 from delta3 through W3.T and W2.T"), "backward_3layer")
    assert "4-6-5-3 network" in message and "grad['b1']" in message
    assert "layer 2's own derivative" not in message


@pytest.mark.parametrize("check, wrong", [
    (check_backward_regression, regression_derivative_at_z1),
    (check_backward_regression, regression_as_in_the_notebook),
    (check_backward_3layer, three_layer_derivative_at(("z1", "z2"))),
    (check_backward_3layer, stub),
])
def test_d_relu_is_itself_again_after_a_check(check, wrong):
    """The recording swaps d_relu's code only while the learner's function runs."""
    code = functions.d_relu.__code__
    try:
        check(wrong)
    except Exception:  # noqa: BLE001 - the pass or failure is tested elsewhere
        pass
    assert functions.d_relu.__code__ is code
    np.testing.assert_array_equal(functions.d_relu(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_a_derivative_at_z_is_not_flagged_where_u_and_z_agree():
    """On the course's example every hidden unit is on (u1 = z1): d_relu(z1) cannot be told
    from d_relu(u1) there, so the check must not name it."""
    c = B.Checker("backward_regression", regression_derivative_at_z1)
    _, network, x, d, weights = B._regression_cases()[1]
    u1, z1, y = reference_forward_regression(network, x)
    assert np.array_equal(u1, z1)
    square = B._regression_square()
    square_args = (*square[1:4], *reference_forward_regression(*square[1:3]), square[4])
    got = B._call(c, (network, x, d, u1, z1, y, weights), "course", (square[0], square_args, []),
                  "", {}, [u1], [z1])
    assert set(got) == {"W1", "b1", "W2", "b2"}
