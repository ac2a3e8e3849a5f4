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


# --------------------------------------------------------------------------
# Chapter 06: the fp16 bit explorer
# --------------------------------------------------------------------------
def _fp16_value(bits):
    return float(np.array(bits, np.uint16).view(np.float16))


def _fp16_describe(bits):
    """One line of HTML: the fields of an fp16 bit pattern and its value."""
    sign, exponent, fraction = bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF
    pattern = f"{bits:016b}"
    text = (f"bits <code>{pattern[0]} {pattern[1:6]} {pattern[6:]}</code> "
            f"(0x{bits:04X}): sign {sign}, exponent field {exponent}, "
            f"fraction field {fraction}")
    if exponent == 31:
        what = "NaN" if fraction else ("-inf" if sign else "+inf")
        return f"{text} = <b>{what}</b> (exponent field 31 is reserved)"
    if exponent == 0:
        kind = (f"subnormal: (-1)^{sign} &times; 2^-14 &times; "
                f"{fraction}/1024")
    else:
        kind = (f"normal: (-1)^{sign} &times; 2^{exponent - 15} &times; "
                f"(1 + {fraction}/1024)")
    value = _fp16_value(bits)
    step = abs(_fp16_value((bits & 0x7FFF) + 1) - abs(value)) \
        if (bits & 0x7FFF) < 0x7BFF else float("nan")
    return (f"{text} = {kind} = <b>{value!r}</b>; the next fp16 number "
            f"away from zero is {step:.3g} further")


def fp16_bit_explorer(bits=0x3C00, neighbours=3):
    """Toggle the 16 bits of an fp16 number; see its value and neighbours.

    bits: the initial bit pattern (int, default 0x3C00 = 1.0).
    neighbours: how many fp16 numbers to draw on each side.
    Returns an ipywidgets.VBox whose children are (toggles, readout, out):
    an HBox of 16 ToggleButtons (sign, 5 exponent, 10 fraction bits, most
    significant first), an HTML readout of the fields and the value, and
    the Output area holding a number line of the value (red) among its
    fp16 neighbours.  box.current_bits() gives the pattern shown and
    box.drawn what the last redraw plotted ("value", "neighbours").
    """
    colours = ["#f4cccc"] + ["#cfe2f3"] * 5 + ["#d9ead3"] * 10
    toggles = []
    for i in range(16):
        button = widgets.ToggleButton(
            value=bool((bits >> (15 - i)) & 1),
            description="1" if (bits >> (15 - i)) & 1 else "0",
            tooltip=("sign" if i == 0 else "exponent" if i < 6
                     else "fraction") + f" bit {15 - i}",
            layout=widgets.Layout(width="34px"),
        )
        button.style.button_color = colours[i]
        toggles.append(button)
    readout = widgets.HTML()
    out = widgets.Output()
    drawn = {}  # what the last redraw plotted: "value", "neighbours"

    def current():
        return sum(int(t.value) << (15 - i) for i, t in enumerate(toggles))

    def draw():
        b = current()
        for t in toggles:
            t.description = "1" if t.value else "0"
        readout.value = _fp16_describe(b)
        fig, ax = plt.subplots(figsize=(7, 1.8))
        magnitude, sign = b & 0x7FFF, b & 0x8000
        drawn.clear()
        if magnitude >= 0x7C00:
            ax.text(0.5, 0.5, "inf or NaN: not on the number line",
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
        else:
            lo = max(magnitude - neighbours, 0)
            hi = min(magnitude + neighbours, 0x7BFF)
            near = np.array([_fp16_value(sign | m)
                             for m in range(lo, hi + 1)])
            ax.plot(near, np.zeros_like(near), "|", color="k", ms=20,
                    mew=1.5, label="fp16 neighbours")
            ax.plot([_fp16_value(b)], [0], "o", color="C3", ms=9,
                    label="this number")
            drawn.update(value=_fp16_value(b), neighbours=near.tolist())
            ax.ticklabel_format(axis="x", useOffset=False)
            ax.legend(loc="upper left", fontsize=8, ncol=2, frameon=False)
        ax.set_yticks([])
        ax.set_ylim(-1, 1.5)
        ax.set_title("where it sits among its fp16 neighbours", fontsize=9)
        fig.tight_layout()
        return fig

    for t in toggles:
        t.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    box = widgets.VBox([widgets.HBox(toggles), readout, out])
    box.current_bits = current
    box.drawn = drawn
    return box


__all__ += ["fp16_bit_explorer"]
