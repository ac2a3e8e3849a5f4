# %% [markdown]
# # 03 Regression by gradient descent
#
# A neural network is fitted to data by the same loop, whatever its size:
# predict, measure how wrong the predictions are with one number (the
# **cost**), compute the derivative of the cost with respect to every
# parameter, and step each parameter a little against its derivative. In
# this chapter we run that loop on the smallest model there is, a straight
# line, where every number can still be checked by hand.
#
# You will write:
#
# - `mse`, the mean squared error, and `mse_gradient_w`, its derivative for
#   the model $\hat y = w x$;
# - `fit_w`, gradient descent (the *delta rule*) for that model;
# - `gradients_wb` and `fit_wb`, the same for the line $\hat y = w x + b$;
# - `least_squares_line`, the best line in closed form, to check descent
#   against;
# - `standardize` and `unscale`, the feature scaling that turns a
#   hopeless fit (thousands of epochs, a tiny learning rate) into an easy one.
#
# On the way we look at the cost as a surface over $(w, b)$, see why
# gradient descent zig-zags across it, and compare batch, stochastic and
# mini-batch updates. Finished versions live in `course_utils.regression`
# (later chapters use them); the tests check your own against them and
# make sure you did not simply call them.

# %% [markdown] shared_text="how_to_work.md"
# ## How to work in this notebook
#
# - You work in your own copy, `work/03_regression/` (`make lab`
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
# Run this cell first: it imports what the chapter uses and fixes the seed.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from course_utils import datasets, plotting, widgets
from course_utils import derivatives as cud
from course_utils import regression as cur
from course_utils.checks import (
    assert_close, assert_not_delegating, call_checked, fail, passed, unpack)

rng = np.random.default_rng(0)
np.set_printoptions(precision=6, suppress=True)
x, y = datasets.study_hours()  # hours studied and marks obtained, (5,) each

# %% [markdown]
# ## 1. A model and its cost
#
# Five students report how long they studied and the mark they got:
#
# | hours $x$ | 1 | 2 | 3 | 4 | 5 |
# |---|---|---|---|---|---|
# | marks $y$ | 15 | 30 | 40 | 55 | 65 |
#
# How many marks should a sixth student expect after 6 hours? The marks
# grow roughly in proportion to the hours, so we try the model
# $$\hat y = w\,x,$$
# one parameter $w$ (marks per hour). Each choice of $w$ is a line through
# the origin. To compare lines we need one number that says how badly a line
# misses the data. The usual choice is the **mean squared error** over the
# $N$ samples,
# $$L(w) = \frac{1}{N} \sum_{i=1}^{N} \left(y_i - \hat y_i\right)^2
#        = \frac{1}{N} \sum_{i=1}^{N} \left(y_i - w x_i\right)^2 .$$
# Squaring makes every miss count positively and punishes big misses more
# than small ones; dividing by $N$ makes the cost independent of how many
# samples we have.

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(x, y, "o", color="k")
ax.set_xlabel("hours studied $x$")
ax.set_ylabel("marks $y$")
ax.set_xlim(0, 6.5)
ax.set_ylim(0, 90)
ax.set_title("The study-hours data");


# %% [markdown]
# ### Exercise 1: the mean squared error (3 points)
#
# Write `mse(y, y_hat)` returning
# $\frac{1}{N}\sum_i (y_i - \hat y_i)^2$ as one number. It should accept
# NumPy arrays and plain Python lists (turn them into float arrays first,
# e.g. `np.asarray(y, dtype=float)`).

# %% nbgrader={"grade": false, "grade_id": "mse", "locked": false, "schema_version": 3, "solution": true}
def mse(y, y_hat):
    """Mean squared error (1/N) sum_i (y_i - y_hat_i)^2.

    y: (N,) float64 targets; y_hat: (N,) float64 predictions (lists of
      numbers work too).
    Returns a float.
    """
    ### BEGIN SOLUTION
    y = np.asarray(y, dtype=np.float64)
    y_hat = np.asarray(y_hat, dtype=np.float64)
    return float(np.mean((y - y_hat) ** 2))
    ### END SOLUTION


# %% [markdown]
# `mse([15, 30, 40], [10, 30, 45])` should give `16.666...` (misses 5, 0
# and -5), and the cost of the line $\hat y = w x$ on the study-hours data
# should follow this table: $w = 2 \to 1447$, $8 \to 331$, $9 \to 222$,
# $10 \to 135$, $11 \to 70$, $12 \to 27$, $14 \to 7$, $15 \to 30$,
# $16 \to 75$, $17 \to 142$, $18 \to 231$, $19 \to 342$.

# %%
print(mse([15, 30, 40], [10, 30, 45]))
print(" w   cost")
for w in [2, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19]:
    print(f"{w:2d}  {mse(y, w * x):6.0f}")

# %% [markdown]
# The cost falls and then rises again: somewhere between $w = 13$ and
# $w = 14$ there is a best slope. On the left, three lines over the data;
# on the right, the cost of every $w$, a parabola. (This figure uses the
# finished `cur.mse`, so it shows even before your `mse` works.)

# %%
fig, (ax_lines, ax_cost) = plt.subplots(1, 2, figsize=(10, 3.8))
xs = np.linspace(0, 6, 2)
ax_lines.plot(x, y, "o", color="k", label="data")
for w in (2, 6, 10):
    ax_lines.plot(xs, w * xs, label=f"$w = {w}$, cost {cur.mse(y, w * x):.0f}")
ax_lines.set_xlabel("hours $x$")
ax_lines.set_ylabel("marks")
ax_lines.legend(fontsize=8)
ax_lines.set_title(r"Lines $\hat y = w x$")
ws = np.linspace(0, 25, 251)
plotting.plot_cost_curve([cur.mse(y, w * x) for w in ws], x=ws, ax=ax_cost,
                         xlabel="$w$", ylabel="MSE $L(w)$")
for w in (2, 6, 10):
    ax_cost.plot(w, cur.mse(y, w * x), "o")
ax_cost.set_title("Cost against $w$");

# %% nbgrader={"grade": true, "grade_id": "test_mse_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does mse give the mean of the squared errors (the cost table)?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
for _w, _cost in [(2, 1447), (10, 135), (14, 7), (19, 342)]:
    _got = call_checked(mse, _y, _w * _x, name=f"mse(y, {_w} * x)")
    if not (np.ndim(_got) == 0):
        fail(f"mse(y, {_w} * x) should return one number, the mean over the "
             "samples, not one value per sample: did you forget the mean?")
    assert_close(_got, _cost, f"mse(y, {_w} * x)")
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(mse, *_shortcuts, "sklearn.metrics.mean_squared_error")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3101)
for _n, _scale in [(1, 1.0), (7, 1e-3), (100, 1.0), (1000, 1e4)]:
    _t = _scale * _rng.normal(size=_n) + _scale
    _p = _t + _scale * _rng.normal(size=_n)
    _hname = f"mse(y, y_hat) for {_n} random samples of size {_scale:g}"
    _hgot = call_checked(mse, _t, _p, name=_hname)
    if not (np.ndim(_hgot) == 0):
        fail(f"{_hname} should return one number, not one value per sample.")
    assert_close(_hgot, _ref.mse(_t, _p), _hname, rtol=1e-9)
### END HIDDEN TESTS
passed("mse: the mean of the squared errors")

# %% nbgrader={"grade": true, "grade_id": "test_mse_lists", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does mse accept plain Python lists (of ints, too) and return a number?"""
from course_utils import regression as _ref
for _t, _p, _expected in [([15, 30, 40], [10, 30, 45], 50 / 3),
                          ([1.5, 2.5], np.array([1.0, 3.0]), 0.25)]:
    _name = f"mse({_t}, {_p!r})"
    _fname = f"mse on the same numbers as float arrays ({_name[4:-1]})"
    _fgot = call_checked(mse, np.array(_t, dtype=float),
                         np.array(_p, dtype=float), name=_fname)
    if not (np.ndim(_fgot) == 0):
        fail(f"{_fname} should return one number.")
    assert_close(_fgot, _expected, _fname)
    try:
        _got = call_checked(mse, _t, _p, name=_name)
    except TypeError as _err:
        _got = _err
    if not (not isinstance(_got, TypeError)):
        fail(f"{_name} raised TypeError ({_got}). Python lists cannot be "
             "subtracted: turn them into arrays first, "
             "e.g. y = np.asarray(y, dtype=float).")
    if not (np.ndim(_got) == 0):
        fail(f"{_name} should return one number.")
    assert_close(_got, _expected, _name)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(mse, *_shortcuts, "sklearn.metrics.mean_squared_error")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3102)
for _n in (3, 50):
    _t = [float(v) for v in _rng.normal(size=_n)]
    _p = [float(v) for v in _rng.normal(size=_n)]
    _hgot = call_checked(mse, _t, _p, name=f"mse on two lists of {_n} numbers")
    assert_close(_hgot, _ref.mse(_t, _p), f"mse on two lists of {_n} numbers",
                 rtol=1e-9)
### END HIDDEN TESTS
passed("mse: works on lists")


