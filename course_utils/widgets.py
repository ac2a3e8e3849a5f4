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


def lls_learning_rate_widget(A, b, x0, lr=0.005, lr_range=(1e-4, 3e-2),
                             num_steps=100, xlim=None, ylim=None):
    """Fixed-step gradient descent on F(x) = ||A x - b||^2 for two unknowns.

    A slider over the learning rate (log scale) redraws three panels: the
    contours of F with the iterate path, F against the iteration, and the
    contraction factor max_i |1 - lr lambda_i| of the step against lr with
    the stability limit 2 / L marked (lambda_i: the eigenvalues of the
    Hessian 2 A^T A, L the largest).  The descent is
    ``course_utils.descent.gradient_descent``, not an exercise (chapter 02).

    A: (N, 2) float64, b: (N,), x0: (2,) the start.
    lr: initial learning rate; lr_range: (low, high) of the log slider.
    num_steps: the most steps drawn.
    xlim, ylim: the contour window, default centred on the solution.
    Returns an ipywidgets.VBox whose children are (slider, readout, out);
    its ``figure`` attribute is the last figure drawn (axes: contour,
    objective, contraction factor), for tests.
    """
    from course_utils import descent, plotting

    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    x0 = np.asarray(x0, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] != 2 or x0.shape != (2,):
        raise ValueError("this widget draws two unknowns: A (N, 2), x0 (2,)")
    L, mu = descent.lls_constants(A)
    eig = np.linalg.eigvalsh(2.0 * (A.T @ A))
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    radius = 1.5 * max(float(np.max(np.abs(x0 - x_star))), 1.0)
    xlim = xlim or (x_star[0] - radius, x_star[0] + radius)
    ylim = ylim or (x_star[1] - radius, x_star[1] + radius)
    AtA2, Atb2 = 2.0 * (A.T @ A), 2.0 * (A.T @ b)

    def objective(x):
        r = A @ x - b
        return float(r @ r)

    def on_grid(U, V):
        R = A[:, :1, None] * U + A[:, 1:, None] * V - b[:, None, None]
        return np.sum(R**2, axis=0)

    lo, hi = lr_range
    lrs = np.geomspace(lo, hi, 200)
    factors = np.max(np.abs(1.0 - lrs[:, None] * eig[None, :]), axis=1)
    slider = widgets.FloatLogSlider(
        value=lr, base=10, min=np.log10(lo), max=np.log10(hi), step=0.02,
        description="lr", continuous_update=False, readout_format=".2e",
    )
    readout = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox([slider, readout, out])

    def run(step):
        try:
            res = descent.gradient_descent(
                lambda x: AtA2 @ x - Atb2, x0, lr=step, tol=1e-12,
                max_iter=num_steps, f=objective)
        except descent.DivergenceError as err:
            res = err.result
        return res

    def draw():
        step = float(slider.value)
        res = run(step)
        factor = float(np.max(np.abs(1.0 - step * eig)))
        F = res.objective
        if step >= 2.0 / L:
            verdict = "diverges: lr is above 2/L"
        elif step > 1.0 / L:
            verdict = "converges with a zig-zag (lr between 1/L and 2/L)"
        else:
            verdict = "converges smoothly (lr below 1/L)"
        if step < 2.0 / L and F[-1] > 1e-6 * max(F[0], 1e-300):
            verdict += ", slowly: not there yet"
        readout.value = (
            f"lr = {step:.2e} ({step * L / 2:.2f} of 2/L = {2 / L:.2e}): "
            f"{verdict}; factor per step {factor:.3f}, "
            f"F = {F[-1]:.3g} after {res.n_iter} steps"
        )
        fig, (ax_c, ax_f, ax_r) = plt.subplots(1, 3, figsize=(13, 4))
        plotting.plot_contour_path(on_grid, res.path, xlim=xlim, ylim=ylim,
                                   ax=ax_c, labels=("$x_1$", "$x_2$"),
                                   log_levels=True, levels=20)
        ax_c.plot(*x_star, "x", color="k", ms=8)
        ax_c.set_title("iterates on the contours of F")
        shown = np.where(np.isfinite(F) & (F > 0), F, np.nan)
        plot_cost_curve(shown, ax=ax_f, logy=True, ylabel="F(x)")
        ax_f.set_title("objective")
        ax_r.semilogx(lrs, factors, color="C0")
        ax_r.set_ylim(0.0, 2.5)
        ax_r.axvline(2.0 / L, color="C3", ls="--", label="2/L")
        ax_r.axvline(2.0 / (L + mu), color="C2", ls=":",
                     label="2/(L + mu), best")
        ax_r.axhline(1.0, color="gray", lw=0.8)
        ax_r.plot([step], [factor], "o", color="k")
        ax_r.set_xlabel("learning rate lr")
        ax_r.set_ylabel(r"max $|1 - lr\,\lambda_i|$")
        ax_r.set_title("contraction per step")
        ax_r.legend(loc="best", fontsize=8)
        fig.tight_layout()
        box.figure = fig
        return fig

    slider.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return box


__all__ += ["lls_learning_rate_widget"]


# --------------------------------------------------------------------------
# Chapter 04: a backward pass, one node at a time
# --------------------------------------------------------------------------
__all__ += ["backprop_steps", "backprop_widget", "node_colors"]

# Where each node of the 2-layer graph is drawn: (x, y).
_GRAPH_NODES = {
    "X": (0, 1), "W1, b1": (1, 0), "Z1": (2, 1), "A1": (3, 1),
    "W2, b2": (4, 0), "S": (5, 1), "L": (6, 1),
}
_GRAPH_EDGES = [("X", "Z1"), ("W1, b1", "Z1"), ("Z1", "A1"), ("A1", "S"),
                ("W2, b2", "S"), ("S", "L")]


