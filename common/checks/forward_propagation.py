"""Checks for lesson 01, forward propagation.

``check_count_parameters(count_parameters)`` tests ``count_parameters(sizes)``, the number of
weights and biases of a fully connected network; ``check_init_network(init_network)`` tests
``init_network(sizes, rng)``, the course's DN06 idea of random initial parameters;
``check_forward(forward)`` tests ``forward(network, x)`` for a network of any depth: ReLU in
every hidden layer, softmax at the output.
"""

import copy
import functools
import re

import numpy as np

from common import functions
from common.grading import Checker, ExerciseFailed, format_value

#: Seed of the random inputs and networks the checks use, so every run checks the same cases.
SEED = 20240101

# The course's 2-3-4 multi-class network and input, keys in the course's order (W1, W2, b1, b2,
# as init_network_multiclass() in the notebook), so a forward that pairs the dict's values by
# position fails here.
COURSE_NETWORK = {
    "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
    "W2": np.array([[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]]),
    "b1": np.array([0.1, 0.2, 0.3]),
    "b2": np.array([0.1, 0.2, 0.3, 0.4]),
}
COURSE_X = np.array([1.0, 2.0])

DOT_ORDER = ("multiply as np.dot(z, W): W has shape (inputs, units), so the layer's input comes "
             "first, and W and b must come from the network argument")
NOT_FROM_NETWORK = ("your function uses a W that is not in its network argument (a global W1 "
                    "of the notebook?): W and b must come from the network argument, "
                    "network[f'W{l}'] and network[f'b{l}']")
KEY_ORDER = ("take each layer's W and b by name, network[f'W{l}'] and network[f'b{l}']: the "
             "course's dicts list their keys as W1, W2, b1, b2, so the position of a value in "
             "the dict says nothing about its layer")
SHAPES_IN_ERROR = re.compile(r"shapes \(([\d, ]*)\) and \(([\d, ]*)\)")
BROADCAST = ("check the shapes: np.dot(z, W) has shape (H,) for one sample or (N, H) for a "
             "batch, and b (H,) is added to every row as it is")


# ---------------------------------------------------------------------------------------------
# Exercise 1: count_parameters(sizes)


def _count(sizes):
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    return weights, sum(sizes[1:])