# %% [markdown]
# ## 2. The slope of the cost
#
# To improve $w$ we need to know which way the cost goes down, and how
# steeply: the derivative $dL/dw$. Each term of the sum is a square of
# $y_i - w x_i$; by the chain rule (outer $u^2$, inner $u = y_i - w x_i$,
# with $du/dw = -x_i$),
# $$\frac{dL}{dw} = \frac{1}{N}\sum_{i=1}^{N} 2\left(y_i - w x_i\right)\cdot(-x_i)
# = \frac{1}{N}\sum_{i=1}^{N} -2\,x_i\left(y_i - w x_i\right).$$
# At $w = 1$ every residual $y_i - x_i$ is positive, so the derivative is
# negative: increasing $w$ lowers the cost. By hand,
# $\sum_i x_i (y_i - x_i) = 14 + 56 + 111 + 204 + 300 = 685$, so
# $dL/dw = -2 \cdot 685 / 5 = -274$.
#
# The derivative is zero where $\sum_i x_i y_i = w \sum_i x_i^2$, at the
# **least-squares slope**
# $$w^* = \frac{\sum_i x_i y_i}{\sum_i x_i^2} = \frac{740}{55} = 13.4545\ldots$$
#
# ### Exercise 2: the derivative of the cost (3 points)
#
# Write `mse_gradient_w(x, y, w)` returning $dL/dw$ for the model
# $\hat y = w x$, as one number, from the formula above. A finite
# difference of `mse` (chapter 01) would only approximate it: where the
# cost is huge next to its slope (targets in the billions, say) it loses
# most of its digits, and the tests check the formula's value there to the
# last digit.

# %% nbgrader={"grade": false, "grade_id": "mse_gradient_w", "locked": false, "schema_version": 3, "solution": true}
def mse_gradient_w(x, y, w):
    """dL/dw of the cost L(w) = (1/N) sum_i (y_i - w x_i)^2.

    x: (N,) float64 inputs; y: (N,) float64 targets; w: float.
    Returns a float, (1/N) sum_i -2 x_i (y_i - w x_i).
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.mean(-2 * x * (y - w * x)))
    ### END SOLUTION


# %% [markdown]
# `mse_gradient_w(x, y, 1.0)` should give `-274.0`, about `0` at
# `w = 740 / 55`, and agree with chapter 01's central difference of your
# `mse`:

# %%
print(mse_gradient_w(x, y, 1.0))
print(mse_gradient_w(x, y, 740 / 55))
print(cud.central_difference(lambda w: mse(y, w * x), 1.0))

# %% nbgrader={"grade": true, "grade_id": "test_mse_gradient_w_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does mse_gradient_w give (1/N) sum -2 x (y - w x), exactly?"""
from course_utils import regression as _ref
from course_utils import derivatives as _cud
_x, _y = datasets.study_hours()
for _w, _expected in [(1.0, -274.0), (20.0, 144.0)]:
    _name = f"mse_gradient_w(x, y, {_w})"
    _got = call_checked(mse_gradient_w, _x, _y, _w, name=_name)
    if not (np.ndim(_got) == 0):
        fail(f"{_name} should return one number.")
    assert_close(_got, _expected, _name)
# Targets in the billions: the cost (about 1e19) is huge next to its
# slope, so a finite difference loses about half of its digits; the
# formula is exact here (every term is an integer below 2**53).
_xb, _yb = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3e9, 5e9, 4e9, 8e9])
_name = ("mse_gradient_w(x, y, 2.0) for x = [1, 2, 3, 4], "
         "y = [3e9, 5e9, 4e9, 8e9]")
_got = call_checked(mse_gradient_w, _xb, _yb, 2.0, name=_name)
_exact = -28499999970.0
try:
    _rel = abs(float(_got) / _exact - 1) if np.ndim(_got) == 0 else None
except (TypeError, ValueError):
    _rel = None
if _rel is not None and 1e-12 < _rel < 0.5:
    fail(f"{_name} is close to the derivative but not exact (relative "
         f"error {_rel:.1g}). A finite difference, "
         "(L(w + h) - L(w - h)) / (2h), does that here: it subtracts two "
         "huge, nearly equal costs. Compute the formula "
         "(1/N) sum -2 x_i (y_i - w x_i) instead, which is exact.")
assert_close(_got, _exact, _name, rtol=1e-12)
assert_close(call_checked(mse_gradient_w, _x, _y, 740 / 55), 0.0,
             "mse_gradient_w(x, y, 740 / 55), at the best slope", atol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(mse_gradient_w, *_shortcuts, _cud.complex_step)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3201)
for _n, _scale in [(1, 1.0), (9, 0.01), (120, 1.0), (800, 300.0)]:
    _xr = _scale * _rng.uniform(-1, 3, size=_n)
    _yr = 4.0 * _xr + _scale * _rng.normal(size=_n)
    _wr = float(_rng.normal(2.0, 3.0))
    _hname = (f"mse_gradient_w(x, y, w) on {_n} random samples "
             f"(x of size {_scale:g})")
    _hgot = call_checked(mse_gradient_w, _xr, _yr, _wr, name=_hname)
    if not (np.ndim(_hgot) == 0):
        fail(f"{_hname} should return one number.")
    assert_close(_hgot, _ref.mse_gradient(_xr, _yr, _wr)[0], _hname,
                 rtol=1e-8, atol=1e-10 * _scale ** 2)
# Integer data in the billions, 16 samples: the exact mean is a float.
_xi = _rng.integers(1, 20, size=16).astype(float)
_yi = _rng.integers(10 ** 8, 10 ** 10, size=16).astype(float)
_wi = float(_rng.integers(-5, 6))
_hname = ("mse_gradient_w(x, y, w) on 16 random samples with y in the "
          "billions")
_hgot = call_checked(mse_gradient_w, _xi, _yi, _wi, name=_hname)
_hexact = float(np.sum(-2 * _xi * (_yi - _wi * _xi))) / 16
_hrel = None
if np.ndim(_hgot) == 0:
    try:
        _hrel = abs(float(_hgot) / _hexact - 1)
    except (TypeError, ValueError, OverflowError):
        _hrel = None
if _hrel is not None and 1e-12 < _hrel < 0.5:
    fail(f"{_hname} is close to the derivative but not exact, as a finite "
         "difference would be: write the formula of the text, which is "
         "exact.")
assert_close(_hgot, _hexact, _hname, rtol=1e-12)
### END HIDDEN TESTS
passed("mse_gradient_w: the derivative of the MSE in w")

# %% nbgrader={"grade": true, "grade_id": "test_mse_gradient_w_numerical", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does mse_gradient_w agree with a numerical derivative of the cost?"""
from course_utils import regression as _ref
from course_utils import derivatives as _cud
_x, _y = datasets.study_hours()
# L(w) is a parabola: its central difference is exact for any step h.
_cost = lambda v: np.mean((_y - v * _x) ** 2)
for _w in (10.0, 15.0):
    assert_close(call_checked(mse_gradient_w, _x, _y, _w),
                 _cud.central_difference(_cost, _w, h=1.0),
                 f"mse_gradient_w(x, y, {_w}) (against a central difference)",
                 rtol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(mse_gradient_w, *_shortcuts, _cud.complex_step)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3202)
for _n, _scale in [(4, 1.0), (60, 10.0), (300, 0.1)]:
    _xr = _scale * _rng.normal(size=_n)
    _yr = _rng.normal(size=_n) - 2 * _xr
    _cost = lambda v: np.mean((_yr - v * _xr) ** 2)
    for _hw in _rng.normal(0, 5, size=2):
        assert_close(call_checked(mse_gradient_w, _xr, _yr, float(_hw)),
                     _cud.central_difference(_cost, float(_hw), h=1.0),
                     f"mse_gradient_w on {_n} random samples (against a "
                     "central difference)", rtol=1e-7, atol=1e-9)
### END HIDDEN TESTS
passed("mse_gradient_w: matches the numerical derivative")


# %% [markdown]
# ## 3. Gradient descent: the delta rule
#
# Setting $dL/dw = 0$ gave $w^*$ directly here, but for a neural network
# no such formula exists. What always works is to start somewhere and step
# downhill, against the derivative, with a **learning rate** $\eta$ (`lr`):
# $$w \leftarrow w - \eta\,\frac{dL}{dw}.$$
# One step is an **epoch** when the derivative uses all the data. From
# $w_0 = 1$ with $\eta = 0.06$: the cost is $L(1) = 1710$ and the derivative
# $-274$, so the first step gives $w = 1 + 0.06 \cdot 274 = 17.44$. That
# overshoots $w^*$; the next steps give $12.1792$, $13.862656$, ... jumping
# from one side of the minimum to the other with shrinking jumps, and
# settle on $740/55$.
#
# ### Exercise 3: fitting $w$ by gradient descent (3 points)
#
# Write `fit_w(x, y, w0, lr, num_epochs)` that starts at `w0` and makes
# `num_epochs` updates $w \leftarrow w - \eta\, dL/dw$. Return the final
# `w` and the list (or array) `costs` of length `num_epochs`, where
# `costs[k]` is the cost **before** update `k` (so `costs[0]` is the cost
# at `w0`). You may call your `mse` and `mse_gradient_w`, or write the two
# lines they compute inline.

