# %% [markdown]
# # 05 Training a multi-layer perceptron
#
# In chapter 04 you built the pieces of a neural network: affine layers,
# activations, losses, and the backward pass that gives the gradient of the
# loss with respect to every weight. A network with the right gradient still
# knows nothing: it has to **learn**, by taking many small steps downhill on
# its loss. This chapter is about the parts that make learning work in
# practice:
#
# - where the weights start (**initialisation**), and why it matters,
# - which loss suits which output (**binary cross-entropy**, **softmax
#   cross-entropy**),
# - how much data each step sees (**batch, stochastic and mini-batch**
#   gradient descent),
# - how each step uses the gradient (**SGD, momentum, RMSprop, Adam**),
# - and a complete **training loop** that learns XNOR, three Gaussian blobs
#   and real handwritten digits.
#
# The finished layers come from `course_utils.nn` (chapter 04); you do not
# write them again. What you write here: `xavier_init`, `init_params`,
# `bce_loss`, `minibatches`, `sgd_update`, `predict`, `train_mlp`,
# `momentum_update` and `adam_update`. Finished versions of all of them live
# in `course_utils.mlp` (and, as classes, in `course_utils.nn`); the tests
# compare your answers with them and check that you did not simply call
# them.
#
# A network is a dict of arrays, samples are rows:
#
# $$X \in \mathbb{R}^{N \times D},\quad
# \text{params} = \{W_1: (D, H),\ b_1: (H,),\ \dots,\ W_L: (H, C),\ b_L: (C,)\}.$$

# %% [markdown] shared_text="how_to_work.md"
# ## How to work in this notebook
#
# - You work in your own copy, `work/05_mlp/` (`make lab`
#   opens it); `notebooks/` holds the course's release, which `git pull`
#   updates.
# - Run the cells from the top (**Run > Run All Cells**, or Shift+Enter one
#   by one). Run All **stops at the first exercise you have not finished**:
#   its `raise NotImplementedError()` is the placeholder for your code.
#   That is expected. Write your answer in place of `# YOUR CODE HERE`
#   and run on from there.
# - After each exercise come its test cells. A test cell that prints a
#   line starting with ✓ passed. A failed one shows a short block starting
#   with ✗: which test failed and what looks wrong.
# - The tests you see are a part of the grading; hidden tests with other
#   inputs run when your work is graded. Before you hand in, click
#   **Validate** (nbgrader's button in the toolbar): it runs the whole
#   notebook from a fresh kernel and reports every failing test.

# %% [markdown]
# ## Setup
#
# Run this cell first. It imports everything the chapter uses and fixes the
# random seed.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
# %matplotlib inline
import time

import numpy as np
import matplotlib.pyplot as plt

from course_utils import datasets, nn, plotting, widgets
from course_utils.checks import (
    assert_close, assert_not_delegating, call_checked, fail, passed)

rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A first network: the XNOR gate
#
# XNOR outputs 1 when its two inputs agree:
#
# | $x_1$ | $x_2$ | XNOR |
# |:-:|:-:|:-:|
# | 0 | 0 | 1 |
# | 0 | 1 | 0 |
# | 1 | 0 | 0 |
# | 1 | 1 | 1 |
#
# No straight line separates the 1s from the 0s, so a single neuron cannot
# learn it; a hidden layer can. The example this chapter grows from takes
# a **2 -> 3 -> 1** network of sigmoid units, $\sigma(z) = 1/(1 + e^{-z})$,
# **without bias terms**,
#
# $$A_1 = \sigma(X W_1), \qquad a = \sigma(A_1 W_2),$$
#
# trains it by **batch gradient descent** (every step uses all four
# samples) on the mean squared error $L = \frac{1}{N}\sum_n (a_n - y_n)^2$,
# and logs the loss 0.245 at epoch 1000, 0.029 at 3000, 0.003 at 5000 and
# 0.001 at 10000. The cell below trains that network again, from initial
# weights of its own (seed 1) with learning rate 0.8, so its numbers need
# not match the log exactly. The code is chapter 04's chain rule written
# out: forward, loss, backward, a step down.

# %%
X_xnor, y_xnor = datasets.xnor()
checkpoints = [1000, 3000, 5000, 10000]
logged = [0.245, 0.029, 0.003, 0.001]     # the example's log


def train_xnor_without_biases(seed=1, lr=0.8, num_epochs=10000):
    # Batch gradient descent on the MSE of the 2 -> 3 -> 1 sigmoid
    # network without b1 and b2.  Returns the loss of every epoch and
    # the outputs of the last one.
    gen = np.random.default_rng(seed)
    W1, W2 = nn.xavier_init(2, 3, gen), nn.xavier_init(3, 1, gen)
    Y = y_xnor.reshape(-1, 1).astype(float)        # targets as a column
    losses = np.empty(num_epochs)
    for epoch in range(num_epochs):
        A1 = 1 / (1 + np.exp(-(X_xnor @ W1)))
        a = 1 / (1 + np.exp(-(A1 @ W2)))
        error = a - Y
        losses[epoch] = np.mean(error ** 2)
        dZ2 = 2 * error / len(Y) * a * (1 - a)     # dL/d(A1 W2)
        dZ1 = (dZ2 @ W2.T) * A1 * (1 - A1)         # dL/d(X W1)
        W2 -= lr * A1.T @ dZ2
        W1 -= lr * X_xnor.T @ dZ1
    return losses, a.ravel()


start = time.perf_counter()
no_bias, outputs = train_xnor_without_biases()
seconds = time.perf_counter() - start
for epoch, loss in zip(checkpoints, logged):
    print(f"epoch {epoch:>5}: loss {no_bias[epoch - 1]:.4f} "
          f"(the example logged {loss})")
print(f"outputs {outputs.round(3)}, targets {y_xnor}; 10000 epochs in "
      f"{seconds:.2f} s")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(np.arange(1, 10001), no_bias, label="this run (seed 1, lr 0.8)")
ax.plot(checkpoints, logged, "k*", markersize=9, label="the example's log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean squared error")
ax.set_title("XNOR, 2 -> 3 -> 1 sigmoid network without biases")
ax.legend();

# %% [markdown]
# The loss sits on a plateau near 0.25 (every output close to 0.5) for
# the first thousand epochs and then falls fast: the hidden units first
# have to break away from each other and specialise. This run measures
# 0.249, 0.011, 0.0035 and 0.0013 at epochs 1000, 3000, 5000 and 10000: it
# leaves the plateau a little earlier than the logged run, with other
# initial weights, and reaches the same 0.001 by epoch 10000. Networks
# normally have a bias in every unit; the example left them out, and the
# training loop you write later in this chapter puts them back: with
# biases and the binary cross-entropy it learns XNOR in 2000 epochs.

# %% [markdown]
# ## 2. Where the weights start
#
# ### Constant initialisation keeps units identical
#
# Suppose every weight starts at the same value. Then every hidden unit
# computes the same function of the input, receives the same gradient, and
# takes the same step: after any number of steps the units are still
# copies of one another, and the layer behaves like a single unit. Random
# initial weights **break the symmetry**. Here is a 2 -> 4 -> 1 network
# started with every weight 0.5 and trained on XNOR:

# %%
model = nn.MLP([2, 4, 1], activation="sigmoid", output="sigmoid",
               loss="bce", seed=0)
for value in model.params.values():
    value[...] = 0.5          # every weight and bias the same
nn.train(model, X_xnor, y_xnor, optimizer=nn.SGD(1.0), batch_size=4,
         num_epochs=1000, progress=False, shuffle=False)
print("W1 after 1000 epochs (one column per hidden unit):")
print(model.params["W1"])
print("predictions:", model.predict(X_xnor), "targets:", y_xnor)


# %% [markdown]
# All four columns of $W_1$ are still equal, and the network cannot learn
# XNOR.
#
# ### LeCun, Xavier and He initialisation
#
# Random, then, but at what scale? A pre-activation $z = \sum_{i=1}^{n_\text{in}}
# x_i w_i$ with independent zero-mean weights has variance
# $\operatorname{Var}(z) = n_\text{in} \operatorname{Var}(w)\operatorname{Var}(x)$,
# so $\operatorname{Var}(w) = 1/n_\text{in}$ keeps the signal's scale from
# layer to layer on the way forward. On the way back the gradient is
# multiplied by $W^\top$, a sum over $n_\text{out}$ terms, which asks for
# $1/n_\text{out}$ instead. Three rules are in common use, all with biases
# starting at zero:
#
# | rule | $\operatorname{Var}(w)$ | made for |
# |:--|:-:|:--|
# | LeCun (1998) | $1/n_\text{in}$ | tanh, sigmoid |
# | Glorot and Bengio (2010), called **Xavier** | $2/(n_\text{in} + n_\text{out})$ | tanh, sigmoid: a compromise between the two passes |
# | He (2015) | $2/n_\text{in}$ | ReLU (it zeroes half its inputs, hence the 2) |
#
# This course uses the first. Its function is called `xavier_init` (the
# name is part of the exercise below), but the rule it computes,
# $w \sim \mathcal{N}(0, 1/n_\text{in})$, is LeCun's; for a square layer,
# $n_\text{in} = n_\text{out}$, the two agree.
#
# The plot below uses a third activation, the **hyperbolic tangent**
# $\tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}} = 2\sigma(2z) - 1$: an
# S-curve like the sigmoid, but from $-1$ to $1$, centred on 0, with slope
# $\tanh'(z) = 1 - \tanh^2(z)$, which is 1 at $z = 0$. It pushes 200
# samples through a stack of ten tanh layers of width 256 (square layers,
# so LeCun's and Glorot's rules coincide here) and shows the spread of the
# activations on the way forward and of the gradients on the way back,
# for weights drawn too small, with variance $1/n_\text{in}$, and too
# large:

