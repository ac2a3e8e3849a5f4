"""Does chapter 02's learning-rate widget redraw what the slider asks for?

The test drives it as a student does: set the slider's value, then read
the readout and the figure the widget drew (its ``figure`` attribute).
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import datasets, widgets  # noqa: E402
from course_utils.descent import max_stable_lr  # noqa: E402


@pytest.fixture
def box():
    """The widget on the 2x2 system, as the notebook builds it."""
    before = set(plt.get_fignums())
    A, b, _ = datasets.seed_linear_system(2)
    box = widgets.lls_learning_rate_widget(A, b, x0=np.array([8.0, 1.0]),
                                           lr=0.005, xlim=(-2, 9),
                                           ylim=(-1, 10))
    yield box
    box.close()
    assert set(plt.get_fignums()) == before, "the widget left figures open"


def _path(box):
    """The iterate path drawn on the contour panel, (T, 2)."""
    line = next(ln for ln in box.figure.axes[0].get_lines()
                if ln.get_label() == "iterates")
    return np.column_stack(line.get_data())


def _objective(box):
    return np.asarray(box.figure.axes[1].get_lines()[0].get_ydata())


def test_widget_starts_converging(box):
    """Does the first drawing show a smooth, converging run at lr = 0.005?"""
    slider, readout, _ = box.children
    assert slider.value == pytest.approx(0.005)
    assert "converges smoothly" in readout.value
    path = _path(box)
    assert np.allclose(path[0], [8.0, 1.0])
    assert np.allclose(path[-1], [3.0, 5.0], atol=1e-2)


def test_moving_the_slider_redraws_path_and_readout(box):
    """Does setting the slider change the drawn path and the readout?"""
    slider, readout, _ = box.children
    path_before, text_before = _path(box), readout.value
    slider.value = 0.011  # between 1/L and 2/L: a zig-zag
    path_after = _path(box)
    assert readout.value != text_before
    assert "lr = 1.10e-02" in readout.value and "zig-zag" in readout.value
    assert path_after.shape != path_before.shape or not np.allclose(
        path_after, path_before)
    # The second step of a zig-zag path goes back across the valley.
    steps = np.diff(path_after[:4], axis=0)
    assert np.dot(steps[0], steps[1]) < 0


def test_past_two_over_l_the_widget_shows_divergence(box):
    """Above 2/L does the readout say diverges and the objective grow?"""
    slider, readout, _ = box.children
    A, _, _ = datasets.seed_linear_system(2)
    slider.value = 1.5 * max_stable_lr(A)
    assert "diverges" in readout.value
    F = _objective(box)
    F = F[np.isfinite(F)]
    assert F[-1] > 1e3 * F[0]
    # 2/L is marked on the contraction panel.
    marks = [ln for ln in box.figure.axes[2].get_lines()
             if ln.get_label() == "2/L"]
    assert marks and marks[0].get_xdata()[0] == pytest.approx(
        max_stable_lr(A))


def test_a_tiny_lr_is_reported_as_slow(box):
    """Does a very small lr read as stable but not there yet?"""
    slider, readout, _ = box.children
    slider.value = 1e-4
    assert "slowly" in readout.value
    assert _objective(box)[-1] < _objective(box)[0]