# %% nbgrader={"grade": false, "grade_id": "fit_w", "locked": false, "schema_version": 3, "solution": true}
def fit_w(x, y, w0, lr, num_epochs):
    """Fit y_hat = w x by gradient descent on the MSE.

    x: (N,) float64 inputs; y: (N,) float64 targets.
    w0: float, the start; lr: float > 0; num_epochs: int >= 0 updates.
    Returns (w, costs): w a float, the final weight; costs (num_epochs,)
    float64, costs[k] the MSE before update k.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = float(w0)
    costs = []
    for _ in range(num_epochs):
        err = y - w * x
        costs.append(float(np.mean(err ** 2)))  # the cost before this update
        w = w - lr * float(np.mean(-2 * x * err))
    return w, np.array(costs)
    ### END SOLUTION


# %% [markdown]
# With `w0=1.0, lr=0.06`, one epoch should give `w = 17.44` with
# `costs = [1710.]`, three epochs `w = 13.862656`, and ten epochs a `w`
# within about `2e-4` of `740 / 55 = 13.4545...`; the line then predicts
# the marks for 6 hours:

# %%
for num_epochs in (1, 2, 3):
    w_fit, costs = fit_w(x, y, w0=1.0, lr=0.06, num_epochs=num_epochs)
    print(f"after {num_epochs} epoch(s): w = {w_fit:.6f}")
w_fit, costs = fit_w(x, y, w0=1.0, lr=0.06, num_epochs=10)
print("costs:", np.round(costs, 4))
print(f"w after 10 epochs = {w_fit:.6f}, least squares 740 / 55 = "
      f"{740 / 55:.6f}")
print(f"predicted marks after 6 hours: {w_fit * 6:.2f}")

# %% [markdown]
# The same run drawn on the cost curve (with the finished `cur.fit_gd`).
# Why does every step cross the minimum? The cost is a parabola whose
# second derivative is $L'' = 2\,\overline{x^2} = 22$ (a bar means the mean
# over the samples, here $\overline{x^2} = 55/5 = 11$), so
# $dL/dw = 22\,(w - w^*)$ and one step moves the distance to the minimum
# to
# $$w - \eta\,\frac{dL}{dw} - w^* = (1 - 22\,\eta)\,(w - w^*).$$
# With $\eta = 0.06$ the factor $1 - 22\eta$ is $-0.32$: each step lands
# on the other side, at a third of the distance (from $-12.45$ to $+3.99$ to
# $-1.28$ ...). For $\eta$ below $1/22 \approx 0.045$ the factor is
# positive and the iterates approach from one side; above
# $2/22 \approx 0.091$ it is below $-1$ and they fly off.

# %%
_, _, hist = cur.fit_gd(x, y, lr=0.06, num_epochs=10, fit_intercept=False,
                        w0=1.0)
fig, ax = plotting.plot_cost_curve([cur.mse(y, w * x) for w in ws], x=ws,
                                   xlabel="$w$", ylabel="MSE $L(w)$")
ax.plot(hist["w"], hist["cost"], "o-", color="C3", ms=4, lw=1,
        label="iterates, lr = 0.06")
ax.axvline(740 / 55, color="gray", ls="--", lw=1, label="$w^* = 740/55$")
ax.set_xlim(0, 20)
ax.set_ylim(0, 1800)
ax.legend()
ax.set_title("The delta rule from $w_0 = 1$");

# %% nbgrader={"grade": true, "grade_id": "test_fit_w_seed_run", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does fit_w step w <- w - lr dL/dw from w0, num_epochs times?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
for _epochs, _expected in [(1, 17.44), (3, 13.862656), (60, 740 / 55)]:
    _call = f"fit_w(x, y, 1.0, 0.06, {_epochs})"
    _w, _costs = unpack(call_checked(fit_w, _x, _y, 1.0, 0.06, _epochs,
                                     name=_call), ("w", "costs"), _call)
    # One epoch from w0 = 1, where dL/dw = -274 (and -296 at w = 0):
    _first_step_mistakes = [
        (1 - 0.06 * 274, "w moved uphill: step against the derivative, "
                         "w = w - lr * dL/dw."),
        (1 + 0.06 * 137, "the step used half the derivative: dL/dw of the "
                         "MSE is (1/N) sum -2 x (y - w x), with the 2."),
        (12.1792, "that is the w after two updates: make exactly "
                  "num_epochs updates."),
        (0 + 0.06 * 296, "that is one step from w = 0: start from w0."),
    ]
    if _epochs == 1 and np.ndim(_w) == 0:
        for _wrong_w, _why in _first_step_mistakes:
            if np.isclose(_w, _wrong_w, rtol=1e-9):
                fail(f"w from {_call}: {_why}")
    assert_close(_w, _expected, f"w from {_call}", rtol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(fit_w, *_shortcuts)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3301)
for _n, _scale in [(3, 1.0), (40, 0.05), (500, 20.0)]:
    _xr = _scale * _rng.uniform(-1, 3, size=_n)
    _yr = -1.5 * _xr + _scale * _rng.normal(size=_n)
    _lr = float(_rng.uniform(0.1, 0.9) / np.mean(_xr ** 2))
    _w0 = float(_rng.normal())
    _hcall = f"fit_w on {_n} random samples (x of size {_scale:g})"
    _hw, _hcosts = unpack(call_checked(fit_w, _xr, _yr, _w0, _lr, 30,
                                     name=_hcall), ("w", "costs"), _hcall)
    _w_ref, _, _ = _ref.fit_gd(_xr, _yr, lr=_lr, num_epochs=30,
                               fit_intercept=False, w0=_w0)
    assert_close(_hw, _w_ref, f"w from {_hcall}", rtol=1e-7, atol=1e-10)
### END HIDDEN TESTS
passed("fit_w: the delta rule")

# %% nbgrader={"grade": true, "grade_id": "test_fit_w_costs", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is costs[k] the MSE before update k, num_epochs values in all?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
_call = "fit_w(x, y, 1.0, 0.06, 3)"
_w, _costs = unpack(call_checked(fit_w, _x, _y, 1.0, 0.06, 3, name=_call),
                    ("w", "costs"), _call)
if np.shape(_costs) == (3,):
    if not (not np.allclose(_costs, [178.4496, 21.61883904, 5.55936912])):
        fail(f"costs from {_call} look like the costs after each update: record "
             "the cost first, then update w.")
assert_close(_costs, [1710.0, 178.4496, 21.61883904], f"costs from {_call}")
_call = "fit_w(x, y, 1.0, 0.06, 0)"
_w, _costs = unpack(call_checked(fit_w, _x, _y, 1.0, 0.06, 0, name=_call),
                    ("w", "costs"), _call)
assert_close(_w, 1.0, f"w from {_call} (no update at all)")
if not (len(_costs) == 0):
    fail(f"{_call} should record no cost (no update).")
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(fit_w, *_shortcuts)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3302)
for _n, _scale in [(5, 1.0), (70, 100.0)]:
    _xr = _scale * _rng.uniform(0, 2, size=_n)
    _yr = 3 * _xr + _scale * _rng.normal(size=_n)
    _lr = float(_rng.uniform(0.2, 0.8) / np.mean(_xr ** 2))
    _hcall = f"fit_w on {_n} random samples (x of size {_scale:g})"
    _hw, _hcosts = unpack(call_checked(fit_w, _xr, _yr, 0.5, _lr, 25,
                                     name=_hcall), ("w", "costs"), _hcall)
    _, _, _hist = _ref.fit_gd(_xr, _yr, lr=_lr, num_epochs=25,
                              fit_intercept=False, w0=0.5)
    if np.shape(_hcosts) == (25,):
        if not (not np.allclose(_hcosts, _hist["cost"][1:])):
            fail(f"costs from {_hcall} look like the costs after each update: "
                 "record the cost first, then update w.")
    assert_close(_hcosts, _hist["cost"][:-1], f"costs from {_hcall}",
                 rtol=1e-7, atol=1e-12 * _scale ** 2)
### END HIDDEN TESTS
passed("fit_w: costs recorded before each update")


# %% [markdown]
# ## 4. A line with an intercept
#
# A line through the origin says a student who did not study scores 0.
# Allowing an intercept $b$,
# $$\hat y = w x + b,$$
# gives two parameters. We now use the cost with a factor $\tfrac12$,
# $$J(w, b) = \frac{1}{2N}\sum_{i=1}^{N} \left(y_i - (w x_i + b)\right)^2,$$
# which has the same minimum as the MSE (it is just half of it) and a
# tidier derivative: the 2 from the square cancels the $\tfrac12$. Its
# **partial derivatives** (chapter 01: vary one parameter, freeze the
# other) are
# $$\frac{\partial J}{\partial w} = \frac{1}{N}\sum_{i=1}^{N} -x_i\left(y_i - \hat y_i\right),
# \qquad
# \frac{\partial J}{\partial b} = \frac{1}{N}\sum_{i=1}^{N} -\left(y_i - \hat y_i\right).$$
# At $w = 1$, $b = 0$ the residuals are $14, 28, 37, 51, 60$: the cost is
# $8550 / 10 = 855$, and the gradient is
# $(-685/5,\ -190/5) = (-137,\ -38)$.
#
# ### Exercise 4: both partial derivatives (3 points)
#
# Write `gradients_wb(x, y, w, b)` returning the pair `(dw, db)` of the
# partial derivatives of $J$ above, from their formulas (as in exercise 2,
# the tests check them to the last digit where a finite difference is
# visibly off).

# %% nbgrader={"grade": false, "grade_id": "gradients_wb", "locked": false, "schema_version": 3, "solution": true}
def gradients_wb(x, y, w, b):
    """Partial derivatives of J(w, b) = (1/2N) sum_i (y_i - (w x_i + b))^2.

    x: (N,) float64 inputs; y: (N,) float64 targets; w, b: floats.
    Returns (dw, db), two floats: mean(-x (y - y_hat)), mean(-(y - y_hat)).
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    err = y - (w * x + b)
    return float(np.mean(-x * err)), float(np.mean(-err))
    ### END SOLUTION


