"""Shared figures for the chapters (matplotlib, object-oriented API).

Every function draws on the Axes ``ax`` you pass, or on a new figure when
``ax`` is None, and returns ``(fig, ax)`` (``plot_loss_accuracy`` returns
``(fig, (ax_loss, ax_acc))``).  Nothing here calls ``plt.show()``: in a
notebook the figure appears at the end of the cell; in a script call
``fig.savefig(...)`` or ``plt.show()`` yourself.

- ``difference_errors`` / ``plot_error_vs_h``: the V-shaped error curve of
  forward and central differences (chapter 01)
- ``plot_tangents``: a function with tangent lines (chapter 01)
- ``plot_contour_path``: contours of a cost of two parameters with the
  iterates of gradient descent (chapters 02-03)
- ``plot_cost_curve``: cost against a parameter or the iteration
- ``plot_decision_boundary``: classifier regions in 2-D (chapter 05)
- ``plot_loss_accuracy``: training curves (chapter 05)
"""
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "difference_errors",
    "optimal_steps",
    "plot_error_vs_h",
    "plot_tangents",
    "plot_contour_path",
    "plot_cost_curve",
    "plot_decision_boundary",
    "plot_loss_accuracy",
]

EPS = np.finfo(np.float64).eps


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def optimal_steps(x0):
    """Theoretical best steps (forward, central) at x0.

    Forward: sqrt(eps) * max(1, |x0|); central: eps**(1/3) * max(1, |x0|).
    Returns two floats.
    """
    scale = max(1.0, abs(float(x0)))
    return float(np.sqrt(EPS) * scale), float(EPS ** (1 / 3) * scale)


def difference_errors(f, df, x0, hs):
    """Absolute errors of forward and central differences for each step.

    f: function of one variable (elementwise on arrays is not needed).
    df: its exact derivative.  x0: float.  hs: (S,) steps > 0.
    Returns (err_forward, err_central): two (S,) float64 arrays of
    |estimate - df(x0)|.  Zeros (lucky exact hits) are replaced by eps so
    that they can be drawn on a log scale.  (Computed by
    ``derivatives.difference_errors``, beside the reference kernels.)
    """
    from .derivatives import difference_errors as errors
    return errors(f, df, x0, hs)


def plot_error_vs_h(f, df, x0, hs=None, ax=None, mark_optimal=True):
    """Log-log plot of the forward and central difference error against h.

    f, df: a function and its exact derivative; x0: the point (float).
    hs: (S,) steps, default np.logspace(-16, 0, 161).
    mark_optimal: draw vertical lines at the theoretical best steps
      sqrt(eps) and eps**(1/3) (scaled by max(1, |x0|)).
    Returns (fig, ax).  The lines carry the labels "forward", "central".
    """
    if hs is None:
        hs = np.logspace(-16, 0, 161)
    hs = np.asarray(hs, dtype=np.float64)
    err_f, err_c = difference_errors(f, df, x0, hs)
    fig, ax = _axes(ax)
    ax.loglog(hs, err_f, label="forward", color="C0")
    ax.loglog(hs, err_c, label="central", color="C1")
    if mark_optimal:
        h_f, h_c = optimal_steps(x0)
        ax.axvline(h_f, color="C0", ls="--", lw=1,
                   label=r"$\sqrt{\varepsilon}$")
        ax.axvline(h_c, color="C1", ls="--", lw=1,
                   label=r"$\varepsilon^{1/3}$")
    ax.set_xlabel("step h")
    ax.set_ylabel("absolute error")
    ax.set_title(f"Error of finite differences at x = {x0:g}")
    ax.legend(loc="best")
    return fig, ax


def plot_tangents(f, df, x_points, xlim=(-2, 2), ax=None, num=200,
                  half_width=0.5):
    """f on xlim with a short tangent line at each point of x_points.

    f, df: function and derivative (elementwise on arrays).
    x_points: (P,) points for tangents.  Tangents with slope > 0 are green,
    < 0 red, 0 black: the sign of f' says whether f rises or falls.
    Returns (fig, ax).
    """
    fig, ax = _axes(ax)
    xs = np.linspace(xlim[0], xlim[1], num)
    ax.plot(xs, f(xs), color="C0", label="f(x)")
    for x0 in np.atleast_1d(np.asarray(x_points, dtype=np.float64)):
        slope = float(df(x0))
        color = "green" if slope > 1e-12 else "red" if slope < -1e-12 else "k"
        t = np.linspace(x0 - half_width, x0 + half_width, 2)
        ax.plot(t, float(f(x0)) + slope * (t - x0), color=color, lw=1.5)
        ax.plot([x0], [float(f(x0))], "o", color=color, ms=4)
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    return fig, ax


