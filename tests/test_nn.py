"""Tests for the layer kernels, losses, initialisers and optimisers.

Every backward is checked against course_utils.derivatives'
finite differences (an independent oracle) on random shapes drawn by
hypothesis; small hand-computed arrays pin the forward values.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import nn
from course_utils.derivatives import numerical_gradient

TOL = 1e-7
fast = settings(max_examples=25, deadline=None)


def close(a, b, tol=TOL):
    """Largest entry-wise error of a against b, relative to max |b|."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    return np.max(np.abs(a - b), initial=0) <= tol * max(
        1.0, np.max(np.abs(b), initial=0))


dims = st.integers(1, 6)
seeds = st.integers(0, 2 ** 32 - 1)


# ---------------------------------------------------------------------
# Hand-computed values
# ---------------------------------------------------------------------

def test_affine_forward_small_case():
    """Does affine_forward compute X W + b on a 2x2 case?"""
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
    b = np.array([0.0, 1.0, 2.0])
    Z, cache = nn.affine_forward(X, W, b)
    assert np.array_equal(Z, [[2.0, 5.0, 1.0], [5.0, 9.0, -1.0]])
    dX, dW, db = nn.affine_backward(np.ones((2, 3)), cache)
    assert np.array_equal(dX, [[0.0, 2.5], [0.0, 2.5]])
    assert np.array_equal(dW, [[4.0, 4.0, 4.0], [6.0, 6.0, 6.0]])
    assert np.array_equal(db, [2.0, 2.0, 2.0])


def test_activations_small_case():
    """Do relu, sigmoid and tanh give the textbook values?"""
    Z = np.array([[-2.0, 0.0, 3.0]])
    A, cache = nn.relu_forward(Z)
    assert np.array_equal(A, [[0.0, 0.0, 3.0]])
    assert np.array_equal(nn.relu_backward(np.ones((1, 3)), cache),
                          [[0.0, 0.0, 1.0]])
    A, cache = nn.sigmoid_forward(Z)
    assert A[0, 1] == 0.5
    assert nn.sigmoid_backward(np.ones((1, 3)), cache)[0, 1] == 0.25
    A, cache = nn.tanh_forward(Z)
    assert A[0, 1] == 0.0
    assert nn.tanh_backward(np.ones((1, 3)), cache)[0, 1] == 1.0


def test_sigmoid_never_overflows():
    """Does sigmoid stay finite and exact at +-1000?"""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = nn.sigmoid(np.array([-1000.0, 1000.0]))
    assert np.array_equal(A, [0.0, 1.0])


def test_losses_small_cases():
    """Do the three losses give log C, log 2 and a hand-made MSE?"""
    loss, dS = nn.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert np.isclose(loss, np.log(4))
    assert np.allclose(dS, [[-0.375, 0.125, 0.125, 0.125],
                            [0.125, 0.125, 0.125, -0.375]])
    loss, dS = nn.bce_loss(np.zeros((2, 1)), np.array([0, 1]))
    assert np.isclose(loss, np.log(2))
    assert np.allclose(dS, [[0.25], [-0.25]])
    loss, dy = nn.mse_loss(np.array([[1.0], [3.0]]), np.array([0.0, 1.0]))
    assert loss == 2.5
    assert np.array_equal(dy, [[1.0], [2.0]])


def test_losses_are_stable_for_huge_logits():
    """Do the losses stay finite and right for logits of 1e4?"""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, _ = nn.softmax_cross_entropy(
            np.array([[1e4, 0.0], [0.0, 1e4]]), np.array([1, 1]))
        assert np.isclose(loss, 0.5e4)
        loss, _ = nn.bce_loss(np.array([1e4, -1e4]), np.array([0, 1]))
        assert np.isclose(loss, 1e4)


def test_softmax_cross_entropy_does_not_modify_logits():
    """Is the caller's logits array left untouched?"""
    S = np.array([[1.0, 2.0, 3.0]])
    nn.softmax_cross_entropy(S, np.array([2]))
    assert np.array_equal(S, [[1.0, 2.0, 3.0]])


# ---------------------------------------------------------------------
# Every backward against finite differences (hypothesis)
# ---------------------------------------------------------------------

@fast
@given(N=dims, D=dims, H=dims, seed=seeds)
def test_affine_backward_matches_finite_differences(N, D, H, seed):
    """Do dX, dW, db match central differences for random shapes?"""
    rng = np.random.default_rng(seed)
    X, W = rng.standard_normal((N, D)), rng.standard_normal((D, H))
    b, G = rng.standard_normal(H), rng.standard_normal((N, H))
    Z, cache = nn.affine_forward(X, W, b)
    assert Z.shape == (N, H)
    dX, dW, db = nn.affine_backward(G, cache)
    assert (dX.shape, dW.shape, db.shape) == ((N, D), (D, H), (H,))
    assert close(dX, numerical_gradient(
        lambda X_: np.sum(nn.affine_forward(X_, W, b)[0] * G), X))
    assert close(dW, numerical_gradient(
        lambda W_: np.sum(nn.affine_forward(X, W_, b)[0] * G), W))
    assert close(db, numerical_gradient(
        lambda b_: np.sum(nn.affine_forward(X, W, b_)[0] * G), b))


