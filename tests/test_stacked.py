"""The stacked trainer: S two-layer networks at once give what S separate runs would."""

import numpy as np
import pytest

from common import functions, networks
from common.stacked import (
    accuracy_stack,
    forward_stack,
    loss_stack,
    stack,
    train_stack,
    unstack,
)


def random_network(rng, n_input, n_hidden, n_output):
    return {"W1": rng.normal(0, np.sqrt(2 / n_input), (n_input, n_hidden)),
            "b1": rng.normal(0, 0.1, n_hidden),
            "W2": rng.normal(0, np.sqrt(2 / n_hidden), (n_hidden, n_output)),
            "b2": rng.normal(0, 0.1, n_output)}


def case(seed, n, sizes=(4, 6, 3)):
    rng = np.random.default_rng(seed)
    network = random_network(rng, *sizes)
    x = rng.normal(size=(n, sizes[0]))
    d = np.eye(sizes[2])[rng.integers(0, sizes[2], size=n)]
    return network, x, d


def plain_training(network, x, d, learning_rate, epochs):
    """The lesson's train, one network: full-batch steps with common.networks."""
    network = {key: value.copy() for key, value in network.items()}
    for _ in range(epochs):
        u1, z1, y = networks.forward(network, x)
        grad = networks.backward(network, x, d, u1, z1, y)
        network = {key: network[key] - learning_rate * grad[key] for key in network}
    return network


@pytest.mark.parametrize("sizes", [(4, 6, 3), (64, 10, 10), (2, 1, 2)])
def test_the_stacked_trainer_is_plain_gradient_descent_for_any_sizes(sizes):
    cases = [case(seed, 12, sizes) for seed in range(3)]
    together = stack([network for network, _, _ in cases])
    trained = train_stack(together, np.stack([x for _, x, _ in cases]),
                          np.stack([d for _, _, d in cases]), 0.5, 30)
    for s, (network, x, d) in enumerate(cases):
        plain = plain_training(network, x, d, 0.5, 30)
        for key in plain:
            assert np.allclose(trained[key][s], plain[key], rtol=1e-12, atol=1e-14), (s, key)
        y = networks.forward(plain, x)[2]
        assert accuracy_stack(trained, np.stack([x for _, x, _ in cases]),
                              np.stack([d for _, _, d in cases]))[s] == np.mean(
            y.argmax(axis=1) == d.argmax(axis=1))


def test_the_forward_pass_and_loss_are_the_libraries():
    cases = [case(seed, 7) for seed in (3, 4)]
    together = stack([network for network, _, _ in cases])
    x, d = np.stack([c[1] for c in cases]), np.stack([c[2] for c in cases])
    y, u1, z1 = forward_stack(together, x)
    for s, (network, xs, ds) in enumerate(cases):
        u1_s, z1_s, y_s = networks.forward(network, xs)
        assert np.allclose(y[s], y_s) and np.allclose(u1[s], u1_s) and np.allclose(z1[s], z1_s)
        assert np.isclose(loss_stack(d, y)[s], functions.cross_entropy_error(ds, y_s))


def test_each_network_stops_at_its_own_epoch_and_checkpoints_record_held_out_loss():
    network, x, d = case(6, 10)
    x_val, d_val = case(7, 5)[1:]
    both = stack([network, network])
    trained, val_loss = train_stack(both, np.stack([x, x]), np.stack([d, d]), 0.5,
                                    np.array([5, 9]), np.stack([x_val, x_val]),
                                    np.stack([d_val, d_val]), checkpoints=(0, 5, 9))
    alone = train_stack(stack([network]), x[None], d[None], 0.5, 5)
    assert np.array_equal(trained["W1"][0], alone["W1"][0])
    assert not np.allclose(trained["W1"][1], alone["W1"][0])
    assert val_loss.shape == (2, 3)
    after_5 = networks.forward(plain_training(network, x, d, 0.5, 5), x_val)[2]
    assert np.isclose(val_loss[0, 1], functions.cross_entropy_error(d_val, after_5))
    assert val_loss[0, 1] == val_loss[0, 2]  # the first network stopped at epoch 5


def test_the_trainer_changes_nothing_it_is_given():
    network, x, d = case(8, 6)
    together = stack([network])
    before = {key: value.copy() for key, value in together.items()}
    train_stack(together, x[None], d[None], 0.5, 3)
    assert all(np.array_equal(before[key], together[key]) for key in before)


def test_unstack_gives_back_one_network():
    networks_in = [case(seed, 1)[0] for seed in (1, 2)]
    back = unstack(stack(networks_in), 1)
    assert all(np.array_equal(back[key], networks_in[1][key]) for key in back)


@pytest.mark.parametrize("call, message", [
    (lambda n, x, d: stack([]), "stack: expected a list of at least one network"),
    (lambda n, x, d: stack([n, case(1, 1, (4, 5, 3))[0]]), "stack: expected networks of one "
                                                            "shape"),
    (lambda n, x, d: forward_stack(n, x[0]), r"forward_stack: expected x of shape \(1, N, 4\)"),
    (lambda n, x, d: forward_stack({k: v[0] for k, v in n.items()}, x),
     "forward_stack: expected a stack of networks"),
    (lambda n, x, d: train_stack(n, x, d[:, :3], 0.5, 2), r"expected one-hot d of shape "
                                                          r"\(1, 5, 3\)"),
    (lambda n, x, d: train_stack(n, x, d, 0.5, 2, checkpoints=(1,)), "checkpoints need held-out"),
])
def test_bad_input_gets_a_one_line_error(call, message):
    network, x, d = case(2, 5)
    with pytest.raises(ValueError, match=message):
        call(stack([network]), x[None], d[None])
