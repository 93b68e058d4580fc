"""The course's function library: activations, losses, their derivatives and a gradient check.

Names and the argument order ``(d, y)`` (target first) follow the course, so code written for
the course's own notebooks runs unchanged. Shapes use ``N`` for the batch size, ``K`` for the
number of outputs; a 1-D input is one sample.

A loss or delta given its arguments the wrong way round, ``(y, d)``, says so when it can tell:
the outputs ``y`` hold only exact 0s and 1s, the targets ``d`` do not.

Every function leaves its inputs untouched and raises a ``ValueError`` or ``TypeError`` that
names itself, what it expected and what it got.
"""

import numpy as np

#: Added inside the logarithm of the printed cross-entropies, as in the course, so that log(0)
#: never happens. A safety net for the loss value only: the gradients leave it out.
LOG_GUARD = 1e-7


# ----------------------------------------------------------------------------------------------
# Input checking


def _as_float_array(func, name, value):
    """Return ``value`` as a new float64 array, or raise an error that a beginner can act on."""
    def wrong_type(detail):
        return TypeError(f"{func}: expected a number or an array of numbers for {name}, "
                         f"got {type(value).__name__} {detail}")

    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise wrong_type(f"that NumPy cannot turn into numbers ({error})") from None
    if array.dtype.kind == "c":
        raise TypeError(f"{func}: expected real numbers for {name}, got complex values")
    if array.dtype.kind not in "biuf":
        raise wrong_type(repr(value) if np.size(value) <= 5 else f"of dtype {array.dtype}")
    array = array.astype(float)  # always a copy: the caller's array is never touched
    return array


def _scalar_or_array(result):
    """Give back a NumPy scalar for a 0-d result, so ``sigmoid(0)`` is a number, not an array."""
    return result[()] if result.ndim == 0 else result


def _check_same_shape(func, d, y):
    if d.shape != y.shape:
        raise ValueError(f"{func}: expected target d and output y of the same shape, "
                         f"got d {d.shape} and y {y.shape}")


def _check_ndim(func, name, array, allowed):
    if array.ndim not in allowed:
        wanted = " or ".join(f"{n}-D" for n in allowed)
        raise ValueError(f"{func}: expected {name} to be {wanted}, "
                         f"got a {array.ndim}-D array of shape {array.shape}")


def _check_probabilities(func, y):
    if np.any(np.isnan(y)):
        raise ValueError(f"{func}: y contains NaN: the forward pass overflowed somewhere before "
                         "(a learning rate too large?)")
    if np.any(y < 0) or np.any(y > 1):
        raise ValueError(f"{func}: expected y to hold probabilities in [0, 1], got values from "
                         f"{np.min(y):.4g} to {np.max(y):.4g} "
                         "(pass the output of softmax or sigmoid, not the total input u)")


def _check_not_swapped(func, d, y):
    """Refuse targets and outputs passed the wrong way round: ``y`` holding only exact 0s and
    1s (a target's values) while ``d`` does not (an output's)."""
    if np.all((y == 0) | (y == 1)) and not np.all((d == 0) | (d == 1)):
        raise ValueError(f"{func}: d and y look swapped: y holds only 0s and 1s and d does not; "
                         "the order is (d, y), target first")


def _class_targets(func, d, y, y_shape):
    """Return the one-hot (or soft) targets of shape (N, K) for probabilities ``y`` (N, K).

    ``d`` is either one-hot (the shape of ``y``; for a batch of one also (K,)) or label indices
    (shape (N,)). ``y_shape`` is the shape the caller gave, for the message.
    """
    n, k = y.shape
    if n == 1 and d.shape == (k,) and k > 1:  # one sample's one-hot row for a (1, K) y
        d = d.reshape(1, k)
    if d.shape == y.shape:
        _check_not_swapped(func, d, y)
        if np.any(d < 0) or not np.allclose(d.sum(axis=1), 1.0):
            raise ValueError(f"{func}: expected each row of the one-hot target d to be "
                             f"non-negative and sum to 1, got row sums {d.sum(axis=1)}")
        return d
    if d.shape == (n,):
        if np.any(d != np.round(d)) or np.any(d < 0) or np.any(d >= k):
            raise ValueError(f"{func}: expected label indices d to be whole numbers in "
                             f"0..{k - 1} (y has {k} classes), got {d}")
        return np.eye(k)[d.astype(int)]
    labels = "a single label" if len(y_shape) == 1 else f"label indices of shape ({n},)"
    raise ValueError(f"{func}: expected d to be one-hot with the shape of y {y_shape} or "
                     f"{labels}, got d of shape {d.shape}")


