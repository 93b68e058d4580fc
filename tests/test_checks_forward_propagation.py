"""The checks of lesson 01 pass correct solutions written in several ways and catch the typical
mistakes, each with the hint a beginner can act on."""

from pathlib import Path

import nbformat
import numpy as np
import pytest

from common import functions
from common.checks.forward_propagation import (
    COURSE_NETWORK,
    COURSE_X,
    check_count_parameters,
    check_forward,
    check_init_network,
)

# ---------------------------------------------------------------------------------------------
# Exercise 1: count_parameters(sizes)


def count_reference(sizes):
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    return weights, sum(sizes[1:])


def count_loop(sizes):
    """Correct, written differently: a loop over the layer numbers."""
    weights = biases = 0
    for layer in range(1, len(sizes)):
        weights += sizes[layer - 1] * sizes[layer]
        biases += sizes[layer]
    return weights, biases


def count_numpy(sizes):
    """Correct, written differently: NumPy, which gives np.int64 counts, returned as a list."""
    s = np.array(sizes)
    return [np.sum(s[:-1] * s[1:]), np.sum(s[1:])]


def count_not_done(sizes):
    raise NotImplementedError


def count_input_biases(sizes):
    return count_reference(sizes)[0], sum(sizes)


def count_sums(sizes):
    return sum(a + b for a, b in zip(sizes[:-1], sizes[1:], strict=False)), sum(sizes[1:])


def count_product(sizes):
    return int(np.prod(sizes)), sum(sizes[1:])


def count_swapped(sizes):
    return count_reference(sizes)[::-1]


def count_bias_in_weights(sizes):
    pairs = zip(sizes[:-1], sizes[1:], strict=False)
    return sum((a + 1) * b for a, b in pairs), sum(sizes[1:])


def count_hard_coded(sizes):
    return 18, 7


def count_one_number(sizes):
    return sum(count_reference(sizes))


def count_floats(sizes):
    return float(count_reference(sizes)[0]), float(sum(sizes[1:]))


def count_prints(sizes):
    print(count_reference(sizes))


def count_numpy_pair(sizes):
    """Correct too: the two counts as one NumPy array, which unpacks like a tuple."""
    s = np.array(sizes)
    return np.array([np.sum(s[:-1] * s[1:]), np.sum(s[1:])])


KNOWN_ANSWERS = {(2, 3, 3, 1): (18, 7), (2, 3, 4): (18, 7), (4, 5, 3): (35, 8),
                 (784, 100, 10): (79400, 110), (5, 10, 1): (60, 11), (2, 1): (2, 1),
                 (3, 8, 8, 8, 8, 2): (232, 34)}


def count_lookup(sizes):
    """A table of the fixed cases' answers, the review's hole."""
    return KNOWN_ANSWERS.get(tuple(sizes), (0, 0))


def count_one_bias_per_layer(sizes):
    return count_reference(sizes)[0], len(sizes) - 1


def count_pops(sizes):
    sizes = sizes if isinstance(sizes, list) else list(sizes)
    first = sizes.pop(0)
    return count_reference([first, *sizes])


def count_skips_last_pair(sizes):
    """The final review's collision: on (2, 3, 3, 1) this gives 15 weights, as a + b does."""
    weights = sum(a * b for a, b in zip(sizes[:-2], sizes[1:-1], strict=False))
    return weights, sum(sizes[1:])


def count_range_minus_two(sizes):
    weights = biases = 0
    for i in range(len(sizes) - 2):
        weights += sizes[i] * sizes[i + 1]
        biases += sizes[i + 1]
    return weights, biases


def count_skips_first_pair(sizes):
    weights = sum(sizes[i] * sizes[i + 1] for i in range(1, len(sizes) - 1))
    return weights, sum(sizes[1:])


def count_runs_past_the_end(sizes):
    weights = sum(sizes[i] * sizes[i + 1] for i in range(len(sizes)))
    return weights, sum(sizes[1:])


def count_no_output_biases(sizes):
    return count_reference(sizes)[0], sum(sizes[1:-1])


@pytest.mark.parametrize("correct", [count_reference, count_loop, count_numpy,
                                     count_numpy_pair])
def test_count_correct_versions_pass(correct, passes):
    passes(check_count_parameters, correct, "count_parameters")


def test_count_not_done(not_done):
    not_done(check_count_parameters, count_not_done, "count_parameters")