# %%
def layer_stds(scale, num_layers=10, width=256, seed=0):
    # Std of the activations (forward) and of dL/dA (backward) per layer
    # of a tanh stack whose weights have std scale / sqrt(width).
    gen = np.random.default_rng(seed)
    A = gen.standard_normal((200, width))
    Ws, acts = [], []
    for _ in range(num_layers):
        W = gen.standard_normal((width, width)) * scale / np.sqrt(width)
        A = np.tanh(A @ W)
        Ws.append(W)
        acts.append(A)
    dA = gen.standard_normal(A.shape)
    grad_stds = []
    for W, A in zip(Ws[::-1], acts[::-1]):
        dA = (dA * (1 - A**2)) @ W.T
        grad_stds.append(dA.std())
    return [A.std() for A in acts], grad_stds[::-1]


fig, (ax_fwd, ax_bwd) = plt.subplots(1, 2, figsize=(10, 4))
layers = np.arange(1, 11)
for scale, label in [(0.1, "too small: std 0.1/sqrt(n_in)"),
                     (1.0, "LeCun: std 1/sqrt(n_in)"),
                     (3.0, "too large: std 3/sqrt(n_in)")]:
    fwd, bwd = layer_stds(scale)
    ax_fwd.semilogy(layers, fwd, "o-", label=label)
    ax_bwd.semilogy(layers, bwd, "o-", label=label)
    print(f"{label:<30} activations {fwd[0]:.2g} -> {fwd[-1]:.2g}, "
          f"gradients {bwd[-1]:.2g} -> {bwd[0]:.2g}")
ax_fwd.set_title("activations, forward")
ax_bwd.set_title("gradients dL/dA, backward")
for ax in (ax_fwd, ax_bwd):
    ax.set_xlabel("layer")
    ax.set_ylabel("standard deviation")
ax_fwd.legend(fontsize=8);


# %% [markdown]
# Too small, and the signal shrinks by a constant factor in every layer:
# after ten layers the activations and the gradients have all but vanished
# (about $10^{-10}$), and the first layers stop learning (**vanishing**
# gradients). Too large, and tanh saturates at $\pm 1$: the activations
# carry only signs, and the gradients, multiplied by large weights in every
# layer, grow on the way back, here to about 20 (**exploding** gradients).
# Variance $1/n_\text{in}$ keeps both within a small factor of 1 through
# all ten layers (tanh's slope, below 1 away from 0, still shrinks them
# slowly).
#
# ### Exercise 1: initialisation with variance 1/fan_in (3 points)
#
# Write `xavier_init(fan_in, fan_out, rng)` returning a weight matrix of
# shape `(fan_in, fan_out)` with entries drawn from
# $\mathcal{N}(0, 1/\text{fan\_in})$: LeCun's rule, under the name this
# course gives it. Draw them **from the generator you are given**, exactly
# as
#
# ```python
# rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
# ```
#
# so that the same generator state gives the same weights, draw for draw
# (that is how the tests, and your experiments, stay reproducible).

# %% nbgrader={"grade": false, "grade_id": "xavier_init", "locked": false, "schema_version": 3, "solution": true}
def xavier_init(fan_in, fan_out, rng):
    """Weights W ~ normal(0, 1 / fan_in) (LeCun's rule, the course's name).

    fan_in, fan_out: int, the layer's input and output widths.
    rng: a np.random.Generator, the only source of randomness.
    Returns W: (fan_in, fan_out) float64.
    """
    ### BEGIN SOLUTION
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
    ### END SOLUTION


# %% [markdown]
# `xavier_init(400, 300, np.random.default_rng(0))` should have shape
# `(400, 300)`, mean close to 0 and standard deviation close to
# $1/\sqrt{400} = 0.05$:

# %%
W = xavier_init(400, 300, np.random.default_rng(0))
print(W.shape, f"mean {W.mean():.4f}, std {W.std():.4f}")

# %% nbgrader={"grade": true, "grade_id": "test_xavier_init_draws", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does xavier_init draw standard normals from rng times sqrt(1 / fan_in)?"""
if not (np.array_equal(xavier_init(2, 3, np.random.default_rng(4)),
                       xavier_init(2, 3, np.random.default_rng(4)))):
    fail("xavier_init gave different weights for the same generator state: "
         "draw from the rng you are given (rng.standard_normal), not np.random")
gen, ref = np.random.default_rng(4), np.random.default_rng(4)
first, second = xavier_init(2, 3, gen), xavier_init(2, 3, gen)
if np.shape(first) == np.shape(second) and np.array_equal(first, second):
    fail("xavier_init gave the same weights twice from one generator: draw "
         "from the rng you are given (it moves on with every draw), not from "
         "a generator of your own")
assert_close(first, ref.standard_normal((2, 3)) * np.sqrt(1 / 2),
             "xavier_init(2, 3, rng)", rtol=1e-12)
assert_close(second, ref.standard_normal((2, 3)) * np.sqrt(1 / 2),
             "a second xavier_init(2, 3, rng) from the same generator",
             rtol=1e-12)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5101)
for _ in range(5):
    _n_in, _n_out = (int(n) for n in _rng.integers(1, 40, 2))
    _seed = int(_rng.integers(1 << 30))
    assert_close(xavier_init(_n_in, _n_out, np.random.default_rng(_seed)),
                 nn.xavier_init(_n_in, _n_out, np.random.default_rng(_seed)),
                 f"xavier_init({_n_in}, {_n_out}, rng)", rtol=1e-12)
# two draws in a row continue the same stream
_gen, _ref = np.random.default_rng(7), np.random.default_rng(7)
for _n_in, _n_out in [(3, 4), (4, 2)]:
    assert_close(xavier_init(_n_in, _n_out, _gen),
                 nn.xavier_init(_n_in, _n_out, _ref),
                 f"a second xavier_init({_n_in}, {_n_out}, rng) from the "
                 "same generator", rtol=1e-12)
from course_utils import mlp as _mlp_ref
assert_not_delegating(xavier_init, nn.xavier_init, nn.he_init, nn.MLP,
                      _mlp_ref.xavier_init)
### END HIDDEN TESTS
passed("xavier_init: the same draws as the formula")

# %% nbgrader={"grade": true, "grade_id": "test_xavier_init_scale", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does xavier_init give shape (fan_in, fan_out) and variance 1/fan_in?"""
W = np.asarray(xavier_init(500, 200, np.random.default_rng(1)))
if not (W.shape == (500, 200)):
    fail(f"xavier_init(500, 200, rng) has shape {W.shape}, expected (500, 200): "
         "rows are fan_in, columns fan_out")
if not (abs(W.mean()) < 0.002):
    fail("the weights should have mean 0")
if not (abs(W.var() * 500 - 1) < 0.02):
    fail("the variance of the weights is not 1/fan_in: the standard deviation "
         "is sqrt(1/fan_in) (not 1/fan_in, and fan_in, not fan_out)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5102)
for _n_in, _n_out in [(50, 2000), (3000, 40), (1, 5000)]:
    _W = np.asarray(xavier_init(_n_in, _n_out, _rng))
    if not (_W.shape == (_n_in, _n_out)):
        fail(f"xavier_init({_n_in}, {_n_out}, rng) has shape {_W.shape}")
    if not (abs(_W.var() * _n_in - 1) < 0.1):
        fail(f"xavier_init({_n_in}, {_n_out}, rng): the variance is not "
             "1/fan_in")
### END HIDDEN TESTS
passed("xavier_init: shape and variance 1/fan_in")


# %% [markdown]
# ### Exercise 2: a whole network's parameters (3 points)
#
# Write `init_params(layer_sizes, rng)`: for `layer_sizes = [D, H1, ..., C]`
# return a dict with `W1, b1, ..., WL, bL`, where `Wl` has shape
# (`layer_sizes[l-1]`, `layer_sizes[l]`) and comes from your `xavier_init`,
# drawn **in layer order, W1 first**, from the one generator `rng`, and `bl`
# is a vector of zeros of shape (`layer_sizes[l]`,).

# %% nbgrader={"grade": false, "grade_id": "init_params", "locked": false, "schema_version": 3, "solution": true}
def init_params(layer_sizes, rng):
    """Weights from xavier_init and zero biases for an MLP.

    layer_sizes: [D, H1, ..., C], L + 1 ints.
    rng: a np.random.Generator; W1 is drawn first, then W2, ...
    Returns {"W1": (D, H1), "b1": (H1,), ..., "WL": (H, C), "bL": (C,)}.
    """
    ### BEGIN SOLUTION
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = xavier_init(layer_sizes[l - 1], layer_sizes[l], rng)
        params[f"b{l}"] = np.zeros(layer_sizes[l])
    return params
    ### END SOLUTION


# %% [markdown]
# `init_params([2, 3, 1], rng)` should give `W1` (2, 3), `b1` (3,), `W2`
# (3, 1), `b2` (1,), the biases all zero:

# %%
params = init_params([2, 3, 1], np.random.default_rng(0))
for name, value in params.items():
    print(name, value.shape, value.ravel())

# %% nbgrader={"grade": true, "grade_id": "test_init_params_structure", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does init_params return W1, b1, ..., WL, bL, shaped right, b zero?"""
from course_utils import mlp as _mlp
# judge init_params alone: run it with a correct xavier_init
with _mlp.correct_helpers(globals(), ["xavier_init"]):
    params = init_params([4, 3, 2], np.random.default_rng(0))
if not (isinstance(params, dict)):
    fail("init_params should return a dict")
if not (sorted(params) == ["W1", "W2", "b1", "b2"]):
    fail(f"init_params([4, 3, 2], rng) has keys {sorted(params)}, expected "
         "W1, b1, W2, b2")
for name, shape in [("W1", (4, 3)), ("b1", (3,)), ("W2", (3, 2)),
                    ("b2", (2,))]:
    if not (np.shape(params[name]) == shape):
        fail(f"{name} has shape {np.shape(params[name])}, expected {shape}")
for name in ["b1", "b2"]:
    if not (np.all(np.asarray(params[name]) == 0)):
        fail(f"{name} should start at zero: the random weights already break "
             "the symmetry")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5201)
