"""Many two-layer networks trained at once: every array gets a leading network axis (S, ...).

A stack of S networks of one shape (D inputs, H ReLU hidden units, K softmax outputs) is a dict
like a single network whose entries have one more axis: ``W1`` (S, D, H), ``b1`` (S, H),
``W2`` (S, H, K), ``b2`` (S, K). Each network gets its own data, ``x`` (S, N, D) and one-hot
``d`` (S, N, K), and ``@`` multiplies the last two axes slice by slice, so one call does the
work of S. The formulas are those of ``common.networks``: total input ``u1 = x W1 + b1``,
``z1 = relu(u1)``, ``y = softmax(z1 W2 + b2)``, loss ``cross_entropy_error(d, y)``, full-batch
gradient descent on it.
"""

import numpy as np

KEYS = ("W1", "b1", "W2", "b2")


def stack(network_list):
    """Stack a list of S networks of one shape into one dict of arrays with a leading axis S."""
    network_list = list(network_list)
    if not network_list:
        raise ValueError("stack: expected a list of at least one network, got an empty one")
    shapes = {tuple(np.shape(network[key]) for key in KEYS) for network in network_list}
    if len(shapes) != 1:
        raise ValueError(f"stack: expected networks of one shape, got {len(shapes)} different "
                         "ones (W1, b1, W2, b2 shapes: " + "; ".join(map(str, sorted(shapes)))
                         + ")")
    return {key: np.stack([network[key] for network in network_list]) for key in KEYS}


def unstack(network, s):
    """Network number ``s`` of a stack, as a plain dict of arrays (copies)."""
    return {key: network[key][s].copy() for key in KEYS}


def _check(name, network, x, d=None):
    """One-line errors for inputs whose shapes do not fit a stack."""
    if set(network) < set(KEYS) or np.ndim(network["W1"]) != 3:
        raise ValueError(f"{name}: expected a stack of networks (see stack), with W1 of shape "
                         f"(S, D, H), got W1 of shape {np.shape(network.get('W1'))}")
    S, D, _ = network["W1"].shape
    if np.ndim(x) != 3 or np.shape(x)[0] != S or np.shape(x)[2] != D:
        raise ValueError(f"{name}: expected x of shape ({S}, N, {D}), one batch per network, "
                         f"got {np.shape(x)}")
    K = network["W2"].shape[2]
    if d is not None and np.shape(d) != (S, np.shape(x)[1], K):
        raise ValueError(f"{name}: expected one-hot d of shape ({S}, {np.shape(x)[1]}, {K}), "
                         f"got {np.shape(d)}")


def _softmax_last_axis(u):
    """``functions.softmax`` over the last axis of an (S, N, K) array.

    (A loop over the K classes and a product with ones: NumPy is slow at reducing many short
    rows, and this gives the same numbers faster.)
    """
    shift = u[..., :1]
    for k in range(1, u.shape[-1]):
        shift = np.maximum(shift, u[..., k:k + 1])
    e = np.exp(u - shift)
    return e / (e @ np.ones((u.shape[-1], 1)))


def forward_stack(network, x):
    """The forward pass of S networks at once. x: (S, N, D); returns y (S, N, K), u1, z1."""
    _check("forward_stack", network, x)
    return _forward(network, x)


def _forward(network, x):
    u1 = x @ network["W1"] + network["b1"][:, None, :]
    z1 = np.maximum(u1, 0.0)
    return _softmax_last_axis(z1 @ network["W2"] + network["b2"][:, None, :]), u1, z1


def loss_stack(d, y):
    """The cross-entropy of each of S networks, as ``functions.cross_entropy_error``: (S,)."""
    return -np.mean(np.log((y * d) @ np.ones((y.shape[-1], 1)) + 1e-7), axis=(1, 2))


def train_stack(network, x, d, learning_rate, epochs, x_val=None, d_val=None, checkpoints=()):
    """Full-batch gradient descent for S networks at once; returns the trained copy.

    ``network`` a stack (see ``stack``); x: (S, N, D); d: (S, N, K) one-hot. ``epochs``: one
    number, or one per network (each stops at its own). With held-out data ``x_val``, ``d_val``
    and ``checkpoints`` (epochs), also returns the held-out loss of each network at each
    checkpoint, (S, C): ``(network, val_loss)``. The gradients are backpropagation's:
    ``delta2 = (y - d) / N``, ``delta1 = delta2 W2^T * relu'(u1)``.
    """
    _check("train_stack", network, x, d)
    if len(checkpoints):
        if x_val is None or d_val is None:
            raise ValueError("train_stack: checkpoints need held-out data x_val and d_val")
        _check("train_stack (held-out data)", network, x_val, d_val)
    network = {key: np.array(network[key], dtype=float) for key in KEYS}
    epochs = np.broadcast_to(np.asarray(epochs, dtype=int), (x.shape[0],))
    x_transposed = np.swapaxes(x, 1, 2)
    ones = np.ones(x.shape[1])  # a sum over the samples as a product: ones @ delta
    val_loss = []
    for epoch in range(epochs.max() + 1):
        if epoch in checkpoints:
            val_loss.append(loss_stack(d_val, _forward(network, x_val)[0]))
        if epoch == epochs.max():
            break
        y, u1, z1 = _forward(network, x)
        out_delta = (y - d) / x.shape[1]
        hidden_delta = (out_delta @ np.swapaxes(network["W2"], 1, 2)) * (u1 > 0)
        grad = {"W2": np.swapaxes(z1, 1, 2) @ out_delta, "b2": ones @ out_delta,
                "W1": x_transposed @ hidden_delta, "b1": ones @ hidden_delta}
        step = learning_rate * (epoch < epochs)  # 0 for the networks that have finished
        for key in KEYS:
            shape = (-1,) + (1,) * (grad[key].ndim - 1)
            network[key] -= step.reshape(shape) * grad[key]  # our own copy, made above
    return (network, np.array(val_loss).T) if len(checkpoints) else network


def accuracy_stack(network, x, d):
    """The accuracy of each of S networks on its own data: (S,)."""
    _check("accuracy_stack", network, x, d)
    return np.mean(_forward(network, x)[0].argmax(axis=2) == d.argmax(axis=2), axis=1)
