"""Checks for the graded exercises of lesson 04, gradient descent.

- ``check_gradient_descent_step``: one update W <- W - learning_rate * grad on a dict of
  parameters, returning a new dict and leaving its inputs alone.
- ``check_d_linear_mse``: the gradient of the course's mean squared error for a linear model
  y = x w + b, averaged over the batch, compared with a formula and with numerical_gradient.
- ``check_minibatch_indices``: one epoch of shuffled mini-batches drawn from a given Generator.
- ``check_train``: the training loop of DN15: forward, loss, backward and one update per batch
  of indices, for any batches (single samples for SGD, mini-batches, the full batch).
"""

import inspect
import re

import numpy as np

from common import functions
from common.functions import numerical_gradient, relative_error
from common.grading import Checker, ExerciseFailed, ExerciseNotDone, format_value

# ----------------------------------------------------------------------------------------------
# Reference solutions (the same as the notebook's)


def reference_gradient_descent_step(params, grads, learning_rate):
    """One gradient-descent step: a new dict with ``params[key] - learning_rate * grads[key]``."""
    return {key: params[key] - learning_rate * grads[key] for key in params}


def reference_d_linear_mse(x, d, w, b):
    """Gradients (grad_w, grad_b) of ``mean_squared_error(d, x @ w + b)`` for x (N, D), d (N, 1)."""
    delta = (x @ w + b - d) / len(x)  # dE/dy of the batch-averaged, halved squared error
    return x.T @ delta, delta.sum(axis=0)


def reference_minibatch_indices(n, batch_size, rng):
    """Shuffle 0..n-1 with ``rng``, cut into batches of ``batch_size`` (the last one smaller)."""
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def reference_forward(network, x, activation=functions.relu):
    """The lesson's 2-H-1 network: u1 (N, H), z1 (N, H) and the identity output y (N, 1)."""
    u1 = x @ network["W1"] + network["b1"]
    z1 = activation(u1)
    return u1, z1, z1 @ network["W2"] + network["b2"]


def reference_backward(network, x, d, u1, z1, y, d_activation=functions.d_relu):
    """The lesson's gradients of mean_squared_error(d, y) for every parameter."""
    delta2 = functions.d_mean_squared_error(d, y)
    delta1 = (delta2 @ network["W2"].T) * d_activation(u1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}


def reference_train(start, x_train, d_train, batches, learning_rate,
                    activation=functions.relu, d_activation=functions.d_relu, *,
                    loss_after=False, whole_set_loss=False, z1_for_u1=False):
    """One update per batch of indices; returns the network and each batch's loss before its
    update. The keywords build three typical wrong answers for the hints."""
    network = dict(start)
    losses = []
    for batch in batches:
        x, d = x_train[batch], d_train[batch]
        u1, z1, y = reference_forward(network, x, activation)
        grad = reference_backward(network, x, d, z1 if z1_for_u1 else u1, z1, y, d_activation)
        network = reference_gradient_descent_step(network, grad, learning_rate)
        if whole_set_loss:
            y = reference_forward(network, x_train, activation)[2]
            losses.append(functions.mean_squared_error(d_train, y))
        elif loss_after:
            losses.append(functions.mean_squared_error(d, reference_forward(network, x,
                                                                            activation)[2]))
        else:
            losses.append(functions.mean_squared_error(d, y))
    return network, np.array(losses)


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


def _rate_used(param, grad, received):
    """The rate r of a step ``param - r * grad`` that gives ``received``, or None."""
    received = np.asarray(received, dtype=float)
    if received.shape != param.shape or not np.any(grad):
        return None
    rate = np.sum((param - received) * grad) / np.sum(grad * grad)
    return rate if np.allclose(received, param - rate * grad) else None


def _fixed_rate(param, grad, learning_rate):
    """A predicate: did the learner step by some other fixed rate than ``learning_rate``?"""
    def matches(received):
        rate = _rate_used(param, grad, received)
        return rate is not None and not np.isclose(rate, learning_rate) and rate > 0
    return matches