for _ in range(3):
    _sizes = [int(n) for n in _rng.integers(1, 9, int(_rng.integers(2, 6)))]
    with _mlp.correct_helpers(globals(), names=["xavier_init"]):
        _p = init_params(_sizes, np.random.default_rng(0))
    _keys = sorted(f"{k}{l}" for l in range(1, len(_sizes)) for k in "Wb")
    if not (sorted(_p) == _keys):
        fail(f"init_params({_sizes}, rng) has keys {sorted(_p)}: one W and one "
             "b per layer")
    for _l in range(1, len(_sizes)):
        if not (np.shape(_p[f"W{_l}"]) == (_sizes[_l - 1], _sizes[_l])):
            fail(f"init_params({_sizes}, rng): W{_l} has the wrong shape")
        if not (np.shape(_p[f"b{_l}"]) == (_sizes[_l],)):
            fail(f"init_params({_sizes}, rng): b{_l} has the wrong shape")
        if not (np.all(np.asarray(_p[f"b{_l}"]) == 0)):
            fail(f"init_params({_sizes}, rng): b{_l} is not zero")
### END HIDDEN TESTS
passed("init_params: keys, shapes, zero biases")

# %% nbgrader={"grade": true, "grade_id": "test_init_params_draws", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does init_params draw its weights from rng, in layer order, W1 first?"""
from course_utils import mlp as _mlp


def used_generator(seed):
    # a generator that has drawn five numbers already
    gen = np.random.default_rng(seed)
    gen.standard_normal(5)
    return gen


gen = used_generator(3)
# judge init_params alone: run it with a correct xavier_init
with _mlp.correct_helpers(globals(), ["xavier_init"]):
    params = init_params([4, 3, 2], gen)
if gen.bit_generator.state == used_generator(3).bit_generator.state:
    fail("init_params did not draw from the rng it was given: pass rng on to "
         "xavier_init for every layer, and make no generator of your own")
ref = used_generator(3)
W1 = ref.standard_normal((4, 3)) * np.sqrt(1 / 4)
W2 = ref.standard_normal((3, 2)) * np.sqrt(1 / 3)
backwards = used_generator(3)
backwards.standard_normal((3, 2))   # W2 drawn first, then W1
if np.shape(params["W1"]) == (4, 3) and np.allclose(
        params["W1"], backwards.standard_normal((4, 3)) * np.sqrt(1 / 4)):
    fail("init_params drew W2 before W1: draw the layers in order, W1 first")
assert_close(params["W1"], W1, 'init_params([4, 3, 2], rng)["W1"]')
assert_close(params["W2"], W2, 'init_params([4, 3, 2], rng)["W2"]')
assert_not_delegating(init_params, nn.MLP, _mlp.init_params)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5202)
for _ in range(4):
    _sizes = [int(n) for n in _rng.integers(1, 9, int(_rng.integers(2, 6)))]
    _seed = int(_rng.integers(1 << 30))
    with _mlp.correct_helpers(globals(), names=["xavier_init"]):
        _p = init_params(_sizes, np.random.default_rng(_seed))
    with _mlp.correct_helpers(globals(), names=["xavier_init"]):
        _other = init_params(_sizes, np.random.default_rng(_seed + 1))
    if not (not np.array_equal(_p["W1"], _other["W1"])):
        fail("init_params gives the same weights for two different generators: "
             "draw them from the rng you are given")
    _model = nn.MLP(_sizes, activation="sigmoid", output="sigmoid",
                    seed=_seed)
    for _k, _v in _model.params.items():
        assert_close(_p[_k], _v, f"init_params({_sizes}, rng)[{_k!r}]")
### END HIDDEN TESTS
passed("init_params: weights from rng, in layer order")

# %% [markdown]
# ## 3. Activations and losses
#
# The hidden activations of this course and their derivatives, which the
# backward pass multiplies in at every layer:
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}},\quad \sigma'(z) = \sigma(z)\,(1 - \sigma(z));
# \qquad \tanh'(z) = 1 - \tanh^2(z);
# \qquad \operatorname{relu}(z) = \max(z, 0),\quad \operatorname{relu}'(z) = \begin{cases}1 & z > 0\\ 0 & z < 0.\end{cases}$$
#
# The sigmoid's slope is at most $1/4$ and tanh's at most 1, and both
# vanish for large $|z|$; ReLU's is 1 wherever the unit is active, which
# is one reason deep ReLU networks train faster.

# %%
z = np.linspace(-6, 6, 241)
s = nn.sigmoid(z)
fig, (ax_s, ax_t, ax_r) = plt.subplots(1, 3, figsize=(12, 3.5))
ax_s.plot(z, s, label=r"$\sigma(z)$")
ax_s.plot(z, s * (1 - s), label=r"$\sigma'(z) = \sigma(1 - \sigma)$")
ax_t.plot(z, np.tanh(z), label="tanh(z)")
ax_t.plot(z, 1 - np.tanh(z) ** 2, label=r"$1 - \tanh^2(z)$")
ax_r.plot(z, np.maximum(z, 0), label="relu(z)")
ax_r.plot(z, (z > 0).astype(float), label="relu'(z)")
for ax in (ax_s, ax_t, ax_r):
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("z")
    ax.legend()
ax_s.set_title("sigmoid")
ax_t.set_title("tanh")
ax_r.set_title("ReLU");

# %% [markdown]
# ### Binary cross-entropy
#
# For a 0/1 target $y$ and a sigmoid output $a = \sigma(z)$, the **binary
# cross-entropy** is the negative log-likelihood of the target,
#
# $$L = -y \log a - (1 - y)\log(1 - a),\qquad
# \frac{\partial L}{\partial a} = \frac{a - y}{a(1 - a)}.$$
#
# It suits a sigmoid output because the chain rule cancels the sigmoid's
# slope: $\partial L/\partial z = \frac{a - y}{a(1-a)} \cdot a(1 - a) = a - y$.
# The gradient is as large as the error, even when the unit is saturated
# and confidently wrong, where the squared error's gradient
# $2(a - y)\,a(1-a)$ nearly vanishes. Averaged over a batch of $N$ samples,
# both the loss and its gradient carry a factor $1/N$.
#
# ### Softmax and cross-entropy
#
# With $C > 2$ classes the output layer gives $C$ scores per sample and the
# **softmax** turns them into probabilities,
# $\hat y_c = e^{s_c} / \sum_{k} e^{s_k}$. The cross-entropy of the true
# class $y$ is $L = -\log \hat y_{y}$, and its gradient with respect to the
# scores is remarkably simple:
#
# $$\frac{\partial L}{\partial s} = \hat y - \operatorname{onehot}(y).$$
#
# `nn.softmax_cross_entropy(S, y)` returns the mean loss and
# $(\hat Y - Y)/N$; a numerical gradient (chapter 01) agrees:

# %%
from course_utils.derivatives import numerical_gradient

S = rng.standard_normal((4, 3))
labels = np.array([0, 2, 1, 2])
loss, dS = nn.softmax_cross_entropy(S, labels)
numeric = numerical_gradient(
    lambda T: nn.softmax_cross_entropy(T, labels)[0], S)
one_hot = np.eye(3)[labels]
print(f"loss {loss:.4f}")
print("largest difference from (softmax - one_hot) / N:",
      np.abs(dS - (nn.softmax(S) - one_hot) / 4).max())
print("largest difference from the numerical gradient:",
      np.abs(dS - numeric).max())


# %% [markdown]
# ### Exercise 3: binary cross-entropy (3 points)
#
# Write `bce_loss(a, y)` for sigmoid outputs `a` of shape (N, 1) and 0/1
# targets `y` of the same shape. Return the **mean** loss over the $N$
# samples and its gradient with respect to `a`,
#
# $$L = \frac{1}{N}\sum_{n=1}^{N} \bigl[-y_n \log a_n - (1 - y_n)\log(1 - a_n)\bigr],
# \qquad \frac{\partial L}{\partial a_n} = \frac{1}{N}\,\frac{a_n - y_n}{a_n (1 - a_n)}.$$
#
# A saturated sigmoid returns exactly 0.0 or 1.0 in floating point, and
# $\log 0 = -\infty$. So first **clip** `a` to $[10^{-12}, 1 - 10^{-12}]$
# (`np.clip`) and compute both the loss and the gradient from the clipped
# values: they then stay finite. Do not change the caller's `a`.

# %% nbgrader={"grade": false, "grade_id": "bce_loss", "locked": false, "schema_version": 3, "solution": true}
def bce_loss(a, y):
    """Mean binary cross-entropy of sigmoid outputs, and its gradient.

    a: (N, 1) float64 in [0, 1]; y: (N, 1) 0/1 targets.
    Returns (loss, da): loss a float, da = dL/da: (N, 1).
    """
    ### BEGIN SOLUTION
    a = np.clip(a, 1e-12, 1 - 1e-12)
    N = a.shape[0]
    loss = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / N
    da = (a - y) / (a * (1 - a)) / N
    return float(loss), da
    ### END SOLUTION


# %% [markdown]
# For `a = [[0.5], [0.8]]` and `y = [[1], [0]]` it should give
# $L = \frac{1}{2}(\log 2 + \log 5) \approx 1.1513$ and
# $\partial L/\partial a = [[-1], [2.5]]$:

# %%
print(bce_loss(np.array([[0.5], [0.8]]), np.array([[1.0], [0.0]])))

# %% nbgrader={"grade": true, "grade_id": "test_bce_loss_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does bce_loss return the mean loss and dL/da = (a - y) / (a (1 - a)) / N?"""
a = np.array([[0.5], [0.8]])
y = np.array([[1.0], [0.0]])
loss, da = call_checked(bce_loss, a, y, name="bce_loss(a, y)")
assert_close(loss, (np.log(2) + np.log(5)) / 2, "the loss of bce_loss(a, y)")
assert_close(da, [[-1.0], [2.5]], "the gradient da of bce_loss(a, y)")
from course_utils import mlp as _mlp
assert_not_delegating(bce_loss, nn.bce_loss, _mlp.bce_loss,
                      "sklearn.metrics.log_loss")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5301)
