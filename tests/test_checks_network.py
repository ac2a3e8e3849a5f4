"""Chapter 04's helpers for graded cells: shapes errors, a network built
from the student's layers, and the reference layers swapped in for it."""
import importlib

import numpy as np
import pytest

import course_utils.nn as nn
from autograder import protocol as proxy
from course_utils.checks import (assert_network_not_delegating,
                                 call_shaped)

X = np.arange(6.0).reshape(2, 3)                 # (N, D)
W = np.arange(6.0).reshape(3, 2) / 10            # (D, H)
DZ = np.ones((2, 2))                             # (N, H)


def _message(func, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        func(*args, **kwargs)
    return " ".join(str(info.value).split())


# --------------------------------------------------------------------------
# call_shaped
# --------------------------------------------------------------------------
def no_transpose(dZ, cache):
    X, W, b = cache
    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)


def test_a_shape_error_becomes_a_message_about_shapes():
    """Does dZ @ W (transpose forgotten) read as a message about shapes?"""
    text = _message(call_shaped, no_transpose, DZ, (X, W, np.zeros(2)),
                    name="affine_backward(dZ, (X, W, b))",
                    shapes="Here X is (2, 3), W (3, 2) and dZ (2, 2).")
    assert text.startswith("affine_backward(dZ, (X, W, b)) stopped with an "
                           "error about shapes")
    assert "Here X is (2, 3), W (3, 2) and dZ (2, 2)." in text
    assert "transpose forgotten" in text
    assert "matmul" not in text and "gufunc" not in text   # no NumPy noise


def test_the_hint_can_be_the_callers_own():
    text = _message(call_shaped, no_transpose, DZ, (X, W, np.zeros(2)),
                    hint="The usual causes: another layer's cache.")
    assert text.endswith("The usual causes: another layer's cache.")
    assert "transpose forgotten" not in text


@pytest.mark.parametrize("error", [
    "operands could not be broadcast together with shapes (2,3) (2,)",
    "shapes (2,2) and (3,2) not aligned: 2 (dim 1) != 3 (dim 0)",
    "dZ must have the shape of Z, (N, H) = (5, 2), but got (5, 4)",
])
def test_every_numpy_shape_error_is_recognised(error):
    def raises(*_):
        raise ValueError(error)
    assert "error about shapes" in _message(call_shaped, raises, 1.0)


def test_other_errors_and_right_answers_pass_through():
    """A ValueError about something else stays the student's own error;
    a right answer comes back unchanged."""
    def other(*_):
        raise ValueError("math domain error")
    with pytest.raises(ValueError, match="math domain"):
        call_shaped(other, 1.0)
    assert call_shaped(lambda a, b: a + b, 1.0, 2.0) == 3.0


# --------------------------------------------------------------------------
# assert_network_not_delegating
# --------------------------------------------------------------------------
def _student(layer_source, network_source):
    ns = {"np": np, "cun": nn}
    exec(layer_source, ns)
    exec(network_source, ns)
    return ns


OWN_LAYER = "def layer(X, W):\n    return X @ W\n"
DELEGATING_LAYER = ("def layer(X, W):\n"
                    "    return cun.affine_forward(X, W, 0 * W[0])[0]\n")
NETWORK = "def network(X, W):\n    return layer(X, W)\n"
CHEATING_NETWORK = ("def network(X, W):\n"
                    "    return cun.affine_forward(X, W, 0 * W[0])[0]\n")
FORBIDDEN = (nn.affine_forward, nn.MLP)


def test_a_network_of_own_layers_passes():
    ns = _student(OWN_LAYER, NETWORK)
    assert_network_not_delegating(ns["network"], [ns["layer"]], *FORBIDDEN)


def test_a_layer_that_delegates_is_not_charged_again_in_the_network():
    """The layer's own tests charge its delegation; the network is not."""
    ns = _student(DELEGATING_LAYER, NETWORK)
    assert_network_not_delegating(ns["network"], [ns["layer"]], *FORBIDDEN)
    # while plain assert_not_delegating would charge it twice
    from course_utils.checks import assert_not_delegating
    with pytest.raises(AssertionError):
        assert_not_delegating(ns["network"], *FORBIDDEN)