def _as_batch(func, d, y):
    """Turn one sample (1-D y) into a batch of one, checking d against y."""
    d = _as_float_array(func, "d", d)
    y = _as_float_array(func, "y", y)
    _check_ndim(func, "y", y, (1, 2))
    if y.ndim == 1:
        y = y.reshape(1, -1)
        # One sample: d is one-hot like y, or a single label.
        d = d.reshape(1, -1) if d.size == y.size and d.size > 1 else d.reshape(-1)
    return d, y


def _binary_batch(func, d, y):
    """Return targets and sigmoid outputs as (N, K) batches, checking shapes and values.

    ``d`` has the shape of ``y``; with one output column, one target per sample also does
    ((N,) for a batch, a single number for one sample).
    """
    d = _as_float_array(func, "d", d)
    y = _as_float_array(func, "y", y)
    if y.ndim == 0:
        raise ValueError(f"{func}: expected y to be 1-D or 2-D, got the single number "
                         f"{y.item():g}; pass one sample with one output as "
                         f"np.array([{y.item():g}]) (and its target as an array too)")
    _check_ndim(func, "y", y, (1, 2))
    if d.shape != y.shape and d.size == y.size and y.shape[-1] == 1 and d.ndim < y.ndim:
        d = d.reshape(y.shape)
    _check_same_shape(func, d, y)
    _check_probabilities(func, y)
    if np.any(d < 0) or np.any(d > 1) or np.any(np.isnan(d)):
        raise ValueError(f"{func}: expected binary targets d between 0 and 1, got {d.ravel()}")
    _check_not_swapped(func, d, y)
    return d.reshape(-1, y.shape[-1]), y.reshape(-1, y.shape[-1])


# ----------------------------------------------------------------------------------------------
# Activation functions and their derivatives


def step_function(x):
    r"""Step function: 1 where the input is positive, else 0.

    .. math:: f(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    Shapes: ``x`` any shape; the result has the shape of ``x``.
    """
    x = _as_float_array("step_function", "x", x)
    return _scalar_or_array(np.where(x > 0, 1.0, 0.0))


def d_step_function(x):
    r"""Derivative of the step function: 0 everywhere (taken as 0 at x = 0, where it jumps).

    .. math:: f'(x) = 0

    Shapes: ``x`` any shape; the result has the shape of ``x``.
    """
    x = _as_float_array("d_step_function", "x", x)
    return _scalar_or_array(np.zeros_like(x))