for _ in range(5):
    _N = int(_rng.integers(1, 30))
    _S = _rng.normal(scale=3, size=(_N, 1))
    _y = _rng.integers(0, 2, (_N, 1)).astype(float)
    _a = nn.sigmoid(_S)
    _loss, _da = call_checked(bce_loss, _a, _y, name=f"bce_loss(a, y), N={_N}")
    _ref, _dS = nn.bce_loss(_S, _y)
    assert_close(_loss, _ref, f"the loss of bce_loss(a, y) with N = {_N}")
    assert_close(_da, _dS / (_a * (1 - _a)),
                 f"the gradient da of bce_loss(a, y) with N = {_N}")
### END HIDDEN TESTS
passed("bce_loss: mean loss and its gradient")

# %% nbgrader={"grade": true, "grade_id": "test_bce_loss_clipping", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does bce_loss clip a to [1e-12, 1 - 1e-12], finite for a = 0 or 1?"""
a = np.array([[0.0], [1.0], [1.0]])
y = np.array([[1.0], [0.0], [1.0]])
with np.errstate(all="ignore"):
    loss, da = call_checked(bce_loss, a, y, name="bce_loss(a, y)")
if not (np.isfinite(loss) and np.all(np.isfinite(da))):
    fail("bce_loss gave inf or NaN for a = 0 or 1: clip a to "
         "[1e-12, 1 - 1e-12] before taking logs and dividing")
clipped = np.clip(a, 1e-12, 1 - 1e-12)
assert_close(loss,
             -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)),
             "the loss of bce_loss(a, y) with a = 0 and 1", rtol=1e-9)
### BEGIN HIDDEN TESTS
_a = np.clip(np.array([[0.0], [1e-15], [1.0], [0.3]]), 1e-12, 1 - 1e-12)
_y = np.array([[0.0], [1.0], [1.0], [1.0]])
with np.errstate(divide="ignore", invalid="ignore"):
    _loss, _da = call_checked(
        bce_loss, np.array([[0.0], [1e-15], [1.0], [0.3]]), _y,
        name="bce_loss(a, y) with a = 0 or 1")
assert_close(_da, (_a - _y) / (_a * (1 - _a)) / 4,
             "the gradient of bce_loss(a, y) with a = 0 or 1: compute it "
             "from the clipped a too,", rtol=1e-9)
### END HIDDEN TESTS
passed("bce_loss: finite for saturated outputs")

# %% [markdown]
# ## 4. Batch, stochastic and mini-batch gradient descent
#
# The loss of a network is a mean over the $N$ training samples, and so is
# its gradient. How many samples should one step look at?
#
# - **Batch** gradient descent uses all $N$: the exact gradient, but one
#   step per pass over the data (an **epoch**).
# - **Stochastic** gradient descent (SGD) uses one sample: $N$ noisy steps
#   per epoch.
# - **Mini-batch** gradient descent uses $B$ samples (often 32 to 256):
#   $\lceil N/B \rceil$ steps per epoch (the last batch holds what is
#   left), each with a usable estimate of the gradient, and the matrix
#   products of a batch run far faster per sample than $B$ separate ones.
#
# Each epoch visits the samples in a fresh random order, so that the
# batches differ from epoch to epoch and none of them holds only one
# class, as they would on data sorted by label. There is **no free
# lunch**: no batch size, learning rate or optimiser is best for every
# problem, and the right choice depends on the data, the network and the
# time you have. Here are the three on one problem, the three blobs of
# section 5, each with the same initial weights and five epochs:

# %%
X_blobs, y_blobs = datasets.blobs(n_per_class=500, seed=0)
fig, ax = plt.subplots(figsize=(6, 4))
for batch_size, lr, label in [(len(X_blobs), 0.5, "batch (B = N = 1500)"),
                              (1, 0.05, "stochastic (B = 1)"),
                              (32, 0.5, "mini-batch (B = 32)")]:
    model = nn.MLP([2, 3, 3], activation="sigmoid", seed=0)
    start = time.perf_counter()
    history = nn.train(model, X_blobs, y_blobs, optimizer=nn.SGD(lr),
                       batch_size=batch_size, num_epochs=5, progress=False)
    seconds = time.perf_counter() - start
    accuracy = np.mean(model.predict(X_blobs) == y_blobs)
    print(f"{label:<22} lr {lr:<5} {seconds:.2f} s, final loss "
          f"{history['loss'][-1]:.3f}, accuracy {accuracy:.1%}")
    ax.plot(np.arange(1, 6), history["loss"], ".-", label=label)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("three blobs, 2 -> 3 -> 3, 5 epochs")
ax.legend();


# %% [markdown]
# After five epochs batch gradient descent has taken five steps and its
# loss is still high, while stochastic gradient descent has taken 7500
# steps, each the cheapest but together by far the slowest to compute.
# Mini-batches sit between: nearly the progress of SGD per epoch, at a
# fraction of its cost.
#
# ### Exercise 4: mini-batches (3 points)
#
# Write `minibatches(N, batch_size, rng)` returning one epoch's batches: a
# list of integer index arrays. Shuffle with **one** call
# `rng.permutation(N)` and cut that order into consecutive pieces of
# `batch_size` indices; the last piece holds what is left and may be
# smaller. Every sample then appears exactly once per epoch.

# %% nbgrader={"grade": false, "grade_id": "minibatches", "locked": false, "schema_version": 3, "solution": true}
def minibatches(N, batch_size, rng):
    """One epoch of shuffled mini-batches.

    N: number of samples; batch_size: B >= 1; rng: a np.random.Generator.
    Returns a list of ceil(N / B) int arrays: rng.permutation(N) cut into
    consecutive pieces of B indices (the last one may be shorter).
    """
    ### BEGIN SOLUTION
    order = rng.permutation(N)
    return [order[i:i + batch_size] for i in range(0, N, batch_size)]
    ### END SOLUTION


# %% [markdown]
# `minibatches(10, 4, rng)` should give three batches of 4, 4 and 2 indices,
# together 0, ..., 9 in a shuffled order:

# %%
for batch in minibatches(10, 4, np.random.default_rng(0)):
    print(batch)

# %% nbgrader={"grade": true, "grade_id": "test_minibatches_cover", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Do the batches hold batch_size indices (the last fewer), each once?"""
batches = minibatches(10, 4, np.random.default_rng(0))
sizes = [len(b) for b in batches]
if not (sizes == [4, 4, 2]):
    fail(f"minibatches(10, 4, rng) gave batches of sizes {sizes}, expected "
         "[4, 4, 2]: keep the last, smaller batch")
together = np.sort(np.concatenate([np.asarray(b) for b in batches]))
if not (np.array_equal(together, np.arange(10))):
    fail("the batches of minibatches(10, 4, rng) should hold each index "
         "0..9 exactly once")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5401)
for _ in range(6):
    _N, _B = int(_rng.integers(1, 200)), int(_rng.integers(1, 40))
    _batches = minibatches(_N, _B, np.random.default_rng(1))
    _sizes = [len(b) for b in _batches]
    _want = [_B] * (_N // _B) + ([_N % _B] if _N % _B else [])
    if not (_sizes == _want):
        fail(f"minibatches({_N}, {_B}, rng) gave batch sizes {_sizes[:8]}...: "
             "each batch holds batch_size indices, the last one what is left")
    _joined = np.concatenate([np.asarray(b) for b in _batches])
    if not (np.array_equal(np.sort(_joined), np.arange(_N))):
        fail(f"minibatches({_N}, {_B}, rng) does not cover every sample once")
### END HIDDEN TESTS
passed("minibatches: every sample exactly once")

# %% nbgrader={"grade": true, "grade_id": "test_minibatches_shuffled", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does minibatches cut one rng.permutation(N), a new order each epoch?"""
gen = np.random.default_rng(0)
first, second = minibatches(10, 4, gen), minibatches(10, 4, gen)
ref = np.random.default_rng(0)
for epoch, batches in [("first", first), ("second", second)]:
    order = ref.permutation(10)
    joined = np.concatenate([np.asarray(b) for b in batches])
    if not (not np.array_equal(joined, np.arange(10))):
        fail("the batches come in the order 0, 1, 2, ...: shuffle first, with "
             "rng.permutation(N)")
    if np.array_equal(np.sort(joined), np.arange(10)):
        if not (np.array_equal(joined, order)):
            fail(f"the {epoch} epoch's batches are shuffled, but not in the order "
                 "of one rng.permutation(N) from the rng you are given (not "
                 "np.random, not one draw per batch)")
    assert_close(np.concatenate([np.asarray(b) for b in batches]), order,
                 f"the {epoch} epoch's minibatches(10, 4, rng), joined "
                 "(one rng.permutation(10), cut in order)")
from course_utils import mlp as _mlp
assert_not_delegating(minibatches, _mlp.minibatches)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5402)
for _ in range(5):
    _N, _B = int(_rng.integers(2, 300)), int(_rng.integers(1, 50))
    _seed = int(_rng.integers(1 << 30))
    _got = minibatches(_N, _B, np.random.default_rng(_seed))
    _want = np.random.default_rng(_seed).permutation(_N)
    assert_close(np.concatenate([np.asarray(b) for b in _got]), _want,
                 f"minibatches({_N}, {_B}, rng), joined")
### END HIDDEN TESTS
passed("minibatches: one shuffle per epoch, cut in order")


# %% [markdown]
# ### Exercise 5: the SGD step (2 points)
#
# Write `sgd_update(params, grads, lr)`: for every key `k`, take the step
# $p \leftarrow p - \text{lr}\cdot g$ **in place**, `params[k] -= lr *
# grads[k]`, so that whoever holds the arrays of `params` sees them move.
# Return nothing, and leave `grads` alone.

# %% nbgrader={"grade": false, "grade_id": "sgd_update", "locked": false, "schema_version": 3, "solution": true}
def sgd_update(params, grads, lr):
    """Plain gradient descent, in place: p -= lr * g for every key.

    params, grads: dicts of arrays with the same keys and shapes.
    lr: the learning rate (float).  Returns None.
    """
    ### BEGIN SOLUTION
    for k, p in params.items():
        p -= lr * grads[k]
    ### END SOLUTION