def _step_in_place_advice(name, kind):
    """The step's own advice for grads changed, or an array of params changed in place."""
    if name == "grads":
        return "do not change grads: compute learning_rate * grads[key] as a new array"
    if name == "params" and kind == "array in dict":
        return ("params[key] -= ... changes the caller's arrays (new = params does not copy "
                "them, and params.copy() shares the arrays): compute new ones, "
                "new[key] = params[key] - ...")
    return None


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
                 "return the new parameters (each one moved by its step), not only the step"),
        "divided": ({k: params[k] - grads[k] / learning_rate for k in params},
                    "multiply by learning_rate, do not divide"),
    }
    expected = reference_gradient_descent_step(params, grads, learning_rate)
    for key in params:
        hints = [(value[key], advice) for value, advice in wrong.values()]
        rate = _rate_used(params[key], grads[key], got[key]) if isinstance(
            got[key], np.ndarray) else None
        hints.append((_fixed_rate(params[key], grads[key], learning_rate),
                      f"you stepped by {rate if rate is not None else 0:g}, not learning_rate = "
                      f"{learning_rate:g}: use the learning_rate argument, so that the caller "
                      "can choose it"))
        c.compare(f"{call}[{key!r}] with {what}", got[key], expected[key], hints=hints)
    # (c.call has already refused a change to params or grads, inside the dicts too.)


def check_gradient_descent_step(gradient_descent_step):
    """Check one gradient-descent step on the course's 2-3-2 weights and on random dicts.

    Tests the values of every key (with hints for adding the gradient, forgetting the learning
    rate, returning only the step), that the keys come from params (not a fixed list), that a new
    dict comes back, and that neither params nor grads is changed in place (the Checker tells a
    replaced entry, new = params, from an array changed through params.copy()).
    """
    c = Checker("gradient_descent_step", gradient_descent_step,
                without=(reference_gradient_descent_step,), in_place=_step_in_place_advice)
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


def _ratio_to(expected):
    """A predicate: is the received gradient a multiple r != 1 of ``expected``? Gives r too."""
    def ratio(received):
        if received.shape != expected.shape or not np.any(expected):
            return None
        r = np.sum(received * expected) / np.sum(expected * expected)
        if np.isclose(r, 1.0) or not np.allclose(received, r * expected, rtol=1e-6, atol=1e-12):
            return None
        return r
    return ratio


