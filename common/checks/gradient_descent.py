"""Checks for the graded exercises of lesson 04, gradient descent.

- ``check_gradient_descent_step``: one update W <- W - learning_rate * grad on a dict of
  parameters, returning a new dict and leaving its inputs alone.
- ``check_d_linear_mse``: the gradient of the course's mean squared error for a linear model
  y = x w + b, averaged over the batch, compared with a formula and with numerical_gradient.
- ``check_minibatch_indices``: one epoch of shuffled mini-batches drawn from a given Generator.
"""

import copy

import numpy as np

from common import functions
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, ExerciseFailed, format_value

# ----------------------------------------------------------------------------------------------
# Reference solutions (the same as the notebook's)


def reference_gradient_descent_step(params, grads, learning_rate):
    """One gradient-descent step: a new dict with ``params[key] - learning_rate * grads[key]``."""
    return {key: params[key] - learning_rate * grads[key] for key in params}


def reference_d_linear_mse(x, d, w, b):
    """Gradients (grad_w, grad_b) of ``mean_squared_error(d, x @ w + b)`` for x (N, D), d (N, 1)."""
    delta = functions.d_mean_squared_error(d, x @ w + b)
    return x.T @ delta, delta.sum(axis=0)


def reference_minibatch_indices(n, batch_size, rng):
    """Shuffle 0..n-1 with ``rng``, cut into batches of ``batch_size`` (the last one smaller)."""
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


# ----------------------------------------------------------------------------------------------
# Helpers


def _network(rng=None):
    """The course's 2-3-2 weights (fixed) or random ones of the same shapes."""
    if rng is None:
        return {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
                "b1": np.array([0.1, 0.2, 0.3]),
                "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
                "b2": np.array([0.1, 0.2])}
    return {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=3),
            "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}


# ----------------------------------------------------------------------------------------------
# Exercise 1: gradient_descent_step


def _check_step_case(c, params, grads, learning_rate, what):
    call = f"gradient_descent_step(params, grads, {learning_rate:g})"
    label = f"{call} with {what}"
    try:
        got = c.call(params, grads, learning_rate, label=label)
    except ExerciseFailed as error:
        if "raised KeyError" not in str(error):
            raise
        raise ExerciseFailed(f"{error} - loop over the keys of params (for key in params), "
                             "not a fixed list") from None
    if got is None:
        c.fail(f"{label} returned None - build a new dict and return it")
    if not isinstance(got, dict):
        c.fail(f"{label} should return a dict like params, got {type(got).__name__}")
    if set(got) != set(params):
        c.fail(f"{label} should return the keys {sorted(params)}, got {sorted(got)} - "
               "loop over the keys of params (for key in params), not a fixed list")
    wrong = {
        "added": ({k: params[k] + learning_rate * grads[k] for k in params},
                  "you added the gradient: step against it, W - learning_rate * grad"),
        "no_rate": ({k: params[k] - grads[k] for k in params},
                    "multiply the gradient by learning_rate before subtracting it"),
        "step": ({k: -learning_rate * grads[k] for k in params},
                 "return the new parameters, params[key] - learning_rate * grads[key], "
                 "not only the step"),
        "divided": ({k: params[k] - grads[k] / learning_rate for k in params},
                    "multiply by learning_rate, do not divide"),
    }
    expected = reference_gradient_descent_step(params, grads, learning_rate)
    for key in params:
        hints = [(value[key], advice) for value, advice in wrong.values()]
        c.compare(f"{call}[{key!r}] with {what}", got[key], expected[key], hints=hints)
    # Checker.call passed copies; run once more on our own copies to see what changes in place.
    params_probe, grads_probe = copy.deepcopy(params), copy.deepcopy(grads)
    c.func(params_probe, grads_probe, learning_rate)
    for key in params:
        c.expect(np.array_equal(params_probe[key], params[key]),
                 f"{label} changed params[{key!r}] in place - build new arrays with "
                 "params[key] - learning_rate * grads[key] (`-=` changes the caller's weights, "
                 "and so does `-=` on params.copy(), which shares the arrays)")
    c.expect(all(np.array_equal(grads_probe[k], grads[k]) for k in grads),
             f"{label} changed grads in place - leave the gradients alone")


