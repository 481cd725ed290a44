"""Shared figure helpers, so recipes never copy plotting code.

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot global state), which is
safe in tests and long ``run all`` sessions.
"""

import math

import numpy as np
from matplotlib.figure import Figure

from nnzoo import io


def grid(n_panels, *, ncols=3, size=(4.0, 3.0), title=None, sharex=False, sharey=False):
    """A figure with ``n_panels`` axes laid out in rows of ``ncols``; unused axes hidden."""
    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=sharex, sharey=sharey).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig, list(axes[:n_panels])


def learning_curves(histories, metrics=("loss", "val_loss"), *, title=None, logy=False):
    """One panel per metric, one line per variant; ``histories`` maps name -> DataFrame."""
    metrics = [m for m in metrics if any(m in h for h in histories.values())]
    fig, axes = grid(len(metrics), ncols=len(metrics), title=title)
    for ax, metric in zip(axes, metrics):
        curves(
            {name: (h["epoch"], h[metric]) for name, h in histories.items() if metric in h},
            ax=ax,
            xlabel="epoch",
            ylabel=metric,
            logy=logy,
        )
    return fig


def bars(values, *, title=None, ylabel="", logy=False):
    """A bar chart of {label: value}."""
    fig, (ax,) = grid(1, size=(max(4.0, 0.8 * len(values)), 3.2), title=title)
    ax.bar(list(values), [float(v) for v in values.values()], color=[f"C{i % 10}" for i in range(len(values))])
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.tick_params(axis="x", rotation=30)
    return fig


def decision_regions(ax, predict, x, y, *, resolution=150, margin=0.5, levels=20):
    """Shade ``predict``'s class regions over the 2-D points ``x`` and scatter them by ``y``.

    ``levels`` as in contourf: a count (scaled to the predictions) or fixed edges such as
    ``np.linspace(0, 1, 11)`` so that probabilities near 0.5 are not stretched to the full colour range.
    """
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    z = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()].astype("float32"))).reshape(gx.shape)
    ax.contourf(gx, gy, z, levels=levels, cmap="RdBu", alpha=0.4)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu", edgecolors="k", s=18)
    return ax


def save(fig, path):
    """Write ``fig`` as PNG atomically."""
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def mark_epochs(fig, marks, *, styles=("--", ":", "-.")):
    """Draw a labelled vertical line at each ``{label: epoch}`` on every axis of ``fig``."""
    for ax in fig.axes:
        for k, (label, epoch) in enumerate(marks.items()):
            ax.axvline(epoch, color=f"C{(k + 3) % 10}", linestyle=styles[k % len(styles)], label=label)
    if fig.axes:
        fig.axes[0].legend(fontsize="small")
    return fig


def matrix(values, *, row_labels, col_labels, ylabel="", xlabel="", title=None):
    """A heat map of a 2-D array with each cell's value written in it (a confusion matrix, say)."""
    values = np.asarray(values)
    fig, (ax,) = grid(1, size=(0.5 * len(col_labels) + 2.5, 0.45 * len(row_labels) + 1.8), title=title)
    ax.imshow(values, cmap="Blues")
    ax.set_xticks(range(len(col_labels)), [str(c) for c in col_labels])
    ax.set_yticks(range(len(row_labels)), [str(r) for r in row_labels])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    threshold = values.max() / 2 if values.size else 0
    for (i, j), v in np.ndenumerate(values):
        ax.text(
            j, i, f"{v:g}", ha="center", va="center", fontsize="x-small", color="white" if v > threshold else "black"
        )
    return fig


def decision_line(ax, w, b, *, label=None, lim=(-2.0, 2.0), **style):
    """Draw the line w[0] x1 + w[1] x2 + b = 0 across ``lim`` (vertical when w[1] == 0)."""
    w1, w2 = float(w[0]), float(w[1])
    b = float(b)
    if w2 != 0:
        xs = np.array(lim, dtype=float)
        ax.plot(xs, -(w1 * xs + b) / w2, label=label, **style)
    elif w1 != 0:
        ax.axvline(-b / w1, label=label, **style)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    return ax