# %% [markdown]
# With `W = [1, 2]`, gradient `[0.5, -1]` and `lr = 0.1`, `W` should become
# `[0.95, 2.1]`:

# %%
params = {"W": np.array([1.0, 2.0])}
sgd_update(params, {"W": np.array([0.5, -1.0])}, lr=0.1)
print(params["W"])

# %% nbgrader={"grade": true, "grade_id": "test_sgd_update_values", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does sgd_update leave params[k] - lr * grads[k], grads untouched?"""
params = {"W": np.array([[1.0, 2.0]]), "b": np.array([0.5])}
grads = {"W": np.array([[0.5, -1.0]]), "b": np.array([2.0])}
sgd_update(params, grads, 0.1)
if not (not np.array_equal(params["W"], [[1.0, 2.0]])):
    fail("sgd_update left params unchanged: `p = p - ...` only gives a new "
         "array a name; write params[k] -= lr * grads[k]")
if not (not np.allclose(params["W"], [[1.05, 1.9]])):
    fail("sgd_update steps uphill, along the gradient: subtract lr * grads[k]")
assert_close(params["W"], [[0.95, 2.1]], 'params["W"] after sgd_update')
assert_close(params["b"], [0.3], 'params["b"] after sgd_update')
if not (np.array_equal(grads["W"], [[0.5, -1.0]])):
    fail("sgd_update changed grads")
from course_utils import mlp as _mlp
assert_not_delegating(sgd_update, nn.SGD, _mlp.sgd_update)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5501)
for _ in range(4):
    _p = {f"W{i}": _rng.standard_normal(tuple(_rng.integers(1, 5, 2)))
          for i in range(3)}
    _g = {k: _rng.standard_normal(v.shape) for k, v in _p.items()}
    _lr = float(_rng.uniform(0.01, 1))
    _ref = {k: v.copy() for k, v in _p.items()}
    nn.SGD(_lr).step(_ref, _g)
    sgd_update(_p, _g, _lr)
    for _k in _p:
        assert_close(_p[_k], _ref[_k], f"params[{_k!r}] after sgd_update")
### END HIDDEN TESTS
passed("sgd_update: p - lr * g")

# %% nbgrader={"grade": true, "grade_id": "test_sgd_update_in_place", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does sgd_update change the arrays of params in place (params[k] -= ...)?"""
W = np.array([1.0, 2.0])
params = {"W": W}
sgd_update(params, {"W": np.array([0.5, -1.0])}, 0.1)
if not (params["W"] is W):
    fail("sgd_update put a new array into params; change the old one in "
         "place with params[k] -= lr * grads[k]")
assert_close(W, [0.95, 2.1], "the array of params after sgd_update "
             "(it should change in place)")
### BEGIN HIDDEN TESTS
_W = np.ones((3, 2))
_view = _W[1:]
_p = {"W": _W, "c": np.zeros(2)}
sgd_update(_p, {"W": np.ones((3, 2)), "c": np.ones(2)}, 0.5)
assert_close(_view, np.full((2, 2), 0.5),
             "a view of params['W'] after sgd_update (in place)")
assert_close(_p["c"], [-0.5, -0.5], 'params["c"] after sgd_update')
### END HIDDEN TESTS
passed("sgd_update: in place")


# %% [markdown]
# ## 5. The training loop
#
# Everything is ready for a complete loop. For a network with sigmoid
# hidden layers, `layer_sizes = [D, H1, ..., C]` and `L` affine layers:
#
# 1. initialise the parameters with `init_params`, from `rng`;
# 2. for each epoch, `for idx in minibatches(N, batch_size, rng)`:
#    - forward: $A_0 = X_\text{idx}$, $A_l = \sigma(A_{l-1} W_l + b_l)$ for
#      the hidden layers, scores $S = A_{L-1} W_L + b_L$;
#    - loss and $\partial L/\partial S$: with **one output unit**, a sigmoid
#      output $a = \sigma(S)$ and `bce_loss(a, y)` on the 0/1 targets as a
#      column, then $\partial L/\partial S = \partial L/\partial a \cdot
#      a(1-a)$; with **C > 1 outputs**, `nn.softmax_cross_entropy(S, y)` on
#      the integer labels;
#    - backward through the layers to the gradient of every weight **and
#      every bias**, then one `sgd_update` step with the learning rate
#      `lr`;
# 3. record one loss per epoch, the mean loss over the epoch's samples:
#    add up each batch's loss times its number of samples (each loss taken
#    before its update) and divide by $N$. The last batch may be smaller
#    than the others, and a plain mean of the batch losses would give its
#    few samples the weight of a full batch.
#
# For the layers, use the finished ones of chapter 04 (`nn.affine_forward`,
# `nn.affine_backward`, `nn.sigmoid_forward`, `nn.sigmoid_backward`,
# `nn.softmax_cross_entropy`) or write their formulas out. Not allowed:
# `nn.MLP`, `nn.train` and the optimiser classes, or a ready-made network
# from a library.
#
# ### Exercise 6: predictions (2 points)
#
# First the forward pass alone. Write `predict(params, X)` returning one
# label per sample, shape (N,): with C > 1 outputs the class of the largest
# score, with one output unit 1 where the sigmoid output is at least 0.5
# (that is, where the score is $\ge 0$) and 0 elsewhere. The number of
# layers is `len(params) // 2`.

# %% nbgrader={"grade": false, "grade_id": "predict", "locked": false, "schema_version": 3, "solution": true}
def predict(params, X):
    """Labels of a sigmoid MLP for the samples X.

    params: {"W1": (D, H1), "b1": (H1,), ..., "WL": (H, C), "bL": (C,)}.
    X: (N, D) float64.
    Returns (N,) int: argmax of the scores when C > 1; 0/1 (sigmoid
    output >= 0.5) when C = 1.
    """
    ### BEGIN SOLUTION
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A, _ = nn.sigmoid_forward(A @ params[f"W{l}"] + params[f"b{l}"])
    S = A @ params[f"W{L}"] + params[f"b{L}"]
    if S.shape[1] == 1:
        return (S[:, 0] >= 0).astype(int)
    return S.argmax(axis=1)
    ### END SOLUTION


# %% [markdown]
# A one-layer "network" with $W = I$ and $b = 0$ predicts the index of the
# largest input: `predict({"W1": np.eye(3), "b1": np.zeros(3)}, X)` should
# give `[2, 0]` for `X = [[0, 1, 2], [5, 1, 0]]`:

# %%
print(predict({"W1": np.eye(3), "b1": np.zeros(3)},
              np.array([[0.0, 1.0, 2.0], [5.0, 1.0, 0.0]])))

# %% nbgrader={"grade": true, "grade_id": "test_predict_classes", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does predict give the class of the largest score, shape (N,), for C > 1?"""
params = {"W1": np.eye(3), "b1": np.zeros(3)}
X = np.array([[0.0, 1.0, 2.0], [5.0, 1.0, 0.0]])
labels = call_checked(predict, params, X, name="predict(params, X)")
assert_close(labels, [2, 0], "predict(params, X) with W1 = I")
# a hidden layer: sigmoid(0) = 0.5 for both units, scores 0.5 * [1, 3]
params = {"W1": np.zeros((2, 2)), "b1": np.zeros(2),
          "W2": np.array([[0.0, 1.0], [1.0, 2.0]]), "b2": np.zeros(2)}
assert_close(predict(params, np.ones((1, 2))), [1],
             "predict with one hidden layer")
from course_utils import mlp as _mlp
assert_not_delegating(predict, nn.MLP, _mlp.predict)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5601)
for _ in range(4):
    _sizes = [int(n) for n in _rng.integers(2, 7, int(_rng.integers(2, 5)))]
    _model = nn.MLP(_sizes, activation="sigmoid", seed=int(_rng.integers(99)))
    _X = _rng.standard_normal((int(_rng.integers(1, 20)), _sizes[0]))
    _p = {k: v.copy() for k, v in _model.params.items()}
    assert_close(call_checked(predict, _p, _X, name="predict(params, X)"),
                 _model.predict(_X), f"predict for a {_sizes} network")
### END HIDDEN TESTS
passed("predict: argmax for C > 1")

# %% nbgrader={"grade": true, "grade_id": "test_predict_binary", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does predict give 0/1 labels of shape (N,) for one output unit?"""
params = {"W1": np.array([[1.0], [-1.0]]), "b1": np.array([0.0])}
X = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 1.0]])
assert_close(call_checked(predict, params, X, name="predict(params, X)"),
             [1, 0, 1], "predict(params, X) with one output unit")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5602)
for _ in range(4):
    _sizes = [int(n) for n in _rng.integers(2, 7, int(_rng.integers(2, 5)))]
    _sizes[-1] = 1
    _model = nn.MLP(_sizes, activation="sigmoid", output="sigmoid",
                    seed=int(_rng.integers(99)))
    _X = _rng.standard_normal((int(_rng.integers(1, 20)), _sizes[0]))
    _p = {k: v.copy() for k, v in _model.params.items()}
    assert_close(call_checked(predict, _p, _X, name="predict(params, X)"),
                 _model.predict(_X), f"predict for a {_sizes} network")
### END HIDDEN TESTS
passed("predict: 0/1 labels for one output unit")


# %% [markdown]
# ### Exercise 7: train an MLP (5 points)
#
# Write `train_mlp(X, y, layer_sizes, *, lr, num_epochs, batch_size, rng)`
# following the recipe above, and return `(params, losses)` with `losses` a
# list of `num_epochs` numbers. `y` holds integer labels of shape (N,),
# 0/1 when `layer_sizes[-1] == 1`. Draw from `rng` in the order of the
# recipe (first `init_params`, then one `minibatches` per epoch) and your
# network follows the reference's, step for step.
#
# The graded cells train on data sorted by label, as real data sets often
# come, with batch sizes that leave a smaller last batch: a loop that does
# not shuffle every epoch, forgets the biases or averages the batch losses
# without their sizes shows it there. They judge `train_mlp` on its own:
# they run it with correct versions of your earlier functions
# (`init_params`, `minibatches`, `bce_loss`, `sgd_update`), so a mistake
# there is not counted twice.

