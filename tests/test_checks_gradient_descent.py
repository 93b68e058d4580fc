"""The checks of lesson 04 accept right answers, however written, and reject typical wrong ones
with a hint a beginner can act on."""

import numpy as np
import pytest

from common import functions
from common.checks.gradient_descent import (
    check_d_linear_mse,
    check_gradient_descent_step,
    check_minibatch_indices,
    check_train,
    reference_backward,
    reference_d_linear_mse,
    reference_forward,
    reference_gradient_descent_step,
    reference_minibatch_indices,
    reference_train,
)
from common.functions import numerical_gradient


def stub(*args):
    """The exercise as handed out."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# gradient_descent_step


def step_solution(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads[key] for key in params}


def linear_solution(x, d, w, b):
    delta = (x @ w + b - d) / len(x)
    return x.T @ delta, delta.sum(axis=0)


def batches_solution(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def test_step_solution_passes(passes):
    line = passes(check_gradient_descent_step, step_solution, "gradient_descent_step")
    assert line == "✔ gradient_descent_step: 10/10 checks passed"


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


def test_linear_solution_passes(passes):
    assert passes(check_d_linear_mse, linear_solution, "d_linear_mse") == (
        "✔ d_linear_mse: 12/12 checks passed")


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
        delta = (x @ w + b - d) / len(x)
        return delta.T @ x, delta.sum(axis=0)

    assert "x.T @ (y - d) / N" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_unsummed_bias_fails(rejected):
    def grads(x, d, w, b):
        delta = (x @ w + b - d) / len(x)
        return x.T @ delta, delta

    assert "axis=0" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_returning_one_array_fails(rejected):
    def grads(x, d, w, b):
        return x.T @ ((x @ w + b - d) / len(x))

    assert "the pair (grad_w, grad_b)" in rejected(check_d_linear_mse, grads, "d_linear_mse")


# ---------------------------------------------------------------------------------------------
# minibatch_indices


def test_batches_solution_passes(passes):
    assert passes(check_minibatch_indices, batches_solution, "minibatch_indices") == (
        "✔ minibatch_indices: 35/35 checks passed")


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

    assert "shuffle every index first" in rejected(check_minibatch_indices, batches,
                                                   "minibatch_indices")


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
    hidden = np.random.default_rng(99)  # like np.random's global state: seeded, never reset

    def batches(n, batch_size, rng):
        order = hidden.permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    assert "same seed" in rejected(check_minibatch_indices, batches, "minibatch_indices")


def test_batches_ignoring_rng_fails(rejected):
    def batches(n, batch_size, rng):
        order = np.random.default_rng(0).permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "must come from the rng argument" in message


def test_batches_single_array_fails(rejected):
    message = rejected(check_minibatch_indices, lambda n, batch_size, rng: rng.permutation(n),
                       "minibatch_indices")
    assert "single array" in message


# ---------------------------------------------------------------------------------------------
# Holes closed and messages improved (issue 11)


def test_step_with_a_fixed_learning_rate_fails(rejected):
    message = rejected(check_gradient_descent_step,
                       lambda p, g, lr: {k: p[k] - 0.1 * g[k] for k in p}, "gradient_descent_step")
    assert "use the learning_rate argument" in message


def test_step_returning_lists_fails(rejected):
    message = rejected(check_gradient_descent_step,
                       lambda p, g, lr: {k: (p[k] - lr * g[k]).tolist() for k in p},
                       "gradient_descent_step")
    assert "should return a NumPy array, got a list" in message


def test_step_zip_version_passes(passes):
    def step(params, grads, learning_rate):
        keys = list(params)
        return dict(zip(keys, [params[k] - learning_rate * grads[k] for k in keys], strict=True))

    passes(check_gradient_descent_step, step, "gradient_descent_step")


def test_linear_library_delta_is_refused(rejected):
    def grads(x, d, w, b):
        delta = functions.d_mean_squared_error(d, x @ w + b)
        return x.T @ delta, delta.sum(axis=0)

    message = rejected(check_d_linear_mse, grads, "d_linear_mse")
    assert "write it yourself, without functions.d_mean_squared_error" in message


def test_linear_at_operator_and_loop_versions_pass(passes):
    def grads_loop(x, d, w, b):
        n, dim = x.shape
        grad_w, grad_b = np.zeros_like(w, dtype=float), np.zeros(1)
        for i in range(n):
            error = (x[i] @ w + b - d[i]) / n
            grad_w += np.outer(x[i], error)
            grad_b += error
        return grad_w, grad_b

    def grads_at(x, d, w, b):
        delta = (x @ w + b - d) / x.shape[0]
        return x.T @ delta, np.ones(x.shape[0]) @ delta

    passes(check_d_linear_mse, grads_loop, "d_linear_mse")
    passes(check_d_linear_mse, grads_at, "d_linear_mse")


@pytest.mark.parametrize("divisor", ["n * dim", "n - 1", "dim", "2 * n"])
def test_linear_wrong_divisor_gets_a_hint(divisor, rejected):
    def grads(x, d, w, b):
        n, dim = x.shape
        delta = (x @ w + b - d) / eval(divisor, {}, {"n": n, "dim": dim})
        return x.T @ delta, delta.sum(axis=0)

    message = rejected(check_d_linear_mse, grads, "d_linear_mse")
    assert "divide by the batch size N" in message


def test_linear_bias_with_keepdims_gets_a_hint(rejected):
    def grads(x, d, w, b):
        delta = (x @ w + b - d) / len(x)
        return x.T @ delta, delta.sum(axis=0, keepdims=True)

    assert "without keepdims" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_linear_flattened_output_gets_a_hint(rejected):
    def grads(x, d, w, b):
        y = x @ w.ravel() + b  # (N,): y - d then broadcasts to (N, N)
        delta = (y - d) / len(x)
        return x.T @ delta, delta.sum(axis=0)

    assert "(N, N)" in rejected(check_d_linear_mse, grads, "d_linear_mse")


def test_batches_shuffle_variants_pass(passes):
    def with_shuffle(n, batch_size, rng):
        order = np.arange(n)
        rng.shuffle(order)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    def with_loop(n, batch_size, rng):
        order, batches, batch = rng.permutation(n), [], []
        for index in order:
            batch.append(index)
            if len(batch) == batch_size:
                batches.append(np.array(batch))
                batch = []
        if batch:
            batches.append(np.array(batch))
        return batches

    passes(check_minibatch_indices, with_shuffle, "minibatch_indices")
    passes(check_minibatch_indices, with_loop, "minibatch_indices")


def test_batches_random_rotation_fails(rejected):
    def batches(n, batch_size, rng):
        order = np.roll(np.arange(n), rng.integers(1, n)) if n > 1 else np.arange(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "neighbouring indices" in message


def test_batches_shuffling_whole_batches_fails(rejected):
    def batches(n, batch_size, rng):
        blocks = [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
        return [blocks[i] for i in rng.permutation(len(blocks))]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "rng.permutation(n)" in message  # in order (12, 4) or neighbours together (50, 16)


def test_batches_shuffling_inside_fixed_blocks_fails(rejected):
    def batches(n, batch_size, rng):
        return [rng.permutation(np.arange(i, min(i + batch_size, n)))
                for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "shuffle the whole order first, then cut it" in message


def test_batches_fixed_reversed_order_is_named(rejected):
    def batches(n, batch_size, rng):
        order = np.arange(n)[::-1].copy()
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "neighbouring indices together" in message and "a reversal" in message


def test_batches_fixed_shuffled_order_is_told_to_use_the_rng(rejected):
    def batches(n, batch_size, rng):
        order = np.random.default_rng(0).permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "must come from the rng argument" in message and "a fixed order" in message


def test_batches_as_lists_fail(rejected):
    def batches(n, batch_size, rng):
        order = rng.permutation(n).tolist()
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    assert "as a NumPy array, got a list" in rejected(check_minibatch_indices, batches,
                                                       "minibatch_indices")


# ---------------------------------------------------------------------------------------------
# train: the learner's loop calls the notebook's forward, backward and gradient_descent_step


forward = reference_forward
backward = reference_backward


def gradient_descent_step(params, grads, learning_rate):
    """The learner's exercise 1 (the check module's reference is refused inside train)."""
    return {key: params[key] - learning_rate * grads[key] for key in params}


def train_reference(start, x_train, d_train, batches, learning_rate,
                    activation=functions.relu, d_activation=functions.d_relu):
    network, losses = start, []
    for batch in batches:
        x, d = x_train[batch], d_train[batch]
        u1, z1, y = forward(network, x, activation)
        losses.append(functions.mean_squared_error(d, y))
        grad = backward(network, x, d, u1, z1, y, d_activation)
        network = gradient_descent_step(network, grad, learning_rate)
    return network, np.array(losses)


def test_train_reference_passes(passes):
    passes(check_train, train_reference, "train")


def test_train_copy_and_subtract_in_place_passes(passes):
    def train(start, x_train, d_train, batches, learning_rate, activation=functions.relu,
              d_activation=functions.d_relu):
        network = {key: value.copy() for key, value in start.items()}
        losses = np.zeros(len(batches))
        for t, batch in enumerate(batches):
            u1, z1, y = forward(network, x_train[batch], activation)
            losses[t] = np.mean((d_train[batch] - y) ** 2) / 2
            grad = backward(network, x_train[batch], d_train[batch], u1, z1, y, d_activation)
            for key in network:
                network[key] -= learning_rate * grad[key]
        return network, losses

    passes(check_train, train, "train")


def test_train_not_done(not_done):
    not_done(check_train, stub, "train")


def _train_variant(**change):
    """train_reference with one typical mistake."""
    def train(start, x_train, d_train, batches, learning_rate, activation=functions.relu,
              d_activation=functions.d_relu):
        network, losses = (start if not change.get("in_place") else start), []
        for batch in batches:
            if change.get("all_data"):
                batch = np.arange(len(x_train))
            x, d = x_train[batch], d_train[batch]
            act = functions.relu if change.get("ignore_activation") else activation
            d_act = functions.d_relu if change.get("ignore_activation") else d_activation
            u1, z1, y = forward(network, x, act)
            grad = backward(network, x, d, u1, z1, y, d_act)
            rate = 0.07 if change.get("fixed_rate") else learning_rate
            if change.get("in_place"):
                for key in network:
                    network[key] -= rate * grad[key]
            else:
                network = gradient_descent_step(network, grad, rate)
            if change.get("loss_after"):
                y = forward(network, x, act)[2]
            if change.get("whole_set"):
                d, y = d_train, forward(network, x_train, act)[2]
            losses.append(functions.mean_squared_error(d, y))
        if change.get("list"):
            return network, losses
        if change.get("network_only"):
            return network
        return network, np.array(losses)
    return train


@pytest.mark.parametrize("change, hint", [
    ("ignore_activation", "pass activation on to forward and d_activation on to backward"),
    ("all_data", "train on the samples of each batch only"),
    ("fixed_rate", "use the learning_rate argument (0.05), not a fixed number (0.07)"),
    ("loss_after", "before its update"),
    ("whole_set", "not of the whole training set"),
    ("list", "should return a NumPy array, got a list"),
    ("network_only", "should return the pair (network, losses)"),
    ("in_place", "the caller's start weights must survive"),
])
def test_train_typical_mistakes_fail_with_a_hint(change, hint, rejected):
    assert hint in rejected(check_train, _train_variant(**{change: True}), "train")


# ---------------------------------------------------------------------------------------------
# Review of lessons 03-04: holes closed, messages a beginner can act on


@pytest.mark.parametrize("check, name, reference", [
    (check_gradient_descent_step, "gradient_descent_step", reference_gradient_descent_step),
    (check_d_linear_mse, "d_linear_mse", reference_d_linear_mse),
    (check_minibatch_indices, "minibatch_indices", reference_minibatch_indices),
    (check_train, "train", reference_train),
])
def test_the_check_modules_references_are_refused(check, name, reference, rejected):
    message = rejected(check, reference, name)
    assert f"write it yourself, without gradient_descent.{reference.__name__}" in message


def test_the_references_work_again_after_a_refusal(rejected):
    rejected(check_minibatch_indices, reference_minibatch_indices, "minibatch_indices")
    batches = reference_minibatch_indices(5, 2, np.random.default_rng(0))
    assert [len(b) for b in batches] == [2, 2, 1]


def test_linear_numerical_gradient_is_refused(rejected):
    def grads(x, d, w, b):
        w, b = w.astype(float), b.astype(float)
        loss = lambda _: functions.mean_squared_error(d, x @ w + b)  # noqa: E731
        return numerical_gradient(loss, w), numerical_gradient(loss, b)

    message = rejected(check_d_linear_mse, grads, "d_linear_mse")
    assert "write it yourself, without functions.numerical_gradient" in message


def test_linear_mean_over_the_batch_gets_the_column_hint(rejected):
    def grads(x, d, w, b):
        y = x @ w + b
        return np.mean(x * (y - d), axis=0), np.mean(y - d, axis=0)

    message = rejected(check_d_linear_mse, grads, "d_linear_mse")
    assert "a column: x.T @ (y - d) / N gives it" in message


def test_step_assigning_into_params_gets_the_dict_advice(rejected):
    def step(params, grads, learning_rate):
        new = params
        for key in params:
            new[key] = params[key] - learning_rate * grads[key]
        return new

    message = rejected(check_gradient_descent_step, step, "gradient_descent_step")
    assert "new = params does not copy it" in message


def test_step_subtracting_on_a_shallow_copy_gets_the_shared_arrays_advice(rejected):
    def step(params, grads, learning_rate):
        new = params.copy()
        for key in new:
            new[key] -= learning_rate * grads[key]
        return new

    message = rejected(check_gradient_descent_step, step, "gradient_descent_step")
    assert "params.copy() shares the arrays" in message


def test_batches_sorted_inside_each_batch_pass(passes):
    def sorted_batches(n, batch_size, rng):
        order = rng.permutation(n)
        return [np.sort(order[i:i + batch_size]) for i in range(0, n, batch_size)]

    def drawn_batch_by_batch(n, batch_size, rng):
        left, batches = np.arange(n), []
        while left.size:
            batch = rng.choice(left, size=min(batch_size, left.size), replace=False)
            batches.append(np.sort(batch))
            left = np.setdiff1d(left, batch)
        return batches

    passes(check_minibatch_indices, sorted_batches, "minibatch_indices")
    passes(check_minibatch_indices, drawn_batch_by_batch, "minibatch_indices")


def test_batches_random_stride_fails(rejected):
    def batches(n, batch_size, rng):
        coprime = [k for k in range(2, n) if np.gcd(k, n) == 1] or [1]
        step = coprime[rng.integers(len(coprime))]
        order = (np.arange(n) * step + rng.integers(n)) % n
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert "in steps of" in message and "not a shuffle" in message


def test_batches_check_accepts_many_real_shuffles(passes):
    """No false alarm on real shuffles with other generators than the check's (seeded)."""
    for seed in range(30):
        hidden = np.random.default_rng(1000 + seed)
        orders = {}

        def batches(n, batch_size, rng, hidden=hidden, orders=orders):
            key = (n, int(rng.integers(1 << 30)))  # same seed, same order
            order = orders.setdefault(key, hidden.permutation(n))
            return [order[i:i + batch_size] for i in range(0, n, batch_size)]

        passes(check_minibatch_indices, batches, "minibatch_indices")