@pytest.mark.parametrize("wrong, hint", [
    (count_input_biases, "the input layer has no biases"),
    (count_sums, "a * b lines"),
    (count_product, "NEXT layer only"),
    (count_swapped, "swapped"),
    (count_bias_in_weights, "count the biases apart"),
    (count_hard_coded, "P12's network only"),
    (count_one_number, "should return two numbers"),
    (count_floats, "whole numbers (int)"),
    (count_prints, "returned None"),
    (count_pops, "changed its input"),
    (count_one_bias_per_layer, "every unit after the input layer has its own bias"),
    (count_skips_last_pair, "leaves out the last pair of layers (5 * 3 weights): there are "
                            "len(sizes) - 1 pairs"),
    (count_range_minus_two, "leaves out the last pair of layers"),
    (count_skips_first_pair, "leaves out the first pair of layers (4 * 5 weights"),
    (count_runs_past_the_end, "raised IndexError: tuple index out of range - an index such as "
                              "sizes[i + 1] runs past the end"),
    (count_no_output_biases, "the output units have biases too"),
])
def test_count_wrong_versions_fail_with_a_hint(wrong, hint, rejected):
    assert hint in rejected(check_count_parameters, wrong, "count_parameters")


def test_count_lookup_table_of_the_fixed_cases_fails(rejected):
    assert "should be" in rejected(check_count_parameters, count_lookup, "count_parameters")


def test_count_first_case_tells_the_typical_mistakes_apart():
    """On the first case no two typical wrong answers coincide, so each gets its own hint."""
    answers = [wrong((4, 5, 3)) for wrong in (
        count_input_biases, count_sums, count_product, count_swapped, count_bias_in_weights,
        count_hard_coded, count_one_bias_per_layer, count_skips_last_pair,
        count_skips_first_pair, count_no_output_biases)] + [count_reference((4, 5, 3))]
    answers = [tuple(int(n) for n in a) for a in answers]
    assert len(set(answers)) == len(answers)


def test_count_failure_names_input_expected_and_received(rejected):
    assert rejected(check_count_parameters, count_input_biases, "count_parameters") == (
        "[count_parameters] count_parameters((4, 5, 3)) should be (35, 8), got (35, 12) - "
        "the input layer has no biases: only the units of the later layers add one each, "
        "sum(sizes[1:])")


# ---------------------------------------------------------------------------------------------
# Exercise 2: init_network(sizes, rng)


def init_reference(sizes, rng):
    network = {}
    for layer in range(1, len(sizes)):
        network[f"W{layer}"] = rng.normal(0.0, 0.1, size=(sizes[layer - 1], sizes[layer]))
        network[f"b{layer}"] = np.zeros(sizes[layer])
    return network


def init_he(sizes, rng):
    """Correct, written differently: He scaling, standard_normal, pairs of sizes."""
    network = {}
    for layer, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False), start=1):
        network[f"W{layer}"] = rng.standard_normal((a, b)) * np.sqrt(2 / a)
        network[f"b{layer}"] = np.zeros(b)
    return network


def init_uniform(sizes, rng):
    """Correct too: uniform weights of both signs."""
    return {key: value for layer in range(1, len(sizes)) for key, value in [
        (f"W{layer}", rng.uniform(-0.5, 0.5, size=(sizes[layer - 1], sizes[layer]))),
        (f"b{layer}", np.zeros(sizes[layer]))]}


def init_not_done(sizes, rng):
    raise NotImplementedError


def init_global(sizes, rng):
    return init_reference(sizes, np.random)


def init_fixed_seed(sizes, rng):
    return init_reference(sizes, np.random.default_rng(0))


def init_ones(sizes, rng):
    return {k: (np.ones_like(v) if k[0] == "W" else v) for k, v in
            init_reference(sizes, rng).items()}


def init_positive(sizes, rng):
    network = {}
    for layer in range(1, len(sizes)):
        network[f"W{layer}"] = rng.random((sizes[layer - 1], sizes[layer]))
        network[f"b{layer}"] = np.zeros(sizes[layer])
    return network


def init_from_zero(sizes, rng):
    return {f"{k[0]}{int(k[1:]) - 1}": v for k, v in init_reference(sizes, rng).items()}


def init_transposed(sizes, rng):
    return {k: (v.T if k[0] == "W" else v) for k, v in init_reference(sizes, rng).items()}