# %% [markdown]
# `gradients_wb(x, y, 1.0, 0.0)` should give `(-137.0, -38.0)`, and both
# derivatives should vanish at the best line $w = 12.5$, $b = 3.5$
# (section 6 derives it):

# %%
print(gradients_wb(x, y, 1.0, 0.0))
print(gradients_wb(x, y, 12.5, 3.5))

# %% nbgrader={"grade": true, "grade_id": "test_gradients_wb_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does gradients_wb return (mean(-x (y - y_hat)), mean(-(y - y_hat)))?"""
from course_utils import regression as _ref
from course_utils import derivatives as _cud
_x, _y = datasets.study_hours()
for _w, _b, _expected in [(1.0, 0.0, (-137.0, -38.0)),
                          (10.0, 10.0, (-8.0, -1.0))]:
    _call = f"gradients_wb(x, y, {_w}, {_b})"
    _dw, _db = unpack(call_checked(gradients_wb, _x, _y, _w, _b, name=_call),
                      ("dw", "db"), _call)
    if np.ndim(_dw) == np.ndim(_db) == 0:
        if not (not np.allclose([_dw, _db], _expected[::-1])):
            fail(f"{_call}: dw and db look swapped; return (dw, db) in that order.")
    assert_close(_dw, _expected[0], f"dw from {_call}")
    assert_close(_db, _expected[1], f"db from {_call}")
# Targets in the billions: exact for the formulas, not for a finite
# difference (see the test of mse_gradient_w).
_xb, _yb = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3e9, 5e9, 4e9, 8e9])
_call = ("gradients_wb(x, y, 2.0, 1.0) for x = [1, 2, 3, 4], "
         "y = [3e9, 5e9, 4e9, 8e9]")
_grad = unpack(call_checked(gradients_wb, _xb, _yb, 2.0, 1.0, name=_call),
               ("dw", "db"), _call)
for _got, _exact, _what in zip(_grad, (-14249999982.5, -4999999994.0),
                               ("dw", "db")):
    try:
        _rel = abs(float(_got) / _exact - 1) if np.ndim(_got) == 0 else None
    except (TypeError, ValueError):
        _rel = None
    if _rel is not None and 1e-12 < _rel < 0.5:
        fail(f"{_what} from {_call} is close to the partial derivative but "
             f"not exact (relative error {_rel:.1g}). A finite difference "
             "does that here: it subtracts two huge, nearly equal costs. "
             "Compute the formula of the text instead, which is exact.")
    assert_close(_got, _exact, f"{_what} from {_call}", rtol=1e-12)
_call = "gradients_wb(x, y, 12.5, 3.5), at the best line"
_dw, _db = unpack(call_checked(gradients_wb, _x, _y, 12.5, 3.5, name=_call),
                  ("dw", "db"), _call)
assert_close(_dw, 0.0, f"dw from {_call}", atol=1e-9)
assert_close(_db, 0.0, f"db from {_call}", atol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(gradients_wb, *_shortcuts, _cud.complex_step)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3401)
for _n, _scale in [(1, 1.0), (12, 0.01), (150, 1.0), (900, 500.0)]:
    _xr = _scale * _rng.uniform(-2, 4, size=_n)
    _yr = 0.7 * _xr + 5 * _scale + _scale * _rng.normal(size=_n)
    _wr, _br = float(_rng.normal()), float(_scale * _rng.normal())
    _hcall = f"gradients_wb on {_n} random samples (x of size {_scale:g})"
    _hdw, _hdb = unpack(call_checked(gradients_wb, _xr, _yr, _wr, _br,
                                   name=_hcall), ("dw", "db"), _hcall)
    _ref_dw, _ref_db = _ref.mse_gradient(_xr, _yr, _wr, _br, half=True)
    assert_close(_hdw, _ref_dw, f"dw from {_hcall}", rtol=1e-8,
                 atol=1e-10 * _scale ** 2)
    assert_close(_hdb, _ref_db, f"db from {_hcall}", rtol=1e-8,
                 atol=1e-10 * _scale)
### END HIDDEN TESTS
passed("gradients_wb: both partial derivatives")

# %% nbgrader={"grade": true, "grade_id": "test_gradients_wb_numerical", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Do dw and db agree with numerical partial derivatives of J(w, b)?"""
from course_utils import regression as _ref
from course_utils import derivatives as _cud
_x, _y = datasets.study_hours()
_cost = lambda p: np.mean((_y - (p[0] * _x + p[1])) ** 2) / 2
for _p in ([5.0, -2.0], [20.0, 7.0]):
    _call = f"gradients_wb(x, y, {_p[0]}, {_p[1]})"
    _grad = unpack(call_checked(gradients_wb, _x, _y, *_p, name=_call),
                   ("dw", "db"), _call)
    assert_close(np.array(_grad, dtype=float).ravel(),
                 _cud.numerical_gradient(_cost, np.array(_p), h=1.0),
                 f"(dw, db) from {_call} (against central differences)",
                 rtol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(gradients_wb, *_shortcuts, _cud.complex_step)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3402)
for _n, _scale in [(6, 1.0), (80, 30.0)]:
    _xr = _scale * _rng.normal(size=_n) + _scale
    _yr = _rng.normal(size=_n) * _scale
    _cost = lambda p: np.mean((_yr - (p[0] * _xr + p[1])) ** 2) / 2
    _p = _rng.normal(size=2)
    _hcall = f"gradients_wb on {_n} random samples"
    _hgrad = unpack(call_checked(gradients_wb, _xr, _yr, *map(float, _p),
                                name=_hcall), ("dw", "db"), _hcall)
    assert_close(np.array(_hgrad, dtype=float).ravel(),
                 _cud.numerical_gradient(_cost, _p, h=1.0),
                 f"(dw, db) from {_hcall} (against central differences)",
                 rtol=1e-7, atol=1e-9 * _scale ** 2)
### END HIDDEN TESTS
passed("gradients_wb: matches numerical partial derivatives")


# %% [markdown]
# ## 5. Descent on two parameters
#
# Gradient descent now moves both parameters, each against its own
# partial derivative,
# $$w \leftarrow w - \eta\,\frac{\partial J}{\partial w}, \qquad
# b \leftarrow b - \eta\,\frac{\partial J}{\partial b},$$
# **simultaneously**: both derivatives are computed at the current
# $(w, b)$ before either changes. (Updating $w$ first and then computing
# $\partial J / \partial b$ at the new $w$ is a different, and here wrong,
# algorithm.) From $w_0 = 1$, $b_0 = 0$ with $\eta = 0.06$: the cost is
# $855$, and the first step gives $w = 1 + 0.06 \cdot 137 = 9.22$ and
# $b = 0 + 0.06 \cdot 38 = 2.28$, where the cost is already down to $72.6702$.
#
# ### Exercise 5: fitting $w$ and $b$ (3 points)
#
# Write `fit_wb(x, y, w0, b0, lr, num_epochs)` returning the final `w`,
# `b` and `costs`, where `costs[k]` is $J(w, b)$ (with the $\tfrac12$)
# **before** update `k`. You may call your `gradients_wb`.

