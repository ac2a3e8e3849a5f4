"""Do the layer-gradient checks name each layout mistake in plain words?"""
import json
import types

import numpy as np
import pytest

import course_utils.nn as nn
from course_utils.checks import (assert_backward_matches_forward,
                                 assert_gradient_close, assert_no_framework,
                                 unpack)

RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 3))          # (N, D)
W = RNG.normal(size=(3, 4))          # (D, H)
B = RNG.normal(size=4)               # (H,)
DZ = RNG.normal(size=(5, 4))         # (N, H)
DW = X.T @ DZ
DB = DZ.sum(axis=0)


def message(actual, expected, **kwargs):
    with pytest.raises(AssertionError) as info:
        assert_gradient_close(actual, expected, "dW", **kwargs)
    return str(info.value)


def test_right_gradients_pass():
    """Does a right gradient (array, list, einsum round-off) pass?"""
    assert_gradient_close(DW, DW, "dW", wrt="W")
    assert_gradient_close(DW.tolist(), DW, "dW", wrt="W")
    assert_gradient_close(np.einsum("nd,nh->dh", X, DZ), DW, "dW", wrt="W")


@pytest.mark.parametrize(
    "actual, expected, words",
    [
        (DZ.T @ X, DW, "transpose of the right gradient"),
        (DZ, DB, "one row per sample"),
        (DB[None], DB, "extra axis of length 1"),
        (DB[:, None], DB, "(n,) vs (n, 1)"),
        (DB.ravel(), DB[:, None], "lost an axis"),
        (-DW, DW, "wrong sign"),
        (5 * DW, DW, "1/N of the mean over the batch is missing"),
        (DB / 5, DB, "an extra 1/N"),
        (np.zeros_like(DW), DW, "zero everywhere"),
        (DZ[:, :3], DW, "the shape of W"),
        (None, DW, "forget to `return`"),
    ],
)
def test_each_layout_mistake_is_named(actual, expected, words):
    """Does each typical layer-gradient mistake get its own explanation?"""
    assert words in message(actual, expected, wrt="W", n_samples=5)


def test_square_transpose_is_named():
    """Is the transpose named when a square shape cannot tell?"""
    A = RNG.normal(size=(3, 3))
    assert "transpose" in message(A.T, A, wrt="W")


def test_given_mistakes_come_first():
    """Does a test's own hypothesis (dZ W for a square W) win?"""
    W_sq = RNG.normal(size=(4, 4))
    right, wrong = DZ @ W_sq.T, DZ @ W_sq
    text = message(wrong, right, wrt="X",
                   mistakes=[(wrong, "dX = dZ W^T, not dZ W.")])
    assert "dX = dZ W^T, not dZ W." in text


def test_messages_never_show_numbers():
    """Do the messages keep the expected values to themselves?"""
    for actual in (DZ.T @ X, -DW, 5 * DW, DW + 1):
        text = message(actual, DW, wrt="W", n_samples=5)
        assert f"{DW[0, 0]:.3f}"[:5] not in text


def test_unpack():
    """Are a missing return and a wrong number of results explained?"""
    assert unpack([1, 2], ("Z", "cache"), "f()") == (1, 2)
    for bad, words in ((None, "a missing `return`"),
                       (np.zeros(3), "an array of shape (3,)"),
                       ((1, 2, 3), "a tuple of 3 values")):
        with pytest.raises(AssertionError) as info:
            unpack(bad, ("Z", "cache"), "f()")
        assert words in str(info.value)


def test_backward_against_own_forward():
    """Does the forward/backward check pass nn's affine, fail a wrong dW?"""
    inputs = {"X": X, "W": W, "b": B}
    assert_backward_matches_forward(nn.affine_forward, nn.affine_backward,
                                    inputs, "affine")
    assert_backward_matches_forward(nn.sigmoid_forward, nn.sigmoid_backward,
                                    {"Z": X}, "sigmoid")

    def wrong_backward(dZ, cache):
        dX, dW, db = nn.affine_backward(dZ, cache)
        return dX, dW, dZ.mean(axis=0)

    with pytest.raises(AssertionError) as info:
        assert_backward_matches_forward(nn.affine_forward, wrong_backward,
                                        inputs, "affine")
    assert "db from affine_backward" in str(info.value)
    assert "5 times too small" in str(info.value)


def test_no_framework():
    """Is an autodiff framework refused, however it is reached?"""
    glb = {"json": json}

    def fine(x):
        return np.asarray(x) * 2

    code = "def helper(x):\n    return json.dumps(x)\n" \
           "def uses(x):\n    return helper(x)\n"
    exec(code, glb)
    assert_no_framework(fine)
    assert_no_framework(glb["uses"])
    with pytest.raises(AssertionError) as info:
        assert_no_framework(glb["uses"], modules=("json",))
    assert "uses json" in str(info.value)
    fake = types.ModuleType("torch")
    fake.tensor = lambda x: x
    glb2 = {"torch": fake}
    exec("def f(x):\n    return torch.tensor(x)\n", glb2)
    with pytest.raises(AssertionError):
        assert_no_framework(glb2["f"])


def test_jacobian_transpose_is_named_as_a_layout():
    """Without a variable name, is a transpose named the denominator layout?"""
    J = RNG.normal(size=(2, 3))
    with pytest.raises(AssertionError) as info:
        assert_gradient_close(J.T, J, "J")
    assert "denominator layout" in str(info.value)