def init_random_biases(sizes, rng):
    return {k: (v if k[0] == "W" else rng.normal(size=v.shape)) for k, v in
            init_reference(sizes, rng).items()}


def init_big(sizes, rng):
    return {k: 50 * v for k, v in init_reference(sizes, rng).items()}


def init_int_biases(sizes, rng):
    return {k: (v if k[0] == "W" else np.zeros(v.shape, dtype=int)) for k, v in
            init_reference(sizes, rng).items()}


def init_list_weights(sizes, rng):
    return {k: (v.tolist() if k[0] == "W" else v) for k, v in init_reference(sizes, rng).items()}


def init_later_layers_zero(sizes, rng):
    """Random W1 only: every later W is zeros, so its units stay alike (the review's hole)."""
    return {k: (np.zeros_like(v) if k[0] == "W" and k != "W1" else v) for k, v in
            init_reference(sizes, rng).items()}


def init_later_layers_constant(sizes, rng):
    return {k: (np.full_like(v, 0.1) if k[0] == "W" and k != "W1" else v) for k, v in
            init_reference(sizes, rng).items()}


def init_later_columns_alike(sizes, rng):
    """Random rows, but every column of W2, W3, ... the same."""
    network = init_reference(sizes, rng)
    for k, v in network.items():
        if k[0] == "W" and k != "W1":
            network[k] = np.repeat(v[:, :1], v.shape[1], axis=1)
    return network


def init_standard_normal(sizes, rng):
    """Standard deviation 1: the task asks for small weights."""
    network = init_reference(sizes, rng)
    return {k: (10 * v if k[0] == "W" else v) for k, v in network.items()}


def init_one_layer_short(sizes, rng):
    return init_reference(sizes[:-1], rng) if len(sizes) > 2 else init_reference(sizes, rng)


@pytest.mark.parametrize("correct", [init_reference, init_he, init_uniform])
def test_init_correct_versions_pass(correct, passes):
    passes(check_init_network, correct, "init_network")


def test_init_not_done(not_done):
    not_done(check_init_network, init_not_done, "init_network")


@pytest.mark.parametrize("wrong, hint", [
    (init_global, "np.random's global generator"),
    (init_fixed_seed, "the same weights as with seed 12"),
    (init_ones, "the symmetry problem"),
    (init_positive, "rng.random gives only numbers in [0, 1)"),
    (init_from_zero, "number the layers from 1"),
    (init_transposed, "one row per input and one column per unit"),
    (init_random_biases, "should be all zeros"),
    (init_big, "keep them small"),
    (init_int_biases, "decimal numbers (float)"),
    (init_list_weights, "should be a NumPy array"),
    (init_one_layer_short, "one W and one b for each pair"),
    (init_later_layers_zero, "['W2'] has identical columns"),
    (init_later_layers_constant, "['W2'] has identical columns"),
    (init_later_columns_alike, "['W2'] has identical columns"),
    (init_standard_normal, "keep them small"),
    (init_int_biases, "drop dtype=int"),
])
def test_init_wrong_versions_fail_with_a_hint(wrong, hint, rejected):
    assert hint in rejected(check_init_network, wrong, "init_network")


# ---------------------------------------------------------------------------------------------
# Exercise 3: forward(network, x), any depth


def forward_reference(network, x):
    n_layers = len(network) // 2
    z = x
    for layer in range(1, n_layers + 1):
        u = np.dot(z, network[f"W{layer}"]) + network[f"b{layer}"]
        z = functions.softmax(u) if layer == n_layers else functions.relu(u)
    return z


def forward_while_keys(network, x):
    """Correct, written differently: @, np.maximum, a hand-written softmax, keys probed."""
    layer, z = 1, x
    while f"W{layer + 1}" in network:
        z = np.maximum(z @ network[f"W{layer}"] + network[f"b{layer}"], 0)
        layer += 1
    u = z @ network[f"W{layer}"] + network[f"b{layer}"]
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward_einsum(network, x):
    """Correct, written differently: einsum on a batch of one, then back to the input's shape."""
    n_layers = len(network) // 2
    z = np.atleast_2d(np.asarray(x, dtype=float))
    for layer in range(1, n_layers + 1):
        u = np.einsum("nd,dh->nh", z, network[f"W{layer}"]) + network[f"b{layer}"]
        z = functions.softmax(u) if layer == n_layers else functions.relu(u)
    return z if np.ndim(x) == 2 else z[0]