# %% nbgrader={"grade": false, "grade_id": "train_mlp", "locked": false, "schema_version": 3, "solution": true}
def train_mlp(X, y, layer_sizes, *, lr, num_epochs, batch_size, rng):
    """Mini-batch SGD for an MLP with sigmoid hidden layers.

    X: (N, D) float64; y: (N,) int labels (0/1 when layer_sizes[-1] == 1).
    layer_sizes: [D, H1, ..., C]; lr: learning rate; num_epochs: int;
    batch_size: B; rng: a np.random.Generator (init, then each epoch's
    shuffle).
    Returns (params, losses): params as from init_params, trained;
    losses: list of num_epochs floats, each the mean batch loss of an
    epoch (weighted by batch size).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    L = len(layer_sizes) - 1
    params = init_params(layer_sizes, rng)
    losses = []
    for _ in range(num_epochs):
        total = 0.0
        for idx in minibatches(len(X), batch_size, rng):
            acts = [X[idx]]                      # A0, A1, ..., A_{L-1}
            for l in range(1, L):
                Z = acts[-1] @ params[f"W{l}"] + params[f"b{l}"]
                acts.append(nn.sigmoid(Z))
            S = acts[-1] @ params[f"W{L}"] + params[f"b{L}"]
            if layer_sizes[-1] == 1:
                a = nn.sigmoid(S)
                loss, da = bce_loss(a, y[idx].reshape(-1, 1))
                dS = da * a * (1 - a)
            else:
                loss, dS = nn.softmax_cross_entropy(S, y[idx])
            total += loss * len(idx)
            grads = {}
            for l in range(L, 0, -1):           # dS is dL/dZ_l here
                grads[f"W{l}"] = acts[l - 1].T @ dS
                grads[f"b{l}"] = dS.sum(axis=0)
                if l > 1:
                    A = acts[l - 1]
                    dS = (dS @ params[f"W{l}"].T) * A * (1 - A)
            sgd_update(params, grads, lr=lr)
        losses.append(total / len(X))
    return params, losses
    ### END SOLUTION


# %% [markdown]
# On XNOR, the 2 -> 3 -> 1 network **with biases** and the binary
# cross-entropy should reach a loss below 0.01 within 2000 epochs of batch
# gradient descent at learning rate 2, with all four predictions right; the
# regions it draws separate the two diagonal corners from the other two:

# %%
params, losses = train_mlp(X_xnor, y_xnor, [2, 3, 1], lr=2.0,
                           num_epochs=2000, batch_size=4,
                           rng=np.random.default_rng(0))
print(f"loss at epochs 1, 500, 1000, 2000: {losses[0]:.4f}, "
      f"{losses[499]:.4f}, {losses[999]:.4f}, {losses[-1]:.4f}")
print("predictions:", predict(params, X_xnor), "targets:", y_xnor)
fig, ax = plotting.plot_decision_boundary(
    lambda P: predict(params, P), X_xnor, y_xnor, margin=0.5)
ax.set_title("XNOR regions, 2 -> 3 -> 1 with biases");

# %% nbgrader={"grade": true, "grade_id": "test_train_mlp_reference", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does train_mlp train exactly as the reference does, with the same draws?"""
from course_utils import mlp as _mlp


def check(X, y, sizes, lr, num_epochs, batch_size, seed):
    # The reference: course_utils.nn's MLP and train on the same draws.
    call = (f"train_mlp(X, y, {sizes}, lr={lr}, num_epochs={num_epochs}, "
            f"batch_size={batch_size}, rng=np.random.default_rng({seed}))")
    with _mlp.correct_helpers(globals()):      # judge train_mlp alone
        result = call_checked(
            lambda X, y: train_mlp(X, y, sizes, lr=lr, num_epochs=num_epochs,
                                   batch_size=batch_size,
                                   rng=np.random.default_rng(seed)),
            X, y, name=call)
    params, losses = _mlp.check_trained(result, sizes, num_epochs, call)
    _mlp.check_against_reference(params, losses, X, y, sizes, lr=lr,
                                 num_epochs=num_epochs,
                                 batch_size=batch_size, seed=seed, name=call)


# 13 samples sorted by label: batches of 4, 4, 4 and 1, or 6, 6 and 1
gen = np.random.default_rng(0)
X = gen.standard_normal((13, 3))
check(X, np.sort(gen.integers(0, 3, 13)), [3, 4, 3], 0.5, 3, 4, seed=1)
check(X, np.sort(gen.integers(0, 2, 13)), [3, 2, 1], 0.5, 3, 6, seed=2)
with _mlp.correct_helpers(globals()):
    assert_not_delegating(train_mlp, nn.train, nn.MLP, nn.SGD, nn.Momentum,
                          nn.RMSprop, nn.Adam, _mlp.train_mlp,
                          "sklearn.neural_network.MLPClassifier")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5701)
for _sizes, _N, _B in (([5, 4, 3], 23, 5), ([4, 3, 2, 1], 19, 4),
                       ([3, 5, 4, 4], 26, 8)):
    _X = _rng.standard_normal((_N, _sizes[0]))
    _y = np.sort(_rng.integers(0, max(2, _sizes[-1]), _N))
    check(_X, _y, _sizes, float(_rng.uniform(0.1, 1.0)), 4, _B,
          seed=int(_rng.integers(1 << 30)))
### END HIDDEN TESTS
passed("train_mlp: the reference's losses and weights")

# %% nbgrader={"grade": true, "grade_id": "test_train_mlp_xnor", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does train_mlp learn XNOR in mini-batches of 3 and 1: loss < 0.01, all right?"""
from course_utils import mlp as _mlp
X, y = datasets.xnor()
start = time.perf_counter()
with _mlp.correct_helpers(globals()):          # judge train_mlp alone
    result = call_checked(
        lambda X, y: train_mlp(X, y, [2, 3, 1], lr=2.0, num_epochs=1000,
                               batch_size=3, rng=np.random.default_rng(0)),
        X, y, name="train_mlp(X, y, [2, 3, 1], ...)")
seconds = time.perf_counter() - start
params, losses = _mlp.check_trained(result, [2, 3, 1], 1000)
final_loss = float(losses[-1])
if not (final_loss < 0.01 and np.array_equal(_mlp.predict(params, X), y)):
    fail(f"after 1000 epochs in batches of 3 and 1 the XNOR loss is "
         f"{final_loss:.3f}, not below 0.01, or some of the four inputs come "
         "out wrong: check that every weight and every bias gets its step "
         "(params[k] -= lr * grads[k] for each key), the backward pass, and "
         "the sign of the update")
### BEGIN HIDDEN TESTS
with _mlp.correct_helpers(namespace=globals()):
    _result = train_mlp(X, y, [2, 3, 1], lr=2.0, num_epochs=1000,
                        batch_size=3, rng=np.random.default_rng(3))
_params, _losses = _mlp.check_trained(_result, [2, 3, 1], 1000)
if not (_losses[-1] < 0.01 and np.array_equal(_mlp.predict(_params, X), y)):
    fail("with another seed train_mlp does not learn XNOR: check that every "
         "weight and every bias gets its step")
### END HIDDEN TESTS
passed(f"train_mlp: XNOR learned, loss {final_loss:.4f} ({seconds:.1f} s)")

# %% nbgrader={"grade": true, "grade_id": "test_train_mlp_digits", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does train_mlp reach 97% test accuracy on the digits, trained on them sorted?"""
from course_utils import mlp as _mlp


def digits_accuracy(split, seed):
    # The training images sorted by label, as data sets often come: only
    # a fresh shuffle every epoch mixes the classes in every batch.
    X_train, X_test, y_train, y_test = datasets.digits(test_size=0.25,
                                                       seed=split)
    order = np.argsort(y_train, kind="stable")
    with _mlp.correct_helpers(globals()):      # judge train_mlp alone
        result = train_mlp(X_train[order], y_train[order], [64, 32, 10],
                           lr=2.0, num_epochs=30, batch_size=20,
                           rng=np.random.default_rng(seed))
    params, _ = _mlp.check_trained(result, [64, 32, 10], 30)
    return np.mean(_mlp.predict(params, X_test) == y_test)


accuracy = digits_accuracy(split=7, seed=2)
if not (accuracy >= 0.97):
    fail(f"test accuracy {accuracy:.1%} on the digits, below 97%: the "
         "training images come sorted by label, so shuffle them every epoch "
         "(one minibatches call per epoch); check the softmax cross-entropy "
         "gradient and the backward pass too")
### BEGIN HIDDEN TESTS
_accuracy = digits_accuracy(split=17, seed=5)
if not (_accuracy >= 0.97):
    fail(f"test accuracy {_accuracy:.1%} on another split of the digits, "
         "below 97%: shuffle every epoch, and check the backward pass")
### END HIDDEN TESTS
passed(f"train_mlp: digits test accuracy {accuracy:.1%}")

# %% [markdown]
# ### Three Gaussian blobs
#
# Three classes of 500 points each, normal with unit variance around the
# centres $(0, -2)$, $(2, 2)$ and $(-2, 2)$: $D = 2$, $H = 3$, $C = 3$, a
# sigmoid hidden layer and a softmax output. With its random initial
# weights the network is no better than a guess; after thirty epochs of
# mini-batch SGD it classifies almost every point.

# %%
model = nn.MLP([2, 3, 3], activation="sigmoid", seed=0)
random_rate = np.mean(model.predict(X_blobs) == y_blobs)
start = time.perf_counter()
history = nn.train(model, X_blobs, y_blobs, optimizer=nn.SGD(0.5),
                   batch_size=32, num_epochs=30, progress=False)
seconds = time.perf_counter() - start
trained_rate = np.mean(model.predict(X_blobs) == y_blobs)
print(f"classification rate with random weights: {random_rate:.1%}")
print(f"after 30 epochs ({seconds:.2f} s): {trained_rate:.1%}")
fig, ax = plotting.plot_decision_boundary(model.predict, X_blobs, y_blobs)
ax.set_title(f"three blobs, 2 -> 3 -> 3: {trained_rate:.1%} right");