def truth_points(ax, x, y, *, annotate=True, size=60):
    """Scatter a truth table's 2-D inputs: filled for a positive target, hollow otherwise."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    positive = y > 0
    ax.scatter(x[positive, 0], x[positive, 1], s=size, c="k", zorder=3)
    ax.scatter(x[~positive, 0], x[~positive, 1], s=size, facecolors="none", edgecolors="k", zorder=3)
    if annotate:
        for (a, b), t in zip(x, y):
            ax.annotate(f"{t:g}", (a, b), textcoords="offset points", xytext=(6, 6), fontsize="small")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal")
    return ax


def histograms(samples, *, title=None, bins=30, xlabel="value"):
    """One panel per row of ``samples`` ({row: {name: array}}), each array's histogram a step line on a log axis.

    The compact form of a per-layer distribution picture: a deep network's layers share one panel,
    coloured from the first (dark) to the last (light); non-finite values are left out.
    """
    fig, axes = grid(len(samples), ncols=min(len(samples), 5), size=(3.4, 2.8), title=title)
    for ax, (row, named) in zip(axes, samples.items()):
        values = [np.asarray(v, dtype=float).ravel() for v in named.values()]
        values = [v[np.isfinite(v)] for v in values]
        lo = min((float(v.min()) for v in values if v.size), default=0.0)
        hi = max((float(v.max()) for v in values if v.size), default=1.0)
        colors = np.linspace(0.0, 0.85, len(values))
        for shade, (name, v) in zip(colors, zip(named, values)):
            ax.hist(v, bins=bins, range=(lo, hi), histtype="step", color=(shade, shade, 0.9 - 0.5 * shade), label=name)
        ax.set_yscale("log")
        ax.set_title(row, fontsize="small")
        ax.set_xlabel(xlabel, fontsize="small")
        ax.tick_params(labelsize="x-small")
    axes[0].legend(fontsize="xx-small", ncols=2)
    return fig


def contour_panels(panels, *, title=None, levels=20, resolution=200, size=(4.6, 4.0)):
    """Side-by-side contour plots with paths: ``panels`` maps a panel title to a dict with ``f(x, y)``,
    ``paths`` ({name: array (T, 2)}), ``xlim``, ``ylim`` and optional ``xlabel``/``ylabel``.

    Contours are log-spaced between the window's minimum and maximum, so elongated valleys stay visible.
    """
    fig, axes = grid(len(panels), ncols=len(panels), size=size, title=title)
    for ax, (name, panel) in zip(axes, panels.items()):
        gx, gy = np.meshgrid(np.linspace(*panel["xlim"], resolution), np.linspace(*panel["ylim"], resolution))
        z = panel["f"](gx, gy)
        floor = max(float(z.min()), float(z.max()) * 1e-6, 1e-12)
        ax.contour(gx, gy, z, levels=np.geomspace(floor, float(z.max()), levels), colors="0.7", linewidths=0.6)
        for k, (label, path) in enumerate(panel["paths"].items()):
            path = np.asarray(path, dtype=float)
            ax.plot(path[:, 0], path[:, 1], "-", color=f"C{k % 10}", lw=1, marker=".", ms=3, label=label)
        ax.set_xlim(*panel["xlim"])
        ax.set_ylim(*panel["ylim"])
        ax.set_xlabel(panel.get("xlabel", "x"))
        ax.set_ylabel(panel.get("ylabel", "y"))
        ax.set_title(name, fontsize="small")
        ax.legend(fontsize="small")
    return fig


def dag(ax, nodes, edges, *, fontsize=8):
    """Draw a directed acyclic graph left to right: ``nodes`` maps key -> label, ``edges`` lists
    (source key, target key, label). A node's column is its longest path from a source."""
    depth = {key: 0 for key in nodes}
    for _ in nodes:  # relax longest paths; at most len(nodes) rounds in a DAG
        for src, dst, _label in edges:
            depth[dst] = max(depth[dst], depth[src] + 1)
    columns = {}
    for key in nodes:
        columns.setdefault(depth[key], []).append(key)
    pos = {key: (d, (len(keys) - 1) / 2 - i) for d, keys in columns.items() for i, key in enumerate(keys)}
    for src, dst, label in edges:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        ax.annotate(
            "", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="0.4", shrinkA=14, shrinkB=14)
        )
        ax.text(
            x0 + 0.45 * (x1 - x0),
            y0 + 0.45 * (y1 - y0),
            label,
            fontsize=fontsize - 1,
            color="C3",
            ha="center",
            va="center",
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8),
        )
    for key, label in nodes.items():
        ax.text(
            *pos[key],
            label,
            fontsize=fontsize,
            ha="center",
            va="center",
            bbox=dict(boxstyle="round,pad=0.3", fc="C0", ec="C0", alpha=0.15),
        )
    ax.set_xlim(-0.6, max(depth.values()) + 0.6)
    spread = max(len(keys) for keys in columns.values())
    ax.set_ylim(-spread / 2 - 0.2, spread / 2 + 0.2)
    ax.axis("off")
    return ax


def curves(series, *, ax=None, title=None, xlabel="", ylabel="", logy=False, size=(5.0, 3.4)):
    """Lines of {name: (x, y)} on one axes (a new figure unless ``ax`` is given); returns the figure."""
    if ax is None:
        fig, (ax,) = grid(1, size=size, title=title)
    else:
        fig = ax.figure
        if title:
            ax.set_title(title, fontsize="small")
    for name, (x, y) in series.items():
        ax.plot(x, y, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig
