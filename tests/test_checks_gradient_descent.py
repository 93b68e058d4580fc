"""The checks of lesson 04 accept right answers and reject typical wrong ones with a hint."""

import numpy as np
import pytest

from common import functions
from common.checks.gradient_descent import (
    check_d_linear_mse,
    check_gradient_descent_step,
    check_minibatch_indices,
    reference_d_linear_mse,
    reference_gradient_descent_step,
    reference_minibatch_indices,
)
from common.grading import ExerciseFailed, ExerciseNotDone


def not_done(*args):
    raise NotImplementedError


def fails(check, func, *phrases):
    """Run ``check`` on ``func``: it must fail with a one-line message naming the exercise."""
    with pytest.raises(ExerciseFailed) as info:
        check(func)
    message = str(info.value)
    name = check.__name__.removeprefix("check_")
    assert message.startswith(f"[{name}]"), message
    assert "\n" not in message
    for phrase in phrases:
        assert phrase in message, message
    return message


# ---------------------------------------------------------------------------------------------
# gradient_descent_step


def test_step_reference_passes(capsys):
    check_gradient_descent_step(reference_gradient_descent_step)
    assert capsys.readouterr().out == "✔ gradient_descent_step: 23/23 checks passed\n"


def test_step_other_correct_version_passes():
    def step(params, grads, learning_rate):
        new = {}
        for key, value in params.items():
            new[key] = value.copy()
            new[key] -= learning_rate * grads[key]
        return new

    check_gradient_descent_step(step)


def test_step_not_done():
    with pytest.raises(ExerciseNotDone, match="not done yet"):
        check_gradient_descent_step(not_done)


def test_step_adding_the_gradient_fails():
    fails(check_gradient_descent_step,
          lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, "you added the gradient")


def test_step_without_learning_rate_fails():
    fails(check_gradient_descent_step,
          lambda p, g, lr: {k: p[k] - g[k] for k in p}, "multiply the gradient by learning_rate")


def test_step_returning_only_the_step_fails():
    fails(check_gradient_descent_step,
          lambda p, g, lr: {k: -lr * g[k] for k in p}, "not only the step")


def test_step_in_place_fails():
    def step(params, grads, learning_rate):
        for key in params:
            params[key] -= learning_rate * grads[key]
        return params

    fails(check_gradient_descent_step, step, "in place")


def test_step_in_place_on_a_shallow_copy_fails():
    def step(params, grads, learning_rate):
        new = params.copy()
        for key in new:
            new[key] -= learning_rate * grads[key]
        return new

    fails(check_gradient_descent_step, step, "in place")


def test_step_returning_none_fails():
    def step(params, grads, learning_rate):
        for key in params:
            params[key] -= learning_rate * grads[key]

    fails(check_gradient_descent_step, step, "returned None")


def test_step_fixed_keys_fails():
    def step(params, grads, learning_rate):
        return {k: params[k] - learning_rate * grads[k] for k in ("W1", "b1", "W2", "b2")}

    fails(check_gradient_descent_step, step, "loop over the keys of params")


# ---------------------------------------------------------------------------------------------
# d_linear_mse


def test_linear_reference_passes(capsys):
    check_d_linear_mse(reference_d_linear_mse)
    assert capsys.readouterr().out == "✔ d_linear_mse: 10/10 checks passed\n"


def test_linear_other_correct_version_passes():
    def grads(x, d, w, b):
        n = len(x)
        error = x @ w + b - d
        return np.einsum("nd,nk->dk", x, error) / n, np.mean(error, axis=0)

    check_d_linear_mse(grads)


def test_linear_not_done():
    with pytest.raises(ExerciseNotDone, match="not done yet"):
        check_d_linear_mse(not_done)


def test_linear_without_batch_average_fails():
    def grads(x, d, w, b):
        delta = x @ w + b - d
        return x.T @ delta, delta.sum(axis=0)

    fails(check_d_linear_mse, grads, "divide by the batch size N")


def test_linear_factor_two_fails():
    def grads(x, d, w, b):
        delta = 2 * (x @ w + b - d) / len(x)
        return x.T @ delta, delta.sum(axis=0)

    fails(check_d_linear_mse, grads, "no factor 2")


def test_linear_flipped_sign_fails():
    def grads(x, d, w, b):
        delta = (d - (x @ w + b)) / len(x)
        return x.T @ delta, delta.sum(axis=0)

    fails(check_d_linear_mse, grads, "sign is flipped")


def test_linear_transposed_fails():
    def grads(x, d, w, b):
        delta = functions.d_mean_squared_error(d, x @ w + b)
        return delta.T @ x, delta.sum(axis=0)

    fails(check_d_linear_mse, grads, "x.T @ delta")


def test_linear_unsummed_bias_fails():
    def grads(x, d, w, b):
        delta = functions.d_mean_squared_error(d, x @ w + b)
        return x.T @ delta, delta

    fails(check_d_linear_mse, grads, "axis=0")


def test_linear_returning_one_array_fails():
    def grads(x, d, w, b):
        return x.T @ functions.d_mean_squared_error(d, x @ w + b)

    fails(check_d_linear_mse, grads, "the pair (grad_w, grad_b)")


# ---------------------------------------------------------------------------------------------
# minibatch_indices


def test_batches_reference_passes(capsys):
    check_minibatch_indices(reference_minibatch_indices)
    assert capsys.readouterr().out == "✔ minibatch_indices: 26/26 checks passed\n"


def test_batches_other_correct_version_passes():
    def batches(n, batch_size, rng):
        order = rng.choice(n, size=n, replace=False)
        cuts = np.arange(batch_size, n, batch_size)
        return np.split(order, cuts)

    check_minibatch_indices(batches)


def test_batches_not_done():
    with pytest.raises(ExerciseNotDone, match="not done yet"):
        check_minibatch_indices(not_done)


def test_batches_without_shuffle_fails():
    def batches(n, batch_size, rng):
        order = np.arange(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    fails(check_minibatch_indices, batches, "shuffle them first")


def test_batches_with_replacement_fails():
    def batches(n, batch_size, rng):
        order = rng.integers(0, n, size=n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    fails(check_minibatch_indices, batches, "exactly once", "do not draw with replacement")


def test_batches_dropping_the_last_fails():
    def batches(n, batch_size, rng):
        order = rng.permutation(n)
        return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]

    fails(check_minibatch_indices, batches, "keep the last, smaller batch")


def test_batches_global_random_fails():
    def batches(n, batch_size, rng):
        order = np.random.default_rng().permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    fails(check_minibatch_indices, batches, "same seed")


def test_batches_ignoring_rng_fails():
    def batches(n, batch_size, rng):
        order = np.random.default_rng(0).permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    fails(check_minibatch_indices, batches, "rng you are given")


def test_batches_single_array_fails():
    fails(check_minibatch_indices, lambda n, batch_size, rng: rng.permutation(n),
          "single array")