def sigmoid(x):
    r"""Logistic sigmoid, squashing any real number into (0, 1).

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Computed so that ``exp`` only sees non-positive numbers: no overflow at x = -1000.

    Shapes: ``x`` any shape; the result has the shape of ``x``.
    """
    x = _as_float_array("sigmoid", "x", x)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return _scalar_or_array(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def d_sigmoid(x):
    r"""Derivative of the sigmoid, taken at the total input x (not at the output).

    .. math:: \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    Shapes: ``x`` any shape; the result has the shape of ``x``.
    """
    x = _as_float_array("d_sigmoid", "x", x)
    s = sigmoid(x)
    return s * (1.0 - s)


def relu(x):
    r"""Rectified linear unit: the input where it is positive, else 0.

    .. math:: f(x) = \max(0, x)

    Shapes: ``x`` any shape; the result has the shape of ``x``.
    """
    x = _as_float_array("relu", "x", x)
    return _scalar_or_array(np.maximum(0.0, x))


def d_relu(x):
    r"""Derivative of ReLU, taken at the total input x; the course's convention is 0 at x = 0.

    .. math:: f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    Shapes: ``x`` any shape; the result has the shape of ``x``.
    """
    x = _as_float_array("d_relu", "x", x)
    return _scalar_or_array(np.where(x > 0, 1.0, 0.0))


def softmax(x):
    r"""Softmax: turns scores into probabilities that sum to 1 (row by row for a batch).

    .. math:: y_i = \frac{e^{x_i - m}}{\sum_k e^{x_k - m}}, \quad m = \max_k x_k

    Subtracting the maximum m changes nothing mathematically (it cancels between numerator and
    denominator) but keeps ``exp`` from overflowing.

    Shapes: ``x`` (K,) for one sample or (N, K) for a batch; the result has the shape of ``x``.
    """
    x = _as_float_array("softmax", "x", x)
    _check_ndim("softmax", "x", x, (1, 2))
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


# ----------------------------------------------------------------------------------------------
# Losses


def mean_squared_error(d, y):
    r"""Mean squared error, halved as in the course.

    .. math:: E = \frac{1}{2} \cdot \frac{1}{M} \sum_{m=1}^{M} (d_m - y_m)^2

    where M counts every element. The 1/2 cancels the 2 of the derivative; the division by M is
    the average.

    Shapes: ``d`` and ``y`` the same shape (a scalar, (K,) or (N, K)); the result is a scalar.
    """
    d = _as_float_array("mean_squared_error", "d", d)
    y = _as_float_array("mean_squared_error", "y", y)
    _check_same_shape("mean_squared_error", d, y)
    return np.mean(np.square(d - y)) / 2


def d_mean_squared_error(d, y):
    r"""Derivative of ``mean_squared_error`` with respect to the output y.

    .. math:: \frac{\partial E}{\partial y_m} = \frac{y_m - d_m}{M}

    where M counts every element of y, as in the loss.

    Shapes: ``d`` and ``y`` the same shape; the result has the shape of ``y``.
    """
    d = _as_float_array("d_mean_squared_error", "d", d)
    y = _as_float_array("d_mean_squared_error", "y", y)
    _check_same_shape("d_mean_squared_error", d, y)
    return _scalar_or_array((y - d) / y.size)


def cross_entropy_error(d, y):
    r"""Categorical cross-entropy of softmax probabilities y against targets d, batch-averaged.

    .. math:: E = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{K} d_{nk} \log(y_{nk} + 10^{-7})

    For K >= 2 classes only. A single sigmoid output (one column) is scored by
    ``binary_cross_entropy_error``, which this function names in its error, because on one
    column the categorical formula ignores every sample whose target is 0.

    The 1e-7 is a safety net, not part of the maths: it keeps the printed loss finite when a
    probability is exactly 0 (log(0) = -inf). It caps the loss of one sample at
    -log(1e-7) ≈ 16.1.

    Shapes: ``y`` (K,) for one sample or (N, K) for a batch; ``d`` one-hot with the shape of
    ``y`` (a (1, K) ``y`` also takes a (K,) row), or label indices: a single label for one
    sample, (N,) for a batch. The result is a scalar. Targets and outputs passed the wrong way
    round (``y`` exactly 0s and 1s, ``d`` not) are refused with an error that says so.
    """
    func = "cross_entropy_error"
    shape = np.shape(y)
    d, y = _as_batch(func, d, y)
    _check_probabilities(func, y)
    if y.shape[1] == 1:
        raise ValueError(f"{func}: expected at least 2 classes (softmax outputs), got y of shape "
                         f"{shape}; a single sigmoid output needs "
                         "binary_cross_entropy_error(d, y)")
    d = _class_targets(func, d, y, shape)
    return -np.sum(d * np.log(y + LOG_GUARD)) / y.shape[0]


def binary_cross_entropy_error(d, y):
    r"""Binary cross-entropy of sigmoid outputs y against 0/1 targets d, batch-averaged.

    .. math:: E = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{K}
              \left[ d_{nk} \log(y_{nk} + 10^{-7}) + (1 - d_{nk}) \log(1 - y_{nk} + 10^{-7}) \right]

    Each column is its own yes/no question (one binary output, or several labels at once:
    multi-label), so the losses of the columns add up; the batch is averaged. Unlike the
    categorical ``cross_entropy_error``, a target of 0 counts too: it asks for y near 0.
    The 1e-7 only keeps log(0) out of the printed loss, as in ``cross_entropy_error``.

    Shapes: ``y`` (K,) for one sample or (N, K) for a batch of sigmoid outputs; ``d`` the shape
    of ``y`` with values between 0 and 1 (with K = 1 also (N,), one target per sample).
    A batch of N single outputs must be (N, 1): a flat (N,) ``y`` is one sample with N outputs.
    The result is a scalar.
    """
    d, y = _binary_batch("binary_cross_entropy_error", d, y)
    terms = d * np.log(y + LOG_GUARD) + (1 - d) * np.log(1 - y + LOG_GUARD)
    return -np.sum(terms) / y.shape[0]


def softmax_with_loss(d, x):
    r"""Softmax followed by the cross-entropy: the loss of a multi-class output layer.

    .. math:: E = \mathrm{cross\_entropy\_error}(d, \mathrm{softmax}(x))

    Shapes: ``x`` (K,) or (N, K) total inputs of the output layer; ``d`` as in
    ``cross_entropy_error``. The result is a scalar.
    """
    x = _as_float_array("softmax_with_loss", "x", x)
    _check_ndim("softmax_with_loss", "x", x, (1, 2))
    return cross_entropy_error(d, softmax(x))


def d_softmax_with_loss(d, y):
    r"""Gradient of the softmax cross-entropy with respect to the output layer's total input u.

    Given y = softmax(u), the chain rule through softmax and the logarithm collapses to

    .. math:: \frac{\partial E}{\partial u_{nk}} = \frac{y_{nk} - d_{nk}}{N}

    the true gradient of the loss :math:`-\frac{1}{N}\sum_n \sum_k d_{nk} \log y_{nk}` (the
    1/N comes from the batch average). It leaves out the 1e-7 that ``cross_entropy_error``
    adds for printing, so a gradient check against that guarded loss shows a relative
    difference of about 1e-7 / y. Where the guard would matter, a sample that is confidently
    wrong (y of the true class below about 1e-7), the guarded loss is flat and its own
    derivative fades to 0; (y - d)/N keeps pushing, which is what learning needs.

    Shapes: ``y`` (K,) or (N, K) softmax outputs; ``d`` as in ``cross_entropy_error``.
    The result has the shape of ``y``.
    """
    func = "d_softmax_with_loss"
    shape = np.shape(y)
    d, y = _as_batch(func, d, y)
    _check_probabilities(func, y)
    if y.shape[1] == 1:
        raise ValueError(f"{func}: expected at least 2 classes for softmax, got y of shape "
                         f"{shape}; a single output column needs d_sigmoid_with_loss")
    d = _class_targets(func, d, y, shape)
    return ((y - d) / y.shape[0]).reshape(shape)


def d_sigmoid_with_loss(d, y):
    r"""Gradient of the binary cross-entropy of sigmoid outputs with respect to their input u.

    Given y = sigmoid(u), the sigmoid's slope y(1 - y) cancels the denominators of the loss's
    derivative, leaving

    .. math:: \frac{\partial E}{\partial u_{nk}} = \frac{y_{nk} - d_{nk}}{N}

    for every column k (one binary output, or several labels at once). As with
    ``d_softmax_with_loss`` this is the true gradient; the 1e-7 guard of
    ``binary_cross_entropy_error`` is left out.

    Shapes: ``y`` (K,) for one sample or (N, K) for a batch of sigmoid outputs; ``d`` the shape
    of ``y`` (with K = 1 also (N,)) with values between 0 and 1. A batch of N single outputs
    must be (N, 1): a flat (N,) ``y`` is one sample with N outputs (averaged over 1, not N).
    The result has the shape of ``y``.
    """
    shape = np.shape(y)
    d, y = _binary_batch("d_sigmoid_with_loss", d, y)
    return ((y - d) / y.shape[0]).reshape(shape)


# ----------------------------------------------------------------------------------------------
# Gradient checking


def numerical_gradient(f, x, h=1e-4):
    r"""Gradient of the scalar function f at x by central differences.

    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    Each element of ``x`` is nudged in place and put back, so ``f`` may ignore its argument and
    read ``x`` through a closure (for example the weights of a network). ``x`` is left exactly as
    it was found.

    Shapes: ``x`` a float array of any shape; the result has the shape of ``x``.
    """
    func = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{func}: expected a function f as the first argument, "
                        f"got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{func}: expected x to be a NumPy array of floats (it is nudged in "
                        f"place), got {got}; try np.asarray(x, dtype=float)")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + h
            f_plus = f(x)
            x[index] = original - h
            f_minus = f(x)
        finally:
            x[index] = original
        grad[index] = (_scalar_value(func, f_plus) - _scalar_value(func, f_minus)) / (2 * h)
    return grad


def relative_error(a, b):
    r"""Largest elementwise relative difference between two arrays, as used in gradient checks.

    .. math:: \max_i \frac{|a_i - b_i|}{\max(|a_i| + |b_i|,\ 10^{-12})}

    0 means equal, 1 means opposite signs (or one side 0). It is the worst single entry, so in
    a gradient check one entry that is nearly 0 (a sum that cancels) or next to a kink can show
    a large value although the gradient is right; lesson 05 measures a whole gradient by norm.

    Shapes: ``a`` and ``b`` the same shape; the result is a scalar.
    """
    a = _as_float_array("relative_error", "a", a)
    b = _as_float_array("relative_error", "b", b)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: expected a and b of the same shape, "
                         f"got a {a.shape} and b {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def _scalar_value(func, value):
    value = np.asarray(value, dtype=float)
    if value.size != 1:
        raise ValueError(f"{func}: expected f to return a single number (the loss), "
                         f"got an array of shape {value.shape}")
    return value.item()


# ----------------------------------------------------------------------------------------------
# Display


def print_vec(text, vec):
    """Print ``*** text ***``, then the value, then a blank line, as the course does."""
    print(f"*** {text} ***")
    print(vec)
    print()
