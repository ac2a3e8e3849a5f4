"""Interactive controls (ipywidgets) the chapters share.

Each function builds its widget quickly, draws once, and returns it
without blocking: put it last in a cell to show it.  Moving a slider
redraws the figure inside the widget's Output area.  Nothing here is
graded; when a notebook runs without a browser (autograding, nbval) the
widget is built, drawn once and simply not shown.

- ``error_vs_h_widget(f, df, x0)``: a slider over log10(h) that moves a
  point along the forward and central difference error curves (chapter 01)
- ``learning_rate_widget(run)``: a slider over the learning rate that
  redraws the cost curve of a run (chapters 02-05)
"""
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_utils.plotting import (
    difference_errors,
    optimal_steps,
    plot_cost_curve,
)

__all__ = ["error_vs_h_widget", "learning_rate_widget"]

EPS = np.finfo(np.float64).eps


def _redraw(out, draw):
    """Run draw() -> fig inside the Output area, replacing its figure."""
    with out:
        out.clear_output(wait=True)
        fig = draw()
        display(fig)
        plt.close(fig)  # displayed once; do not keep it in pyplot


def error_vs_h_widget(f, df, x0, log10_h=-6.0, log10_range=(-16.0, 0.0),
                      num=161):
    """A log10(h) slider moving a point on the error-vs-h curves.

    f, df: function of one variable and its exact derivative.
    x0: the point (float).
    log10_h: initial slider value; log10_range: (low, high) slider range.
    num: number of steps on the precomputed curves.
    Returns an ipywidgets.VBox whose children are (slider, readout, out):
    the FloatSlider over log10(h), an HTML readout of both errors, and the
    Output area holding the figure.
    """
    lo, hi = log10_range
    hs = np.logspace(lo, hi, num)
    err_f, err_c = difference_errors(f, df, x0, hs)
    h_f, h_c = optimal_steps(x0)

    slider = widgets.FloatSlider(
        value=log10_h, min=lo, max=hi, step=0.1,
        description="log10(h)", continuous_update=False,
        readout_format=".1f",
    )
    readout = widgets.HTML()
    out = widgets.Output()

    def draw():
        h = 10.0 ** slider.value
        e_f, e_c = difference_errors(f, df, x0, [h])
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.loglog(hs, err_f, color="C0", label="forward")
        ax.loglog(hs, err_c, color="C1", label="central")
        ax.axvline(h_f, color="C0", ls="--", lw=1)
        ax.axvline(h_c, color="C1", ls="--", lw=1)
        ax.plot([h], e_f, "o", color="C0", ms=8)
        ax.plot([h], e_c, "o", color="C1", ms=8)
        ax.set_xlabel("step h")
        ax.set_ylabel("absolute error")
        ax.legend(loc="best")
        readout.value = (
            f"h = {h:.1e}: forward error {e_f[0]:.1e}, "
            f"central error {e_c[0]:.1e} "
            f"(theory: best h near {h_f:.0e} and {h_c:.0e})"
        )
        return fig

    slider.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return widgets.VBox([slider, readout, out])


def learning_rate_widget(run, lr=0.01, lr_range=(1e-4, 1.0), logy=True,
                         ylabel="cost"):
    """A learning-rate slider that redraws the cost curve of run(lr).

    run: function lr -> costs, a (T,) sequence (one value per iteration).
      It should be quick (well under a second): it runs on every move.
    lr: initial learning rate; lr_range: (low, high), on a log slider.
    logy: logarithmic cost axis.
    Returns an ipywidgets.VBox whose children are (slider, readout, out).
    The readout says whether the run converged, stalled or diverged.
    """
    lo, hi = lr_range
    slider = widgets.FloatLogSlider(
        value=lr, base=10, min=np.log10(lo), max=np.log10(hi), step=0.05,
        description="lr", continuous_update=False, readout_format=".2e",
    )
    readout = widgets.HTML()
    out = widgets.Output()

    def draw():
        costs = np.asarray(run(slider.value), dtype=np.float64)
        finite = costs[np.isfinite(costs)]
        if costs.size == 0:
            verdict = "no iterations"
        elif finite.size < costs.size or (
            finite.size > 1 and finite[-1] > finite[0]
        ):
            verdict = "diverged: the cost grows (lr too large)"
        elif finite.size > 1 and finite[-1] > 1e-3 * finite[0]:
            verdict = "still going down slowly (lr small, or more steps)"
        else:
            verdict = "converged"
        readout.value = (
            f"lr = {slider.value:.2e}: {verdict}"
            + (f"; last cost {finite[-1]:.3g}" if finite.size else "")
        )
        shown = np.where(np.isfinite(costs), costs, np.nan)
        if logy:
            shown = np.where(shown > 0, shown, np.nan)
        fig, _ = plot_cost_curve(shown, logy=logy, ylabel=ylabel)
        return fig

    slider.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return widgets.VBox([slider, readout, out])


