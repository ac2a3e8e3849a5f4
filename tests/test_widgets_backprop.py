"""Does the chapter 04 backward-pass widget step through the graph?"""
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

from course_utils import nn, widgets  # noqa: E402


def _network():
    rng = np.random.default_rng(4)
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=3),
              "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}
    return np.array([[0.5, -1.0]]), np.array([1]), params


def test_steps_match_the_reference_layers():
    """Are the gradients shown the ones course_utils.nn computes?"""
    X, y, p = _network()
    steps = widgets.backprop_steps(X, y, p)
    assert [s["node"] for s in steps] == [
        "L", "S", "W2, b2", "A1", "Z1", "W1, b1", "X"]
    Z1, c1 = nn.affine_forward(X, p["W1"], p["b1"])
    A1, c2 = nn.relu_forward(Z1)
    S, c3 = nn.affine_forward(A1, p["W2"], p["b2"])
    _, dS = nn.softmax_cross_entropy(S, y)
    dA1, dW2, _ = nn.affine_backward(dS, c3)
    _, dW1, _ = nn.affine_backward(nn.relu_backward(dA1, c2), c1)
    grads = {k: v for s in steps for k, v in s["grads"].items()}
    for name, ref in (("dS", dS), ("dW2", dW2), ("dA1", dA1), ("dW1", dW1)):
        np.testing.assert_allclose(grads[name], ref)
        assert grads[name].shape == ref.shape


def test_slider_moves_the_highlight_and_the_readout():
    """Does moving the slider redraw the graph and rewrite the readout?"""
    X, y, p = _network()
    box = widgets.backprop_widget(X, y, p)
    slider, readout, _ = box.children
    assert (slider.min, slider.max, slider.value) == (0, 6, 0)
    assert "step 0 of 6" in readout.value and "dL/dL = 1" in readout.value
    colors = widgets.node_colors(box.figure)
    orange = colors["L"]
    slider.value = 4
    assert "dZ1 = dA1 where Z1 &gt; 0" in readout.value
    after = widgets.node_colors(box.figure)
    assert after["Z1"] == orange and after["L"] != orange
    assert after["S"] == after["A1"] != after["X"]   # done vs not yet
    slider.value = 6
    assert "dX = dZ1 W1^T" in readout.value
    box.close()


def test_the_readout_shows_the_forward_values_behind_the_mask():
    """Does the Z1 step show Z1 itself, so the mask can be read off?"""
    X, y, p = _network()
    box = widgets.backprop_widget(X, y, p, step=4)
    _, readout, _ = box.children
    Z1 = X @ p["W1"] + p["b1"]
    assert "from the forward pass: <code>Z1</code>" in readout.value
    assert f"{Z1[0, 0]:.3f}" in readout.value
    box.close()


def test_a_blocked_negative_gradient_reads_0_not_minus_0():
    """Does a negative dA1 blocked by the mask show as 0, not -0.?"""
    rng = np.random.default_rng(22)
    p = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=3),
         "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}
    X, y = np.array([[0.5, -1.0]]), np.array([1])
    steps = widgets.backprop_steps(X, y, p)
    dZ1 = steps[4]["grads"]["dZ1"]
    assert (np.signbit(dZ1) & (dZ1 == 0)).any()   # a -0.0 entry
    box = widgets.backprop_widget(X, y, p, step=4)
    assert not re.search(r"-0\.(?!\d)", box.children[1].value)
    box.close()


# --------------------------------------------------------------------------
# The chapter's example: what section 9's text says is what the widget shows
# --------------------------------------------------------------------------
NOTEBOOK = (Path(__file__).resolve().parent.parent / "solutions"
            / "04_backpropagation" / "04_backpropagation.ipynb")


def _example():
    """The widget cell's network and section 9's text, from the notebook."""
    nb = nbformat.read(NOTEBOOK, 4)
    index = next(i for i, c in enumerate(nb.cells)
                 if "widgets.backprop_widget(" in c.source)
    code = nb.cells[index].source
    ns = {"np": np}
    exec(code.replace("widgets.backprop_widget(", "_shown = ("), ns)
    text = nb.cells[index - 1].source
    return ns["x_one"], ns["y_one"], ns["params_one"], text


def test_the_example_has_one_dead_hidden_unit_and_two_live_ones():
    """Is exactly the middle unit off, so the picture shows both cases?"""
    X, y, p, _ = _example()
    Z1 = (X @ p["W1"] + p["b1"])[0]
    assert Z1[1] < 0 < min(Z1[0], Z1[2])


def test_section_9_describes_what_the_widget_shows():
    """Do the numbers and zeros the text names appear in the readout?"""
    X, y, p, text = _example()
    steps = widgets.backprop_steps(X, y, p)
    got = {name: g for s in steps for name, g in s["grads"].items()}
    Z1 = steps[4]["forward"]["Z1"]
    flat = " ".join(text.split())
    assert f"$Z_1 \\approx {Z1[0, 1]:.1f}$ (step 4)" in flat
    assert f"$dA_1 \\approx {got['dA1'][0, 1]:.2f}$" in flat
    assert got["dA1"][0, 1] != 0                 # a gradient arrives ...
    assert got["dZ1"][0, 1] == 0                 # ... and is blocked
    assert np.all(got["dW2"][1] == 0) and np.all(got["dW2"][[0, 2]] != 0)
    assert np.all(got["dW1"][:, 1] == 0) and got["db1"][1] == 0
    assert np.all(got["dZ1"][0, [0, 2]] == got["dA1"][0, [0, 2]])
    assert np.all(got["dW1"][:, [0, 2]] != 0)
    # the steps the text names are the widget's steps
    assert [steps[k]["node"] for k in (2, 3, 4, 5)] == [
        "W2, b2", "A1", "Z1", "W1, b1"]