# %% nbgrader={"grade": false, "grade_id": "fit_wb", "locked": false, "schema_version": 3, "solution": true}
def fit_wb(x, y, w0, b0, lr, num_epochs):
    """Fit y_hat = w x + b by gradient descent on J = (1/2N) sum (y - y_hat)^2.

    x: (N,) float64 inputs; y: (N,) float64 targets.
    w0, b0: floats, the start; lr: float > 0; num_epochs: int >= 0.
    Returns (w, b, costs): w, b floats; costs (num_epochs,) float64,
    costs[k] the cost J before update k.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w, b = float(w0), float(b0)
    costs = []
    for _ in range(num_epochs):
        err = y - (w * x + b)
        costs.append(float(np.mean(err ** 2) / 2))
        dw, db = np.mean(-x * err), np.mean(-err)
        w, b = w - lr * dw, b - lr * db  # both from the same gradient
    return float(w), float(b), np.array(costs)
    ### END SOLUTION


# %% [markdown]
# One epoch from `w0=1.0, b0=0.0` with `lr=0.06` should give `w = 9.22`,
# `b = 2.28`; three epochs should record `costs = [855., 72.6702, 6.811272]`;
# after 5000 epochs the line should be within about `1e-6` of
# $w = 12.5$, $b = 3.5$:

# %%
w_1, b_1, costs_1 = fit_wb(x, y, w0=1.0, b0=0.0, lr=0.06, num_epochs=1)
print(f"after 1 epoch: w = {w_1:.6f}, b = {b_1:.6f}, costs = {costs_1}")
print("costs of 3 epochs:",
      np.round(fit_wb(x, y, w0=1.0, b0=0.0, lr=0.06, num_epochs=3)[2], 6))
w_gd, b_gd, costs_gd = fit_wb(x, y, w0=1.0, b0=0.0, lr=0.06,
                              num_epochs=5000)
print(f"after 5000 epochs: w = {w_gd:.6f}, b = {b_gd:.6f}, "
      f"cost {costs_gd[-1]:.6f}")

# %% nbgrader={"grade": true, "grade_id": "test_fit_wb_first_step", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does fit_wb update w and b together, from the same gradient?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
for _epochs, _w_exp, _b_exp in [(1, 9.22, 2.28), (2, 11.6044, 2.9436)]:
    _call = f"fit_wb(x, y, 1.0, 0.0, 0.06, {_epochs})"
    _w, _b, _costs = unpack(
        call_checked(fit_wb, _x, _y, 1.0, 0.0, 0.06, _epochs, name=_call),
        ("w", "b", "costs"), _call)
    if _epochs == 1 and np.ndim(_w) == np.ndim(_b) == 0:
        if np.isclose(_w, 1 + 2 * 0.06 * 137, rtol=1e-9):
            fail(f"w from {_call} took a step twice too long: that is the "
                 "gradient of the plain MSE. J has the 1/2, so "
                 "dJ/dw = mean(-x (y - y_hat)), without the 2.")
        if np.isclose(_w, _w_exp, rtol=1e-9) and _b == 0.0:
            fail(f"b from {_call} is still b0: update b too, "
                 "b = b - lr * dJ/db.")
    assert_close(_w, _w_exp, f"w from {_call}", rtol=1e-9)
    # b stepped with the gradient at the new w (a sequential update):
    _b_seq = 0.0 - 0.06 * np.mean(-(_y - (_w_exp * _x + 0.0)))
    if _epochs == 1 and np.ndim(_b) == 0 and np.isclose(_b, _b_seq):
        if not (False):
            fail(f"b from {_call} was computed with the updated w: take both "
                 "partial derivatives at the same (w, b), then update both.")
    assert_close(_b, _b_exp, f"b from {_call}", rtol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(fit_wb, *_shortcuts)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3501)
for _n, _scale in [(2, 1.0), (30, 0.1), (400, 10.0)]:
    _xr = _scale * _rng.uniform(-1, 3, size=_n)
    _yr = 2.0 * _xr - 3 * _scale + _scale * _rng.normal(size=_n)
    _hess = [[np.mean(_xr ** 2), np.mean(_xr)], [np.mean(_xr), 1.0]]
    _lr = float(_rng.uniform(0.3, 1.7) / np.max(np.linalg.eigvalsh(_hess)))
    _w0, _b0 = map(float, _rng.normal(size=2))
    _hcall = f"fit_wb on {_n} random samples (x of size {_scale:g})"
    _hw, _hb, _hcosts = unpack(
        call_checked(fit_wb, _xr, _yr, _w0, _b0, _lr, 40, name=_hcall),
        ("w", "b", "costs"), _hcall)
    _w_ref, _b_ref, _ = _ref.fit_gd(_xr, _yr, lr=_lr, num_epochs=40, w0=_w0,
                                    b0=_b0, half=True)
    assert_close(_hw, _w_ref, f"w from {_hcall}", rtol=1e-7, atol=1e-9)
    assert_close(_hb, _b_ref, f"b from {_hcall}", rtol=1e-7,
                 atol=1e-9 * _scale)
### END HIDDEN TESTS
passed("fit_wb: simultaneous updates of w and b")

# %% nbgrader={"grade": true, "grade_id": "test_fit_wb_costs", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is costs[k] the half MSE J(w, b) before update k?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
_call = "fit_wb(x, y, 1.0, 0.0, 0.06, 3)"
_w, _b, _costs = unpack(
    call_checked(fit_wb, _x, _y, 1.0, 0.0, 0.06, 3, name=_call),
    ("w", "b", "costs"), _call)
if np.shape(_costs) == (3,):
    if not (not np.allclose(_costs, [72.6702, 6.81127248, 1.26693965])):
        fail(f"costs from {_call} look like the costs after each update: record "
             "the cost first, then update w and b.")
assert_close(_costs, [855.0, 72.6702, 6.81127248], f"costs from {_call}")
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(fit_wb, *_shortcuts)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3502)
for _n, _scale in [(8, 1.0), (90, 50.0)]:
    _xr = _scale * _rng.uniform(0, 2, size=_n)
    _yr = -_xr + _scale * _rng.normal(size=_n)
    _hess = [[np.mean(_xr ** 2), np.mean(_xr)], [np.mean(_xr), 1.0]]
    _lr = float(_rng.uniform(0.3, 1.5) / np.max(np.linalg.eigvalsh(_hess)))
    _hcall = f"fit_wb on {_n} random samples (x of size {_scale:g})"
    _hw, _hb, _hcosts = unpack(
        call_checked(fit_wb, _xr, _yr, 0.0, 1.0, _lr, 20, name=_hcall),
        ("w", "b", "costs"), _hcall)
    _, _, _hist = _ref.fit_gd(_xr, _yr, lr=_lr, num_epochs=20, w0=0.0,
                              b0=1.0, half=True)
    if np.shape(_hcosts) == (20,):
        if not (not np.allclose(_hcosts, _hist["cost"][1:])):
            fail(f"costs from {_hcall} look like the costs after each update: "
                 "record the cost first, then update w and b.")
    assert_close(_hcosts, _hist["cost"][:-1], f"costs from {_hcall}",
                 rtol=1e-7, atol=1e-12 * _scale ** 2)
### END HIDDEN TESTS
passed("fit_wb: costs recorded before each update")


# %% [markdown]
# ## 6. The closed form, for comparison
#
# For a straight line we can also solve the two equations
# $\partial J / \partial w = 0$ and $\partial J / \partial b = 0$ by hand
# (bars are means over the samples). The second one,
# $\frac{1}{N}\sum_i (y_i - w x_i - b) = 0$, says $\bar y - w\bar x - b = 0$,
# so
# $$b = \bar y - w \bar x:$$
# the best line passes through the centre $(\bar x, \bar y)$ of the data.
# Put this $b$ into the first one, $\frac{1}{N}\sum_i x_i (y_i - w x_i - b) = 0$:
# $$\sum_i x_i \left((y_i - \bar y) - w (x_i - \bar x)\right) = 0 .$$
# The bracket sums to zero over the samples (centred values always do),
# so subtracting $\bar x$ times that zero sum changes nothing: $x_i$ may be
# replaced by $x_i - \bar x$, and solving for $w$ gives
# $$w = \frac{\sum_i (x_i - \bar x)(y_i - \bar y)}{\sum_i (x_i - \bar x)^2},
# \qquad b = \bar y - w\,\bar x .$$
# For the study hours, $\bar x = 3$ and $\bar y = 41$; the centred values
# are $-2, -1, 0, 1, 2$ and $-26, -11, -1, 14, 24$, their products sum to
# $52 + 11 + 0 + 14 + 48 = 125$ and the squares of the centred $x$ to $10$:
# so $w = 12.5$, $b = 41 - 37.5 = 3.5$, and 6 hours predict $78.5$ marks.
#
# ### Exercise 6: the least-squares line (3 points)
#
# Write `least_squares_line(x, y)` returning `(w, b)` from these formulas.
# Derive it yourself: computing the means and sums above, or solving the
# two equations $\partial J / \partial w = 0$, $\partial J / \partial b = 0$
# as a 2 x 2 linear system (`np.linalg.solve`), both count. Library fits
# that do the least squares for you do not: `np.polyfit`,
# `np.linalg.lstsq`, `np.linalg.pinv`, `scipy.stats.linregress`, SciPy's
# `lstsq`, `pinv` and `curve_fit`, and scikit-learn.

# %% nbgrader={"grade": false, "grade_id": "least_squares_line", "locked": false, "schema_version": 3, "solution": true}
def least_squares_line(x, y):
    """The line y_hat = w x + b of least squared error, in closed form.

    x: (N,) float64 inputs, not all equal; y: (N,) float64 targets.
    Returns (w, b), two floats.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_c, y_c = x - x.mean(), y - y.mean()
    w = np.sum(x_c * y_c) / np.sum(x_c ** 2)
    b = y.mean() - w * x.mean()
    return float(w), float(b)
    ### END SOLUTION


# %% [markdown]
# `least_squares_line(x, y)` should give `(12.5, 3.5)`, the line gradient
# descent approached above:

# %%
w_ls, b_ls = least_squares_line(x, y)
print(f"closed form: w = {w_ls:.6f}, b = {b_ls:.6f}; "
      f"6 hours -> {w_ls * 6 + b_ls:.2f} marks")
print(f"descent:     w = {w_gd:.6f}, b = {b_gd:.6f}")

