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


# Chapter 05 ----------------------------------------------------------
__all__ += ["mlp_playground_widget"]


def mlp_playground_widget(X, y, num_hiddens=3, lr=0.5, num_epochs=30,
                          batch_size=32, seed=0, activation="sigmoid"):
    """Sliders over hidden units, learning rate and epochs (chapter 05).

    X: (N, 2) float64 points; y: (N,) integer labels 0..C-1.
    Every move retrains a [2, num_hiddens, C] MLP (course_utils.nn, plain
    SGD, the same seed each time) and redraws its decision regions and
    its loss curve.  Keep N * num_epochs small: it runs on every move.
    Returns an ipywidgets.VBox whose children are (hidden, lr, epochs,
    readout, out): two IntSliders and a FloatLogSlider, an HTML readout
    of the final loss and accuracy, and the Output area.  box.figure is
    the figure drawn last (left: regions, right: loss per epoch).
    """
    from course_utils import nn  # keep `import widgets` light
    from course_utils.plotting import plot_decision_boundary

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    C = int(y.max()) + 1
    hidden = widgets.IntSlider(
        value=num_hiddens, min=1, max=16, description="hidden H",
        continuous_update=False)
    rate = widgets.FloatLogSlider(
        value=lr, base=10, min=-3, max=1, step=0.1, description="lr",
        continuous_update=False, readout_format=".3f")
    epochs = widgets.IntSlider(
        value=num_epochs, min=1, max=200, description="epochs",
        continuous_update=False)
    readout = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox([hidden, rate, epochs, readout, out])

    def draw():
        model = nn.MLP([2, hidden.value, C], activation=activation,
                       seed=seed)
        try:
            with np.errstate(all="ignore"):     # divergence is reported
                history = nn.train(
                    model, X, y, optimizer=nn.SGD(rate.value),
                    batch_size=batch_size, num_epochs=epochs.value,
                    progress=False, seed=seed)
            losses = history["loss"]
            accuracy = float(np.mean(model.predict(X) == y))
            readout.value = (
                f"H = {hidden.value}, lr = {rate.value:.3g}, "
                f"{epochs.value} epochs: final loss {losses[-1]:.4f}, "
                f"training accuracy {accuracy:.1%}")
        except FloatingPointError:
            losses = []
            readout.value = (f"lr = {rate.value:.3g}: the loss diverged "
                             "(NaN); try a smaller learning rate")
        fig, (ax_region, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
        with np.errstate(all="ignore"):
            plot_decision_boundary(model.predict, X, y, ax=ax_region,
                                   num=120)
        ax_region.set_title("decision regions")
        ax_loss.plot(np.arange(1, len(losses) + 1), losses, ".-")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("training loss")
        ax_loss.set_title("loss curve")
        box.figure = fig
        return fig

    for slider in (hidden, rate, epochs):
        slider.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return box