def test_train_throwing_the_new_network_away_gets_a_hint(rejected):
    def train(start, x_train, d_train, batches, learning_rate, activation=functions.relu,
              d_activation=functions.d_relu):
        network, losses = start, []
        for batch in batches:
            x, d = x_train[batch], d_train[batch]
            u1, z1, y = forward(network, x, activation)
            losses.append(functions.mean_squared_error(d, y))
            gradient_descent_step(network, backward(network, x, d, u1, z1, y, d_activation),
                                  learning_rate)
        return network, np.array(losses)

    assert "your network never changed" in rejected(check_train, train, "train")


@pytest.mark.parametrize("forgotten, hint", [
    ("d_activation", "you passed activation to forward but not d_activation to backward"),
    ("activation", "you passed d_activation to backward but not activation to forward"),
])
def test_train_one_sided_activation_gets_a_hint(forgotten, hint, rejected):
    def train(start, x_train, d_train, batches, learning_rate, activation=functions.relu,
              d_activation=functions.d_relu):
        act = functions.relu if forgotten == "activation" else activation
        d_act = functions.d_relu if forgotten == "d_activation" else d_activation
        network, losses = start, []
        for batch in batches:
            x, d = x_train[batch], d_train[batch]
            u1, z1, y = forward(network, x, act)
            losses.append(functions.mean_squared_error(d, y))
            network = gradient_descent_step(network, backward(network, x, d, u1, z1, y, d_act),
                                            learning_rate)
        return network, np.array(losses)

    assert hint in rejected(check_train, train, "train")


