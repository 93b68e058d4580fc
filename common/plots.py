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