def test_an_alias_of_the_reference_is_not_charged_again():
    """`layer = cun.affine_forward` is the layer's mistake only."""
    ns = _student("layer = cun.affine_forward\n",
                  "def network(X, W, b):\n    return layer(X, W, b)\n")
    assert_network_not_delegating(ns["network"], [ns["layer"]], *FORBIDDEN)


def test_a_network_calling_the_reference_itself_fails():
    ns = _student(OWN_LAYER, CHEATING_NETWORK)
    text = _message(assert_network_not_delegating, ns["network"],
                    [ns["layer"]], *FORBIDDEN)
    assert "network uses course_utils.nn.affine_forward" in text


def test_a_network_using_what_no_layer_uses_fails():
    """Only what a layer itself reaches is left out, nothing else."""
    ns = _student(DELEGATING_LAYER, "def network(X, W):\n"
                                    "    cun.MLP\n    return layer(X, W)\n")
    text = _message(assert_network_not_delegating, ns["network"],
                    [ns["layer"]], *FORBIDDEN)
    assert "course_utils.nn.MLP" in text


# --------------------------------------------------------------------------
# nn.reference_layers and nn.chapter04
# --------------------------------------------------------------------------
def test_reference_layers_swap_and_restore():
    """Inside the block the names are the reference; afterwards, also after
    a failure, the student's own functions are back; a name the notebook
    lacks stays missing."""
    def mine(*_):
        raise AssertionError("the student's own layer")
    ns = {name: mine for name in nn.NETWORK_LAYERS}
    del ns["relu_backward"]
    with pytest.raises(KeyError):
        with nn.reference_layers(ns):
            assert ns["affine_forward"] is nn.chapter04.affine_forward
            assert ns["softmax_cross_entropy"] is \
                nn.chapter04.softmax_cross_entropy
            assert "relu_backward" not in ns
            raise KeyError("a check failed inside")
    assert all(ns[name] is mine for name in ns)
    assert "relu_backward" not in ns


def test_chapter04_takes_the_notebook_signatures():
    """A network that calls the layers by the notebook's keywords runs."""
    rng = np.random.default_rng(3)
    X_, W_, b_ = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), \
        rng.normal(size=2)
    y = np.array([0, 1, 1, 0])
    c = nn.chapter04
    Z, cache = c.affine_forward(X=X_, W=W_, b=b_)
    A, rcache = c.relu_forward(Z=Z)
    loss, dS = c.softmax_cross_entropy(S=A, y=y)
    assert loss == nn.softmax_cross_entropy(A, y)[0]
    np.testing.assert_array_equal(c.relu_backward(dA=dS, cache=rcache),
                                  nn.relu_backward(dS, rcache))
    for got, want in zip(c.affine_backward(dZ=dS, cache=cache),
                         nn.affine_backward(dS, cache)):
        np.testing.assert_array_equal(got, want)
    loss, dY = c.mse_loss(Y_hat=A, Y=np.zeros_like(A))
    assert loss == nn.mse_loss(A, np.zeros_like(A))[0]
    S, scache = c.sigmoid_forward(Z=Z)
    np.testing.assert_array_equal(c.sigmoid_backward(dA=S, cache=scache),
                                  nn.sigmoid_backward(S, scache))


@pytest.mark.parametrize("name", nn.NETWORK_LAYERS)
def test_the_grader_can_name_each_reference_layer(name):
    """The trusted grader sends a swapped name to the student's kernel as
    an importable dotted name ending in that name."""
    func = getattr(nn.chapter04, name)
    dotted = proxy.dotted_name(func)
    assert dotted.startswith("course_utils.nn.")
    assert dotted.endswith(f".chapter04.{name}")
    module, _, attr = dotted.rpartition(".")
    module, _, cls = module.rpartition(".")
    assert getattr(getattr(importlib.import_module(module), cls),
                   attr) is func
