"""Does chapter 05's playground widget retrain and redraw on every move?"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_utils import datasets, widgets  # noqa: E402


def _state(box):
    """(loss curve y-data, region fill of the decision plot) drawn last."""
    ax_region, ax_loss = box.figure.axes[:2]
    losses = ax_loss.get_lines()[0].get_ydata().copy()
    regions = ax_region.collections[0].get_array()
    return losses, None if regions is None else np.asarray(regions).copy()


def test_sliders_retrain_and_redraw():
    """Do the hidden-units, lr and epochs sliders change what is drawn?"""
    X, y = datasets.blobs(n_per_class=60, seed=1)
    box = widgets.mlp_playground_widget(X, y, num_hiddens=3, lr=0.5,
                                        num_epochs=10)
    hidden, rate, epochs, readout, out = box.children
    assert (hidden.description, rate.description,
            epochs.description) == ("hidden H", "lr", "epochs")
    losses, _ = _state(box)
    assert len(losses) == 10 and "10 epochs" in readout.value
    first_fig = box.figure

    epochs.value = 25
    losses25, _ = _state(box)
    assert box.figure is not first_fig
    assert len(losses25) == 25 and "25 epochs" in readout.value
    assert np.allclose(losses25[:10], losses)   # same seed, same start

    text = readout.value
    hidden.value = 1
    losses_h1, _ = _state(box)
    assert "H = 1" in readout.value and readout.value != text
    assert not np.allclose(losses_h1, losses25)

    rate.value = 0.01
    losses_slow, _ = _state(box)
    assert "lr = 0.01" in readout.value
    assert losses_slow[-1] > losses_h1[-1]      # a tiny lr learns less
    assert plt.get_fignums() == []              # nothing left in pyplot
    box.close()


def test_diverging_learning_rate_is_reported():
    """Does a huge learning rate give a message instead of an error?"""
    X, y = datasets.blobs(n_per_class=40, seed=2)
    X = X * 50                                   # badly scaled inputs
    box = widgets.mlp_playground_widget(X, y, lr=10.0, num_epochs=40,
                                        activation="relu")
    readout = box.children[3]
    assert "diverged" in readout.value
    box.close()