TRAIN_SOURCE = '''
def train(start, x_train, d_train, batches, learning_rate, activation=relu,
          d_activation=d_relu):
    network, losses = start, []
    for batch in batches:
        x, d = x_train[batch], d_train[batch]
        u1, z1, y = forward(network, x, activation)
        losses.append(mean_squared_error(d, y))
        grad = backward(network, x, d, u1, z1, y, d_activation)
        network = gradient_descent_step(network, grad, learning_rate)
    return network, np.array(losses)
'''


def notebook_train(tmp_path, **names):
    """The solution as a notebook defines it, with the notebook's names given in ``names``."""
    path = tmp_path / "train_cell.py"
    path.write_text(TRAIN_SOURCE)  # a file, so that inspect can read the source
    namespace = {"np": np, "relu": functions.relu, "d_relu": functions.d_relu,
                 "mean_squared_error": functions.mean_squared_error, **names}
    exec(compile(TRAIN_SOURCE, str(path), "exec"), namespace)
    return namespace["train"]


def test_train_before_the_forward_cell_ran_says_which_cell(tmp_path, rejected):
    train = notebook_train(tmp_path, gradient_descent_step=gradient_descent_step)
    message = rejected(check_train, train, "train")
    assert "name 'forward' is not defined" in message
    assert "defined in the code cell just before exercise 4: run it first" in message


