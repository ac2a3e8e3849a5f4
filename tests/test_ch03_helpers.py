"""Do chapter 03's widget and check helper behave as the notebook needs?

The widget is built the way 03_regression.ipynb builds it (descent on the
half MSE of the study-hours data from (w, b) = (1, 25)); moving either
slider must redraw the path on the contours, the cost curve and the
readout.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import datasets, widgets  # noqa: E402
from course_utils import regression as cur  # noqa: E402
from course_utils.checks import unpack  # noqa: E402

X, Y = datasets.study_hours()


def half_cost(W, B):
    pred = W[..., None] * X + B[..., None]
    return np.mean((Y - pred) ** 2, axis=-1) / 2


def run_descent(lr, num_epochs):
    _, _, hist = cur.fit_gd(X, Y, lr=lr, num_epochs=num_epochs, w0=1.0,
                            b0=25.0, half=True)
    return np.column_stack([hist["w"], hist["b"]]), hist["cost"]


@pytest.fixture
def box():
    before = set(plt.get_fignums())
    box = widgets.descent_path_widget(
        half_cost, run_descent, lr=0.06, num_epochs=60,
        lr_range=(0.005, 0.2), epochs_range=(1, 500), xlim=(0, 22),
        ylim=(-10, 30))
    yield box
    box.close()
    assert set(plt.get_fignums()) == before, "the widget left figures open"


def _drawn(box):
    """(path line, cost line) of the figure the widget drew last."""
    ax_path, ax_cost = box.figure.axes[:2]
    path = next(line for line in ax_path.get_lines()
                if line.get_label() == "iterates")
    return path, ax_cost.get_lines()[0]


def test_widget_draws_the_run_it_is_given(box):
    """Are the sliders set as asked, and the path and costs of that run?"""
    lr_slider, epochs_slider, readout, _ = box.children
    assert (lr_slider.value, epochs_slider.value) == (0.06, 60)
    assert (lr_slider.min, lr_slider.max) == (0.005, 0.2)
    assert (epochs_slider.min, epochs_slider.max) == (1, 500)
    path, costs = _drawn(box)
    expected_path, expected_costs = run_descent(0.06, 60)
    np.testing.assert_allclose(path.get_xdata(), expected_path[:, 0])
    np.testing.assert_allclose(path.get_ydata(), expected_path[:, 1])
    np.testing.assert_allclose(costs.get_ydata(), expected_costs)
    assert "lr = 0.060, 60 epochs" in readout.value
    assert "without zig-zagging" in readout.value


def test_lr_slider_redraws_path_and_cost_curve(box):
    """Does a larger lr redraw a zig-zag path, and a too large one diverge?"""
    lr_slider, _, readout, _ = box.children
    old_path, old_costs = (line.get_xydata().copy() for line in _drawn(box))
    lr_slider.value = 0.15
    path, costs = _drawn(box)
    assert path.get_xydata().shape == old_path.shape
    assert not np.allclose(path.get_xydata(), old_path)
    assert not np.allclose(costs.get_xydata(), old_costs)
    np.testing.assert_allclose(path.get_xydata(), run_descent(0.15, 60)[0])
    assert "lr = 0.150" in readout.value and "zig-zags" in readout.value
    lr_slider.value = 0.2
    assert "diverged" in readout.value


def test_epochs_slider_changes_the_length_of_the_run(box):
    """Do more epochs draw a longer path and cost curve?"""
    _, epochs_slider, readout, _ = box.children
    epochs_slider.value = 300
    path, costs = _drawn(box)
    assert len(path.get_xdata()) == len(costs.get_ydata()) == 301
    assert "300 epochs" in readout.value
    epochs_slider.value = 5
    path, costs = _drawn(box)
    assert len(path.get_xdata()) == 6


@pytest.mark.parametrize("result, words", [
    (None, "returned None (a missing `return`?)"),
    (1.5, "returned a float"),
    ((1.0, 2.0, 3.0), "returned a tuple of 3 values"),
    (np.zeros(3), "returned an array of shape (3,)"),
])
def test_unpack_says_what_came_back(result, words):
    """Does unpack name the expected values and what came back instead?"""
    with pytest.raises(AssertionError) as err:
        unpack(result, ("w", "b"), "fit(x, y)")
    assert "fit(x, y) should return 2 values, (w, b)" in str(err.value)
    assert words in str(err.value)


def test_unpack_accepts_tuples_lists_and_arrays():
    """Are a tuple, a list and an array of the right length all accepted?"""
    for result in ((1.0, [2.0]), [1.0, [2.0]]):
        w, costs = unpack(result, ("w", "costs"))
        assert w == 1.0 and costs == [2.0]
    assert unpack(np.array([1.0, 2.0]), ("w", "b")) == (1.0, 2.0)


def _verdict(box, lr):
    box.children[0].value = lr
    return box.children[2].value


def test_readout_thresholds_are_the_ones_the_notebook_names(box):
    """Does the readout turn to zig-zag at 0.11 and to divergence at 0.17,
    the learning rates the text under the widget names?"""
    assert "without zig-zagging" in _verdict(box, 0.105)
    assert "zig-zags" in _verdict(box, 0.11)
    assert "zig-zags" in _verdict(box, 0.165)
    assert "diverged" in _verdict(box, 0.17)
    # Just above 1/11.83 the steep direction does overshoot, but too
    # little and too briefly for the readout to call it a zig-zag.
    assert "without zig-zagging" in _verdict(box, 0.09)
    nb = nbformat.read(Path(__file__).parents[1] / "solutions" /
                       "03_regression" / "03_regression.ipynb", 4)
    text = next(c.source for c in nb.cells
                if c.cell_type == "markdown" and "**Try it.**" in c.source)
    text = " ".join(text.split())
    assert "starts at lr = 0.11" in text and "From lr = 0.17" in text