def check_gradient_descent_step(gradient_descent_step):
    """Check one gradient-descent step on the course's 2-3-2 weights and on random dicts.

    Tests the values of every key (with hints for adding the gradient, forgetting the learning
    rate, returning only the step), that the keys come from params (not a fixed list), that a new
    dict comes back, and that neither params nor grads is changed in place.
    """
    c = Checker("gradient_descent_step", gradient_descent_step)
    grads = {"W1": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]),
             "b1": np.array([0.5, -0.5, 1.0]),
             "W2": np.array([[2.0, -1.0], [0.0, 1.5], [-3.0, 0.25]]),
             "b2": np.array([-1.0, 2.0])}
    _check_step_case(c, _network(), grads, 0.1, "the course's 2-3-2 weights")
    rng = np.random.default_rng(4)
    _check_step_case(c, _network(rng), _network(rng), 0.07, "random 2-3-2 weights")
    # Other names and shapes, as in a linear model: the keys come from params.
    params = {"w": rng.normal(size=(3, 1)), "b": rng.normal(size=1)}
    grads = {"w": rng.normal(size=(3, 1)), "b": rng.normal(size=1)}
    _check_step_case(c, params, grads, 0.5, "random keys 'w', 'b'")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 2: d_linear_mse


def _check_linear_case(c, x, d, w, b, label):
    got = c.call(x, d, w, b, label=label)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        c.fail(f"{label} should return the pair (grad_w, grad_b), got {format_value(got)}")
    grad_w, grad_b = got
    n = x.shape[0]
    expected_w, expected_b = reference_d_linear_mse(x, d, w, b)
    delta = x @ w + b - d
    hints_w = [
        (expected_w * n, "divide by the batch size N: the loss is the average over the batch"),
        (expected_w * 2, "the 1/2 in the loss cancels the 2 of the square: no factor 2"),
        (-expected_w, "the sign is flipped: the derivative of (d - y)^2 / 2 by y is y - d"),
        (delta.T @ x / n, "grad_w must have the shape of w: use x.T @ delta, not delta.T @ x"),
    ]
    hints_b = [
        (expected_b * n, "divide by the batch size N: the loss is the average over the batch"),
        (expected_b * 2, "the 1/2 in the loss cancels the 2 of the square: no factor 2"),
        (-expected_b, "the sign is flipped: the derivative of (d - y)^2 / 2 by y is y - d"),
        (delta / n, "grad_b has the shape of b: sum delta over the batch, axis=0"),
        (delta.sum() / n, "grad_b has the shape of b (1,): use delta.sum(axis=0)"),
    ]
    c.compare(f"{label} grad_w", grad_w, expected_w, hints=hints_w)
    c.compare(f"{label} grad_b", grad_b, expected_b, hints=hints_b)
    return grad_w, grad_b


def check_d_linear_mse(d_linear_mse):
    """Check the gradient of mean_squared_error(d, x @ w + b) by w and by b.

    Tests a fixed batch of 3 and seeded random batches of 1 and 6 against the formula
    (with hints for a missing batch average, a factor 2, a flipped sign, transposed shapes,
    an unsummed bias gradient) and against numerical_gradient.
    """
    c = Checker("d_linear_mse", d_linear_mse)
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    d = np.array([[1.0], [2.0], [0.0]])
    w = np.array([[0.1], [0.2]])
    b = np.array([0.5])
    _check_linear_case(c, x, d, w, b, "d_linear_mse(x (3, 2), d, w=[[0.1], [0.2]], b=[0.5])")
    rng = np.random.default_rng(15)
    for n, dim in ((1, 2), (6, 3)):
        x = rng.uniform(-1, 1, size=(n, dim))
        d = rng.normal(size=(n, 1))
        w = rng.normal(size=(dim, 1))
        b = rng.normal(size=1)
        label = f"d_linear_mse(x {x.shape}, d {d.shape}, w {w.shape}, b {b.shape}) (random)"
        grad_w, grad_b = _check_linear_case(c, x, d, w, b, label)
        w_var, b_var = w.copy(), b.copy()
        def loss(_, w_var=w_var, b_var=b_var, x=x, d=d):
            return functions.mean_squared_error(d, x @ w_var + b_var)
        for name, got, var in (("grad_w", grad_w, w_var), ("grad_b", grad_b, b_var)):
            error = relative_error(got, numerical_gradient(loss, var))
            c.expect(error < 1e-6, f"{label} {name} differs from numerical_gradient "
                     f"(relative error {error:.2g})")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 3: minibatch_indices