def descent_path_widget(cost, run, lr=0.06, lr_range=(0.005, 0.2),
                        lr_step=0.005, num_epochs=50, epochs_range=(1, 300),
                        xlim=(-5, 5), ylim=(-5, 5), labels=("$w$", "$b$")):
    """lr and epochs sliders redrawing a descent path and its cost curve.

    cost: the cost of two parameters, elementwise on grids:
      cost(U, V) -> (num, num), drawn as contours (log-spaced levels).
    run: function (lr, num_epochs) -> (path, costs): path (T, 2), the
      iterates from the start on; costs (T,), the cost at each.  It runs
      on every move, so it should take well under a second.
    lr, num_epochs: initial values; lr_range, lr_step: the lr slider;
      epochs_range: (low, high) of the epochs slider.
    xlim, ylim, labels: the contour plot's window and axis names.
    Returns an ipywidgets.VBox whose children are (lr_slider,
    epochs_slider, readout, out).  Its ``figure`` attribute holds the
    figure drawn last (contours and path left, cost curve right).
    """
    from course_utils.plotting import plot_contour_path

    lr_slider = widgets.FloatSlider(
        value=lr, min=lr_range[0], max=lr_range[1], step=lr_step,
        description="lr", continuous_update=False, readout_format=".3f",
    )
    epochs_slider = widgets.IntSlider(
        value=num_epochs, min=epochs_range[0], max=epochs_range[1],
        description="epochs", continuous_update=False,
    )
    readout = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox([lr_slider, epochs_slider, readout, out])

    def draw():
        path, costs = run(lr_slider.value, epochs_slider.value)
        path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
        costs = np.asarray(costs, dtype=np.float64)
        path = np.where(np.isfinite(path), path, np.nan)
        finite = costs[np.isfinite(costs)]
        # Zig-zag: a parameter's step keeps changing sign (a smooth
        # descent on a quadratic bowl changes it at most once).
        steps = np.diff(path, axis=0)
        turns = int(np.max(np.sum(steps[1:] * steps[:-1] < 0, axis=0),
                           initial=0))
        if finite.size < costs.size or (
            finite.size > 1 and finite[-1] > finite[0]
        ):
            verdict = "diverged: the cost grows (lr too large)"
        elif turns >= 3:
            verdict = f"zig-zags (a step reverses {turns} times)"
        else:
            verdict = "goes down without zig-zagging"
        readout.value = (
            f"lr = {lr_slider.value:.3f}, {epochs_slider.value} epochs: "
            f"{verdict}"
            + (f"; cost {finite[0]:.4g} to {finite[-1]:.4g}"
               if finite.size else "")
        )
        fig, (ax_path, ax_cost) = plt.subplots(1, 2, figsize=(10, 4))
        plot_contour_path(cost, path, xlim=xlim, ylim=ylim, ax=ax_path,
                          labels=labels, log_levels=True)
        shown = np.where(np.isfinite(costs) & (costs > 0), costs, np.nan)
        plot_cost_curve(shown, ax=ax_cost, xlabel="epoch", logy=True)
        ax_cost.set_title("cost before each update")
        box.figure = fig
        return fig

    for slider in (lr_slider, epochs_slider):
        slider.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return box