def test_train_that_reaches_an_unwritten_exercise_is_told_which(tmp_path, rejected):
    train = notebook_train(tmp_path, forward=forward, backward=backward,
                           gradient_descent_step=stub)
    message = rejected(check_train, train, "train")
    assert "your train is done, but it uses gradient_descent_step" in message


# ---------------------------------------------------------------------------------------------
# Final review of lessons 03-04: a numerical gradient refused, messages that name the mistake


def test_d_linear_mse_central_differences_are_refused(rejected):
    def d_linear_mse(x, d, w, b):
        def loss(w_try, b_try):
            y = x @ w_try + b_try
            return np.sum((y - d) ** 2) / (2 * len(x))

        h = 1e-4
        grad_w, grad_b = np.zeros_like(w, dtype=float), np.zeros_like(b, dtype=float)
        for i in range(w.size):
            step = np.zeros(w.shape)
            step.flat[i] = h
            grad_w.flat[i] = (loss(w + step, b) - loss(w - step, b)) / (2 * h)
        grad_b[0] = (loss(w, b + h) - loss(w, b - h)) / (2 * h)
        return grad_w, grad_b

    message = rejected(check_d_linear_mse, d_linear_mse, "d_linear_mse")
    assert "as a numerical gradient does: it needs 2(D+1) = 6 loss evaluations" in message


