"""Do the shared figures and widgets draw the right things, and clean up?"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from course_utils import plotting, widgets  # noqa: E402
from course_utils.derivatives import EPS  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaked_figures():
    """Every test must close what it opens; library code opens nothing else."""
    before = set(plt.get_fignums())
    yield
    leaked = set(plt.get_fignums()) - before
    plt.close("all")
    assert not leaked, f"figures left open: {leaked}"


def labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_difference_errors_form_a_v():
    """Are the error curves V-shaped with bottoms near sqrt(eps), eps^(1/3)?"""
    hs = np.logspace(-16, 0, 161)
    err_f, err_c = plotting.difference_errors(np.exp, np.exp, 1.0, hs)
    assert err_f.shape == err_c.shape == hs.shape
    assert np.all(err_f > 0) and np.all(err_c > 0)
    best_f, best_c = hs[np.argmin(err_f)], hs[np.argmin(err_c)]
    assert 1e-9 < best_f < 2e-7
    assert 5e-7 < best_c < 1e-4
    assert err_c.min() < err_f.min()
    assert plotting.optimal_steps(1.0) == pytest.approx(
        (np.sqrt(EPS), EPS ** (1 / 3)))
    assert plotting.optimal_steps(-100.0)[0] == pytest.approx(
        100 * np.sqrt(EPS))


def test_error_vs_h_plot():
    """Log-log axes, forward and central curves, optimal h marked?"""
    fig, ax = plotting.plot_error_vs_h(np.sin, np.cos, 1.0)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    names = labels(ax)
    assert "forward" in names and "central" in names
    vlines = [line for line in ax.get_lines()
              if len(set(line.get_xdata())) == 1]
    marked = sorted(float(line.get_xdata()[0]) for line in vlines)
    assert marked == pytest.approx([np.sqrt(EPS), EPS ** (1 / 3)])
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None
    plt.close(fig)


def test_plots_draw_on_given_axes_without_new_figures():
    """With ax given, is that Axes used and no new figure created?"""
    fig, axes = plt.subplots(2, 3)
    count = len(plt.get_fignums())
    out = [
        plotting.plot_error_vs_h(np.exp, np.exp, 0.5, ax=axes[0, 0],
                                 mark_optimal=False),
        plotting.plot_tangents(lambda x: x**3 - x, lambda x: 3 * x**2 - 1,
                               [-1, 0, 1], ax=axes[0, 1]),
        plotting.plot_contour_path(lambda u, v: u**2 + 3 * v**2,
                                   path=[[4, 4], [2, 1], [0, 0]],
                                   ax=axes[0, 2]),
        plotting.plot_cost_curve([5, 3, 2, 1.5], ax=axes[1, 0]),
        plotting.plot_decision_boundary(
            lambda P: (P[:, 0] > 0).astype(int),
            np.array([[-1.0, 0.0], [1.0, 0.5], [2.0, -1.0]]),
            np.array([0, 1, 1]), ax=axes[1, 1]),
    ]
    assert len(plt.get_fignums()) == count
    for (f, ax), expected in zip(out, axes.ravel()):
        assert f is fig and ax is expected
    assert len(axes[0, 0].get_lines()) == 2  # no optimal-h lines
    plt.close(fig)


def test_tangent_colours_follow_the_sign_of_the_slope():
    """Green where f' > 0, red where f' < 0, black where flat?"""
    fig, ax = plotting.plot_tangents(lambda x: x**3 - x,
                                     lambda x: 3 * x**2 - 1,
                                     [-1.0, 0.0, 1 / np.sqrt(3)])
    # Line 0 is f; then a tangent and its point for each x; then y = 0.
    colours = [line.get_color() for line in ax.get_lines()[1:7:2]]
    assert colours == ["green", "red", "k"]
    plt.close(fig)


def test_contour_path_and_cost_curve():
    """Contours with start/end markers; cost curves with optional log y?"""
    path = np.array([[4.0, 4.0], [2.0, 1.0], [0.5, 0.1]])
    fig, ax = plotting.plot_contour_path(lambda u, v: u**2 + v**2 + 1,
                                         path, log_levels=True)
    assert ax.collections, "no contour drawn"
    assert {"iterates", "start", "end"} <= set(labels(ax))
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), path[:, 0])
    plt.close(fig)
    fig, ax = plotting.plot_cost_curve([1447, 331, 222], x=[2, 8, 9],
                                       xlabel="w", logy=True, label="MSE")
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "w"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [2, 8, 9])
    plt.close(fig)


def test_decision_boundary_regions():
    """One filled region per class, one scatter per class of the data?"""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    fig, ax = plotting.plot_decision_boundary(
        lambda P: (P.sum(axis=1) > 0).astype(int), X, y, num=50)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2
    assert sum(len(c.get_offsets()) for c in scatters) == len(X)
    assert ax.get_legend() is not None
    plt.close(fig)


def test_loss_accuracy_curves():
    """Loss left, accuracy right, validation dashed when given?"""
    history = {"loss": [1.0, 0.5, 0.2], "accuracy": [0.5, 0.8, 0.95],
               "val_loss": [1.1, 0.6, 0.3]}
    fig, (ax_loss, ax_acc) = plotting.plot_loss_accuracy(history)
    assert labels(ax_loss) == ["loss", "val_loss"]
    assert labels(ax_acc) == ["accuracy"]
    assert ax_acc.get_ylim()[1] <= 1.05
    assert ax_loss.get_ylabel() == "loss"
    plt.close(fig)


def test_library_never_calls_show(monkeypatch):
    """Does no plotting function call plt.show()?"""
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("show"))
    fig, _ = plotting.plot_error_vs_h(np.exp, np.exp, 1.0)
    plt.close(fig)
    box = widgets.error_vs_h_widget(np.exp, np.exp, 1.0)
    box.close()


def test_error_vs_h_widget_moves_the_point():
    """Does the log10(h) slider update the readout, leaving no figures?"""
    box = widgets.error_vs_h_widget(np.exp, np.exp, 1.0, log10_h=-3.0)
    slider, readout, out = box.children
    assert slider.description == "log10(h)"
    assert (slider.min, slider.max, slider.value) == (-16.0, 0.0, -3.0)
    assert "h = 1.0e-03" in readout.value
    slider.value = -8.0
    assert "h = 1.0e-08" in readout.value
    assert "forward error" in readout.value and "central" in readout.value
    box.close()


def test_learning_rate_widget_verdicts():
    """Does the lr slider tell convergence from divergence?"""
    def run(lr):  # gradient descent on f(w) = w**2 / 2 * 10
        w, costs = 1.0, []
        for _ in range(50):
            costs.append(5 * w**2)
            w -= lr * 10 * w
        return costs

    box = widgets.learning_rate_widget(run, lr=0.05, lr_range=(1e-4, 1.0))
    slider, readout, _ = box.children
    assert "converged" in readout.value
    slider.value = 0.3
    assert "diverged" in readout.value
    slider.value = 1e-4
    assert "slowly" in readout.value
    box.close()
