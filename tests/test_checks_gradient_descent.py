"""The checks of lesson 04 accept right answers and reject typical wrong ones with a hint."""

import numpy as np

from common import functions
from common.checks.gradient_descent import (
    check_d_linear_mse,
    check_gradient_descent_step,
    check_minibatch_indices,
    reference_d_linear_mse,
    reference_gradient_descent_step,
    reference_minibatch_indices,
)


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# gradient_descent_step


def test_step_reference_passes(passes):
    line = passes(check_gradient_descent_step, reference_gradient_descent_step,
                  "gradient_descent_step")
    assert line == "✔ gradient_descent_step: 23/23 checks passed"


def test_step_other_correct_version_passes(passes):
    def step(params, grads, learning_rate):
        new = {}
        for key, value in params.items():
            new[key] = value.copy()
            new[key] -= learning_rate * grads[key]
        return new

    passes(check_gradient_descent_step, step, "gradient_descent_step")


def test_step_not_done(not_done):
    not_done(check_gradient_descent_step, stub, "gradient_descent_step")


def test_step_adding_the_gradient_fails(rejected):
    message = rejected(check_gradient_descent_step,
                       lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, "gradient_descent_step")
    assert "you added the gradient" in message


def test_step_without_learning_rate_fails(rejected):
    message = rejected(check_gradient_descent_step,
                       lambda p, g, lr: {k: p[k] - g[k] for k in p}, "gradient_descent_step")
    assert "multiply the gradient by learning_rate" in message


def test_step_returning_only_the_step_fails(rejected):
    message = rejected(check_gradient_descent_step,
                       lambda p, g, lr: {k: -lr * g[k] for k in p}, "gradient_descent_step")
    assert "not only the step" in message


def test_step_in_place_fails(rejected):
    def step(params, grads, learning_rate):
        for key in params:
            params[key] -= learning_rate * grads[key]
        return params

    assert "in place" in rejected(check_gradient_descent_step, step, "gradient_descent_step")


def test_step_in_place_on_a_shallow_copy_fails(rejected):
    def step(params, grads, learning_rate):
        new = params.copy()
        for key in new:
            new[key] -= learning_rate * grads[key]
        return new

    assert "in place" in rejected(check_gradient_descent_step, step, "gradient_descent_step")


def test_step_returning_none_fails(rejected):
    def step(params, grads, learning_rate):
        for key in params:
            params[key] -= learning_rate * grads[key]

    assert "returned None" in rejected(check_gradient_descent_step, step, "gradient_descent_step")


def test_step_fixed_keys_fails(rejected):
    def step(params, grads, learning_rate):
        return {k: params[k] - learning_rate * grads[k] for k in ("W1", "b1", "W2", "b2")}

    message = rejected(check_gradient_descent_step, step, "gradient_descent_step")
    assert "loop over the keys of params" in message


# ---------------------------------------------------------------------------------------------
# d_linear_mse


def test_linear_reference_passes(passes):
    assert passes(check_d_linear_mse, reference_d_linear_mse, "d_linear_mse") == (
        "✔ d_linear_mse: 10/10 checks passed")


def test_linear_other_correct_version_passes(passes):
    def grads(x, d, w, b):
        n = len(x)
        error = x @ w + b - d
        return np.einsum("nd,nk->dk", x, error) / n, np.mean(error, axis=0)

    passes(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_not_done(not_done):
    not_done(check_d_linear_mse, stub, "d_linear_mse")


def test_linear_without_batch_average_fails(rejected):
    def grads(x, d, w, b):
        delta = x @ w + b - d
        return x.T @ delta, delta.sum(axis=0)

    assert "divide by the batch size N" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_factor_two_fails(rejected):
    def grads(x, d, w, b):
        delta = 2 * (x @ w + b - d) / len(x)
        return x.T @ delta, delta.sum(axis=0)

    assert "no factor 2" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_flipped_sign_fails(rejected):
    def grads(x, d, w, b):
        delta = (d - (x @ w + b)) / len(x)
        return x.T @ delta, delta.sum(axis=0)

    assert "sign is flipped" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_transposed_fails(rejected):
    def grads(x, d, w, b):
        delta = functions.d_mean_squared_error(d, x @ w + b)
        return delta.T @ x, delta.sum(axis=0)

    assert "x.T @ delta" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_unsummed_bias_fails(rejected):
    def grads(x, d, w, b):
        delta = functions.d_mean_squared_error(d, x @ w + b)
        return x.T @ delta, delta

    assert "axis=0" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_returning_one_array_fails(rejected):
    def grads(x, d, w, b):
        return x.T @ functions.d_mean_squared_error(d, x @ w + b)

    assert "the pair (grad_w, grad_b)" in rejected(check_d_linear_mse, grads, "d_linear_mse")


# ---------------------------------------------------------------------------------------------
# minibatch_indices


def test_batches_reference_passes(passes):
    assert passes(check_minibatch_indices, reference_minibatch_indices, "minibatch_indices") == (
        "✔ minibatch_indices: 26/26 checks passed")


def test_batches_other_correct_version_passes(passes):
    def batches(n, batch_size, rng):
        order = rng.choice(n, size=n, replace=False)
        cuts = np.arange(batch_size, n, batch_size)
        return np.split(order, cuts)

    passes(check_minibatch_indices, batches, "minibatch_indices")


def test_batches_not_done(not_done):
    not_done(check_minibatch_indices, stub, "minibatch_indices")


def test_batches_without_shuffle_fails(rejected):
    def batches(n, batch_size, rng):
        order = np.arange(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    assert "shuffle them first" in rejected(check_minibatch_indices, batches, "minibatch_indices")


def test_batches_with_replacement_fails(rejected):
    def batches(n, batch_size, rng):
        order = rng.integers(0, n, size=n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "exactly once" in message and "do not draw with replacement" in message


def test_batches_dropping_the_last_fails(rejected):
    def batches(n, batch_size, rng):
        order = rng.permutation(n)
        return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "keep the last, smaller batch" in message


def test_batches_global_random_fails(rejected):
    def batches(n, batch_size, rng):
        order = np.random.default_rng().permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    assert "same seed" in rejected(check_minibatch_indices, batches, "minibatch_indices")


def test_batches_ignoring_rng_fails(rejected):
    def batches(n, batch_size, rng):
        order = np.random.default_rng(0).permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    assert "rng you are given" in rejected(check_minibatch_indices, batches, "minibatch_indices")


def test_batches_single_array_fails(rejected):
    message = rejected(check_minibatch_indices, lambda n, batch_size, rng: rng.permutation(n),
                       "minibatch_indices")
    assert "single array" in message