def forward_not_done(network, x):
    raise NotImplementedError


def forward_two_layers_only(network, x):
    z1 = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    return functions.softmax(np.dot(z1, network["W2"]) + network["b2"])


def forward_no_softmax(network, x):
    return _variant(network, x, output=lambda u: u)


def forward_relu_on_output(network, x):
    return _variant(network, x, output=lambda u: functions.softmax(functions.relu(u)))


def forward_sigmoid_output(network, x):
    return _variant(network, x, output=functions.sigmoid)


def forward_no_relu(network, x):
    return _variant(network, x, hidden=lambda u: u)


def forward_relu_first_only(network, x):
    n_layers = len(network) // 2
    z = functions.relu(np.dot(x, network["W1"]) + network["b1"])
    for layer in range(2, n_layers):
        z = np.dot(z, network[f"W{layer}"]) + network[f"b{layer}"]
    return functions.softmax(np.dot(z, network[f"W{n_layers}"]) + network[f"b{n_layers}"])


def forward_no_biases(network, x):
    return _variant({k: (v if k[0] == "W" else 0 * v) for k, v in network.items()}, x)


def forward_sorted_keys(network, x):
    weights = [network[k] for k in sorted(network) if k.startswith("W")]
    biases = [network[k] for k in sorted(network) if k.startswith("b")]
    z = x
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        u = np.dot(z, W) + b
        z = functions.softmax(u) if i == len(weights) - 1 else functions.relu(u)
    return z


def forward_softmax_whole_batch(network, x):
    def whole(u):
        e = np.exp(u - np.max(u))
        return e / np.sum(e)
    return _variant(network, x, output=whole)


def forward_softmax_down_columns(network, x):
    def columns(u):
        e = np.exp(u - np.max(u, axis=0))
        return e / np.sum(e, axis=0)
    return _variant(network, x, output=columns)


def forward_returns_tuple(network, x):
    return forward_reference(network, x), x


def forward_transposed(network, x):
    z = x
    n_layers = len(network) // 2
    for layer in range(1, n_layers + 1):
        u = np.dot(network[f"W{layer}"], z) + network[f"b{layer}"]
        z = functions.softmax(u) if layer == n_layers else functions.relu(u)
    return z


def forward_global_network(network, x):
    return forward_reference(COURSE_NETWORK, x)


def forward_always_batch(network, x):
    return forward_reference(network, np.atleast_2d(x))


def forward_in_place(network, x):
    network["W1"] *= 1.0
    network["b1"] += 1.0
    return forward_reference(network, x)


def forward_scales_bias(network, x):
    """The final review's case: a network array changed in place by a little."""
    network["b1"] *= 1.0001
    return forward_reference(network, x)


def forward_list(network, x):
    return forward_reference(network, x).tolist()


def forward_by_position(network, x):
    """Pairs the dict's values by position: right only for keys listed W1, b1, W2, b2, ..."""
    values = list(network.values())
    layers = list(zip(values[0::2], values[1::2], strict=True))
    z = x
    for i, (W, b) in enumerate(layers):
        u = np.dot(z, W) + b
        z = functions.softmax(u) if i == len(layers) - 1 else functions.relu(u)
    return z


def forward_one_layer_early(network, x):
    n_layers = len(network) // 2
    z = x
    for layer in range(1, n_layers):
        u = np.dot(z, network[f"W{layer}"]) + network[f"b{layer}"]
        z = functions.softmax(u) if layer == n_layers - 1 else functions.relu(u)
    return z


def forward_relu_everywhere(network, x):
    return _variant(network, x, output=functions.relu)


def forward_stores_output(network, x):
    network["y"] = forward_reference(network, x)
    return network["y"]


def forward_stores_layer(network, x):
    """Keeps a layer's output under an old key: a new array, not a change in place."""
    y = forward_reference(network, x)
    network["b1"] = np.zeros_like(network["b1"])
    return y


def forward_converts_weights(network, x):
    """Correct too: the same numbers under the same keys, as new float arrays."""
    for key in network:
        network[key] = np.asarray(network[key], dtype=float).copy()
    return forward_reference(network, x)