@fast
@given(N=dims, H=dims, seed=seeds,
       name=st.sampled_from(["relu", "sigmoid", "tanh"]))
def test_activation_backward_matches_finite_differences(N, H, seed, name):
    """Does each activation's backward match central differences?"""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((N, H)) * 3
    Z[np.abs(Z) < 1e-3] = 0.5                   # keep off ReLU's kink
    G = rng.standard_normal((N, H))
    forward = getattr(nn, f"{name}_forward")
    backward = getattr(nn, f"{name}_backward")
    A, cache = forward(Z)
    assert A.shape == Z.shape and A.dtype == np.float64
    dZ = backward(G, cache)
    assert close(dZ, numerical_gradient(
        lambda Z_: np.sum(forward(Z_)[0] * G), Z))


@fast
@given(N=dims, C=st.integers(2, 6), seed=seeds)
def test_softmax_cross_entropy_gradient(N, C, seed):
    """Is dlogits = (softmax - onehot) / N, as finite differences say?"""
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((N, C)) * 3
    y = rng.integers(0, C, N)
    loss, dS = nn.softmax_cross_entropy(S, y)
    P = nn.softmax(S)
    assert np.isclose(loss, -np.mean(np.log(P[np.arange(N), y])))
    assert close(dS, numerical_gradient(
        lambda S_: nn.softmax_cross_entropy(S_, y)[0], S))
    assert np.allclose(dS, (P - np.eye(C)[y]) / N)


@fast
@given(N=dims, C=st.integers(1, 3), seed=seeds)
def test_bce_loss_gradient(N, C, seed):
    """Does bce_loss on logits equal -y log A - (1-y) log(1-A) and match
    finite differences?"""
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((N, C)) * 3
    y = rng.integers(0, 2, (N, C))
    loss, dS = nn.bce_loss(S, y)
    A = nn.sigmoid(S)
    assert np.isclose(loss, np.mean(-y * np.log(A) - (1 - y) * np.log(1 - A)))
    assert close(dS, numerical_gradient(lambda S_: nn.bce_loss(S_, y)[0], S))


@fast
@given(N=dims, C=dims, seed=seeds)
def test_mse_loss_gradient(N, C, seed):
    """Does mse_loss's gradient match finite differences?"""
    rng = np.random.default_rng(seed)
    y_hat, y = rng.standard_normal((N, C)), rng.standard_normal((N, C))
    loss, dy = nn.mse_loss(y_hat, y)
    assert np.isclose(loss, np.mean((y_hat - y) ** 2))
    assert close(dy, numerical_gradient(
        lambda a: nn.mse_loss(a, y)[0], y_hat))


# ---------------------------------------------------------------------
# Errors a student can read
# ---------------------------------------------------------------------

def test_label_out_of_range_message():
    """Does an out-of-range label name itself and the valid range?"""
    with pytest.raises(ValueError, match=r"label 10 is out of range for "
                       r"10 classes: labels must be 0\.\.9"):
        nn.softmax_cross_entropy(np.zeros((2, 10)), np.array([3, 10]))
    with pytest.raises(ValueError, match="label -1 is out of range"):
        nn.softmax_cross_entropy(np.zeros((2, 10)), np.array([-1, 0]))


@pytest.mark.parametrize("y, error, match", [
    (np.array([0.0, 1.0]), TypeError, "astype"),
    (np.eye(3)[:2], ValueError, "one-hot"),
    (np.array([0, 1, 2]), ValueError, "3 labels but there are 2"),
])
def test_bad_labels_are_explained(y, error, match):
    """Are float, one-hot and wrong-length labels explained?"""
    with pytest.raises(error, match=match):
        nn.softmax_cross_entropy(np.zeros((2, 3)), y)