def _call_batches(c, n, batch_size, seed):
    label = f"minibatch_indices({n}, {batch_size}, np.random.default_rng({seed}))"
    got = c.call(n, batch_size, np.random.default_rng(seed), label=label)
    if isinstance(got, np.ndarray) and got.ndim == 1:
        c.fail(f"{label} should return a list of index arrays, one per mini-batch, got a "
               "single array - cut the shuffled order into pieces of batch_size")
    try:
        batches = [np.asarray(batch) for batch in got]
    except TypeError:
        c.fail(f"{label} should return a list of index arrays, got {type(got).__name__}")
    for batch in batches:
        if batch.ndim != 1 or batch.dtype.kind not in "iu":
            c.fail(f"{label} should give 1-D arrays of whole-number indices, got one of "
                   f"shape {batch.shape} and dtype {batch.dtype}")
    return label, batches


def _check_epoch(c, n, batch_size, seed):
    label, batches = _call_batches(c, n, batch_size, seed)
    sizes = [len(batch) for batch in batches]
    full, rest = divmod(n, batch_size)
    expected_sizes = [batch_size] * full + ([rest] if rest else [])
    hint = ""
    if sizes == [batch_size] * full and rest:
        hint = " - keep the last, smaller batch: every sample is used once per epoch"
    elif sizes == [batch_size] * (full + 1) and rest:
        hint = " - the last batch holds only the samples that are left"
    c.expect(sizes == expected_sizes, f"{label} should give batches of sizes {expected_sizes}, "
             f"got {sizes}{hint}")
    everything = np.concatenate(batches)
    c.expect(np.array_equal(np.sort(everything), np.arange(n)),
             f"{label} should use each index 0..{n - 1} exactly once, got "
             f"{len(np.unique(everything))} different indices out of {len(everything)} - "
             "shuffle with rng.permutation(n), do not draw with replacement "
             "(rng.integers, or rng.choice without replace=False)")
    if n > 4:
        c.expect(not np.array_equal(everything, np.arange(n)),
                 f"{label} gave the indices in order 0, 1, 2, ... - shuffle them first with "
                 "rng.permutation(n)")
    return everything


def check_minibatch_indices(minibatch_indices):
    """Check one epoch of shuffled mini-batches.

    Tests batch sizes (the last batch smaller when batch_size does not divide n), batch_size 1
    (SGD) and batch_size n (full batch), that every index is used exactly once and in shuffled
    order, that the indices are integers, and that the order comes from the rng argument: the
    same seed gives the same batches, different seeds different ones.
    """
    c = Checker("minibatch_indices", minibatch_indices)
    _check_epoch(c, 10, 3, 0)
    _check_epoch(c, 12, 4, 1)
    _check_epoch(c, 7, 1, 2)   # stochastic gradient descent: one sample per update
    _check_epoch(c, 9, 9, 3)   # full batch: one update per epoch
    _check_epoch(c, 5, 8, 4)   # a batch size larger than the data set: one batch
    first = _check_epoch(c, 50, 16, 5)
    again = _check_epoch(c, 50, 16, 5)
    c.expect(np.array_equal(first, again),
             "minibatch_indices(50, 16, np.random.default_rng(5)) gave different batches on "
             "two calls with the same seed - draw the order from the rng argument "
             "(rng.permutation), not from np.random")
    other = _check_epoch(c, 50, 16, 6)
    c.expect(not np.array_equal(first, other),
             "minibatch_indices(50, 16, rng) gave the same order for seeds 5 and 6 - use the "
             "rng you are given instead of making a new one inside")
    c.done()
