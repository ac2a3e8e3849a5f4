"""Do chapter 05's functional kernels (course_utils.mlp) agree with nn?

course_utils.mlp is what a student writes in chapter 05; its graded cells
take their expected values from course_utils.nn.  These tests check that
the two compute the same thing on the same random draws.
"""
import numpy as np
import pytest

from course_utils import datasets, mlp, nn


def test_init_params_draws_like_the_mlp():
    """Does init_params draw the MLP's weights, W1 first, biases zero?"""
    sizes = [5, 4, 3, 2]
    params = mlp.init_params(sizes, np.random.default_rng(3))
    model = nn.MLP(sizes, activation="sigmoid", seed=3)
    assert params.keys() == model.params.keys()
    for k, p in params.items():
        assert np.array_equal(p, model.params[k])
    assert mlp.xavier_init(4, 3, np.random.default_rng(1)).shape == (4, 3)
    assert np.array_equal(mlp.xavier_init(4, 3, np.random.default_rng(1)),
                          nn.xavier_init(4, 3, np.random.default_rng(1)))


def test_bce_loss_matches_the_logit_version_and_clips():
    """Is bce_loss nn.bce_loss on probabilities, finite at 0 and 1?"""
    rng = np.random.default_rng(0)
    S = rng.standard_normal((7, 1))
    y = rng.integers(0, 2, (7, 1)).astype(float)
    a = nn.sigmoid(S)
    loss, da = mlp.bce_loss(a, y)
    ref, dS = nn.bce_loss(S, y)
    assert np.isclose(loss, ref)
    assert np.allclose(da * a * (1 - a), dS)
    loss, da = mlp.bce_loss(np.array([[0.0], [1.0]]), np.array([[1], [0]]))
    assert np.isclose(loss, -np.log(1e-12)) and np.isfinite(da).all()


def test_minibatches_cover_every_sample_once():
    """Do the batches cut rng.permutation(N), the last one shorter?"""
    batches = mlp.minibatches(10, 4, np.random.default_rng(2))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert np.array_equal(np.concatenate(batches),
                          np.random.default_rng(2).permutation(10))


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_optimiser_steps_match_the_classes(name):
    """Do momentum_update and adam_update step as nn.Momentum, nn.Adam?"""
    rng = np.random.default_rng(5)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    ref = {k: v.copy() for k, v in params.items()}
    opt = nn.Momentum(0.1, 0.8) if name == "momentum" else nn.Adam(0.01)
    state = {} if name == "momentum" else {"t": 0, "m": {}, "v": {}}
    for _ in range(5):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        if name == "momentum":
            mlp.momentum_update(params, grads, state, 0.1, beta=0.8)
        else:
            mlp.adam_update(params, grads, state, lr=0.01)
        opt.step(ref, grads)
    for k in params:
        assert np.allclose(params[k], ref[k], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("sizes", [[6, 5, 3], [6, 4, 3, 1]])
def test_train_mlp_matches_nn_train(sizes):
    """Does train_mlp train as nn.MLP + nn.train with the same rng?"""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 6))
    y = rng.integers(0, max(2, sizes[-1]), 30)
    params, losses = mlp.train_mlp(X, y, sizes, lr=0.3, num_epochs=4,
                                   batch_size=8,
                                   rng=np.random.default_rng(11))
    gen = np.random.default_rng(11)
    binary = sizes[-1] == 1
    model = nn.MLP(sizes, activation="sigmoid",
                   output="sigmoid" if binary else "softmax", seed=gen)
    history = nn.train(model, X, y.reshape(-1, 1) if binary else y,
                       optimizer=nn.SGD(0.3), batch_size=8, num_epochs=4,
                       progress=False, seed=gen)
    assert np.allclose(losses, history["loss"], rtol=1e-10)
    for k, p in params.items():
        assert np.allclose(p, model.params[k], rtol=1e-9, atol=1e-12)
    assert np.array_equal(mlp.predict(params, X),
                          model.predict(X))


def test_correct_helpers_swaps_and_restores():
    """Does correct_helpers put the student's functions back?"""
    def mine(*args):
        return "mine"
    ns = {"init_params": mine}
    with mlp.correct_helpers(ns):
        assert ns["init_params"] is mlp.init_params
        assert ns["minibatches"] is mlp.minibatches
    assert ns == {"init_params": mine}


def test_train_mlp_xnor_and_digits():
    """Do the graded cells' runs (XNOR, digits) reach their targets?"""
    X, y = datasets.xnor()
    params, losses = mlp.train_mlp(X, y, [2, 3, 1], lr=2.0, num_epochs=2000,
                                   batch_size=4,
                                   rng=np.random.default_rng(0))
    assert losses[-1] < 0.01
    assert np.array_equal(mlp.predict(params, X), y)


@pytest.mark.parametrize("result, words", [
    (None, "forget `return`"),
    (({"W1": np.zeros((2, 3)), "b1": np.zeros(3)}, [0.1]), "no 'W2'"),
    (({"W1": np.zeros((3, 2)), "b1": np.zeros(3), "W2": np.zeros((3, 1)),
       "b2": np.zeros(1)}, [0.1]), "shape (3, 2)"),
    (({"W1": np.zeros((2, 3)), "b1": np.zeros(3), "W2": np.zeros((3, 1)),
       "b2": np.zeros(1)}, [0.1, 0.2]), "one loss per epoch"),
])
def test_check_trained_explains_a_malformed_result(result, words):
    """Does check_trained say what is wrong with train_mlp's result?"""
    with pytest.raises(AssertionError, match=None) as err:
        mlp.check_trained(result, [2, 3, 1], 1)
    assert words in str(err.value)
