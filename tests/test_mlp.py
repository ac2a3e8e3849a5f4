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
    with pytest.raises(ValueError, match=r"y.reshape\(-1, 1\)"):
        mlp.bce_loss(a, y.ravel())      # would broadcast to (7, 7)


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
    """Does correct_helpers bind every helper, missing ones too, and put
    the student's functions back (removing what was missing)?"""
    def mine(*args):
        return "mine"
    ns = {"init_params": mine}
    with mlp.correct_helpers(ns):
        assert ns["init_params"] is mlp.init_params
        assert ns["minibatches"] is mlp.minibatches   # missing before
    assert ns == {"init_params": mine}


def test_correct_helpers_covers_a_helper_whose_cell_failed():
    """Does a train_mlp whose helpers are missing (a syntax error in
    their cells) run with the correct ones?"""
    ns = {"np": np}
    exec(compile(TRAIN_CALLING_HELPERS, "<cell>", "exec"), ns)
    X, y = datasets.xnor()
    with mlp.correct_helpers(ns):
        params, losses = ns["train_mlp"](X, y, [2, 3, 1], lr=2.0,
                                         num_epochs=3, batch_size=3,
                                         rng=np.random.default_rng(0))
    ref_params, ref_losses = mlp.reference_run(
        X, y, [2, 3, 1], lr=2.0, num_epochs=3, batch_size=3, seed=0)
    assert np.allclose(losses, ref_losses)
    for k, v in ref_params.items():
        assert np.allclose(params[k], v)
    assert "init_params" not in ns


def test_correct_helpers_names_a_helper_it_could_not_bind():
    """Where a grader cannot bind a missing helper, does the cell say
    which helper's cell to fix instead of a bare NameError?"""
    ns = {}
    with pytest.raises(AssertionError) as err:
        with mlp.correct_helpers(ns, ["init_params"]):
            raise NameError("name 'init_params' is not defined")
    assert "init_params is not defined in your notebook" in str(err.value)
    with pytest.raises(NameError):            # not one of the helpers
        with mlp.correct_helpers(ns, ["init_params"]):
            raise NameError("name 'train_mlp' is not defined")
    with pytest.raises(NameError):            # the student's own helper
        with mlp.correct_helpers({"init_params": len}, ["init_params"]):
            raise NameError("name 'init_params' is not defined")


# A train_mlp that calls the helpers, as a student writes it.
TRAIN_CALLING_HELPERS = """
def train_mlp(X, y, layer_sizes, *, lr, num_epochs, batch_size, rng):
    params = init_params(layer_sizes, rng)
    losses = []
    for _ in range(num_epochs):
        total = 0.0
        for idx in minibatches(len(X), batch_size, rng):
            A = 1 / (1 + np.exp(-(X[idx] @ params["W1"] + params["b1"])))
            a = 1 / (1 + np.exp(-(A @ params["W2"] + params["b2"])))
            loss, da = bce_loss(a, y[idx].reshape(-1, 1))
            dS = da * a * (1 - a)
            total += loss * len(idx)
            dZ = (dS @ params["W2"].T) * A * (1 - A)
            grads = {"W2": A.T @ dS, "b2": dS.sum(axis=0),
                     "W1": X[idx].T @ dZ, "b1": dZ.sum(axis=0)}
            sgd_update(params, grads, lr)
        losses.append(total / len(X))
    return params, losses
"""


def _train(X, y, sizes, *, lr, num_epochs, batch_size, rng,
           weighted=True, biases=True, shuffle=True):
    """mlp.train_mlp, with one of three mistakes switched on (False)."""
    params = mlp.init_params(sizes, rng)
    L = len(sizes) - 1
    losses = []
    for _ in range(num_epochs):
        batch_losses, counts = [], []
        batches = mlp.minibatches(len(X), batch_size, rng) if shuffle \
            else [np.arange(i, min(i + batch_size, len(X)))
                  for i in range(0, len(X), batch_size)]
        for idx in batches:
            S, acts = mlp._forward(params, X[idx])
            if sizes[-1] == 1:
                a = nn.sigmoid(S)
                loss, da = mlp.bce_loss(a, y[idx].reshape(-1, 1))
                dS = da * a * (1 - a)
            else:
                loss, dS = nn.softmax_cross_entropy(S, y[idx])
            batch_losses.append(loss)
            counts.append(len(idx))
            steps = {}
            for l in range(L, 0, -1):
                A = acts[l - 1]
                steps[f"W{l}"] = A.T @ dS
                if biases:
                    steps[f"b{l}"] = dS.sum(axis=0)
                if l > 1:
                    dS = (dS @ params[f"W{l}"].T) * A * (1 - A)
            for k, g in steps.items():
                params[k] -= lr * g
        losses.append(np.average(batch_losses, weights=counts) if weighted
                      else np.mean(batch_losses))
    return params, losses


MISTAKES = {"weighted": "a plain mean of the batch losses",
            "biases": "every bias is still zero",
            "shuffle": "same order every epoch"}


@pytest.mark.parametrize("mistake", [None, *MISTAKES])
def test_check_against_reference_names_the_mistake(mistake):
    """Does the graded comparison pass a right loop and name each of the
    three mistakes on 13 label-sorted samples in batches of 4, 4, 4, 1?"""
    gen = np.random.default_rng(0)
    X = gen.standard_normal((13, 3))
    for sizes, y in (([3, 4, 3], np.sort(gen.integers(0, 3, 13))),
                     ([3, 2, 1], np.sort(gen.integers(0, 2, 13)))):
        flags = {mistake: False} if mistake else {}
        params, losses = _train(X, y, sizes, lr=0.5, num_epochs=3,
                                batch_size=4, rng=np.random.default_rng(1),
                                **flags)
        args = dict(lr=0.5, num_epochs=3, batch_size=4, seed=1,
                    name="train_mlp(...)")
        if mistake is None:
            mlp.check_against_reference(params, losses, X, y, sizes, **args)
            continue
        with pytest.raises(AssertionError) as err:
            mlp.check_against_reference(params, losses, X, y, sizes, **args)
        assert MISTAKES[mistake] in " ".join(str(err.value).split())


def _digits_accuracy(split, seed, **flags):
    X_train, X_test, y_train, y_test = datasets.digits(test_size=0.25,
                                                       seed=split)
    order = np.argsort(y_train, kind="stable")
    params, _ = _train(X_train[order], y_train[order], [64, 32, 10],
                       lr=2.0, num_epochs=30, batch_size=20,
                       rng=np.random.default_rng(seed), **flags)
    return np.mean(mlp.predict(params, X_test) == y_test)


def test_graded_runs_reach_their_targets_and_catch_the_mistakes():
    """Do the graded runs pass a right loop (XNOR in batches of 3 and 1,
    label-sorted digits at 97%), XNOR fail a loop that never steps the
    biases, and the digits one that never shuffles?"""
    X, y = datasets.xnor()
    for seed in (0, 3):
        for biases in (True, False):
            params, losses = _train(X, y, [2, 3, 1], lr=2.0,
                                    num_epochs=1000, batch_size=3,
                                    rng=np.random.default_rng(seed),
                                    biases=biases)
            learned = losses[-1] < 0.01 and np.array_equal(
                mlp.predict(params, X), y)
            assert learned == biases, (seed, losses[-1])
    for split, seed in ((7, 2), (17, 5)):
        assert _digits_accuracy(split, seed) >= 0.975
        assert _digits_accuracy(split, seed, shuffle=False) < 0.9


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