# %% [markdown]
# ### Real data: handwritten digits
#
# scikit-learn ships 1797 grey-scale images of handwritten digits, 8 x 8
# pixels each, with the package itself (no download). `datasets.digits()`
# flattens each image to $D = 64$ numbers in $[0, 1]$ and holds out a
# stratified fifth of them as a test set, which training never sees. A
# 64 -> 128 -> 10 ReLU network (He initialisation) trained with mini-batch
# SGD for 30 epochs gets well above 97% of the test images right, in about
# a second.
#
# While it trains, `nn.train` shows a progress bar with four figures per
# epoch. `loss` and `accuracy` are **running** figures on the training
# images: each batch's loss and its correct predictions are counted just
# before that batch's update and averaged over the epoch, weighted by
# batch size, as your `train_mlp` records its losses. They describe
# weights that kept changing during the epoch, so they lag a little behind
# the network at the epoch's end, and they come from images the network
# trains on. `val_loss` and `val_accuracy` are measured on the test images
# after the epoch, with the weights at its end: those say how well the
# network does on images it has never seen. The history `nn.train`
# returns holds the four figures of every epoch; the plot below draws
# them.

# %%
X_train, X_test, y_train, y_test = datasets.digits()
print(f"train {X_train.shape}, test {X_test.shape}")
digits_model = nn.MLP([64, 128, 10], activation="relu", seed=0)
start = time.perf_counter()
digits_history = nn.train(digits_model, X_train, y_train,
                          optimizer=nn.SGD(0.3), batch_size=32,
                          num_epochs=30, X_val=X_test, y_val=y_test)
seconds = time.perf_counter() - start
test_accuracy = digits_history["val_accuracy"][-1]
print(f"test accuracy {test_accuracy:.2%} after 30 epochs in {seconds:.2f} s")

# %%
fig, (ax_loss, ax_acc) = plotting.plot_loss_accuracy(digits_history)
for ax in (ax_loss, ax_acc):
    ax.legend(["train", "test"])
ax_acc.set_ylim(0.8, 1.005)
fig.suptitle("digits, 64 -> 128 -> 10 ReLU: train (solid) and test (dashed)");

# %%
predicted = digits_model.predict(X_test)
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test images misclassified")
shown = wrong[:16]
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax in axes.ravel():
    ax.axis("off")
for ax, i in zip(axes.ravel(), shown):
    ax.imshow(X_test[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{y_test[i]} as {predicted[i]}", fontsize=9)
fig.suptitle("misclassified test images: true label as predicted");


# %% [markdown]
# The test loss flattens near 0.1 while the training loss keeps falling:
# the network starts to memorise its training images, and its running
# training accuracy (close to 100%) overstates what it does on new ones
# (98%). The mistakes are the kind a person might make too: a sloppy 9
# read as a 5, a 1 as an 8.

# %% [markdown]
# ## 6. Better steps: momentum, RMSprop and Adam
#
# Plain SGD steps along the current gradient only. On a long, narrow valley
# that gradient points mostly across the valley, and SGD zig-zags. Three
# refinements, for every parameter array $p$ with gradient $g$:
#
# - **Momentum** keeps a running sum of past gradients, a velocity,
#   $$v \leftarrow \beta v + g,\qquad p \leftarrow p - \text{lr}\cdot v,$$
#   so that consistent directions build up speed and oscillations cancel
#   ($\beta = 0.9$ typically).
# - **RMSprop** divides each step by a running root-mean-square of that
#   entry's gradient, $s \leftarrow \beta s + (1-\beta) g^2$,
#   $p \leftarrow p - \text{lr}\, g / (\sqrt{s} + \epsilon)$, so that every
#   weight moves at a similar pace whatever the scale of its gradient.
# - **Adam** (Kingma and Ba, arXiv 1412.6980, Algorithm 1) combines the
#   two. With step counter $t$ starting at 0 and moments $m = v = 0$, each
#   step does
#   $$t \leftarrow t + 1,\quad m \leftarrow \beta_1 m + (1-\beta_1)g,\quad
#   v \leftarrow \beta_2 v + (1-\beta_2)g^2,$$
#   $$\hat m = \frac{m}{1 - \beta_1^t},\quad \hat v = \frac{v}{1 - \beta_2^t},
#   \quad p \leftarrow p - \text{lr}\,\frac{\hat m}{\sqrt{\hat v} + \epsilon},$$
#   with the paper's defaults lr $= 10^{-3}$, $\beta_1 = 0.9$,
#   $\beta_2 = 0.999$, $\epsilon = 10^{-8}$. The moments start at zero and
#   would be biased towards zero in the first steps; dividing by
#   $1 - \beta^t$ corrects that (at $t = 1$, $\hat m = g$ exactly).
#
# ### Exercise 8: momentum (3 points)
#
# Write `momentum_update(params, grads, velocity, lr, beta=0.9)`. `velocity`
# is a dict that persists between calls: empty at first (treat a missing
# entry as zeros) or holding zeros. For every key, set
# `velocity[k] = beta * velocity[k] + grads[k]` and step
# `params[k] -= lr * velocity[k]` in place.

# %% nbgrader={"grade": false, "grade_id": "momentum_update", "locked": false, "schema_version": 3, "solution": true}
def momentum_update(params, grads, velocity, lr, beta=0.9):
    """Gradient descent with momentum, in place.

    params, grads: dicts of arrays with the same keys and shapes.
    velocity: dict of arrays like params, empty at first; updated here.
    lr: learning rate; beta: momentum factor in [0, 1).  Returns None.
    """
    ### BEGIN SOLUTION
    for k, p in params.items():
        velocity[k] = beta * velocity.get(k, 0) + grads[k]
        p -= lr * velocity[k]
    ### END SOLUTION


# %% [markdown]
# Two steps with the same gradient 1 from $p = 0$, lr 0.1 and $\beta = 0.9$:
# the velocity is 1 and then 1.9, so $p$ should be $-0.1$ and then $-0.29$:

# %%
params, velocity = {"w": np.array([0.0])}, {}
for step in range(2):
    momentum_update(params, {"w": np.array([1.0])}, velocity, lr=0.1)
    print(params["w"], velocity["w"])

# %% nbgrader={"grade": true, "grade_id": "test_momentum_first_steps", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Do two momentum steps give v = beta v + g, p -= lr v from empty v?"""
params, velocity = {"w": np.array([0.0, 1.0])}, {}
for step, (p_want, v_want) in enumerate([([-0.1, 1.2], [1.0, -2.0]),
                                          ([-0.29, 1.58], [1.9, -3.8])], 1):
    before = params["w"].copy()
    momentum_update(params, {"w": np.array([1.0, -2.0])}, velocity,
                    lr=0.1, beta=0.9)
    if not (not np.all((params["w"] - before) * [1.0, -2.0] > 0)):
        fail("momentum_update steps uphill, along the gradient: "
             "params[k] -= lr * velocity[k]")
    if not ("w" in velocity):
        fail("momentum_update should store the velocity in the dict it is "
             "given: velocity[k] = beta * velocity[k] + grads[k]")
    assert_close(velocity["w"], v_want, f"velocity after step {step}")
    assert_close(params["w"], p_want, f"params after step {step}")
from course_utils import mlp as _mlp
assert_not_delegating(momentum_update, nn.Momentum, _mlp.momentum_update)
### BEGIN HIDDEN TESTS
_p = {"w": np.array([2.0])}
_v = {"w": np.zeros(1)}            # zeros at first work as well
momentum_update(_p, {"w": np.array([1.0])}, _v, lr=0.5, beta=0.5)
momentum_update(_p, {"w": np.array([1.0])}, _v, lr=0.5, beta=0.5)
assert_close(_p["w"], [2.0 - 0.5 - 0.75],
             "params after two steps from a velocity of zeros")
### END HIDDEN TESTS
passed("momentum_update: the first steps")

# %% nbgrader={"grade": true, "grade_id": "test_momentum_steps", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does momentum_update follow the reference for many steps, in place?"""
from course_utils import mlp as _mlp
gen = np.random.default_rng(0)
W = gen.standard_normal((3, 2))
params, velocity = {"W": W}, {}
ref_params, ref = {"W": W.copy()}, nn.Momentum(0.05, beta=0.8)
for _ in range(10):
    grads = {"W": gen.standard_normal((3, 2))}
    before = grads["W"].copy()
    momentum_update(params, grads, velocity, 0.05, beta=0.8)
    ref.step(ref_params, grads)
    if not (np.array_equal(grads["W"], before)):
        fail("momentum_update changed grads")
if not (params["W"] is W):
    fail("momentum_update put a new array into params; update it in place "
         "(params[k] -= ...)")
assert_close(params["W"], ref_params["W"], "params after 10 momentum steps")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5801)
for _ in range(3):
    _shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}
    _p = {k: _rng.standard_normal(s) for k, s in _shapes.items()}
    _ref_p = {k: v.copy() for k, v in _p.items()}
    _lr, _beta = float(_rng.uniform(0.01, 0.3)), float(_rng.uniform(0, 0.99))
    _ref, _v = nn.Momentum(_lr, beta=_beta), {}
    for _ in range(15):
        _g = {k: _rng.standard_normal(s) for k, s in _shapes.items()}
        momentum_update(_p, _g, _v, _lr, beta=_beta)
        _ref.step(_ref_p, _g)
    for _k in _p:
        assert_close(_p[_k], _ref_p[_k],
                     f"params[{_k!r}] after 15 momentum steps "
                     f"(beta {_beta:.2f})")
### END HIDDEN TESTS
passed("momentum_update: many steps, in place")


# %% [markdown]
# ### Exercise 9: Adam (3 points)
#
# Write `adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
# eps=1e-8)`. `state` is a dict `{"t": 0, "m": {}, "v": {}}` at first and
# persists between calls: increment `state["t"]` **once per call** (one
# step moves every parameter) and **before** using it, fill a
# missing `state["m"][k]` or `state["v"][k]` with zeros, store the updated
# (uncorrected) moments back in `state`, and step `params[k]` in place with
# the bias-corrected moments, as in the formulas above.