def _is_whole(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _call_explaining_index_errors(c, sizes, label):
    """Call ``count_parameters``; an index past the end of ``sizes`` gets advice on the loop."""
    try:
        return c.call(sizes, label=label)
    except ExerciseFailed as error:
        if "raised IndexError" not in str(error):
            raise
        raise ExerciseFailed(f"{error} - an index such as sizes[i + 1] runs past the end: "
                             "with len(sizes) layers there are len(sizes) - 1 pairs of "
                             "neighbouring layers, so loop over range(len(sizes) - 1)") from None


def check_count_parameters(count_parameters):
    """Check ``count_parameters(sizes)`` -> ``(weights, biases)`` on networks of 2 to 6 layers.

    Hints: the input layer counted for biases, the output layer's biases left out, sums
    instead of products, every size multiplied together, the bias counted into the weights, a
    loop that skips the first or the last pair of layers or runs past the end of ``sizes``, the
    two numbers swapped, one number returned, floats instead of whole numbers, answers that fit
    only the P12 network.
    """
    c = Checker("count_parameters", count_parameters)
    # (4, 5, 3) first: on it no two typical mistakes give the same answer (on P12's
    # (2, 3, 3, 1), a + b lines and a loop that skips the last pair both give 15 weights).
    cases = [(4, 5, 3), (2, 3, 3, 1), (2, 3, 4), [784, 100, 10], (5, 10, 1), (2, 1),
             (3, 8, 8, 8, 8, 2)]
    # Seeded random networks too, so that a table of the fixed answers cannot pass.
    rng = np.random.default_rng(SEED)
    cases += [tuple(int(n) for n in rng.integers(1, 60, size=depth)) for depth in (3, 4, 6)]
    for sizes in cases:
        label = f"count_parameters({sizes!r})"
        got = _call_explaining_index_errors(c, sizes, label)
        weights, biases = _count(sizes)
        if got is None:
            c.fail(f"{label} returned None: end the function with `return weights, biases`")
        if isinstance(got, np.ndarray) and got.shape == (2,):
            got = tuple(got)  # a NumPy pair unpacks like a tuple: judged by its numbers
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            c.fail(f"{label} should return two numbers, (weights, biases), got "
                   f"{format_value(got)} - e.g. return n_weights, n_biases")
        c.expect(all(_is_whole(n) for n in got),
                 f"{label} should return whole numbers (int), got {got!r} - count with "
                 "integers: sizes[l] * sizes[l + 1] is already an int (np.mean or / make "
                 "floats)")
        got = (int(got[0]), int(got[1]))
        hints = [
            ((biases, weights), "the two numbers are swapped: return (weights, biases)"),
            ((weights, sum(sizes)), "the input layer has no biases: only the units of the "
                                    "later layers add one each, sum(sizes[1:])"),
            ((weights + biases, biases), "count the biases apart from the weights: the weights "
                                         "are the lines between layers only"),
            ((int(np.prod(sizes)), biases), "a weight joins a unit to a unit of the NEXT layer "
                                            "only: add sizes[l] * sizes[l + 1] over the "
                                            "neighbouring pairs"),
            ((sum(a + b for a, b in zip(sizes[:-1], sizes[1:], strict=False)), biases),
             "two layers of a and b units are joined by a * b lines (every unit to every "
             "unit), not a + b"),
            ((sum(a * a for a in sizes[:-1]), biases), "multiply each layer's size by the NEXT "
                                                       "layer's size, sizes[l] * sizes[l + 1]"),
            (lambda n, short=weights - sizes[-2] * sizes[-1]: n[0] == short,
             f"your count leaves out the last pair of layers ({sizes[-2]} * {sizes[-1]} "
             "weights): there are len(sizes) - 1 pairs of neighbouring layers, so loop over "
             "range(len(sizes) - 1)"),
            (lambda n, short=weights - sizes[0] * sizes[1]: n[0] == short,
             f"your count leaves out the first pair of layers ({sizes[0]} * {sizes[1]} "
             "weights, from the input layer): there are len(sizes) - 1 pairs of neighbouring "
             "layers, the first one starts at sizes[0]"),
            ((weights, len(sizes) - 1), "every unit after the input layer has its own bias, "
                                        "not one bias per layer: add up the units"),
            ((weights, sum(sizes[1:-1])), "the output units have biases too: every layer after "
                                          "the input layer, sum(sizes[1:])"),
            ((18, 7), "that is the answer for P12's network only: compute it from sizes"),
        ]
        hint = next((advice for wrong, advice in hints if got != (weights, biases)
                     and (wrong(got) if callable(wrong) else got == wrong)), None)
        c.expect(got == (weights, biases),
                 f"{label} should be ({weights}, {biases}), got {got}"
                 + (f" - {hint}" if hint else ""))
    c.done()


# ---------------------------------------------------------------------------------------------
# Exercise 2: init_network(sizes, rng)


def _global_random_advice():
    return ("draw every number from the rng you are given (rng.normal(...)), not from "
            "np.random.... (NumPy's hidden global generator): then the same seed gives the "
            "same network")


def check_init_network(init_network):
    """Check ``init_network(sizes, rng)``: keys W1.. and b1.., shapes (inputs, units), float
    arrays, zero biases, random weights of both signs drawn only from ``rng``.

    Hints: keys numbered from 0, transposed weight shapes, np.ones/np.full (every unit alike:
    the symmetry problem), rng.random (only positive weights), the global np.random generator
    (not reproducible), too large a scale.
    """
    c = Checker("init_network", init_network)

    def make(sizes, seed):
        label = f"init_network({sizes!r}, np.random.default_rng({seed}))"
        before = np.random.get_state()[1].copy()
        got = c.call(sizes, np.random.default_rng(seed), label=label)
        c.expect(np.array_equal(before, np.random.get_state()[1]),
                 f"{label} used np.random's global generator - {_global_random_advice()}")
        c.expect(isinstance(got, dict), f"{label} should return a dict like {{'W1': ..., "
                                        f"'b1': ...}}, got {type(got).__name__}")
        return label, got

    for sizes in [(2, 3, 4), (4, 5, 5, 3), [2, 1]]:
        label, got = make(sizes, 7)
        n_layers = len(sizes) - 1
        wanted = {f"{p}{layer}" for layer in range(1, n_layers + 1) for p in "Wb"}
        if set(got) != wanted:
            hint = ""
            if {"W0", "b0"} & set(got):
                hint = (" - number the layers from 1, as the course does: W1 and b1 lead "
                        "from the input layer to the first hidden layer")
            elif len(got) != len(wanted):
                hint = (f" - {len(sizes)} layer sizes mean {n_layers} layers of weights: "
                        "one W and one b for each pair of neighbouring layers")
            c.fail(f"{label} should have the keys {sorted(wanted)}, got {sorted(got)}{hint}")
        for layer in range(1, n_layers + 1):
            inputs, units = sizes[layer - 1], sizes[layer]
            for key, shape in [(f"W{layer}", (inputs, units)), (f"b{layer}", (units,))]:
                value = got[key]
                c.expect(isinstance(value, np.ndarray),
                         f"{label}[{key!r}] should be a NumPy array, got "
                         f"{type(value).__name__}")
                hint = ""
                if key[0] == "W" and value.shape == (units, inputs):
                    hint = (" - W has one row per input and one column per unit: shape "
                            "(sizes[l - 1], sizes[l])")
                c.expect(value.shape == shape,
                         f"{label}[{key!r}] should have shape {shape}, got {value.shape}{hint}")
                c.expect(value.dtype.kind == "f",
                         f"{label}[{key!r}] should hold decimal numbers (float), got dtype "
                         f"{value.dtype}"
                         + (" - np.zeros(units) is already float: drop dtype=int"
                            if key[0] == "b" else ""))
            c.expect(not np.any(got[f"b{layer}"]),
                     f"{label}['b{layer}'] should be all zeros (np.zeros(units)): the random "
                     "weights already make the units differ")

    # Reproducible with the same seed, different with another; every layer random, of both
    # signs and small (a zero or constant W2 leaves the units of that layer alike).
    sizes = (50, 40, 30, 20)
    label, first = make(sizes, 11)
    _, again = make(sizes, 11)
    _, other = make(sizes, 12)
    c.expect(all(np.array_equal(first[k], again[k]) for k in first),
             f"{label} gave a different network the second time with the same seed - "
             f"{_global_random_advice()}")
    for layer in range(1, len(sizes)):
        key = f"W{layer}"
        W = first[key]
        c.expect(not np.allclose(W, W[:, :1]),
                 f"{label}[{key!r}] has identical columns, so every unit of that layer computes "
                 "the same thing and training would keep them identical (the symmetry "
                 "problem): draw random weights for every layer, e.g. rng.normal(0.0, 0.1, "
                 "size=(inputs, units))")
        positive = float(np.mean(W > 0))
        c.expect(0.2 < positive < 0.8,
                 f"{label}[{key!r}] has weights that are almost all "
                 f"{'positive' if positive >= 0.8 else 'negative'}"
                 " - draw numbers of both signs around 0, e.g. rng.normal(0.0, 0.1, size=...) "
                 "(rng.random gives only numbers in [0, 1))")
        spread = float(np.std(W))
        c.expect(spread <= 0.5,
                 f"{label}[{key!r}] has weights with standard deviation {spread:.3g} - keep "
                 "them small (a standard deviation of about 0.01 to 0.5), e.g. "
                 "rng.normal(0.0, 0.1, size=...): large weights make large totals that "
                 "saturate the units")
    c.expect(not np.array_equal(first["W1"], other["W1"]),
             f"{label} gave the same weights as with seed 12 - {_global_random_advice()}")
    c.done()


# ---------------------------------------------------------------------------------------------
# Exercise 3: forward(network, x), any depth


def _shape_of(value):
    """Describe an argument by its shape, which is what a shape error is about."""
    if isinstance(value, dict):
        return "network with " + ", ".join(f"{k} {np.shape(v)}" for k, v in value.items())
    return f"array of shape {np.shape(value)}"


def _explain_shape_errors(exercise, func):
    """Wrap ``func`` so that a NumPy shape error comes with advice on the order of np.dot."""
    name = getattr(func, "__name__", exercise)

    @functools.wraps(func)
    def wrapped(*args):
        network = args[0] if args and isinstance(args[0], dict) else None
        before = dict(network) if network is not None else None
        try:
            result = func(*args)
        except ValueError as error:
            text = str(error).splitlines()[0] if str(error) else ""
            if "broadcast" in text:
                advice = BROADCAST
            elif "align" in text or "mismatch" in text:
                advice = DOT_ORDER
                if network is not None and not _uses_network_shapes(text, network):
                    advice = NOT_FROM_NETWORK
            else:
                raise
            call = f"{name}({', '.join(_shape_of(a) for a in args)})"
            raise ExerciseFailed(f"[{exercise}] {call} raised ValueError: {text} - "
                                 f"{advice}") from None
        except KeyError as error:
            raise ExerciseFailed(
                f"[{exercise}] {name}({', '.join(_shape_of(a) for a in args)}) raised "
                f"KeyError: {error} - a network of L layers has the keys W1, b1, ..., WL, bL; "
                "find L from the network, e.g. len(network) // 2") from None
        if before is not None:
            _refuse_stored_results(exercise, name, args, before, network)
        return result

    return wrapped


def _uses_network_shapes(text, network):
    """Whether a NumPy shape error names a shape of one of the network's arrays (or its
    transpose); if it names none, the W in the product came from somewhere else."""
    shapes = {tuple(int(n) for n in group.replace(" ", "").split(",") if n)
              for match in SHAPES_IN_ERROR.finditer(text) for group in match.groups()}
    if not shapes:
        return True  # nothing to go by: keep the usual advice
    own = {np.shape(v) for v in network.values()} | {np.shape(v)[::-1] for v in network.values()}
    return bool(shapes & own)


def _same_array(a, b):
    try:
        return np.array_equal(np.asarray(a), np.asarray(b))
    except (TypeError, ValueError):
        return False


def _refuse_stored_results(exercise, name, args, before, network):
    """A forward that keeps its results in the network dict gets told so, key by key."""
    added = [k for k in network if k not in before]
    replaced = [k for k in before if k in network and network[k] is not before[k]
                and not _same_array(network[k], before[k])]
    removed = [k for k in before if k not in network]
    if not (added or replaced or removed):
        return
    call = f"{name}({', '.join(_shape_of(a) for a in (before, *args[1:]))})"
    if added:
        what = f"added the key {added[0]!r} to the network dict"
    elif replaced:
        what = f"replaced network[{replaced[0]!r}]"
    else:
        what = f"removed the key {removed[0]!r} from the network dict"
    raise ExerciseFailed(f"[{exercise}] {call} {what} - do not store results in the network: "
                         "keep them in local variables (z = ...) and return y")


IN_PLACE = ("do not change the network's arrays or x: compute each layer's total input "
            "u = np.dot(z, W) + b as a new array (b *= ..., W += ... or z += ... with z = x "
            "change the caller's arrays)")


def _forward_in_place_advice(call):
    """Wrap ``Checker.call``: an input changed in place gets advice for a forward pass (the
    general advice is written for functions that are meant to compute new arrays)."""
    @functools.wraps(call)
    def wrapped(*args, label=None):
        try:
            return call(*args, label=label)
        except ExerciseFailed as error:
            text = str(error)
            marker = "changed its input in place"
            if marker not in text:
                raise
            start = text.index(marker)
            end = text.find("; ", start)
            raise ExerciseFailed((text[:end] if end >= 0 else text) + f" - {IN_PLACE}") from None

    return wrapped


def _layers(network):
    n_layers = len(network) // 2
    return [(network[f"W{layer}"], network[f"b{layer}"]) for layer in range(1, n_layers + 1)]


def _run(layers, x, hidden=functions.relu, output=functions.softmax, skip_hidden=()):
    """A forward pass with switchable parts, for the reference and for typical mistakes."""
    z = x
    for i, (W, b) in enumerate(layers):
        u = np.dot(z, W) + b
        last = i == len(layers) - 1
        z = output(u) if last else (u if i in skip_hidden else hidden(u))
    return z


def _forward(network, x):
    return _run(_layers(network), x)


def _sorted_as_text(network):
    keys = sorted(k for k in network if k[0] == "W")
    return [(network[k], network["b" + k[1:]]) for k in keys]


def _forward_hints(network, x):
    """Typical wrong outputs of forward(network, x), each with its advice."""
    layers = _layers(network)
    hints = []

    def add(make, advice):
        try:
            with np.errstate(all="ignore"):
                hints.append((make(), advice))
        except ValueError:  # the mistake does not even run on these shapes
            pass

    add(lambda: _run(layers, x, output=lambda u: u),
        "you returned the last total input u: apply functions.softmax to it to get "
        "probabilities")
    add(lambda: _run(layers, x, output=lambda u: functions.softmax(functions.relu(u))),
        "do not apply ReLU to the output layer: only softmax there")
    add(lambda: _run(layers, x, output=functions.sigmoid),
        "the output layer of a multi-class network uses softmax, not sigmoid, so that the "
        "outputs sum to 1")
    add(lambda: _run(layers, x, output=functions.relu),
        "each row must add up to 1: apply functions.softmax to the last layer's total input, "
        "ReLU only to the hidden layers")
    if len(layers) > 2:
        add(lambda: _run(layers, x, skip_hidden=range(1, len(layers))),
            "apply ReLU after EVERY hidden layer, not only the first")
        add(lambda: _run(layers[:2], x),
            "use every layer: a network of L layers has W1, b1, ..., WL, bL "
            "(L = len(network) // 2), not just two")
    add(lambda: _run(layers, x, hidden=lambda u: u),
        "the hidden layers need their activation: z = functions.relu(u) after every layer but "
        "the last")
    add(lambda: _run(layers, x, hidden=functions.sigmoid),
        "the hidden layers use ReLU here, not sigmoid")
    add(lambda: _run([(W, 0 * b) for W, b in layers], x),
        "you forgot the biases: u = np.dot(z, W) + b in every layer")
    if len(layers) >= 10:
        add(lambda: _run(_sorted_as_text(network), x),
            "the keys sort as text, so 'W10' comes before 'W2': loop over the layer numbers "
            "l = 1, ..., L and build the keys f'W{l}' and f'b{l}'")
    if x.ndim == 2:
        def whole_batch(u):
            e = np.exp(u - u.max())
            return e / e.sum()

        def down_columns(u):
            e = np.exp(u - u.max(axis=0))
            return e / e.sum(axis=0)

        add(lambda: _run(layers, x, output=whole_batch),
            "softmax normalised the whole batch at once: each row (one sample) must sum to 1; "
            "use functions.softmax or sum with axis=-1, keepdims=True")
        add(lambda: _run(layers, x, output=down_columns),
            "softmax ran down the columns (over the batch): each row (one sample) must sum "
            "to 1; use functions.softmax or sum with axis=-1, keepdims=True")
        hints.append((lambda got: got.ndim == 1, "for a batch x of shape (N, D) return one row "
                      "of probabilities per sample, shape (N, K)"))
    else:
        hints.append((lambda got: got.ndim == 2, "for one sample (1-D x) return a 1-D array of "
                      "shape (K,): do not turn x into a batch"))
    if len(layers) > 1 and layers[-2][0].shape[1] != layers[-1][0].shape[1]:
        skipped = layers[-2][0].shape[1]
        hints.append((lambda got: got.shape[-1:] == (skipped,),
                      "your loop skips the last layer: a network of L layers has W1, ..., WL "
                      "with L = len(network) // 2, and range(1, L) stops at L - 1"))
    n_classes = layers[-1][0].shape[1]
    hints.append((lambda got: got.shape[-1:] == (n_classes,) and not np.allclose(
        np.sum(got, axis=-1), 1.0), "each row of probabilities must add up to 1: the last "
                  "layer applies functions.softmax to its total input"))
    return hints


def _random_network(rng, sizes):
    """A network of any depth with standard-normal weights, so ReLU cuts something."""
    network = {}
    for layer, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False), start=1):
        network[f"W{layer}"] = rng.normal(size=(a, b)) / np.sqrt(a)
        network[f"b{layer}"] = rng.normal(size=b)
    return network