def test_affine_shape_errors_explain_the_mistake():
    """Do shape errors in affine_forward say what is wrong?"""
    X, W, b = np.ones((4, 3)), np.ones((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="W transposed"):
        nn.affine_forward(X, W.T, b)
    with pytest.raises(ValueError, match=r"b must .* shape \(H,\)"):
        nn.affine_forward(X, W, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"2-D array of shape \(N, D\)"):
        nn.affine_forward(np.ones(3), W, b)
    with pytest.raises(ValueError, match="no samples"):
        nn.affine_forward(np.ones((0, 3)), W, b)
    with pytest.raises(ValueError, match="dZ must have the shape of Z"):
        nn.affine_backward(np.ones((4, 3)), nn.affine_forward(X, W, b)[1])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_inputs_are_refused(bad):
    """Are NaN and inf refused with a message naming the argument?"""
    X = np.ones((2, 2))
    X[0, 1] = bad
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        nn.affine_forward(X, np.ones((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="logits contains NaN or inf"):
        nn.softmax_cross_entropy(X, np.array([0, 1]))


def test_loss_target_errors():
    """Are mismatched MSE shapes and BCE targets outside [0, 1] refused?"""
    with pytest.raises(ValueError, match="must match"):
        nn.mse_loss(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        nn.bce_loss(np.zeros(2), np.array([0, 2]))
    with pytest.raises(ValueError, match="empty"):
        nn.bce_loss(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(TypeError, match="real numbers"):
        nn.affine_forward(np.array([["a"]]), np.ones((1, 1)), np.zeros(1))


def test_backward_refuses_a_mismatched_upstream_gradient():
    """Does relu_backward refuse dA of the wrong shape?"""
    _, cache = nn.relu_forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="must match"):
        nn.relu_backward(np.ones((3, 2)), cache)


# ---------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------

@pytest.mark.parametrize("init, gain", [(nn.xavier_init, 1), (nn.he_init, 2)])
def test_init_variance(init, gain):
    """Is the weight variance gain / fan_in, with the right shape?"""
    W = init(400, 300, np.random.default_rng(0))
    assert W.shape == (400, 300) and W.dtype == np.float64
    assert abs(W.var() * 400 / gain - 1) < 0.02
    assert abs(W.mean()) < 0.01


def test_init_is_reproducible_and_checked():
    """Does the same seed give the same weights, and a bad fan fail?"""
    assert np.array_equal(nn.xavier_init(3, 2, 7), nn.xavier_init(3, 2, 7))
    assert nn.he_init(3, 2, 0, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="fan_in must be a positive"):
        nn.xavier_init(0, 2)


# ---------------------------------------------------------------------
# Optimisers
# ---------------------------------------------------------------------

def one_param():
    return {"W": np.array([1.0, -2.0])}, {"W": np.array([0.5, -1.0])}


def test_sgd_and_momentum_steps_by_hand():
    """Do SGD and momentum take the hand-computed steps?"""
    params, grads = one_param()
    nn.SGD(lr=0.1).step(params, grads)
    assert np.allclose(params["W"], [0.95, -1.9])
    params, grads = one_param()
    opt = nn.Momentum(lr=0.1, beta=0.9)
    opt.step(params, grads)                  # v = g
    opt.step(params, grads)                  # v = 0.9 g + g = 1.9 g
    assert np.allclose(params["W"], [1 - 0.29 * 0.5, -2 + 0.29])


def test_adaptive_first_steps_by_hand():
    """Do RMSprop and Adam take the hand-computed first step?"""
    params, grads = one_param()
    nn.RMSprop(lr=0.01, beta=0.9, eps=1e-12).step(params, grads)
    # s = 0.1 g^2, so the step is lr * g / (sqrt(0.1) |g|).
    step = 0.01 / np.sqrt(0.1)
    assert np.allclose(params["W"], [1 - step, -2 + step])
    params, grads = one_param()
    nn.Adam(lr=0.01).step(params, grads)      # bias-corrected: lr sign(g)
    assert np.allclose(params["W"], [0.99, -1.99], atol=1e-8)


@pytest.mark.parametrize("opt", [nn.SGD(0.1), nn.Momentum(0.05),
                                 nn.RMSprop(0.05), nn.Adam(0.1)])
def test_optimisers_minimise_a_quadratic(opt):
    """Does every optimiser drive f(w) = ||w - 3||^2 to its minimum?"""
    params = {"w": np.zeros(3)}
    for _ in range(500):
        opt.step(params, {"w": 2 * (params["w"] - 3)})
    assert np.allclose(params["w"], 3, atol=1e-2)


def test_optimiser_errors():
    """Are mismatched grads and a bad learning rate explained?"""
    params, grads = one_param()
    with pytest.raises(ValueError, match="keys"):
        nn.SGD(0.1).step(params, {"V": grads["W"]})
    with pytest.raises(ValueError, match="shape"):
        nn.Adam().step(params, {"W": np.ones(3)})
    with pytest.raises(ValueError, match="lr must be a positive"):
        nn.SGD(0)
    with pytest.raises(ValueError, match=r"beta must lie in \[0, 1\)"):
        nn.Momentum(0.1, beta=1.0)