def backprop_steps(X, y, params):
    """The backward pass of affine - ReLU - affine - softmax, step by step.

    X: (N, D) float64; y: (N,) integer labels; params: dict with W1
    (D, H), b1 (H,), W2 (H, C), b2 (C,).  Uses the reference kernels of
    course_utils.nn.
    Returns a list of steps, loss node first, each a dict with "node"
    (a key of the drawn graph), "formula" (text), "grads" ({name:
    array}, the gradients that arrive at that node) and "forward"
    ({name: array}, what the forward pass computed there, shown where it
    explains the gradient: A1 and Z1, whose signs make the ReLU mask).
    """
    from course_utils import nn

    Z1, c1 = nn.affine_forward(X, params["W1"], params["b1"])
    A1, c2 = nn.relu_forward(Z1)
    S, c3 = nn.affine_forward(A1, params["W2"], params["b2"])
    loss, dS = nn.softmax_cross_entropy(S, y)
    dA1, dW2, db2 = nn.affine_backward(dS, c3)
    dZ1 = nn.relu_backward(dA1, c2)
    dX, dW1, db1 = nn.affine_backward(dZ1, c1)
    return [
        {"node": "L", "formula": f"L = {loss:.4f}; dL/dL = 1 (the seed)",
         "grads": {"dL": np.ones(())}, "forward": {}},
        {"node": "S", "formula": "dS = (softmax(S) - onehot(y)) / N",
         "grads": {"dS": dS}, "forward": {"S": S}},
        {"node": "W2, b2",
         "formula": "dW2 = A1^T dS, db2 = dS summed over the batch",
         "grads": {"dW2": dW2, "db2": db2}, "forward": {"A1": A1}},
        {"node": "A1", "formula": "dA1 = dS W2^T", "grads": {"dA1": dA1},
         "forward": {"A1": A1}},
        {"node": "Z1", "formula": "dZ1 = dA1 where Z1 &gt; 0, else 0",
         "grads": {"dZ1": dZ1}, "forward": {"Z1": Z1}},
        {"node": "W1, b1",
         "formula": "dW1 = X^T dZ1, db1 = dZ1 summed over the batch",
         "grads": {"dW1": dW1, "db1": db1}, "forward": {"X": X}},
        {"node": "X", "formula": "dX = dZ1 W1^T", "grads": {"dX": dX},
         "forward": {}},
    ]


def _draw_graph(active, done, ax):
    """The graph with node `active` orange and the nodes in `done` green."""
    for a, b in _GRAPH_EDGES:
        (xa, ya), (xb, yb) = _GRAPH_NODES[a], _GRAPH_NODES[b]
        ax.annotate("", xy=(xb - 0.25, yb), xytext=(xa + 0.25, ya),
                    arrowprops=dict(arrowstyle="->", color="0.5"))
    for name, (x, y) in _GRAPH_NODES.items():
        color = ("C1" if name == active
                 else "C2" if name in done else "0.85")
        ax.text(x, y, name, ha="center", va="center", fontsize=11,
                gid=name, bbox=dict(boxstyle="round", fc=color, ec="k"))
    ax.set_xlim(-0.6, 6.6)
    ax.set_ylim(-0.6, 1.6)
    ax.axis("off")


def node_colors(fig):
    """{node: facecolor} of a figure drawn by backprop_widget (for tests)."""
    return {t.get_gid(): t.get_bbox_patch().get_facecolor()
            for t in fig.axes[0].texts if t.get_gid()}


def _shown(a):
    """An array as the readout prints it: 3 decimals, -0 shown as 0."""
    a = np.asarray(a, dtype=float) + 0.0     # + 0.0 turns -0.0 into 0.0
    return np.array2string(a, precision=3, suppress_small=True)


def backprop_widget(X, y, params, step=0):
    """A slider stepping backwards through a 2-layer network's graph.

    X, y, params: as for backprop_steps (one example, N = 1, reads best).
    step: the initial step, 0 (the loss) to 6 (the input).
    Returns an ipywidgets.VBox (slider, readout, out): the IntSlider over
    the steps, an HTML readout with the formula, the shapes and the
    values of the gradients arriving at the highlighted node, and the
    Output area with the graph.  The last figure drawn is kept as
    `box.figure` (closed, for inspection).
    """
    steps = backprop_steps(X, y, params)
    slider = widgets.IntSlider(value=step, min=0, max=len(steps) - 1,
                               description="step", continuous_update=False)
    readout = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox([slider, readout, out])

    def draw():
        k = slider.value
        here = steps[k]
        done = {s["node"] for s in steps[:k]}
        fig, ax = plt.subplots(figsize=(8, 2.2))
        _draw_graph(here["node"], done, ax)
        ax.set_title(f"backward step {k}: gradients arriving at "
                     f"{here['node']}")
        rows = "".join(
            f"<li><code>{name}</code> shape {np.shape(g)}: "
            f"<code>{_shown(g)}</code></li>"
            for name, g in here["grads"].items())
        rows += "".join(
            f"<li>from the forward pass: <code>{name}</code> = "
            f"<code>{_shown(v)}</code></li>"
            for name, v in here.get("forward", {}).items())
        readout.value = (f"<b>step {k} of {len(steps) - 1}</b>: "
                         f"{here['formula']}<ul>{rows}</ul>")
        box.figure = fig
        return fig

    slider.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return box


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