# %%
w_line, b_line = cur.least_squares(x, y)
w_origin, _ = cur.least_squares(x, y, fit_intercept=False)
fig, ax = plt.subplots(figsize=(6, 4))
xs = np.linspace(0, 6.5, 2)
ax.plot(x, y, "o", color="k", label="data")
ax.plot(xs, w_origin * xs, label=f"$\\hat y = {w_origin:.3f}\\,x$ (through 0)")
ax.plot(xs, w_line * xs + b_line,
        label=f"$\\hat y = {w_line:.1f}\\,x + {b_line:.1f}$")
ax.plot([6, 6], [w_origin * 6, w_line * 6 + b_line], "s", color="C3",
        label="predictions for 6 hours")
ax.set_xlabel("hours")
ax.set_ylabel("marks")
ax.legend(fontsize=8)
ax.set_title("Least-squares lines with and without intercept");

# %% nbgrader={"grade": true, "grade_id": "test_least_squares_line_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does least_squares_line return the least-squares (w, b)?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
for _xs, _ys, _expected in [(_x, _y, (12.5, 3.5)),
                            (np.array([0.0, 1, 2, 3]),
                             np.array([-1.0, 1, 3, 5]), (2.0, -1.0))]:
    _call = f"least_squares_line({_xs}, {_ys})"
    _w, _b = unpack(call_checked(least_squares_line, _xs, _ys, name=_call),
                    ("w", "b"), _call)
    if np.ndim(_w) == np.ndim(_b) == 0:
        if not (not np.allclose([_w, _b], _expected[::-1])):
            fail(f"{_call}: the slope and the intercept look swapped; return "
                 "(w, b) in that order.")
    assert_close(_w, _expected[0], f"w from {_call}", rtol=1e-9)
    assert_close(_b, _expected[1], f"b from {_call}", rtol=1e-9, atol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(least_squares_line, *_shortcuts,
                      np.polynomial.polynomial.polyfit, np.linalg.pinv,
                      "scipy.linalg.lstsq", "scipy.linalg.pinv",
                      "scipy.optimize.curve_fit")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3601)
for _n, _scale in [(2, 1.0), (10, 0.001), (200, 1.0), (2000, 1000.0)]:
    _xr = _scale * _rng.uniform(-1, 5, size=_n)
    _yr = -4.0 * _xr + 9 * _scale + _scale * _rng.normal(size=_n)
    _hcall = (f"least_squares_line on {_n} random samples "
              f"(x of size {_scale:g})")
    _hw, _hb = unpack(call_checked(least_squares_line, _xr, _yr, name=_hcall),
                    ("w", "b"), _hcall)
    _w_ref, _b_ref = _ref.least_squares(_xr, _yr)
    assert_close(_hw, _w_ref, f"w from {_hcall}", rtol=1e-7)
    assert_close(_hb, _b_ref, f"b from {_hcall}", rtol=1e-7,
                 atol=1e-9 * _scale)
### END HIDDEN TESTS
passed("least_squares_line: the closed-form line")

# %% nbgrader={"grade": true, "grade_id": "test_least_squares_line_normal_equations", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the residuals of the line centred and uncorrelated with x?"""
from course_utils import regression as _ref
_x, _y = datasets.study_hours()
_w, _b = unpack(call_checked(least_squares_line, _x, _y),
                ("w", "b"), "least_squares_line(x, y)")
_res = _y - (_w * _x + _b)
assert_close(np.mean(_res), 0.0, "the mean residual of your line",
             atol=1e-9)
assert_close(np.mean(_x * _res), 0.0,
             "the mean of x times the residual of your line", atol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(least_squares_line, *_shortcuts,
                      np.polynomial.polynomial.polyfit, np.linalg.pinv,
                      "scipy.linalg.lstsq", "scipy.linalg.pinv",
                      "scipy.optimize.curve_fit")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3602)
for _n, _scale in [(3, 1.0), (50, 100.0), (500, 0.01)]:
    _xr = _scale * _rng.normal(2.0, 1.0, size=_n)
    _yr = _rng.normal(size=_n) + 3 * _xr / _scale
    _hcall = f"least_squares_line on {_n} random samples"
    _hw, _hb = unpack(call_checked(least_squares_line, _xr, _yr, name=_hcall),
                    ("w", "b"), _hcall)
    _res = _yr - (_hw * _xr + _hb)
    _size = np.std(_yr)
    assert_close(np.mean(_res), 0.0, f"the mean residual of {_hcall}",
                 atol=1e-9 * _size)
    assert_close(np.mean(_xr * _res), 0.0,
                 f"the mean of x times the residual of {_hcall}",
                 atol=1e-9 * _size * np.max(np.abs(_xr)))
### END HIDDEN TESTS
passed("least_squares_line: the residuals satisfy the normal equations")


# %% [markdown]
# ## 7. The cost surface, and why descent zig-zags
#
# $J(w, b)$ is a bowl over the $(w, b)$ plane. Its level curves are long,
# thin ellipses: how fast $J$ curves in each direction is set by the
# matrix of its second derivatives,
# $$H = \begin{pmatrix} \overline{x^2} & \bar x \\ \bar x & 1 \end{pmatrix}
#     = \begin{pmatrix} 11 & 3 \\ 3 & 1 \end{pmatrix},$$
# whose eigenvalues $6 \pm \sqrt{34}$, about $11.83$ and $0.17$, are the
# curvatures along the two axes of the ellipses: one direction is about
# 70 times steeper than the other. A gradient step multiplies the error
# along an axis of curvature $\lambda$ by $1 - \eta\lambda$. Along the steep
# axis this factor is negative once $\eta > 1/11.83 \approx 0.085$ (each
# step jumps across the valley: a **zig-zag**) and larger than 1 in size
# once $\eta > 2/11.83 \approx 0.17$ (divergence). Along the flat axis it is
# $1 - 0.17\,\eta$, close to 1 for any stable $\eta$: the slow crawl along
# the valley floor is why the $(w, b)$ fit needs thousands of epochs where
# $w$ alone needed ten.
#
# From the start used in section 5, $(w, b) = (1, 0)$, the way to the
# minimum runs almost exactly along the steep axis (at 17 degrees to the
# $w$ axis, the steep axis at 15.5), so that path is nearly straight and
# shows little; starting at $(1, 25)$ shows both directions. Left,
# $\eta = 0.06$: the first steps drop quickly to the valley floor, then
# the path creeps along it and is still far from the minimum (+) after 60
# epochs. Right, $\eta = 0.15$: the steep direction overshoots at every
# step and the path zig-zags across the valley, while the distance along
# the flat direction shrinks by $0.17\,\eta$, 2.5% per step instead of 1%
# (the cell prints what is left of it after 60 epochs). (Both drawn with
# the finished `cur.fit_gd`.)

# %%
def half_cost(W, B):
    """J(w, b) on the study hours, for grids W, B of any (same) shape."""
    pred = W[..., None] * x + B[..., None]
    return np.mean((y - pred) ** 2, axis=-1) / 2


fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, lr in zip(axes, (0.06, 0.15)):
    _, _, hist = cur.fit_gd(x, y, lr=lr, num_epochs=60, w0=1.0, b0=25.0,
                            half=True)
    path = np.column_stack([hist["w"], hist["b"]])
    plotting.plot_contour_path(half_cost, path, xlim=(0, 22), ylim=(-10, 30),
                               ax=ax, labels=("$w$", "$b$"), log_levels=True)
    ax.plot(12.5, 3.5, "+", color="k", ms=12)
    ax.set_title(f"lr = {lr}: 60 epochs from (1, 25)")
curvatures = np.linalg.eigvalsh([[np.mean(x ** 2), np.mean(x)],
                                 [np.mean(x), 1]])
print("curvatures (eigenvalues of H):", curvatures)
for lr in (0.06, 0.15):
    print(f"lr = {lr}: after 60 epochs {(1 - lr * curvatures[0]) ** 60:.0%} "
          "of the distance along the flat axis is left")


# %% [markdown]
# **Try it.** Move the sliders: the learning rate and the number of
# epochs; the line under them says what the path does. It calls a path
# zig-zagging once a step reverses its direction three times or more,
# which from $(1, 25)$ starts at lr = 0.11. The steep direction overshoots
# from $\eta = 1/11.83 \approx 0.085$ on, but just above that the
# overshoot shrinks by the factor $1 - 11.83\,\eta$ ($-0.06$ at
# $\eta = 0.09$) at every step and is gone after a reversal or two. From
# lr = 0.17, above $2/11.83 \approx 0.169$, the path flies off. Watch the
# cost curve (right) flatten into the slow crawl. (Not graded; it needs a
# running notebook to respond.)

# %%
# NBVAL_IGNORE_OUTPUT
def run_descent(lr, num_epochs):
    """Path (T, 2) and costs (T,) of descent on J from (w, b) = (1, 25)."""
    _, _, hist = cur.fit_gd(x, y, lr=lr, num_epochs=num_epochs, w0=1.0,
                            b0=25.0, half=True)
    return np.column_stack([hist["w"], hist["b"]]), hist["cost"]


widgets.descent_path_widget(half_cost, run_descent, lr=0.06, num_epochs=60,
                            lr_range=(0.005, 0.2), epochs_range=(1, 500),
                            xlim=(0, 22), ylim=(-10, 30))