def plot_contour_path(f, path=None, xlim=(-5, 5), ylim=(-5, 5), ax=None,
                      levels=30, num=200, labels=("$w_0$", "$w_1$"),
                      log_levels=False):
    """Contours of f(u, v) with an optional descent path on top.

    f: function of two variables that works elementwise on grids,
      f(U, V) -> (num, num).
    path: (T, 2) iterates (first column u, second v), or None.
    log_levels: space the contour levels logarithmically (for costs that
      span many orders of magnitude; needs f > 0).
    Returns (fig, ax).
    """
    fig, ax = _axes(ax, figsize=(5, 5))
    u = np.linspace(xlim[0], xlim[1], num)
    v = np.linspace(ylim[0], ylim[1], num)
    U, V = np.meshgrid(u, v)
    Z = np.asarray(f(U, V), dtype=np.float64)
    if log_levels:
        low = max(float(np.min(Z)), 1e-12)
        levels = np.geomspace(low, float(np.max(Z)), levels)
    ax.contour(U, V, Z, levels=levels, cmap="viridis")
    if path is not None:
        path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
        ax.plot(path[:, 0], path[:, 1], ".-", color="C3", lw=1, ms=3,
                label="iterates")
        ax.plot(path[0, 0], path[0, 1], "o", color="C3", label="start")
        ax.plot(path[-1, 0], path[-1, 1], "*", color="k", ms=10,
                label="end")
        ax.legend(loc="best")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return fig, ax


def plot_cost_curve(costs, x=None, ax=None, xlabel="iteration",
                    ylabel="cost", logy=False, label=None):
    """A cost against the iteration (x None) or against a parameter x.

    costs: (T,) values; x: (T,) abscissae or None (then 0..T-1).
    logy: logarithmic cost axis (convergence of gradient descent is a
      straight line there).
    Returns (fig, ax).
    """
    fig, ax = _axes(ax)
    costs = np.asarray(costs, dtype=np.float64)
    x = np.arange(costs.size) if x is None else np.asarray(x)
    ax.plot(x, costs, ".-" if costs.size <= 30 else "-", label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label is not None:
        ax.legend(loc="best")
    return fig, ax


def plot_decision_boundary(predict, X, y, ax=None, num=200, margin=0.5):
    """Regions a classifier assigns to each class, with the data on top.

    predict: maps points (M, 2) to class labels (M,) (integers).
    X: (N, 2) data; y: (N,) integer labels.
    Returns (fig, ax).
    """
    fig, ax = _axes(ax, figsize=(5, 5))
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    U, V = np.meshgrid(np.linspace(lo[0], hi[0], num),
                       np.linspace(lo[1], hi[1], num))
    grid = np.column_stack([U.ravel(), V.ravel()])
    Z = np.asarray(predict(grid)).reshape(U.shape)
    classes = np.unique(np.concatenate([np.unique(y), np.unique(Z)]))
    ax.contourf(U, V, Z, levels=np.append(classes - 0.5, classes[-1] + 0.5),
                cmap="Pastel1", alpha=0.8)
    for c in np.unique(y):
        ax.scatter(X[y == c, 0], X[y == c, 1], s=10, label=f"class {c}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best")
    return fig, ax


def plot_loss_accuracy(history, axes=None):
    """Training curves: loss on the left, accuracy on the right.

    history: dict with "loss" (E,) and optionally "accuracy", "val_loss",
      "val_accuracy" (each (E,), one value per epoch).
    axes: two Axes, or None for a new (1, 2) figure.
    Returns (fig, (ax_loss, ax_acc)).
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss, ax_acc = axes
    fig = ax_loss.figure
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if key in history:
            ax_loss.plot(np.asarray(history[key]), style, label=key)
    for key, style in (("accuracy", "-"), ("val_accuracy", "--")):
        if key in history:
            ax_acc.plot(np.asarray(history[key]), style, label=key)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0, 1.02)
    for ax in (ax_loss, ax_acc):
        if ax.get_lines():
            ax.legend(loc="best")
    return fig, (ax_loss, ax_acc)