def test_d_linear_mse_numerical_per_sample_and_dot_is_refused(rejected):
    def d_linear_mse(x, d, w, b):
        def loss(w_try):
            return sum(np.sum((x[n].dot(w_try) + b - d[n]) ** 2) for n in range(len(x))) / (
                2 * len(x))

        grad_w = np.zeros(w.shape)
        for i in range(len(w)):
            w_plus, w_minus = np.copy(w), np.copy(w)
            w_plus[i] += 1e-3
            w_minus[i] -= 1e-3
            grad_w[i] = (loss(w_plus) - loss(w_minus)) / 2e-3
        return grad_w, np.sum(x @ w + b - d, axis=0) / len(x)

    message = rejected(check_d_linear_mse, d_linear_mse, "d_linear_mse")
    assert "as a numerical gradient does" in message


@pytest.mark.parametrize("way", ["matmul", "dot", "einsum", "loops"])
def test_d_linear_mse_watched_input_leaves_right_answers_alone(way, passes):
    def d_linear_mse(x, d, w, b):
        n = len(x)
        if way == "loops":
            grad_w, grad_b = np.zeros(w.shape), np.zeros(b.shape)
            for i in range(n):
                error = x[i] @ w + b - d[i]
                grad_w += np.outer(x[i], error) / n
                grad_b += error / n
            return grad_w, grad_b
        y = {"matmul": lambda: x @ w, "dot": lambda: x.dot(w),
             "einsum": lambda: np.einsum("nd,dk->nk", x, w)}[way]() + b
        return np.dot(x.T, y - d) / n, np.mean(y - d, axis=0)

    passes(check_d_linear_mse, d_linear_mse, "d_linear_mse")


def test_batches_drawn_one_by_one_get_the_overlap_hint(rejected):
    def batches(n, batch_size, rng):
        return [rng.choice(n, size=min(batch_size, n - start), replace=False)
                for start in range(0, n, batch_size)]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert ("batches drawn one by one can repeat earlier batches' indices: shuffle once with "
            "rng.permutation(n), then cut") in message