# %% [markdown]
# ## 8. Batch, stochastic and mini-batch updates
#
# So far every update used all $N$ samples (**batch** gradient descent).
# With a million samples that is a million products per step. The
# **stochastic** variant (SGD) updates after each single sample, taken in
# a shuffled order; **mini-batch** descent averages the gradient over a
# small batch (here 20 samples). An epoch is still one pass over the data,
# but it now holds $N$ or $N/20$ updates instead of one. Each small-batch
# gradient is a noisy estimate of the full one: at first the cost drops
# much faster per pass over the data, but it never settles exactly, it
# jitters around the minimum with a size set by the learning rate.
#
# Below, 200 students whose marks follow $12.5\,x + 3.5$ plus noise; the
# cost on all the data after each update, for the three variants with the
# same learning rate. The runs get about the same number of updates: 300
# epochs of batch descent, 30 of mini-batches (10 updates each) and 3
# stochastic ones (200 updates each).

# %%
def minibatch_descent(x, y, lr, num_epochs, batch_size, seed=0):
    """Descent on J(w, b) from (0, 0) with shuffled batches.

    x, y: (N,) float64; batch_size: 1 (stochastic) to N (batch).
    Returns (costs, epochs): J on all the data before the first and after
    every update, and the epoch (fraction of passes) of each entry.
    """
    order_rng = np.random.default_rng(seed)
    w, b = 0.0, 0.0
    costs = [cur.mse(y, w * x + b, half=True)]
    for epoch in range(num_epochs):
        order = order_rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            err = y[batch] - (w * x[batch] + b)
            dw, db = np.mean(-x[batch] * err), np.mean(-err)
            w, b = w - lr * dw, b - lr * db
            costs.append(cur.mse(y, w * x + b, half=True))
    costs = np.array(costs)
    return costs, np.linspace(0, num_epochs, costs.size)


hours = rng.uniform(0, 6, size=200)
marks = 12.5 * hours + 3.5 + rng.normal(0, 5, size=200)
runs = {"batch (200)": minibatch_descent(hours, marks, 0.05, 300, 200),
        "mini-batch (20)": minibatch_descent(hours, marks, 0.05, 30, 20),
        "stochastic (1)": minibatch_descent(hours, marks, 0.05, 3, 1)}
w_best, b_best = cur.least_squares(hours, marks)
best = cur.mse(marks, w_best * hours + b_best, half=True)

fig, (ax_upd, ax_ep) = plt.subplots(1, 2, figsize=(11, 4))
for label, (costs, epochs) in runs.items():
    # Log axes from the first update on (the start is update 0).
    ax_upd.loglog(np.arange(1, costs.size), costs[1:], label=label, lw=1)
    ax_ep.loglog(epochs[1:], costs[1:], label=label, lw=1)
    print(f"{label:16s} {costs.size - 1:4d} updates, {epochs[-1]:3.0f} "
          f"epochs, final cost {costs[-1]:.3f}")
print(f"least squares (the floor): cost {best:.3f}")
for ax, xlabel in ((ax_upd, "updates"), (ax_ep, "epochs (passes over data)")):
    ax.axhline(best, color="k", ls="--", lw=1, label="least squares")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost $J$ on all the data")
    ax.legend(fontsize=8)
ax_upd.set_title("Cost against updates")
ax_ep.set_title("Cost against epochs");

# %% [markdown]
# ## 9. Celsius to Fahrenheit: why features are scaled
#
# A thermometer maker records temperatures in both scales for
# $c = 0, 1, \dots, 99$ degrees Celsius; the exact relation is
# $F = 1.8\,c + 32$. Can gradient descent find $1.8$ and $32$?
#
# First the line through the origin, `fit_w`. Its curvature is
# $2\,\overline{c^2} = 6567$, so the learning rate must stay below
# $1/\overline{c^2} \approx 3 \cdot 10^{-4}$; and even then it can only find
# the best slope through 0, $\sum c F / \sum c^2 \approx 2.28$: without $b$
# the model cannot say "32 at 0 degrees".

# %%
celsius, fahrenheit = datasets.celsius_fahrenheit()
w_c, costs_c = fit_w(celsius, fahrenheit, w0=0.0, lr=1e-4, num_epochs=1000)
print(f"y = w x, lr = 1e-4, 1000 epochs: w = {w_c:.4f}, cost "
      f"{costs_c[-1]:.1f}")

# %% [markdown]
# With an intercept, `fit_wb`, the surface $J(w, b)$ now has curvatures
# about $3284$ and $0.25$, a ratio of 13 000. Stability needs
# $\eta < 2/3284 \approx 6 \cdot 10^{-4}$, and with such an $\eta$ the flat
# direction shrinks by a factor $1 - 0.25\,\eta \approx 0.99985$ per epoch:
# 20 000 epochs with $\eta = 5 \cdot 10^{-4}$ still leave $b$ short of 32.
# One step with $\eta = 10^{-3}$, 1.6 times the limit, multiplies the
# error along the steep axis by $1 - 3284\,\eta \approx -2.3$: the run
# blows up.

# %%
for lr, num_epochs in [(5e-4, 20000), (1e-3, 200)]:
    w_raw, b_raw, costs_raw = fit_wb(celsius, fahrenheit, 0.0, 0.0, lr,
                                     num_epochs)
    print(f"raw celsius, lr = {lr:g}, {num_epochs} epochs: w = {w_raw:.4g}, "
          f"b = {b_raw:.4g}, last cost {costs_raw[-1]:.3g}")

# %% [markdown]
# The cure is to **standardize** the feature: subtract its mean and divide
# by its standard deviation,
# $$x_s = \frac{x - \mu}{\sigma}, \qquad \mu = \frac{1}{N}\sum_i x_i,
# \quad \sigma = \sqrt{\frac{1}{N}\sum_i (x_i - \mu)^2}$$
# (the *population* standard deviation, dividing by $N$, which is
# `np.std`'s default, `ddof=0`). Then $\overline{x_s} = 0$ and
# $\overline{x_s^2} = 1$, so $H$ is the identity: both directions have
# curvature 1, the level curves are circles, and $\eta = 0.5$ converges in
# a few dozen epochs. The fitted line $\hat y = w_s x_s + b_s$ is, in the
# original units,
# $$\hat y = \frac{w_s}{\sigma}\,x + \left(b_s - \frac{w_s\,\mu}{\sigma}\right),
# \qquad\text{so}\qquad w = \frac{w_s}{\sigma},\quad b = b_s - \frac{w_s\,\mu}{\sigma}.$$
# The two cost surfaces around their minima (+), with log-spaced level
# curves. Mind the axes: on raw Celsius the window is 40 times narrower in
# $w$ than in $b$, and the valley is still long and thin; on the
# standardized feature both get the same window, and the level curves are
# circles.

# %%
c_scaled, c_mean, c_std = cur.standardize(celsius)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, feature, title in [(axes[0], celsius, "raw celsius"),
                           (axes[1], c_scaled, "standardized celsius")]:
    w_best, b_best = cur.least_squares(feature, fahrenheit)
    half_width = 1.0 if feature is celsius else 40.0

    def surface(W, B, feature=feature):
        pred = W[..., None] * feature + B[..., None]
        return np.mean((fahrenheit - pred) ** 2, axis=-1) / 2

    plotting.plot_contour_path(
        surface, None, xlim=(w_best - half_width, w_best + half_width),
        ylim=(b_best - 40, b_best + 40), ax=ax, labels=("$w$", "$b$"),
        log_levels=True, num=100)
    ax.plot(w_best, b_best, "+", color="k", ms=12)
    ax.set_title(f"$J(w, b)$ on {title}")


# %% [markdown]
# ### Exercise 7: standardize, and back (5 points)
#
# Write `standardize(x)` returning `(x_scaled, mean, std)` with the
# population standard deviation, and `unscale(w_s, b_s, mean, std)`
# returning the `(w, b)` of the same line in the original units.
# `standardize` must not change the `x` it is given.