def check_forward(forward):
    """Check ``forward(network, x)`` for 2 to 11 layers: ReLU hidden layers, softmax output.

    Starts with a random 3-5-4 network unlike any in the notebook (so weights read from
    global variables are caught), then the course's 2-3-4 network and deeper ones, on one
    sample, batches and a batch of one, with integer inputs too. Hints: the last total input
    returned, ReLU or sigmoid in the wrong place, ReLU after the first hidden layer only, no
    biases, keys sorted as text ('W10' before 'W2'), softmax over the whole batch or down the
    columns, the tuple (y, z) returned, transposed weights, a missing layer.
    """
    c = Checker("forward", forward)
    c.func = _explain_shape_errors("forward", forward)
    c.call = _forward_in_place_advice(c.call)
    rng = np.random.default_rng(SEED + 1)

    net_354 = _random_network(rng, (3, 5, 4))
    x = rng.normal(size=3)
    label = f"forward(random 3-5-4 network, x={format_value(x)})"
    got = c.call(net_354, x, label=label)
    c.expect(not isinstance(got, tuple),
             f"{label} returned a tuple: return the output probabilities y only")

    cases = [
        ("random 3-5-4 network", net_354, x),
        ("course 2-3-4 network", COURSE_NETWORK, COURSE_X),
        ("course 2-3-4 network", COURSE_NETWORK, np.array([[1, 2], [-1, 0], [3, -2]])),
        ("random 3-5-4 network", net_354, rng.normal(size=(5, 3))),
    ]
    deep = {
        "random 2-3-3-4 network": _random_network(rng, (2, 3, 3, 4)),
        "random 4-6-5-4-3 network": _random_network(rng, (4, 6, 5, 4, 3)),
        "random 11-layer network": _random_network(rng, (3,) + (4,) * 11),
    }
    names = list(deep)
    cases += [
        (names[0], deep[names[0]], rng.normal(size=2)),
        (names[0], deep[names[0]], rng.normal(size=(6, 2))),
        (names[1], deep[names[1]], 2 * rng.normal(size=(1, 4))),
        (names[2], deep[names[2]], 2 * rng.normal(size=(4, 3))),
    ]
    for name, network, x in cases:
        label = f"forward({name}, x={format_value(x)})"
        try:
            c.expect_close((network, x), _forward(network, x), hints=_forward_hints(network, x),
                           label=label)
        except ExerciseFailed:
            _blame_key_order(c, network, x)
            raise
    c.done()


def _blame_key_order(c, network, x):
    """After a failure: if the same function is right on the same network with its keys listed
    W1, b1, W2, b2, ..., it relies on the order of the dict, and that is what to say."""
    interleaved = {k: network[k] for layer in range(1, len(network) // 2 + 1)
                   for k in (f"W{layer}", f"b{layer}")}
    if list(interleaved) == list(network):
        return
    try:
        with np.errstate(all="ignore"):
            got = c.func(*copy.deepcopy((interleaved, x)))
        right = np.allclose(np.asarray(got, dtype=float), _forward(network, x))
    except Exception:  # noqa: BLE001 - any failure means the order was not the only problem
        return
    if right:
        c.fail(f"forward(network with the keys {', '.join(network)}, x={format_value(x)}) is "
               f"wrong, though right with the keys in the order W1, b1, W2, b2 - {KEY_ORDER}")
