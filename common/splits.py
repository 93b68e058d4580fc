r"""Splitting a data set into parts (training, validation, test) that are fair to every class."""

import numbers

import numpy as np


def _check_labels(labels):
    labels = np.asarray(labels)
    if labels.ndim != 1:
        advice = ("; for one-hot targets pass d.argmax(axis=1)" if labels.ndim == 2 else "")
        raise ValueError(f"stratified_split: expected labels of shape (N,), one class per "
                         f"sample, got shape {labels.shape}{advice}")
    if labels.size == 0:
        raise ValueError("stratified_split: expected at least one label, got an empty array")
    if labels.dtype.kind not in "iubUS":
        raise ValueError(f"stratified_split: expected class labels (integers or strings), got "
                         f"dtype {labels.dtype}; for one-hot targets pass d.argmax(axis=1)")
    return labels


def _check_fractions(fractions):
    try:
        values = [float(f) for f in fractions]
        valid = all(isinstance(f, numbers.Real) for f in fractions)
    except (TypeError, ValueError):
        valid = False
    if not valid or not values:
        raise ValueError(f"stratified_split: expected fractions as a sequence of numbers such "
                         f"as (0.6, 0.2, 0.2), got {fractions!r}")
    if not all(0 < f <= 1 for f in values) or abs(sum(values) - 1) > 1e-9:
        raise ValueError(f"stratified_split: expected fractions between 0 and 1 that add up to "
                         f"1, such as (0.6, 0.2, 0.2), got {fractions!r} (sum {sum(values):g})")
    return np.array(values)


def _round_keeping_sum(shares):
    """Round non-negative ``shares`` to integers with the same (whole) total: largest remainder.

    Each share is rounded down, and the units left over go to the largest fractional parts
    (the earlier part first on a tie).
    """
    counts = np.floor(shares + 1e-9).astype(int)
    left = int(round(shares.sum())) - counts.sum()
    order = np.argsort(-(shares - counts), kind="stable")
    counts[order[:left]] += 1
    return counts


def split_counts(class_sizes, fractions):
    r"""How many samples of each class go into each part: an integer table (K classes, P parts).

    Part :math:`j` holds :math:`\mathrm{round}(f_j N)` samples in all (largest-remainder
    rounding, so the parts add up to :math:`N`), and class :math:`k` gives part :math:`j`
    its exact share :math:`f_j n_k` rounded down or up, never further off than that.
    """
    class_sizes = np.asarray(class_sizes, dtype=int)
    fractions = np.asarray(fractions, dtype=float)
    shares = np.outer(class_sizes, fractions)
    counts = np.floor(shares + 1e-9).astype(int)
    # Units still owed to each part overall, and still left in each class.
    owed = _round_keeping_sum(fractions * class_sizes.sum()) - counts.sum(axis=0)
    for k in range(len(class_sizes)):
        left = class_sizes[k] - counts[k].sum()
        # Give the class's leftovers to the parts owed most, then to its largest remainders.
        order = np.lexsort((np.arange(len(fractions)), -(shares[k] - counts[k]), -owed))
        chosen = order[:left]
        counts[k, chosen] += 1
        owed[chosen] -= 1
    if (owed != 0).any():  # cannot happen (Gale-Ryser); guards the invariant all the same
        raise RuntimeError(f"split_counts: could not balance {class_sizes} by {fractions}")
    return counts


def stratified_split(labels, fractions, rng):
    r"""Shuffle each class and cut it in the proportions ``fractions``; one index array per part.

    ``stratified_split(labels, (0.6, 0.2, 0.2), rng)`` gives ``(train, validation, test)``:
    every class is divided 60 : 20 : 20 on its own, so each part holds the classes in (almost)
    the same proportions as the whole data set. Part :math:`j` gets
    :math:`\mathrm{round}(f_j N)` samples; class :math:`k` gives it :math:`f_j n_k` rounded
    down or up (see ``split_counts``).

    Shapes: ``labels`` (N,) integers or strings; ``fractions`` P numbers in (0, 1] adding up
    to 1; ``rng`` a ``np.random.Generator``, the only source of randomness. Returns a tuple of
    P integer index arrays into ``labels``, each in shuffled order, together holding every
    index exactly once. The same generator state gives the same split.
    """
    labels = _check_labels(labels)
    fractions = _check_fractions(fractions)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"stratified_split: expected rng to be a np.random.Generator such as "
                        f"np.random.default_rng(0), got {type(rng).__name__}")
    classes = np.unique(labels)
    members = [np.flatnonzero(labels == k) for k in classes]
    counts = split_counts([len(m) for m in members], fractions)
    empty = np.flatnonzero(counts.sum(axis=0) == 0)
    if empty.size:
        j = int(empty[0])
        raise ValueError(f"stratified_split: part {j} (fraction {fractions[j]:g}) would be "
                         f"empty with only {labels.size} labels; use fewer parts or more data")
    parts = [[] for _ in fractions]
    for class_members, class_counts in zip(members, counts, strict=True):
        shuffled = rng.permutation(class_members)
        for part, piece in zip(parts, np.split(shuffled, np.cumsum(class_counts)[:-1]),
                               strict=True):
            part.append(piece)
    return tuple(rng.permutation(np.concatenate(part)) for part in parts)
