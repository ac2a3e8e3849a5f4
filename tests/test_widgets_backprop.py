"""Does the chapter 04 backward-pass widget step through the graph?"""
import matplotlib

matplotlib.use("Agg")

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