# What a learner's notebook has in its globals at the time of Exercise 3 (lesson 01's W1, b1).
W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
b1 = np.array([0.1, 0.2, 0.3])


def forward_global_weights(network, x):
    z = functions.relu(np.dot(x, W1) + b1)
    return functions.softmax(np.dot(z, network["W2"]) + network["b2"])


def _variant(network, x, hidden=functions.relu, output=functions.softmax):
    n_layers = len(network) // 2
    z = x
    for layer in range(1, n_layers + 1):
        u = np.dot(z, network[f"W{layer}"]) + network[f"b{layer}"]
        z = output(u) if layer == n_layers else hidden(u)
    return z


@pytest.mark.parametrize("correct", [forward_reference, forward_while_keys, forward_einsum,
                                     forward_converts_weights])
def test_forward_correct_versions_pass(correct, passes):
    passes(check_forward, correct, "forward")


def test_forward_not_done(not_done):
    not_done(check_forward, forward_not_done, "forward")


@pytest.mark.parametrize("wrong, hint", [
    (forward_two_layers_only, "use every layer"),
    (forward_no_softmax, "apply functions.softmax"),
    (forward_relu_on_output, "do not apply ReLU to the output layer"),
    (forward_sigmoid_output, "not sigmoid"),
    (forward_no_relu, "the hidden layers need their activation"),
    (forward_relu_first_only, "after EVERY hidden layer"),
    (forward_no_biases, "you forgot the biases"),
    (forward_sorted_keys, "'W10' comes before 'W2'"),
    (forward_softmax_whole_batch, "whole batch at once"),
    (forward_softmax_down_columns, "down the columns"),
    (forward_returns_tuple, "return the output probabilities y only"),
    (forward_transposed, "np.dot(z, W)"),
    (forward_global_network, "must come from the network argument"),
    (forward_always_batch, "do not turn x into a batch"),
    (forward_in_place, "changed its input in place (network['b1']) - do not change the "
                       "network's arrays or x: compute each layer's total input "
                       "u = np.dot(z, W) + b as a new array"),
    (forward_scales_bias, "do not change the network's arrays or x"),
    (forward_list, "should return a NumPy array"),
    (forward_by_position, "the course's dicts list their keys as W1, W2, b1, b2"),
    (forward_one_layer_early, "your loop skips the last layer"),
    (forward_relu_everywhere, "each row must add up to 1: apply functions.softmax"),
    (forward_stores_output, "added the key 'y' to the network dict - do not store results"),
    (forward_stores_layer, "replaced network['b1'] - do not store results in the network"),
    (forward_global_weights, "a W that is not in its network argument (a global W1"),
])
def test_forward_wrong_versions_fail_with_a_hint(wrong, hint, rejected):
    assert hint in rejected(check_forward, wrong, "forward")


def test_forward_missing_key_gets_advice(rejected):
    def forward_fixed_depth(network, x):  # reads W3 whatever the depth
        z = functions.relu(np.dot(x, network["W1"]) + network["b1"])
        z = functions.relu(np.dot(z, network["W2"]) + network["b2"])
        return functions.softmax(np.dot(z, network["W3"]) + network["b3"])

    assert "len(network) // 2" in rejected(check_forward, forward_fixed_depth, "forward")


def test_course_network_is_in_the_course_key_order():
    """The lesson's init_network_multiclass() lists W1, W2, b1, b2: the check must too."""
    assert list(COURSE_NETWORK) == ["W1", "W2", "b1", "b2"]


def test_course_network_still_gives_the_course_numbers():
    y = forward_reference(COURSE_NETWORK, COURSE_X)
    np.testing.assert_allclose(y, [0.01602796, 0.05707321, 0.20322929, 0.72366954], atol=1e-8)


# ---------------------------------------------------------------------------------------------
# Lessons 01 and 02: what MathJax reads


@pytest.mark.parametrize("name", ["01_forward_propagation.ipynb",
                                  "02_activation_functions.ipynb"])
def test_markdown_has_no_control_characters(name):
    """A tab or other control character in markdown is an escape gone wrong (\\times written
    as \\t + "imes" by a script), and MathJax shows it as "5 imes 10^-324"."""
    notebook = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / name, 4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            found = sorted({repr(ch) for ch in cell.source if ord(ch) < 32 and ch != "\n"})
            assert not found, f"markdown cell {cell.id} holds {', '.join(found)}"
