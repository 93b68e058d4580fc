r"""The two-layer network that lessons 01, 05 and 06 build: ReLU hidden layer, softmax output.

.. math:: u_1 = x W_1 + b_1,\quad z_1 = \mathrm{relu}(u_1),\quad
          y = \mathrm{softmax}(z_1 W_2 + b_2)

A network is the course's dict ``{'W1': (D, H), 'b1': (H,), 'W2': (H, K), 'b2': (K,)}``.
The checks use these as the reference answers.
"""

import numpy as np

from common import functions


def random_network(rng, sizes):
    """A network of layer sizes (D, H, K) with standard-normal weights drawn from ``rng``."""
    d, h, k = sizes
    return {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h),
            "W2": rng.normal(size=(h, k)), "b2": rng.normal(size=k)}


def forward(network, x):
    r"""Forward pass, keeping what the backward pass reuses.

    Shapes: ``x`` (N, D), a batch (one sample is a (1, D) row: ``backward`` needs the batch
    axis); returns ``u1`` and ``z1`` (N, H) and ``y`` (N, K).
    """
    u1 = np.dot(x, network["W1"]) + network["b1"]
    z1 = functions.relu(u1)
    y = functions.softmax(np.dot(z1, network["W2"]) + network["b2"])
    return u1, z1, y


def backward(network, x, d, u1, z1, y):
    r"""Gradients of the batch-averaged cross-entropy with respect to every parameter.

    .. math:: \delta_2 = \frac{\partial E}{\partial u_2},\quad
              \delta_1 = (\delta_2 W_2^\top) \odot \mathrm{relu}'(u_1),\quad
              \frac{\partial E}{\partial W_2} = z_1^\top \delta_2,\quad
              \frac{\partial E}{\partial W_1} = x^\top \delta_1,\quad
              \frac{\partial E}{\partial b_l} = \sum_n \delta_l

    Shapes: ``x`` (N, D), ``d`` one-hot (N, K) or labels (N,), ``y`` (N, K), ``u1`` and ``z1``
    (N, H); returns a dict with the keys and shapes of ``network``.
    """
    delta2 = functions.d_softmax_with_loss(d, y)
    delta1 = np.dot(delta2, network["W2"].T) * functions.d_relu(u1)
    return {"W1": np.dot(x.T, delta1), "b1": np.sum(delta1, axis=0),
            "W2": np.dot(z1.T, delta2), "b2": np.sum(delta2, axis=0)}