# %% nbgrader={"grade": false, "grade_id": "standardize", "locked": false, "schema_version": 3, "solution": true}
def standardize(x):
    """Scale x to mean 0 and standard deviation 1.

    x: (N,) float64, not all equal (a list works too); not modified.
    Returns (x_scaled, mean, std): x_scaled (N,) float64 = (x - mean) / std;
    mean and std floats, std the population standard deviation (ddof = 0).
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    mean = float(np.mean(x))
    std = float(np.std(x))
    return (x - mean) / std, mean, std
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "unscale", "locked": false, "schema_version": 3, "solution": true}
def unscale(w_s, b_s, mean, std):
    """(w, b) in original units of a line fitted on standardized x.

    w_s, b_s: floats, the line y_hat = w_s x_s + b_s on x_s = (x - mean) / std.
    mean, std: floats, as standardize returned them.
    Returns (w, b), two floats, with w x + b = w_s x_s + b_s for every x.
    """
    ### BEGIN SOLUTION
    w = w_s / std
    b = b_s - w_s * mean / std
    return float(w), float(b)
    ### END SOLUTION


# %% [markdown]
# `standardize([1, 2, 3, 4, 5])` should give
# `([-1.414214, -0.707107, 0., 0.707107, 1.414214], 3.0, 1.414214)`
# ($\sigma = \sqrt 2$), and `unscale(2.0, 7.0, 3.0, 2.0)` should give
# `(1.0, 4.0)`. On the Celsius data, 50 epochs with $\eta = 0.5$ on the
# standardized feature should bring back $w = 1.8$ and $b = 32$:

# %%
print(standardize([1, 2, 3, 4, 5]))
print(unscale(2.0, 7.0, 3.0, 2.0))
c_s, c_mean, c_std = standardize(celsius)
w_s, b_s, costs_s = fit_wb(c_s, fahrenheit, 0.0, 0.0, 0.5, 50)
w_back, b_back = unscale(w_s, b_s, c_mean, c_std)
print(f"standardized: w_s = {w_s:.6f}, b_s = {b_s:.6f}; "
      f"original units: w = {w_back:.6f}, b = {b_back:.6f}")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for lr in (1e-3, 5e-4):
    costs_raw = fit_wb(celsius, fahrenheit, 0.0, 0.0, lr, 50)[2]
    ax.semilogy(costs_raw, label=f"raw celsius, lr = {lr:g}")
ax.semilogy(np.maximum(costs_s, 1e-30), label="standardized, lr = 0.5")
ax.set_xlabel("epoch")
ax.set_ylabel("cost $J$ before the update")
ax.legend()
ax.set_title("The first 50 epochs on the Celsius data");

# %% nbgrader={"grade": true, "grade_id": "test_standardize", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does standardize return ((x - mean) / std, mean, std), ddof = 0?"""
from course_utils import regression as _ref
for _xs in (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), [2, 4, 4, 4, 5, 5, 7, 9]):
    _call = f"standardize({_xs!r})"
    _scaled, _mean, _std = unpack(call_checked(standardize, _xs, name=_call),
                                  ("x_scaled", "mean", "std"), _call)
    _arr = np.asarray(_xs, dtype=float)
    if (np.ndim(_mean) == np.ndim(_std) == 0 and np.isclose(_mean, _arr.std())
            and np.isclose(_std, _arr.mean())):
        if not (False):
            fail(f"{_call}: mean and std look swapped; return "
                 "(x_scaled, mean, std) in that order.")
    if np.ndim(_std) == 0 and np.isclose(_std, np.std(_arr, ddof=1)):
        if not (False):
            fail(f"std from {_call} is the sample standard deviation (ddof = 1, "
                 "dividing by N - 1); use the population one (np.std's default, "
                 "ddof = 0).")
    assert_close(_mean, np.mean(_arr), f"mean from {_call}")
    assert_close(_std, np.sqrt(np.mean((_arr - _arr.mean()) ** 2)),
                 f"std from {_call}")
    assert_close(_scaled, (_arr - _arr.mean()) / np.std(_arr),
                 f"x_scaled from {_call}")
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(standardize, *_shortcuts, "scipy.stats.zscore",
                      "sklearn.preprocessing.StandardScaler")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3701)
for _n, _scale in [(2, 1.0), (25, 1e-3), (400, 1.0), (3000, 1e5)]:
    _xr = _scale * _rng.normal(3.0, 2.0, size=_n)
    _hcall = f"standardize on {_n} random samples of size {_scale:g}"
    _hscaled, _hmean, _hstd = unpack(
        call_checked(standardize, _xr, name=_hcall),
        ("x_scaled", "mean", "std"), _hcall)
    _ref_scaled, _ref_mean, _ref_std = _ref.standardize(_xr)
    assert_close(_hmean, _ref_mean, f"mean from {_hcall}", rtol=1e-9)
    assert_close(_hstd, _ref_std, f"std from {_hcall}", rtol=1e-9)
    assert_close(_hscaled, _ref_scaled, f"x_scaled from {_hcall}",
                 rtol=1e-9, atol=1e-10)
### END HIDDEN TESTS
passed("standardize: mean 0, population standard deviation 1")

# %% nbgrader={"grade": true, "grade_id": "test_unscale", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does unscale give the same line in the original units?"""
from course_utils import regression as _ref
for _args, _expected in [((2.0, 7.0, 3.0, 2.0), (1.0, 4.0)),
                         ((-3.0, 1.0, -1.0, 0.5), (-6.0, -5.0))]:
    _call = f"unscale{_args}"
    _w, _b = unpack(call_checked(unscale, *_args, name=_call), ("w", "b"),
                    _call)
    if np.ndim(_w) == 0 and np.isclose(_w, _args[0] * _args[3]):
        if not (False):
            fail(f"w from {_call} looks multiplied by std: x_s = (x - mean) / std "
                 "divides x by std, so the slope per unit of x is w_s / std.")
    assert_close(_w, _expected[0], f"w from {_call}")
    assert_close(_b, _expected[1], f"b from {_call}")
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(unscale, *_shortcuts)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3702)
for _scale in (1e-3, 1.0, 1e4):
    _ws, _bs = map(float, _rng.normal(0, 5, size=2))
    _mu = float(_scale * _rng.normal())
    _sd = float(_scale * _rng.uniform(0.1, 3.0))
    _hcall = ("unscale(w_s, b_s, mean, std) with mean and std of size "
              f"{_scale:g}")
    _hw, _hb = unpack(call_checked(unscale, _ws, _bs, _mu, _sd, name=_hcall),
                    ("w", "b"), _hcall)
    _w_ref, _b_ref = _ref.unscale(_ws, _bs, _mu, _sd)
    assert_close(_hw, _w_ref, f"w from {_hcall}", rtol=1e-9)
    assert_close(_hb, _b_ref, f"b from {_hcall}", rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS
passed("unscale: the line back in the original units")

# %% nbgrader={"grade": true, "grade_id": "test_celsius_recovered", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does descent on standardize(celsius), then unscale, give 1.8 and 32?"""
from course_utils import regression as _ref
from course_utils.descent import DivergenceError as _Diverged
_c, _f = datasets.celsius_fahrenheit()
_scaled, _mean, _std = unpack(call_checked(standardize, _c),
                              ("x_scaled", "mean", "std"),
                              "standardize(celsius)")
_scaled = np.asarray(_scaled, dtype=float)
if not (_scaled.shape == _c.shape and np.all(np.isfinite(_scaled))):
    fail("standardize(celsius) should return x_scaled of shape (100,), with no "
         "NaN or infinity.")
# Descent (the finished version) on the standardized feature.
try:
    _w_s, _b_s, _ = _ref.fit_gd(_scaled, _f, lr=0.5, num_epochs=100,
                                half=True)
except _Diverged:
    _w_s = None
if not (_w_s is not None):
    fail("Gradient descent with lr = 0.5 diverged on your standardized celsius: "
         "is x_scaled centred (mean 0) and divided by the standard deviation?")
_w, _b = unpack(call_checked(unscale, _w_s, _b_s, _mean, _std),
                ("w", "b"), "unscale(w_s, b_s, mean, std)")
assert_close(_w, 1.8, "w in degrees Fahrenheit per degree Celsius",
             rtol=1e-9)
assert_close(_b, 32.0, "b, the Fahrenheit reading at 0 degrees Celsius",
             rtol=1e-9)
_shortcuts = (_ref.mse, _ref.mse_gradient, _ref.fit_gd, _ref.predict,
              _ref.least_squares, _ref.standardize, _ref.unscale,
              np.polyfit, np.linalg.lstsq, "scipy.stats.linregress",
              "sklearn.linear_model.LinearRegression")
assert_not_delegating(standardize, *_shortcuts, "scipy.stats.zscore",
                      "sklearn.preprocessing.StandardScaler")
assert_not_delegating(unscale, *_shortcuts)
passed("standardize and unscale: F = 1.8 C + 32 recovered")

# %% [markdown]
# ## Summary
#
# - A model is fitted by choosing a cost, here the mean squared error, and
#   moving the parameters against its gradient: $w \leftarrow w - \eta\,dL/dw$.
# - For $\hat y = w x$ on the study hours the cost is a parabola with
#   minimum at $740/55 \approx 13.45$; ten epochs of the delta rule from
#   $w_0 = 1$ with $\eta = 0.06$ get there, jumping across it.
# - With an intercept, both parameters move at once, from the same
#   gradient; the closed form $w = \sum (x - \bar x)(y - \bar y) /
#   \sum (x - \bar x)^2$, $b = \bar y - w\bar x$ gives $12.5$ and $3.5$
#   for the study hours, and checks the descent.
# - The cost surface's curvatures (the eigenvalues of
#   $H$) set the largest stable $\eta$ ($2/\lambda_{\max}$), cause the
#   zig-zag ($\eta > 1/\lambda_{\max}$) and, through their ratio, the
#   number of epochs.
# - Stochastic and mini-batch updates make many cheap, noisy steps per pass
#   over the data.
# - Standardizing a feature makes the curvatures equal; fit on the scaled
#   feature, then unscale: $w = w_s/\sigma$, $b = b_s - w_s\mu/\sigma$.
#
# Your exercises: `mse`, `mse_gradient_w`, `fit_w`, `gradients_wb`,
# `fit_wb`, `least_squares_line`, `standardize` and `unscale` (23 points).
# Chapter 04 replaces the single slope by weight matrices and derives
# their gradients layer by layer, with the same descent loop on top.