class _WatchedInput(np.ndarray):
    """The x handed to d_linear_mse in one case: it notes whether x (or a piece of it, x[n],
    x.T) ever meets w with exactly one entry shifted, the model at w + h e_i that a numerical
    gradient evaluates. The results of every operation are plain arrays."""

    def __array_finalize__(self, obj):
        self.watch = getattr(obj, "watch", None)

    def _note(self, operands):
        w = self.watch["w"]
        for operand in operands:
            if isinstance(operand, (list, tuple)):
                self._note(operand)
            elif (isinstance(operand, np.ndarray) and not isinstance(operand, _WatchedInput)
                  and operand.size == w.size and operand.shape in (w.shape, (w.size,))):
                shifted = np.count_nonzero(np.asarray(operand, dtype=float).ravel() != w.ravel())
                self.watch["shifted"] |= shifted == 1

    @staticmethod
    def _plain(value):
        if isinstance(value, _WatchedInput):
            return value.view(np.ndarray)
        if isinstance(value, (list, tuple)):
            return type(value)(_WatchedInput._plain(v) for v in value)
        return value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self._note(inputs)
        if "out" in kwargs:
            kwargs["out"] = self._plain(kwargs["out"])
        return getattr(ufunc, method)(*self._plain(inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        self._note(args)
        return func(*self._plain(args), **{k: self._plain(v) for k, v in kwargs.items()})

    def dot(self, other, *args, **kwargs):
        self._note((other,))
        return self.view(np.ndarray).dot(other, *args, **kwargs)


def _check_linear_case(c, x, d, w, b, label, watch_numerical=False):
    given = x
    if watch_numerical:
        given = x.copy().view(_WatchedInput)
        given.watch = {"w": w.copy(), "shifted": False}
    got = c.call(given, d, w, b, label=label)
    if watch_numerical and given.watch["shifted"]:
        dim = x.shape[1]
        c.fail(f"{label} evaluated the model at w with one entry shifted, as a numerical "
               f"gradient does: it needs 2(D+1) = {2 * (dim + 1)} loss evaluations for one "
               "gradient and is only approximate - derive it instead, with the chain rule "
               "as the exercise's text does, and write its formula")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        c.fail(f"{label} should return the pair (grad_w, grad_b), got {format_value(got)}")
    grad_w, grad_b = got
    n, dim = x.shape
    expected_w, expected_b = reference_d_linear_mse(x, d, w, b)
    delta = x @ w + b - d
    divisor = (f"divide by the batch size N = {n} once, and by nothing else: the loss is the "
               "average of the N samples' halved squared errors")
    columns = (f"y - d became an (N, N) array: keep y and d both columns of shape ({n}, 1) "
               "(do not flatten one of them), so that y - d is (N, 1)")
    hints_w = [
        (expected_w * n, "divide by the batch size N: the loss is the average over the batch"),
        (expected_w * 2, "the 1/2 in the loss cancels the 2 of the square: no factor 2"),
        (-expected_w, "the sign is flipped: the derivative of (d - y)^2 / 2 by y is y - d"),
        (lambda r: _ratio_to(expected_w)(r) is not None, divisor),
        (delta.T @ x / n, "grad_w must have the shape of w: use x.T @ (y - d) / N, not "
                          "(y - d).T @ x / N"),
        (lambda r: n > 1 and r.shape == (dim, n), columns),
        (lambda r: r.shape == (dim,), f"grad_w must have the shape of w, ({dim}, 1), a column: "
                                      "x.T @ (y - d) / N gives it (np.mean(..., axis=0) gives a "
                                      f"flat ({dim},))"),
    ]
    hints_b = [
        (expected_b * n, "divide by the batch size N: the loss is the average over the batch"),
        (expected_b * 2, "the 1/2 in the loss cancels the 2 of the square: no factor 2"),
        (-expected_b, "the sign is flipped: the derivative of (d - y)^2 / 2 by y is y - d"),
        (lambda r: _ratio_to(expected_b)(r) is not None, divisor),
        (delta / n, "grad_b has the shape of b, (1,): add up over the batch, "
                    "(y - d).sum(axis=0) / N"),
        (lambda r: r.shape == (1, 1), "grad_b must have the shape of b, (1,): sum over the "
                                      "samples with axis=0, without keepdims"),
        (delta.sum() / n, "grad_b has the shape of b, (1,): use (y - d).sum(axis=0) / N"),
        (lambda r: n > 1 and r.shape == (n,), columns),
    ]
    c.compare(f"{label} grad_w", grad_w, expected_w, hints=hints_w)
    c.compare(f"{label} grad_b", grad_b, expected_b, hints=hints_b)
    return grad_w, grad_b


def check_d_linear_mse(d_linear_mse):
    """Check the gradient of mean_squared_error(d, x @ w + b) by w and by b.

    Tests a fixed batch of 3, an integer batch and seeded random batches of 1 and 6 against the
    formula (with hints for a wrong divisor, a factor 2, a flipped sign, transposed shapes, an
    (N, N) broadcast, an unsummed bias gradient) and against numerical_gradient, without
    ``functions.d_mean_squared_error`` or ``numerical_gradient``.
    """
    c = Checker("d_linear_mse", d_linear_mse,
                without=("d_mean_squared_error", "numerical_gradient", reference_d_linear_mse))
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    d = np.array([[1.0], [2.0], [0.0]])
    w = np.array([[0.1], [0.2]])
    b = np.array([0.5])
    _check_linear_case(c, x, d, w, b, "d_linear_mse(x (3, 2), d, w=[[0.1], [0.2]], b=[0.5])")
    x_int = np.array([[1, 2, 0], [0, 1, 3], [2, 2, 2], [1, 0, 1]])  # whole numbers in x and d
    _check_linear_case(c, x_int, np.array([[3], [1], [0], [2]]), np.array([[0.5], [-1.0], [0.25]]),
                       np.array([0.1]), "d_linear_mse(integer x (4, 3), integer d, w, b)")
    rng = np.random.default_rng(15)
    for n, dim in ((1, 2), (6, 3)):
        x = rng.uniform(-1, 1, size=(n, dim))
        d = rng.normal(size=(n, 1))
        w = rng.normal(size=(dim, 1))
        b = rng.normal(size=1)
        label = f"d_linear_mse(x {x.shape}, d {d.shape}, w {w.shape}, b {b.shape}) (random)"
        grad_w, grad_b = _check_linear_case(c, x, d, w, b, label, watch_numerical=n != dim)
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
    if not isinstance(got, (list, tuple)):
        c.fail(f"{label} should return a list of index arrays, got {type(got).__name__}")
    for batch in got:
        if not isinstance(batch, np.ndarray):
            c.fail(f"{label} should give each mini-batch as a NumPy array, got a "
                   f"{type(batch).__name__} - slice the shuffled array, order[start:stop]")
        if batch.ndim != 1 or batch.dtype.kind not in "iu":
            c.fail(f"{label} should give 1-D arrays of whole-number indices, got one of "
                   f"shape {batch.shape} and dtype {batch.dtype}")
    return label, list(got)


def _is_cyclic_run(batch, n):
    """Whether the indices of ``batch``, as a set, are consecutive modulo n (e.g. 8, 9, 0, 1)."""
    members = np.zeros(n, dtype=bool)
    members[batch] = True
    # Exactly one place where the run starts: a member whose predecessor is not a member.
    return int(np.count_nonzero(members & ~np.roll(members, 1))) == 1


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
    each_unique = all(len(np.unique(batch)) == len(batch) for batch in batches)
    if each_unique and len(everything) == n:  # no repeat inside a batch: they overlap
        advice = ("batches drawn one by one can repeat earlier batches' indices: shuffle once "
                  "with rng.permutation(n), then cut")
    else:
        advice = ("shuffle with rng.permutation(n), do not draw with replacement "
                  "(rng.integers, or rng.choice without replace=False)")
    c.expect(np.array_equal(np.sort(everything), np.arange(n)),
             f"{label} should use each index 0..{n - 1} exactly once, got "
             f"{len(np.unique(everything))} different indices out of {len(everything)} - "
             f"{advice}")
    if n > 4 and len(batches) > 1:  # (one batch, the full batch, may come in any order)
        c.expect(not np.array_equal(everything, np.arange(n)),
                 f"{label} gave the indices in order 0, 1, 2, ... - shuffle every index first "
                 "with rng.permutation(n) (shuffling whole batches is not enough)")
    if n >= 10 and len(batches) > 1:
        blocks = [np.array_equal(np.sort(batch), np.arange(i * batch_size, i * batch_size
                                                           + len(batch)))
                  for i, batch in enumerate(batches)]
        c.expect(not all(blocks),
                 f"{label} put the samples 0..{batch_size - 1} in the first batch, the next "
                 f"{batch_size} in the second, and so on - shuffle the whole order first, then "
                 "cut it, so that every epoch mixes the samples differently")
    if n >= 50:
        # Fakes a random order cannot be mistaken for (tried on 20,000 real shuffles of 50: no
        # false alarm; sorting inside a batch is allowed): every batch a run of neighbouring
        # indices (a rotation of 0..n-1, a shuffle of whole batches), or one fixed stride.
        runs = [_is_cyclic_run(batch, n) for batch in batches if 1 < len(batch) < n]
        c.expect(not (runs and all(runs)),
                 f"{label} kept neighbouring indices together: every batch holds a run of "
                 "consecutive indices (like 4, 5, 6, 7, in any order) - a rotation, a reversal "
                 "or a shuffle of whole blocks is not enough: shuffle every index with "
                 "rng.permutation(n)")
        steps = (everything[1:] - everything[:-1]) % n
        step = int(np.argmax(np.bincount(steps, minlength=n)))
        c.expect(np.count_nonzero(steps == step) < (n - 1) / 2,
                 f"{label} went through the indices in steps of {step} (mod {n}) - that is not "
                 "a shuffle: use rng.permutation(n), which can give every order")
    return everything


def check_minibatch_indices(minibatch_indices):
    """Check one epoch of shuffled mini-batches.

    Tests batch sizes (the last batch smaller when batch_size does not divide n), batch_size 1
    (SGD) and batch_size n (full batch), that every index is used exactly once and well mixed
    (not in order, not rotated, not whole blocks, not a fixed stride), that each batch is an
    integer array, and
    that the order comes from the rng argument: the same seed gives the same batches,
    different seeds different ones.
    """
    c = Checker("minibatch_indices", minibatch_indices,
                without=(reference_minibatch_indices,))
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
             "minibatch_indices(50, 16, rng) gave the same order for the seeds 5 and 6 - the "
             "order must come from the rng argument, rng.permutation(n); a fixed order, or a "
             "generator made inside the function, gives the same batches every epoch")
    c.done()


# ----------------------------------------------------------------------------------------------
# Exercise 4: train


def _train_data(rng, n=6):
    x = rng.random((n, 2))
    return x, (3 * x[:, :1] + 2 * x[:, 1:])


def _small_network(rng, hidden=3):
    return {"W1": rng.normal(size=(2, hidden)), "b1": rng.normal(size=hidden),
            "W2": rng.normal(size=(hidden, 1)), "b2": rng.normal(size=1)}


# What a NameError inside the learner's train means: a cell of the notebook was not run.
_DEFINED_ABOVE = {
    "forward": "forward and backward are defined in the code cell just before exercise 4: run "
               "it first (it needs no exercise), then this cell again",
    "backward": "forward and backward are defined in the code cell just before exercise 4: run "
                "it first (it needs no exercise), then this cell again",
    "gradient_descent_step": "gradient_descent_step is your exercise 1: run its cell first",
    "d_linear_mse": "d_linear_mse is your exercise 2 (backward uses it): run its cell first",
}


def _is_stub(func):
    """Whether ``func`` is still the handed-out exercise, ``raise NotImplementedError``."""
    try:
        return "NotImplementedError" in inspect.getsource(func)
    except (OSError, TypeError):
        return True


def _helper_advice(train):
    """Advice if the notebook's own d_linear_mse or gradient_descent_step, which train uses
    (through backward), is still wrong: a wrong network is then not train's fault."""
    found = getattr(train, "__globals__", {})
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    d, w, b = np.array([[1.0], [2.0], [0.0]]), np.array([[0.1], [0.2]]), np.array([0.5])
    params, grads = {"W": w, "b": b}, {"W": np.array([[1.0], [-2.0]]), "b": np.array([0.5])}

    def right_gradient(func):
        got = func(x.copy(), d.copy(), w.copy(), b.copy())
        return len(got) == 2 and all(
            np.shape(g) == np.shape(e) and np.allclose(np.asarray(g, dtype=float), e)
            for g, e in zip(got, reference_d_linear_mse(x, d, w, b), strict=True))

    def right_step(func):
        got = func({k: v.copy() for k, v in params.items()},
                   {k: v.copy() for k, v in grads.items()}, 0.1)
        expected = reference_gradient_descent_step(params, grads, 0.1)
        return set(got) == set(expected) and all(
            np.allclose(np.asarray(got[k], dtype=float), expected[k]) for k in expected)

    for name, number, test, use in (
            ("d_linear_mse", 2, right_gradient, "used by backward"),
            ("gradient_descent_step", 1, right_step, "used by train")):
        func = found.get(name)
        if not callable(func) or _is_stub(func):
            continue
        try:
            with np.errstate(all="ignore"):
                right = test(func)
        except Exception:  # noqa: BLE001 (any crash means the helper is not right yet)
            right = False
        if not right:
            return (f"your {name} (exercise {number}, {use}) is not right yet: pass its check "
                    "first")
    return None


def _check_train_case(c, what, start, x, d, batches, learning_rate, activation=None,
                      d_activation=None):
    extra = () if activation is None else (activation, d_activation)
    names = "" if activation is None else f", {activation.__name__}, {d_activation.__name__}"
    label = f"train(start, x, d, {what}, {learning_rate:g}{names})"
    try:
        got = c.call(start, x, d, batches, learning_rate, *extra, label=label)
    except ExerciseNotDone:
        if _is_stub(c.func):
            raise
        raise ExerciseFailed(f"[train] {label} reached an exercise that is not written yet: "
                             "your train is done, but it uses gradient_descent_step (exercise "
                             "1) and backward uses d_linear_mse (exercise 2): finish those "
                             "first") from None
    except ExerciseFailed as error:
        if " in place" in str(error):
            raise ExerciseFailed(f"{error} - the caller's start weights must survive: use your "
                                 "gradient_descent_step, which returns new arrays") from None
        missing = re.search(r"raised NameError: name '(\w+)' is not defined", str(error))
        if missing and missing.group(1) in _DEFINED_ABOVE:
            raise ExerciseFailed(f"{error} - {_DEFINED_ABOVE[missing.group(1)]}") from None
        raise
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        c.fail(f"{label} should return the pair (network, losses), got {format_value(got)}")
    network, losses = got
    if not isinstance(network, dict) or set(network) != set(start):
        c.fail(f"{label} should return the trained network, a dict with the keys "
               f"{sorted(start)}, first in the pair")
    relu = (functions.relu, functions.d_relu)
    chosen = relu if activation is None else (activation, d_activation)
    expected, expected_losses = reference_train(start, x, d, batches, learning_rate, *chosen)
    n_batches = len(batches)
    wrong = [(reference_train(start, x, d, batches, 0.0, *chosen),
              "your network never changed: keep what gradient_descent_step returns, "
              "network = gradient_descent_step(network, grad, learning_rate)")]
    if activation is not None:
        wrong += [
            (reference_train(start, x, d, batches, learning_rate, *relu),
             "pass activation on to forward and d_activation on to backward: "
             "forward(network, x, activation), backward(..., d_activation)"),
            (reference_train(start, x, d, batches, learning_rate, activation, functions.d_relu),
             "you passed activation to forward but not d_activation to backward: "
             "backward(network, x, d, u1, z1, y, d_activation)"),
            (reference_train(start, x, d, batches, learning_rate, functions.relu, d_activation),
             "you passed d_activation to backward but not activation to forward: "
             "forward(network, x, activation)"),
        ]
    if chosen[1] is not functions.d_sigmoid:
        wrong.append((reference_train(start, x, d, batches, learning_rate, chosen[0],
                                      functions.d_sigmoid),
                      "use d_activation, the derivative of the forward activation: "
                      "backward(..., d_activation), not functions.d_sigmoid"))
    wrong.append((reference_train(start, x, d, batches, learning_rate, *chosen, z1_for_u1=True),
                  "backward takes u1, where the derivative is taken; you passed z1"))
    whole = [np.arange(len(x))] * n_batches
    wrong.append((reference_train(start, x, d, whole, learning_rate, *chosen),
                  "train on the samples of each batch only: x[batch] and d[batch]"))
    for rate in (0.07, 0.1, 0.01):
        if not np.isclose(rate, learning_rate):
            wrong.append((reference_train(start, x, d, batches, rate, *chosen),
                          f"use the learning_rate argument ({learning_rate:g}), not a fixed "
                          f"number ({rate:g})"))
    after = reference_train(start, x, d, batches, learning_rate, *chosen, loss_after=True)[1]
    whole_loss = reference_train(start, x, d, batches, learning_rate, *chosen,
                                 whole_set_loss=True)[1]
    sizes = np.array([len(batch) for batch in batches], dtype=float)
    course_loss = ("record the course's loss, functions.mean_squared_error(d[batch], y), the "
                   "halved mean")
    try:
        for key in sorted(start):
            hints = [(value[0][key], advice) for value, advice in wrong]
            c.compare(f"{label}: the network's {key!r}", network[key], expected[key],
                      hints=hints)
    except ExerciseFailed:
        advice = _helper_advice(c.func)
        if advice is None:
            raise
        raise ExerciseFailed(f"[train] {label} trained the network wrongly, and {advice}"
                             ) from None
    loss_hints = [(value[1], advice) for value, advice in wrong] + [
        (expected_losses * sizes, course_loss),   # the sum of halved squares, not their mean
        (2 * expected_losses, course_loss),       # the mean, not halved
        (after, "record each batch's loss before its update, from the y of the forward pass"),
        (whole_loss, "record the loss of the batch, mean_squared_error(d[batch], y), not of the "
                     "whole training set"),
        (lambda r: r.shape != (n_batches,), f"return one loss per batch, {n_batches} of them, "
                                            "as an array: np.array(losses)"),
    ]
    c.compare(f"{label}: the losses", losses, expected_losses, hints=loss_hints)


def check_train(train):
    """Check the training loop ``train(start, x_train, d_train, batches, learning_rate,
    activation, d_activation)``: mini-batches, single samples with repeats (the course's
    DN15), sigmoid instead of ReLU, another learning rate; the start weights unchanged."""
    c = Checker("train", train, without=(reference_train, reference_gradient_descent_step))
    rng = np.random.default_rng(41)
    x, d = _train_data(rng)
    start = _small_network(rng)
    _check_train_case(c, x=x, d=d, start=start, learning_rate=0.05,
                      what="mini-batches [[4, 1], [0, 5], [3, 2]]",
                      batches=[np.array([4, 1]), np.array([0, 5]), np.array([3, 2])])
    _check_train_case(c, x=x, d=d, start=start, learning_rate=0.2,
                      what="single samples [[3], [1], [3], [0]]",
                      batches=np.array([[3], [1], [3], [0]]))
    _check_train_case(c, x=x, d=d, start=start, learning_rate=0.3,
                      what="mini-batches [[0, 1, 2], [3, 4, 5]]",
                      batches=[np.arange(3), np.arange(3, 6)], activation=functions.sigmoid,
                      d_activation=functions.d_sigmoid)
    c.done()
