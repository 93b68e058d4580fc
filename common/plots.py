"""Plots used by more than one lesson. Imported on demand: ``from common.plots import ...``."""

import numpy as np
from matplotlib.colors import ListedColormap

CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def plot_decision_regions(ax, predict, x, labels, class_names=None, resolution=200, margin=0.5):
    """Shade the plane by the class ``predict`` gives each point and scatter the samples on top.

    ``predict`` maps points (M, 2) to class indices (M,); ``x`` (N, 2) are the samples and
    ``labels`` (N,) their true classes. Returns the scatter's handles for a legend.
    """
    x = np.asarray(x, dtype=float)
    labels = np.asarray(labels)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"plot_decision_regions: expected x of shape (N, 2), got {x.shape}")
    n_classes = int(labels.max()) + 1
    names = class_names or [f"class {k}" for k in range(n_classes)]
    colours = CLASS_COLOURS[:n_classes]
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    regions = np.asarray(predict(grid)).reshape(g0.shape)
    ax.contourf(g0, g1, regions, levels=np.arange(n_classes + 1) - 0.5,
                cmap=ListedColormap(colours), alpha=0.25)
    handles = []
    for k in range(n_classes):
        mask = labels == k
        handles.append(ax.scatter(x[mask, 0], x[mask, 1], s=18, color=colours[k],
                                  edgecolor="white", linewidth=0.5, label=names[k]))
    return handles


def moving_average(values, window):
    """Mean of each run of ``window`` consecutive values: (N,) -> (N - window + 1,)."""
    values = np.asarray(values, dtype=float)
    if not 1 <= window <= values.size:
        raise ValueError(f"moving_average: expected a window between 1 and {values.size}, "
                         f"got {window}")
    csum = np.cumsum(np.insert(values, 0, 0.0))
    return (csum[window:] - csum[:-window]) / window