# %% nbgrader={"grade": false, "grade_id": "adam_update", "locked": false, "schema_version": 3, "solution": true}
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    """One Adam step (Kingma and Ba, Algorithm 1), in place.

    params, grads: dicts of arrays with the same keys and shapes.
    state: {"t": int, "m": dict, "v": dict}, {"t": 0, "m": {}, "v": {}}
    at first; updated here.  Returns None.
    """
    ### BEGIN SOLUTION
    state["t"] += 1
    t = state["t"]
    for k in params:
        g = grads[k]
        m = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        v = beta2 * state["v"].get(k, 0) + (1 - beta2) * g**2
        state["m"][k], state["v"][k] = m, v
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        params[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    ### END SOLUTION


# %% [markdown]
# Thanks to the bias correction, Adam's first step moves every weight by
# almost exactly lr, against the sign of its gradient, whatever the
# gradient's size: from `w = [1, 1, 1]` with gradient `[2, -0.001, 50]` and
# lr 0.1 it should give about `[0.9, 1.1, 0.9]`:

# %%
params, state = {"w": np.ones(3)}, {"t": 0, "m": {}, "v": {}}
adam_update(params, {"w": np.array([2.0, -0.001, 50.0])}, state, lr=0.1)
print(params["w"], state["t"])

# %% nbgrader={"grade": true, "grade_id": "test_adam_first_step", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does Adam's first step (t = 1, bias-corrected) move each weight ~lr?"""
g = np.array([2.0, -0.001, 50.0])
params = {"w": np.ones(3), "b": np.zeros(1)}
state = {"t": 0, "m": {}, "v": {}}
adam_update(params, {"w": g.copy(), "b": np.array([-4.0])}, state, lr=0.1)
if not (state["t"] == 1):
    fail(f"state['t'] is {state['t']} after the first step, expected 1: "
         "increment it once per call (one step moves every parameter), not "
         "once per parameter, and before the bias correction")
assert_close(state["m"]["w"], 0.1 * g, "state['m'] after one step "
             "(the uncorrected first moment)")
assert_close(state["v"]["w"], 0.001 * g**2, "state['v'] after one step "
             "(the uncorrected second moment)")
uncorrected = 1 - 0.1 * (0.1 * g) / (np.sqrt(0.001 * g**2) + 1e-8)
if not (not np.allclose(params["w"], uncorrected)):
    fail("the step uses m and v without the bias correction: divide by "
         "1 - beta1**t and 1 - beta2**t first")
assert_close(params["w"], 1 - 0.1 * g / (np.abs(g) + 1e-8),
             "params['w'] after Adam's first step")
assert_close(params["b"], [0.1], "params['b'] after Adam's first step")
from course_utils import mlp as _mlp
assert_not_delegating(adam_update, nn.Adam, _mlp.adam_update)
### BEGIN HIDDEN TESTS
_g = np.array([[1e-3, -3.0], [0.0, 7.0]])
_p, _s = {"W": np.zeros((2, 2))}, {"t": 0, "m": {}, "v": {}}
adam_update(_p, {"W": _g}, _s, lr=0.01, beta1=0.5, beta2=0.9, eps=1e-6)
assert_close(_p["W"], -0.01 * _g / (np.abs(_g) + 1e-6),
             "params after a first step with beta1 0.5, beta2 0.9, eps 1e-6")
### END HIDDEN TESTS
passed("adam_update: the first step")

# %% nbgrader={"grade": true, "grade_id": "test_adam_steps", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does adam_update follow the paper (nn.Adam) for many steps, in place?"""
gen = np.random.default_rng(0)
W, b = gen.standard_normal((3, 2)), gen.standard_normal(2)
params, state = {"W": W, "b": b}, {"t": 0, "m": {}, "v": {}}
ref_params, ref = {"W": W.copy(), "b": b.copy()}, nn.Adam(lr=0.01)
for _ in range(20):
    grads = {"W": gen.standard_normal((3, 2)), "b": gen.standard_normal(2)}
    adam_update(params, grads, state, lr=0.01)
    ref.step(ref_params, grads)
if not (params["W"] is W and params["b"] is b):
    fail("adam_update put a new array into params; update it in place "
         "(params[k] -= ...)")
if not (state["t"] == 20):
    fail(f"state['t'] is {state['t']} after 20 steps on two parameters, "
         "expected 20: one increment per call")
assert_close(params["W"], ref_params["W"], "params['W'] after 20 Adam steps")
assert_close(params["b"], ref_params["b"], "params['b'] after 20 Adam steps")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5901)
for _ in range(3):
    _shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}
    _p = {k: _rng.standard_normal(s) for k, s in _shapes.items()}
    _ref_p = {k: v.copy() for k, v in _p.items()}
    _hyper = dict(lr=float(_rng.uniform(1e-3, 0.1)),
                  beta1=float(_rng.uniform(0.5, 0.95)),
                  beta2=float(_rng.uniform(0.9, 0.9999)),
                  eps=float(10 ** _rng.uniform(-8, -4)))
    _ref, _s = nn.Adam(**_hyper), {"t": 0, "m": {}, "v": {}}
    for _ in range(25):
        _g = {k: _rng.standard_normal(s) * 10 ** _rng.uniform(-3, 1)
              for k, s in _shapes.items()}
        adam_update(_p, _g, _s, **_hyper)
        _ref.step(_ref_p, _g)
    for _k in _p:
        _shown = ", ".join(f"{n}={v:.3g}" for n, v in _hyper.items())
        assert_close(_p[_k], _ref_p[_k],
                     f"params[{_k!r}] after 25 Adam steps ({_shown})")
### END HIDDEN TESTS
passed("adam_update: many steps, as in the paper")

# %% [markdown]
# ### Four optimisers, one problem
#
# The same 64 -> 32 -> 10 sigmoid network on the digits, the same initial
# weights (`seed=0`) and the same batches, for 20 epochs of mini-batches of
# 64. SGD and momentum use lr 0.1, RMSprop and Adam the paper's 0.001, and
# Adam once more with lr 0.01:

# %%
optimisers = {"SGD": nn.SGD(0.1), "momentum": nn.Momentum(0.1, beta=0.9),
              "RMSprop": nn.RMSprop(1e-3), "Adam": nn.Adam(1e-3),
              "Adam 0.01": nn.Adam(1e-2)}
fig, ax = plt.subplots(figsize=(6, 4))
print(f"{'optimiser':<10}{'lr':>7}{'final loss':>12}{'train acc':>11}"
      f"{'test acc':>10}{'time':>8}")
for name, optimiser in optimisers.items():
    model = nn.MLP([64, 32, 10], activation="sigmoid", seed=0)
    start = time.perf_counter()
    history = nn.train(model, X_train, y_train, optimizer=optimiser,
                       batch_size=64, num_epochs=20, X_val=X_test,
                       y_val=y_test, progress=False)
    seconds = time.perf_counter() - start
    ax.semilogy(np.arange(1, 21), history["loss"], ".-", label=name)
    print(f"{name:<10}{optimiser.lr:>7g}{history['loss'][-1]:>12.4f}"
          f"{history['accuracy'][-1]:>11.1%}"
          f"{history['val_accuracy'][-1]:>10.1%}{seconds:>7.2f}s")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("digits, 64 -> 32 -> 10 sigmoid, same initial weights")
ax.legend();

# %% [markdown]
# Momentum is far ahead of plain SGD at the same learning rate: its
# velocity builds up to about ten times the gradient, so its steps are
# larger and steadier. RMSprop and Adam at the paper's lr 0.001 move every
# weight by about 0.001 per step, which for this small network is slow;
# Adam with lr 0.01 is as good as momentum. The ranking belongs to this
# problem, these learning rates and these 20 epochs: tune each optimiser's
# learning rate, or change the problem, and it can change (no free lunch
# again). Adam's appeal is that one learning rate works reasonably across
# many problems, because it scales each weight's step by that weight's own
# gradient history.

# %% [markdown]
# ## 7. Try it yourself
#
# Three sliders over the blobs network: the number of hidden units $H$, the
# learning rate and the number of epochs. Every move retrains the
# 2 -> H -> 3 network from the same initial weights (mini-batches of 32)
# and redraws its decision regions and its loss curve. Things to try: one
# hidden unit (can it separate three classes?), a learning rate of 0.001 or
# 10, and how few epochs are enough.

# %%
widgets.mlp_playground_widget(X_blobs, y_blobs, num_hiddens=3, lr=0.5,
                              num_epochs=20)

# %% [markdown]
# ## Summary
#
# - Random initial weights break the symmetry between units; their scale
#   matters: variance $1/n_\text{in}$ (**LeCun**'s rule, called
#   `xavier_init` in this course; Glorot and Bengio's **Xavier** uses
#   $2/(n_\text{in} + n_\text{out})$) for sigmoid and tanh, **He**,
#   $2/n_\text{in}$, for ReLU, biases at zero. Too small and the signals
#   vanish, too large and they saturate or explode.
# - **Binary cross-entropy** pairs with a sigmoid output and **softmax
#   cross-entropy** with a softmax output: both give the score gradient
#   "prediction minus target". Clip probabilities before taking logs.
# - **Mini-batches** of samples shuffled afresh every epoch give many
#   cheap, usefully accurate steps per epoch; batch and stochastic
#   gradient descent are the two extremes. An epoch's loss is the mean
#   over its samples, so a smaller last batch counts less.
# - **Momentum**, **RMSprop** and **Adam** (with its bias correction)
#   change how a gradient becomes a step; none is best everywhere.
# - A complete training loop is a few lines on top of the chapter 04
#   layers: initialise, then for every epoch and every batch, forward,
#   loss, backward (weights and biases), update. Yours learned XNOR and
#   classified handwritten digits it had never seen.
#
# Your exercises: `xavier_init`, `init_params`, `bce_loss`, `minibatches`,
# `sgd_update`, `predict`, `train_mlp`, `momentum_update` and `adam_update`
# (27 points). Chapter 06 looks at the hardware that runs these matrix
# products, and at what happens to them in lower precision.