def test_shuffled_whole_batches_are_named(rejected):
    def batches(n, batch_size, rng):
        blocks = [np.arange(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
        return [blocks[i] for i in rng.permutation(len(blocks))]

    message = rejected(check_minibatch_indices, batches, "minibatch_indices")
    assert ("(shuffling whole batches is not enough)" in message
            or "shuffle the whole order first, then cut it" in message)


def test_step_by_the_square_of_the_rate_names_the_rate(rejected):
    def step(params, grads, learning_rate):
        return {key: params[key] - learning_rate ** 2 * grads[key] for key in params}

    message = rejected(check_gradient_descent_step, step, "gradient_descent_step")
    assert "you stepped by 0.01, not learning_rate = 0.1" in message


def test_step_scaling_grads_in_place_is_told_not_to_change_grads(rejected):
    def step(params, grads, learning_rate):
        new = {}
        for key in params:
            grads[key] *= learning_rate
            new[key] = params[key] - grads[key]
        return new

    message = rejected(check_gradient_descent_step, step, "gradient_descent_step")
    assert "do not change grads: compute learning_rate * grads[key] as a new array" in message


def test_step_subtracting_in_place_without_a_copy_is_named(rejected):
    def step(params, grads, learning_rate):
        for key in params:
            params[key] -= learning_rate * grads[key]
        return params

    message = rejected(check_gradient_descent_step, step, "gradient_descent_step")
    assert "params[key] -= ... changes the caller's arrays" in message


def _train_with(loss=functions.mean_squared_error, d_act=None, z1_for_u1=False):
    def train(start, x_train, d_train, batches, learning_rate, activation=functions.relu,
              d_activation=functions.d_relu):
        network, losses = start, []
        for batch in batches:
            x, d = x_train[batch], d_train[batch]
            u1, z1, y = forward(network, x, activation)
            losses.append(loss(d, y))
            grad = backward(network, x, d, z1 if z1_for_u1 else u1, z1, y,
                            d_act or d_activation)
            network = gradient_descent_step(network, grad, learning_rate)
        return network, np.array(losses)
    return train


def test_train_with_d_sigmoid_after_relu_gets_a_hint(rejected):
    message = rejected(check_train, _train_with(d_act=functions.d_sigmoid), "train")
    assert "use d_activation, the derivative of the forward activation" in message


def test_train_passing_z1_for_u1_gets_a_hint(rejected):
    message = rejected(check_train, _train_with(z1_for_u1=True), "train")
    assert "backward takes u1, where the derivative is taken; you passed z1" in message


@pytest.mark.parametrize("loss", [
    lambda d, y: np.sum((d - y) ** 2) / 2,
    lambda d, y: np.mean((d - y) ** 2),
])
def test_train_with_another_loss_is_told_the_courses_loss(loss, rejected):
    message = rejected(check_train, _train_with(loss=loss), "train")
    assert ("record the course's loss, functions.mean_squared_error(d[batch], y), the halved "
            "mean") in message


def test_train_over_a_wrong_d_linear_mse_blames_exercise_2(tmp_path, rejected):
    def d_linear_mse(x, d, w, b):  # no division by N
        delta = x @ w + b - d
        return x.T @ delta, delta.sum(axis=0)

    def notebook_backward(network, x, d, u1, z1, y, d_activation=functions.d_relu):
        grad = reference_backward(network, x, d, u1, z1, y, d_activation)
        grad["W2"], grad["b2"] = d_linear_mse(z1, d, network["W2"], network["b2"])
        return grad

    train = notebook_train(tmp_path, forward=forward, backward=notebook_backward,
                           gradient_descent_step=gradient_descent_step, d_linear_mse=d_linear_mse)
    message = rejected(check_train, train, "train")
    assert ("your d_linear_mse (exercise 2, used by backward) is not right yet: pass its check "
            "first") in message


def test_train_over_right_helpers_still_passes(tmp_path, passes):
    def d_linear_mse(x, d, w, b):
        delta = (x @ w + b - d) / len(x)
        return x.T @ delta, delta.sum(axis=0)

    train = notebook_train(tmp_path, forward=forward, backward=backward,
                           gradient_descent_step=gradient_descent_step, d_linear_mse=d_linear_mse)
    passes(check_train, train, "train")