def moving_median(values, window):
    """Median of each run of ``window`` consecutive values: (N,) -> (N - window + 1,).

    Unlike the mean, one outlier in the window barely moves it: a single hard sample among
    the noisy losses of SGD does not lift the curve for a whole window.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or not 1 <= window <= values.size:
        raise ValueError(f"moving_median: expected values (N,) and a window between 1 and N, "
                         f"got shape {values.shape} and window {window}")
    return np.median(np.lib.stride_tricks.sliding_window_view(values, window), axis=1)


_SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value, _position=None):
    """Tick label for a log axis in plain text: 10⁻⁴ for 0.0001, other values as they are."""
    exponent = round(np.log10(value))
    if np.isclose(value, 10.0 ** exponent):
        return "10" + str(exponent).translate(_SUPERSCRIPT_DIGITS)
    return f"{value:g}"


def plain_log_labels(*axes):
    """Label log axes (``ax.xaxis``, ``ax.yaxis``) 10⁻⁴, 10⁻², ... without minor ticks.

    matplotlib typesets its own log labels with mathtext (its built-in formula renderer),
    which takes longer than drawing the rest of a small plot; plain text keeps lessons quick.
    """
    from matplotlib.ticker import FuncFormatter, NullLocator

    for axis in axes:
        axis.set_major_formatter(FuncFormatter(power_of_ten))
        axis.set_minor_locator(NullLocator())


def draw_network(ax, layer_sizes, weights=None, biases=None, node_labels=None,
                 layer_names=None):
    """Draw a fully connected network on ``ax``: a column of circles per layer, a line per weight.

    ``layer_sizes``: units per layer, e.g. (2, 3, 4). ``weights``: optional list of
    (inputs, units) arrays, one per pair of neighbouring layers, written on the lines (line
    width grows with the size of the weight). ``biases``: optional list of (units,) arrays for
    the layers after the input layer, written in red above the circles. ``node_labels``,
    ``layer_names``: text for the circles and for the columns.
    """
    from matplotlib.patches import Circle

    layer_sizes = tuple(int(n) for n in layer_sizes)
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError(f"draw_network: expected at least two layer sizes of 1 or more, "
                         f"got {layer_sizes}")
    if weights is not None and len(weights) != len(layer_sizes) - 1:
        raise ValueError(f"draw_network: expected {len(layer_sizes) - 1} weight arrays for "
                         f"layer sizes {layer_sizes}, got {len(weights)}")
    colours = ["#cfe2f3", "#fce5cd", "#d9ead3"]  # input, hidden, output layers

    def place(layer, i):  # layers 3 apart, units 1 apart and centred on y = 0
        return 3.0 * layer, (layer_sizes[layer] - 1) / 2 - i

    for layer in range(len(layer_sizes) - 1):
        n_to = layer_sizes[layer + 1]
        for i in range(layer_sizes[layer]):
            for j in range(n_to):
                (x0, y0), (x1, y1) = place(layer, i), place(layer + 1, j)
                w = None if weights is None else weights[layer][i, j]
                ax.plot([x0, x1], [y0, y1], color="grey", zorder=1,
                        lw=1.0 if w is None else 0.4 + 2.0 * abs(w))
                if w is not None:
                    # Near the receiving unit, where the lines into one unit fan out apart;
                    # staggered by the receiving unit so that neighbouring labels don't touch.
                    t = 0.78 - 0.12 * (j % 2)
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), f"{w:g}", fontsize=7,
                            ha="center", va="center", zorder=2,
                            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
    top = (max(layer_sizes) - 1) / 2
    for layer, size in enumerate(layer_sizes):
        for i in range(size):
            x, y = place(layer, i)
            kind = 0 if layer == 0 else 2 if layer == len(layer_sizes) - 1 else 1
            ax.add_patch(Circle((x, y), 0.3, fc=colours[kind], ec="black", zorder=3))
            if node_labels is not None:
                ax.text(x, y, node_labels[layer][i], ha="center", va="center", zorder=4)
            if biases is not None and layer > 0:
                ax.text(x + 0.42, y + 0.3, f"b={biases[layer - 1][i]:g}", fontsize=7,
                        color="tab:red", ha="left", va="center", zorder=4,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
        if layer_names is not None:
            ax.text(3.0 * layer, top + 0.6, layer_names[layer], ha="center", va="bottom")
    ax.set_xlim(-1.0, 3.0 * (len(layer_sizes) - 1) + 1.2)
    ax.set_ylim(-top - 0.5, top + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")


def plot_with_jumps(ax, x, y, jumps=(0.0,), **kwargs):
    """Plot ``y`` against ``x`` as one line with a gap at each x in ``jumps``, so that no line
    joins the two sides of a jump (the step function at 0, ReLU's slope at 0).

    ``x`` (M,) increasing, ``y`` (M,). A sample exactly at a jump is drawn with the side whose
    value it has (the left one for the course's functions at 0; the right one when a negative
    weight mirrors the curve). Returns the line, for its colour.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"plot_with_jumps: expected x and y of one shape (M,), got {x.shape} "
                         f"and {y.shape}")
    cuts = set()
    for jump in np.asarray(jumps, dtype=float).ravel():
        i = int(np.searchsorted(x, jump))  # the first sample at or after the jump
        if i < x.size and np.isclose(x[i], jump, rtol=0.0, atol=1e-9) and 0 < i < x.size - 1:
            i += int(abs(y[i] - y[i - 1]) <= abs(y[i] - y[i + 1]))
        if 0 < i < x.size:
            cuts.add(i)
    cuts = sorted(cuts)
    (line,) = ax.plot(np.insert(x, cuts, np.nan), np.insert(y, cuts, np.nan), **kwargs)
    return line


def plot_confusion_matrix(ax, labels, predicted, class_names, title="Confusion matrix"):
    """Count and draw the confusion matrix of a classifier; returns the counts (K, K).

    Entry [i, j] counts the samples of true class i (row) predicted as class j (column);
    ``labels``, ``predicted`` (N,) class indices below K = len(class_names).
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    n_classes = len(class_names)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(f"plot_confusion_matrix: expected labels and predicted of one shape "
                         f"(N,), got {labels.shape} and {predicted.shape}")
    if labels.size and min(labels.min(), predicted.min()) < 0 or max(
            labels.max(initial=0), predicted.max(initial=0)) >= n_classes:
        raise ValueError(f"plot_confusion_matrix: expected class indices from 0 to "
                         f"{n_classes - 1}, one per class name, got others")
    counts = np.bincount(labels * n_classes + predicted,
                         minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    ax.imshow(counts, cmap="Blues")
    for i, j in np.ndindex(counts.shape):
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=12,
                color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set_xticks(range(n_classes), class_names, fontsize=8)
    ax.set_yticks(range(n_classes), class_names, fontsize=8)
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    return counts
