# %% [markdown]
# # 01 Numerical derivatives
#
# Training a neural network means nudging millions of numbers so that a loss
# goes down. To know *which way* to nudge each number we need its
# derivative: how fast the loss changes when that one number changes. This
# whole course is built on that single idea, so we start at the very
# beginning: what a derivative is, and how a computer can *estimate* one
# with nothing but function evaluations.
#
# By the end of this chapter you will have written, and tested, the tools
# every later chapter uses to check its gradients:
#
# - `forward_difference` and `central_difference` for functions of one variable,
# - `numerical_gradient` for functions of an array of any shape,
# - `directional_derivative` for the slope along a chosen direction,
#
# and you will know how to choose the step size $h$, and why the obvious
# choice "as small as possible" is wrong.
#
# Finished versions of these functions live in `course_utils.derivatives`;
# later chapters import them from there. Here you write your own, and the
# tests check that you did not simply call the finished ones.
#
# Off limits in the exercises, because they compute the answer for you:
# the functions of `course_utils.derivatives` and the course helpers built
# on them (`plotting.difference_errors` among them), `np.gradient`, and
# library differentiation such as SciPy's `scipy.optimize.approx_fprime`
# and `scipy.differentiate`. While your work is graded they are not
# available to your functions: an answer that calls them scores nothing.

# %% [markdown] shared_text="how_to_work.md"
# ## How to work in this notebook
#
# - You work in your own copy, `work/01_numerical_derivatives/` (`make lab`
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
# Run this cell first. It imports everything the chapter uses. Nothing in
# this chapter is random, so every run gives the same numbers.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from course_utils import derivatives as cud
from course_utils import plotting, widgets
from course_utils.checks import (assert_close, assert_not_delegating,
                                 call_checked, passed)

np.set_printoptions(precision=6, suppress=True)
EPS = np.finfo(np.float64).eps  # machine epsilon of float64, about 2.2e-16


# %% [markdown]
# ## 1. Slope as a rate of change
#
# For a straight line $y = mx + c$ the slope $m$ is the same everywhere:
# move one unit right and $y$ changes by $m$. A curve has no single slope,
# but we can measure the **secant** slope between two of its points
# $P = (x_0, f(x_0))$ and $Q = (x_0 + h, f(x_0 + h))$:
#
# $$\text{secant slope} = \frac{\Delta y}{\Delta x} = \frac{f(x_0 + h) - f(x_0)}{h}.$$
#
# As $Q$ slides towards $P$ the secant turns into the **tangent**, the line
# that just touches the curve at $P$. Its slope is the **derivative**
#
# $$f'(x_0) = \lim_{h \to 0} \frac{f(x_0 + h) - f(x_0)}{h}.$$
#
# Take $y = x^2$ and $P = (2, 4)$, and let $Q$ approach from the left at
# $x = 1, 1.5, 1.9, 1.99, 1.999$:

# %%
def square(x):
    return x**2

x_P = 2.0
x_Q = np.array([1.0, 1.5, 1.9, 1.99, 1.999])
secant_slopes = (square(x_Q) - square(x_P)) / (x_Q - x_P)
for xq, slope in zip(x_Q, secant_slopes):
    print(f"Q at x = {xq:<6}  secant slope = {slope:.4f}")

# %% [markdown]
# The slopes $3, 3.5, 3.9, 3.99, 3.999$ close in on $4$: the derivative of
# $x^2$ at $x = 2$ is $4$ (and in general $\frac{d}{dx}x^2 = 2x$). In the
# picture, the secants (thin lines) turn towards the tangent (thick line).

# %%
fig, ax = plt.subplots(figsize=(6, 4))
xs = np.linspace(0.5, 3.0, 200)
ax.plot(xs, square(xs), color="k", label="$y = x^2$")
for xq, slope in zip(x_Q[:3], secant_slopes[:3]):
    ax.plot(xs, square(x_P) + slope * (xs - x_P), lw=0.8,
            label=f"secant through x = {xq}, slope {slope:.1f}")
ax.plot(xs, square(x_P) + 4 * (xs - x_P), lw=2.5, color="C3",
        label="tangent at P, slope 4")
ax.plot([x_P], [square(x_P)], "o", color="C3")
ax.set_ylim(0, 9)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize=8)
ax.set_title("Secants approach the tangent at P = (2, 4)");

# %% [markdown]
# A computer cannot take a limit, but it can use a small $h$. With
# $h = 10^{-4}$ at $x = 3$:
#
# $$\frac{(3 + 10^{-4})^2 - 3^2}{10^{-4}} = \frac{6 \cdot 10^{-4} + 10^{-8}}{10^{-4}} = 6.0001,$$
#
# close to the exact $f'(3) = 6$. The error, $0.0001 = h$, is no accident:
# for $x^2$ the forward difference is exactly $2x + h$.

# %%
h = 1e-4
print((square(3 + h) - square(3)) / h)  # about 6.0001; exact answer 6


# %% [markdown]
# ### Exercise 1: the forward difference (3 points)
#
# Write `forward_difference(f, x, h)` returning
#
# $$D_h^{+} f(x) = \frac{f(x + h) - f(x)}{h}.$$
#
# Use the `h` you are given. Your function should work both for a single
# number `x` and for a NumPy array of points (then `f` is applied
# elementwise, like `np.sin`, and you return one slope per point). Plain
# arithmetic does both for you.

# %% nbgrader={"grade": false, "grade_id": "forward_difference", "locked": false, "schema_version": 3, "solution": true}
def forward_difference(f, x, h=1e-5):
    """Forward difference (f(x + h) - f(x)) / h, an estimate of f'(x).

    f: function of one variable (elementwise on arrays).
    x: float, or array (...) float64 of points.
    h: step size > 0.
    Returns a float for a float x, else an array (...) float64.
    """
    ### BEGIN SOLUTION
    return (f(x + h) - f(x)) / h
    ### END SOLUTION


# %% [markdown]
# `forward_difference(square, 3.0, h=1e-4)` should give about `6.0001`, and on the array `[0, 1, 2]` with `h=0.5` it should give `[0.5, 2.5, 4.5]`:

# %%
print(forward_difference(square, 3.0, h=1e-4))
print(forward_difference(square, np.array([0.0, 1.0, 2.0]), h=0.5))

# %% nbgrader={"grade": true, "grade_id": "test_forward_difference_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does forward_difference compute (f(x + h) - f(x)) / h with the given h?"""
from course_utils import derivatives as cud
square = lambda t: t**2
assert_close(call_checked(forward_difference, square, 3.0, h=1e-4,
                          name="forward_difference(square, 3.0, h=1e-4)"),
             6.0001, rtol=1e-9)
assert_close(call_checked(forward_difference, square, 2.0, h=0.5,
                          name="forward_difference(square, 2.0, h=0.5)"),
             4.5)
# Write it yourself: calling a ready-made difference does not count.
assert_not_delegating(forward_difference, cud.forward_difference,
                      cud.central_difference, cud.complex_step, np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(101)
for _ in range(6):
    _c = _rng.normal(size=4)
    _g = lambda t, c=_c: c[0] + c[1] * t + c[2] * t**2 + c[3] * t**3
    _x = float(_rng.uniform(-2, 2))
    _h = float(10 ** _rng.uniform(-3, -0.5))
    assert_close(call_checked(forward_difference, _g, _x, h=_h,
                              name=f"forward_difference(cubic, {_x:.3f}, "
                                   f"h={_h:.2e})"),
                 cud.forward_difference(_g, _x, h=_h), rtol=1e-7, atol=1e-9)
### END HIDDEN TESTS
passed("forward_difference: values right for the h given")

# %% nbgrader={"grade": true, "grade_id": "test_forward_difference_arrays", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does forward_difference work on a NumPy array of points at once?"""
from course_utils import derivatives as cud
square = lambda t: t**2
assert_close(call_checked(forward_difference, square,
                          np.array([0.0, 1.0, 2.0]), h=0.5,
                          name="forward_difference(square, [0, 1, 2], "
                               "h=0.5)"),
             np.array([0.5, 2.5, 4.5]))
# Integer points are points too.
assert_close(call_checked(forward_difference, square, np.array([0, 1, 2]),
                          h=0.5, name="forward_difference(square, "
                                      "np.array([0, 1, 2]), h=0.5)"),
             np.array([0.5, 2.5, 4.5]))
# Write it yourself: calling a ready-made version does not count.
assert_not_delegating(forward_difference, cud.forward_difference,
                      cud.central_difference, cud.complex_step, np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(102)
_xs = _rng.uniform(-3, 3, size=7)
for _h in (1e-3, 0.1):
    assert_close(call_checked(forward_difference, np.sin, _xs, h=_h,
                              name=f"forward_difference(np.sin, array, "
                                   f"h={_h})"),
                 cud.forward_difference(np.sin, _xs, h=_h),
                 rtol=1e-7, atol=1e-9)
### END HIDDEN TESTS
passed("forward_difference: arrays of points, one slope each")


# %% [markdown]
# ## 2. What the sign of the derivative tells us
#
# Take $f(x) = x^3 - x$, whose derivative is $f'(x) = 3x^2 - 1$. Where
# $f' > 0$ the function rises (green tangents), where $f' < 0$ it falls
# (red). Where $f' = 0$ the tangent is flat: at $x = -1/\sqrt{3}$ the
# function has a local maximum (it rises, then falls) and at
# $x = +1/\sqrt{3}$ a local minimum. Gradient descent, from chapter 02 on,
# uses exactly this: to go down, step against the sign of the derivative.

# %%
def cubic(x):
    return x**3 - x

def cubic_slope(x):
    return 3 * x**2 - 1

x_flat = 1 / np.sqrt(3)
points = np.array([-1.5, -x_flat, -0.3, 0.3, x_flat, 1.5])
fig, ax = plotting.plot_tangents(cubic, cubic_slope, points, xlim=(-1.8, 1.8))
ax.set_title("$f(x) = x^3 - x$ with tangent lines");

# %% [markdown]
# Your `forward_difference` (Exercise 1) gives the same slopes, up to an error of order $h$:

# %%
for xp in points:
    slope = forward_difference(cubic, xp)
    print(f"x = {xp:+.3f}: forward difference {slope:+.5f},"
          f" exact {cubic_slope(xp):+.5f}")

# %% [markdown]
# ## 3. The rules, checked numerically
#
# You rarely compute derivatives from the limit by hand; a few rules cover
# everything in this course ($c$ a constant, $f$ and $g$ functions):
#
# | rule | function | derivative |
# |---|---|---|
# | constant | $c$ | $0$ |
# | constant multiple | $c\,f(x)$ | $c\,f'(x)$ |
# | power | $x^n$ | $n\,x^{n-1}$ |
# | sum | $f(x) + g(x)$ | $f'(x) + g'(x)$ |
# | difference | $f(x) - g(x)$ | $f'(x) - g'(x)$ |
# | product | $f(x)\,g(x)$ | $f'(x)\,g(x) + f(x)\,g'(x)$ |
# | chain | $f(g(x))$ | $f'(g(x))\,g'(x)$ |
#
# For example, by the chain rule (outer $\sin u$, inner $u = x^2$) and the
# constant rule,
# $$\frac{d}{dx}\left(\sin(x^2) + 5\right) = \cos(x^2) \cdot 2x = 2x\cos(x^2).$$
#
# Below, each rule is applied to an example and compared with your forward
# difference at a few points. The differences are small and shrink in
# proportion to $h$: that is the next section's topic.

# %%
rules = {
    "constant: 7": (lambda x: 7 + 0 * x, lambda x: 0 * x),
    "multiple: 3 x^2": (lambda x: 3 * x**2, lambda x: 6 * x),
    "power: x^5": (lambda x: x**5, lambda x: 5 * x**4),
    "sum: x^2 + sin x": (lambda x: x**2 + np.sin(x),
                         lambda x: 2 * x + np.cos(x)),
    "difference: e^x - x^3": (lambda x: np.exp(x) - x**3,
                              lambda x: np.exp(x) - 3 * x**2),
    "product: x^2 sin x": (lambda x: x**2 * np.sin(x),
                           lambda x: 2 * x * np.sin(x) + x**2 * np.cos(x)),
    "chain: sin(x^2) + 5": (lambda x: np.sin(x**2) + 5,
                            lambda x: 2 * x * np.cos(x**2)),
}
x_check = np.array([-1.0, 0.5, 2.0])
for name, (f, df) in rules.items():
    numeric = forward_difference(f, x_check, h=1e-6)
    worst = np.max(np.abs(numeric - df(x_check)))
    print(f"{name:<24} largest difference {worst:.1e}")


# %% [markdown]
# ## 4. Better differences: central and complex step
#
# The forward difference looks only to the right of $x$. Taylor's theorem
# says how wrong it is:
# $$f(x + h) = f(x) + h f'(x) + \tfrac{h^2}{2} f''(x) + \tfrac{h^3}{6} f'''(x) + \dots
# \quad\Rightarrow\quad
# \frac{f(x + h) - f(x)}{h} = f'(x) + \underbrace{\tfrac{h}{2} f''(x) + \dots}_{\text{error } O(h)}.$$
#
# Looking both ways cancels the $h^2$ terms. The **central difference**
# $$D_h f(x) = \frac{f(x + h) - f(x - h)}{2h} = f'(x) + \tfrac{h^2}{6} f'''(x) + \dots$$
# has an error of order $h^2$: halve $h$ and the error drops four-fold,
# not two-fold. It costs the same two evaluations of $f$.
#
# ### Exercise 2: the central difference (3 points)
#
# Write `central_difference(f, x, h)` returning
# $\dfrac{f(x + h) - f(x - h)}{2h}$, for a number or an array `x`, using
# the given `h`.

# %% nbgrader={"grade": false, "grade_id": "central_difference", "locked": false, "schema_version": 3, "solution": true}
def central_difference(f, x, h=1e-5):
    """Central difference (f(x + h) - f(x - h)) / (2h), an O(h**2) estimate.

    f: function of one variable (elementwise on arrays).
    x: float, or array (...) float64 of points.
    h: step size > 0.
    Returns a float for a float x, else an array (...) float64.
    """
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %% [markdown]
# For $x^2$ the central difference is exact: `central_difference(square, 3.0, h=0.5)` should give `6.0`; for $x^3$ at 1 with `h=0.1` it should give `3.01` (exact: 3):

# %%
print(central_difference(square, 3.0, h=0.5))
print(central_difference(lambda x: x**3, 1.0, h=0.1))

# %% nbgrader={"grade": true, "grade_id": "test_central_difference_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does central_difference compute (f(x + h) - f(x - h)) / (2h) with h?"""
from course_utils import derivatives as cud
square = lambda t: t**2
assert_close(call_checked(central_difference, square, 3.0, h=0.5,
                          name="central_difference(square, 3.0, h=0.5)"),
             6.0)
assert_close(call_checked(central_difference, lambda x: x**3, 1.0, h=0.1,
                          name="central_difference(x**3, 1.0, h=0.1)"),
             3.01)
# Write it yourself: calling a ready-made difference does not count.
assert_not_delegating(central_difference, cud.central_difference,
                      cud.forward_difference, cud.complex_step, np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(201)
for _ in range(6):
    _c = _rng.normal(size=4)
    _g = lambda t, c=_c: c[0] + c[1] * np.sin(t) + c[2] * t**2 + c[3] * t**3
    _x = float(_rng.uniform(-2, 2))
    _h = float(10 ** _rng.uniform(-3, -0.5))
    assert_close(call_checked(central_difference, _g, _x, h=_h,
                              name=f"central_difference(function, "
                                   f"{_x:.3f}, h={_h:.2e})"),
                 cud.central_difference(_g, _x, h=_h), rtol=1e-7, atol=1e-9)
### END HIDDEN TESTS
passed("central_difference: values right for the h given")

# %% nbgrader={"grade": true, "grade_id": "test_central_difference_order", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is central_difference second-order accurate, also on arrays of points?"""
from course_utils.checks import check
from course_utils import derivatives as cud
_err_h = abs(call_checked(central_difference, np.exp, 0.0, h=0.1) - 1.0)
_err_half = abs(call_checked(central_difference, np.exp, 0.0, h=0.05) - 1.0)
check(3.8 < _err_h / _err_half < 4.2,
      f"Halving h divided the error by {_err_h / _err_half:.2f}; for a "
      f"central difference it should divide it by about 4.")
# Write it yourself: calling a ready-made version does not count.
assert_not_delegating(central_difference, cud.central_difference,
                      cud.forward_difference, cud.complex_step, np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(202)
_xs = _rng.uniform(-3, 3, size=(2, 4))
for _h in (1e-2, 0.3):
    assert_close(call_checked(central_difference, np.sin, _xs, h=_h,
                              name=f"central_difference(np.sin, array, "
                                   f"h={_h})"),
                 cud.central_difference(np.sin, _xs, h=_h),
                 rtol=1e-7, atol=1e-9)
assert_close(call_checked(central_difference, np.sin, np.arange(-2, 3),
                          h=0.1, name="central_difference(np.sin, "
                                      "integer array, h=0.1)"),
             cud.central_difference(np.sin, np.arange(-2.0, 3.0), h=0.1),
             rtol=1e-7, atol=1e-9)
### END HIDDEN TESTS
passed("central_difference: error falls 4-fold when h halves; arrays work")

# %% [markdown]
# A third estimate avoids subtraction altogether. If $f$ accepts complex
# numbers, $f(x + ih) = f(x) + ih f'(x) - \tfrac{h^2}{2} f''(x) + \dots$, so
# $$f'(x) \approx \frac{\operatorname{Im} f(x + ih)}{h},$$
# the **complex step**, with an error of order $h^2$ and no cancellation:
# $h = 10^{-20}$ works. (`course_utils.derivatives.complex_step` has it.)
# Compare the three on $\sin$ at $x = 1$:

# %%
x0 = 1.0
exact = np.cos(x0)
for h in (1e-2, 1e-5, 1e-8):
    err_f = abs(forward_difference(np.sin, x0, h) - exact)
    err_c = abs(central_difference(np.sin, x0, h) - exact)
    err_i = abs(cud.complex_step(np.sin, x0, h) - exact)
    print(f"h = {h:.0e}:  forward error {err_f:.1e}  central error "
          f"{err_c:.1e}  complex-step error {err_i:.1e}")
err_i = abs(cud.complex_step(np.sin, x0, 1e-20) - exact)
print(f"complex step with h = 1e-20: error {err_i:.1e}")

# %% [markdown]
# ## 5. Choosing h: the V-shaped error curve
#
# If a smaller $h$ always meant a smaller error we would take $h = 10^{-300}$.
# But a computer stores numbers with about 16 significant digits: each
# value of $f$ carries a rounding error of about $\varepsilon |f(x)|$, where
# $\varepsilon \approx 2.2 \times 10^{-16}$ is the machine epsilon. The
# difference $f(x + h) - f(x)$ subtracts two nearly equal numbers and keeps
# their rounding errors (up to $2\varepsilon |f(x)|$), which the division
# by $h$ then blows up. For the forward difference
#
# $$\text{error}(h) \approx \underbrace{\frac{h}{2}|f''(x)|}_{\text{truncation}} + \underbrace{\frac{2\varepsilon |f(x)|}{h}}_{\text{round-off}},$$
#
# smallest where the derivative of the sum is zero:
# $h^* = 2\sqrt{\varepsilon |f| / |f''|}$. For the central difference the
# truncation error is $\frac{h^2}{6}|f'''|$ and the round-off error
# $\frac{2\varepsilon |f|}{2h} = \frac{\varepsilon |f|}{h}$, so
#
# $$\text{error}(h) \approx \frac{h^2}{6}|f'''(x)| + \frac{\varepsilon |f(x)|}{h},
# \qquad h^* = \left(\frac{3\varepsilon |f|}{|f'''|}\right)^{1/3}.$$
#
# For $f = e^x$ at $x = 1$, where $f = f'' = f''' = e$, these give
# $h^* = 2\sqrt{\varepsilon} \approx 3.0 \times 10^{-8}$ (forward) and
# $h^* = (3\varepsilon)^{1/3} \approx 8.7 \times 10^{-6}$ (central): the
# order of magnitude is $\sqrt{\varepsilon}$ and $\varepsilon^{1/3}$
# whenever $f$ and its derivatives are of size 1.
#
# Far from 0 the step has to grow with $|x|$: $x + h$ is itself rounded to
# about $\varepsilon |x|$, so for $x = 10^6$ a step of $10^{-8}$ is lost
# almost entirely in that rounding. Library code therefore takes
# $h = \sqrt{\varepsilon}\,\max(1, |x|)$ and similar.
#
# On a log-log plot the error is a V: a straight line of slope 1 (forward)
# or 2 (central) on the right, where truncation dominates, and slope $-1$
# on the left, where round-off does. Below, $f = e^x$ at $x = 1$:

# %%
fig, ax = plotting.plot_error_vs_h(np.exp, np.exp, 1.0)
ax.set_title("Error of the differences of $f = e^x$ at $x = 1$")
print(f"forward: 2 sqrt(eps) = {2 * np.sqrt(EPS):.1e}, "
      f"central: (3 eps)**(1/3) = {(3 * EPS) ** (1 / 3):.1e}")

# %% [markdown]
# **Try it.** Move the slider (log10 of $h$, for $f = e^x$ at $x = 1$): the
# dots move along both curves. Find the bottom of each V. (This widget is
# not graded; it needs a running notebook to respond.)

# %% tags=["nbval-ignore-output"]
widgets.error_vs_h_widget(np.exp, np.exp, 1.0, log10_h=-3.0)

# %% [markdown]
# ### Exercise 3: choosing h (2 points)
#
# For $f(x) = e^x$ at $x_0 = 1$ (exact derivative $e$), set
#
# - `best_h_forward` to the step $h$ (a positive float) that minimises the
#   error of **your** `forward_difference`, and
# - `best_h_central` to the step that minimises the error of your
#   `central_difference`.
#
# Compute them: evaluate the errors on a grid such as
# `np.logspace(-16, 0, 161)` and take the step with the smallest error.
#
# How it is graded: near its bottom the V is noisy, so the exact best
# step depends on your grid. The tests therefore measure the error of a
# difference at **your** step and accept it when it is within a few times
# the smallest error the theory above allows. Any sensible grid works,
# from one step per decade to a very fine one; a step far from the bottom
# of the V does not. The visible tests also check that the central
# difference's best step is the larger one.

# %% nbgrader={"grade": false, "grade_id": "choose_h", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
steps = np.logspace(-16, 0, 161)
errors_forward = [abs(forward_difference(np.exp, 1.0, h) - np.e)
                  for h in steps]
errors_central = [abs(central_difference(np.exp, 1.0, h) - np.e)
                  for h in steps]
best_h_forward = float(steps[np.argmin(errors_forward)])
best_h_central = float(steps[np.argmin(errors_central)])
### END SOLUTION

# %% [markdown]
# Both should be positive floats, `best_h_central` the larger one:

# %%
print(f"best_h_forward = {best_h_forward:.1e}, "
      f"best_h_central = {best_h_central:.1e}")

# %% nbgrader={"grade": true, "grade_id": "test_best_h_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is best_h_forward at the bottom of the forward-difference V of exp at 1?"""
from course_utils.checks import answered, check
from numbers import Real
best_h_forward = answered(lambda: best_h_forward, "best_h_forward")
check(isinstance(best_h_forward, Real)
      and not isinstance(best_h_forward, bool),
      f"best_h_forward should be a number (a float), not "
      f"{type(best_h_forward).__name__}.")
check(0 < best_h_forward < 1, "best_h_forward should lie between 0 and 1.")
### BEGIN HIDDEN TESTS
# The error at the student's step, measured and as the theory models it;
# either within 3 times the smallest error the theory allows passes (the
# measured curve is noisy near its bottom, so any grid's minimum is fine).
_h = float(best_h_forward)
_eps = np.finfo(np.float64).eps
_measured = abs((np.exp(1.0 + _h) - np.exp(1.0)) / _h - np.e)
_model = _h / 2 * np.e + 2 * _eps * np.e / _h
_bottom = 2 * np.sqrt(_eps) * np.e  # the model's minimum, at 2 sqrt(eps)
check(min(_measured, _model) <= 3 * _bottom,
      "best_h_forward is not near the bottom of the forward-difference V: "
      "the error there is many times the smallest one. Compute the error "
      "for many steps and store the STEP with the smallest error.")
### END HIDDEN TESTS
passed("best_h_forward: at the bottom of the V")

# %% nbgrader={"grade": true, "grade_id": "test_best_h_central", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is best_h_central at the bottom of the central-difference V of exp at 1?"""
from course_utils.checks import answered, check
from numbers import Real
best_h_central = answered(lambda: best_h_central, "best_h_central")
best_h_forward = answered(lambda: best_h_forward, "best_h_forward")
check(isinstance(best_h_central, Real)
      and not isinstance(best_h_central, bool),
      f"best_h_central should be a number (a float), not "
      f"{type(best_h_central).__name__}.")
check(0 < best_h_central < 1, "best_h_central should lie between 0 and 1.")
check(best_h_central > best_h_forward,
      "best_h_central should be larger than best_h_forward: the central "
      "difference's truncation error shrinks like h**2, so its V bottoms "
      "out at a larger step.")
### BEGIN HIDDEN TESTS
_h = float(best_h_central)
_eps = np.finfo(np.float64).eps
_measured = abs((np.exp(1.0 + _h) - np.exp(1.0 - _h)) / (2 * _h) - np.e)
_model = _h**2 / 6 * np.e + _eps * np.e / _h
_h_star = (3 * _eps) ** (1 / 3)
_bottom = _h_star**2 / 6 * np.e + _eps * np.e / _h_star
check(min(_measured, _model) <= 3 * _bottom,
      "best_h_central is not near the bottom of the central-difference V: "
      "the error there is many times the smallest one. Compute the error "
      "for many steps and store the STEP with the smallest error.")
### END HIDDEN TESTS
passed("best_h_central: at the bottom of the V, larger than the forward one")


# %% [markdown]
# ## 6. Partial derivatives and the gradient
#
# A loss depends on many numbers at once. The **partial derivative**
# $\partial f / \partial x$ is the ordinary derivative in $x$ with every
# other variable held fixed. For $f(x, y) = 3xy + x^2$:
# $$\frac{\partial f}{\partial x} = 3y + 2x, \qquad \frac{\partial f}{\partial y} = 3x.$$
# The **gradient** collects all partial derivatives in one vector,
# $\nabla f = \left(\frac{\partial f}{\partial x}, \frac{\partial f}{\partial y}\right) = (3y + 2x,\ 3x)$.
# Likewise $f(x, y) = x^2 y$ has $\nabla f = (2xy,\ x^2)$.
#
# Numerically, a partial derivative is a one-variable difference in one
# coordinate, with the others frozen:

# %%
def f_3xy(p):
    x, y = p
    return 3 * x * y + x**2

x, y = 1.0, 2.0
d_dx = central_difference(lambda t: f_3xy([t, y]), x)
d_dy = central_difference(lambda t: f_3xy([x, t]), y)
print("numerical:", d_dx, d_dy)
print("exact:    ", 3 * y + 2 * x, 3 * x)

# %% [markdown]
# The gradient points in the direction of steepest ascent and is
# perpendicular to the level curves. Arrows of $\nabla f$ for
# $f(x, y) = x^2 y$ over its contour lines:

# %%
fig, ax = plt.subplots(figsize=(5, 5))
g = np.linspace(-2, 2, 101)
X_grid, Y_grid = np.meshgrid(g, g)
ax.contour(X_grid, Y_grid, X_grid**2 * Y_grid, levels=21, cmap="viridis")
q = np.linspace(-1.8, 1.8, 9)
Xq, Yq = np.meshgrid(q, q)
ax.quiver(Xq, Yq, 2 * Xq * Yq, Xq**2, color="C3")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title(r"$f(x, y) = x^2 y$ and its gradient $(2xy,\ x^2)$");


# %% [markdown]
# ### Exercise 4: the numerical gradient (4 points)
#
# Write `numerical_gradient(f, x, h)` for a function `f` that takes an
# array `x` of **any shape** (a vector, a weight matrix, ...) and returns one
# number. Return an array `grad` of the same shape as `x`, float64, with
#
# $$\texttt{grad}[i] = \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# for every index $i$ of `x` ($e_i$ is 1 at index $i$ and 0 elsewhere).
#
# Hints: `np.ndindex(x.shape)` visits every index of an array of any shape.
# Work on a float copy of `x` (`np.array(x, dtype=float)`: an integer
# `x` cannot hold `x[i] + h`), and put each entry back after perturbing
# it: the caller's `x` must be unchanged afterwards.

# %% nbgrader={"grade": false, "grade_id": "numerical_gradient", "locked": false, "schema_version": 3, "solution": true}
def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar function f at x.

    f: function taking an array shaped like x and returning one number.
    x: array (...) of any shape, float or integer; it is not modified.
    h: step size > 0.
    Returns grad: (...) float64, the same shape as x.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)  # a float copy: the caller's x is safe
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old  # restore before moving on
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% [markdown]
# For $3xy + x^2$ at $(1, 2)$ it should give `[8. 3.]`; for $x^2 y$ at $(3, -1)$, `[-6. 9.]`; for the sum of squares of a matrix $W$, `2 * W`:

# %%
def f_x2y(p):
    return p[0]**2 * p[1]

print(numerical_gradient(f_3xy, np.array([1.0, 2.0])))
print(numerical_gradient(f_x2y, np.array([3.0, -1.0])))
W = np.arange(6.0).reshape(2, 3)
print(numerical_gradient(lambda W: np.sum(W**2), W))

# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient_vector", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does numerical_gradient return the gradient of a function of a vector?"""
from course_utils import derivatives as cud
f_3xy = lambda p: 3 * p[0] * p[1] + p[0]**2
f_x2y = lambda p: p[0]**2 * p[1]
# call_checked also fails if numerical_gradient changes its input x.
assert_close(call_checked(numerical_gradient, f_3xy, np.array([1.0, 2.0]),
                          name="numerical_gradient(f_3xy, [1.0, 2.0])"),
             np.array([8.0, 3.0]))
assert_close(call_checked(numerical_gradient, f_x2y, np.array([3.0, -1.0]),
                          name="numerical_gradient(f_x2y, [3.0, -1.0])"),
             np.array([-6.0, 9.0]))
# An integer point must work too: perturb a float copy of x.
assert_close(call_checked(numerical_gradient, f_3xy, np.array([1, 2]),
                          name="numerical_gradient(f_3xy, np.array([1, 2]))"),
             np.array([8.0, 3.0]))
# Write it yourself: calling a ready-made gradient does not count.
assert_not_delegating(numerical_gradient, cud.numerical_gradient,
                      cud.numerical_jacobian, cud.gradient_check, np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(401)
for _D in (3, 5):
    _A = _rng.normal(size=(_D, _D))
    _b = _rng.normal(size=_D)
    _f = lambda v, A=_A, b=_b: 0.5 * v @ A @ v + b @ v + np.sum(np.sin(v))
    _x = _rng.normal(size=_D)
    assert_close(call_checked(numerical_gradient, _f, _x,
                              name=f"numerical_gradient on a random "
                                   f"{_D}-vector"),
                 0.5 * (_A + _A.T) @ _x + _b + np.cos(_x),
                 rtol=1e-5, atol=1e-7)
    assert_close(call_checked(numerical_gradient, _f, _x, h=0.1,
                              name=f"numerical_gradient(f, x, h=0.1) on a "
                                   f"{_D}-vector"),
                 cud.numerical_gradient(_f, _x, h=0.1), rtol=1e-6, atol=1e-8)
_xi = _rng.integers(-3, 4, size=4)
_f = lambda v: np.sum(np.sin(v)) + 0.5 * v @ v
assert_close(call_checked(numerical_gradient, _f, _xi,
                          name="numerical_gradient on an integer 4-vector"),
             np.cos(_xi) + _xi, rtol=1e-5, atol=1e-7)
### END HIDDEN TESTS
passed("numerical_gradient: gradient of a vector function, x unchanged")

# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient_any_shape", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does numerical_gradient work for any shape, leaving x unchanged?"""
from course_utils import derivatives as cud
_W = np.arange(6.0).reshape(2, 3)
assert_close(call_checked(numerical_gradient, lambda W: np.sum(W**2), _W,
                          name="numerical_gradient(sum of squares, W) for W "
                               "of shape (2, 3)"),
             2 * np.arange(6.0).reshape(2, 3))
# Write it yourself: calling a ready-made version does not count.
assert_not_delegating(numerical_gradient, cud.numerical_gradient,
                      cud.numerical_jacobian, cud.gradient_check, np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(402)
for _shape in [(3, 4), (2, 3, 2), (4, 1), (1, 5)]:
    _C = _rng.normal(size=_shape)
    _S = _rng.uniform(0.5, 2.0, size=_shape)
    _f = lambda X, C=_C, S=_S: np.sum(C * np.sin(X)) + 0.5 * np.sum(S * X**2)
    _X = _rng.normal(size=_shape)
    assert_close(call_checked(numerical_gradient, _f, _X,
                              name=f"numerical_gradient for x of shape "
                                   f"{_shape}"),
                 _C * np.cos(_X) + _S * _X, rtol=1e-5, atol=1e-7)
    assert_close(call_checked(numerical_gradient, _f, _X, h=0.1,
                              name=f"numerical_gradient(f, x, h=0.1) for x "
                                   f"of shape {_shape}"),
                 cud.numerical_gradient(_f, _X, h=0.1), rtol=1e-6, atol=1e-8)
### END HIDDEN TESTS
passed("numerical_gradient: any shape of x, x unchanged")

# %% [markdown]
# ## 7. The directional derivative
#
# The gradient gives the slope along each axis. The slope along any other
# direction $v$ is the **directional derivative**
# $$D_v f(x) = \lim_{t \to 0} \frac{f(x + t v) - f(x)}{t} = \nabla f(x) \cdot v.$$
# In this course $v$ is used **as given**: doubling $v$ doubles $D_v f$.
# With a unit vector ($\|v\| = 1$) it is the slope per unit distance
# travelled.
#
# Example: $f(x, y) = x^2 - xy$ has $\nabla f = (2x - y,\ -x)$, which is
# $(7, -2)$ at $(2, -3)$. Along the unit vector $v = (0.6, 0.8)$:
# $$D_v f(2, -3) = 7 \cdot 0.6 + (-2) \cdot 0.8 = 4.2 - 1.6 = 2.6.$$
# Among unit vectors, $v = \nabla f / \|\nabla f\|$ gives the largest slope ($\|\nabla f\|$);
# along a direction perpendicular to $\nabla f$ it is 0: that direction
# follows the level curve.
#
# The picture shows both directions at $(2, -3)$ over the level curves of $x^2 - xy$:

# %%
point = np.array([2.0, -3.0])
fig, ax = plt.subplots(figsize=(5, 5))
g = np.linspace(-1, 5, 121)
X_grid, Y_grid = np.meshgrid(g, g - 5)
ax.contour(X_grid, Y_grid, X_grid**2 - X_grid * Y_grid, levels=25,
           cmap="viridis")
grad_unit = np.array([7.0, -2.0]) / np.hypot(7.0, 2.0)
ax.quiver(*point, *grad_unit, color="C3", angles="xy", scale_units="xy",
          scale=1, label="gradient direction (slope 7.28)")
ax.quiver(*point, 0.6, 0.8, color="C0", angles="xy", scale_units="xy",
          scale=1, label="v = (0.6, 0.8) (slope 2.6)")
ax.set_aspect("equal")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="lower left", fontsize=8)
ax.set_title("$x^2 - xy$ near (2, -3)");


# %% [markdown]
# ### Exercise 5: the directional derivative (3 points)
#
# Write `directional_derivative(f, x, v, h)` for a function of a vector
# `x` (shape `(D,)`) and a direction `v` of the same shape. Return one
# number: the central difference along `v`,
# $\dfrac{f(x + h v) - f(x - h v)}{2h}$ (or, equally good, the dot product
# of your numerical gradient with `v`). Do not normalise `v`.

# %% nbgrader={"grade": false, "grade_id": "directional_derivative", "locked": false, "schema_version": 3, "solution": true}
def directional_derivative(f, x, v, h=1e-5):
    """Derivative of f at x along v (used as given, not normalised).

    f: function of a vector, returning one number.
    x: (D,) the point; v: (D,) the direction (float or integer arrays).
    h: step size > 0.
    Returns a float, approximately grad f(x) . v.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    return float((f(x + h * v) - f(x - h * v)) / (2 * h))
    ### END SOLUTION


# %% [markdown]
# `directional_derivative` of $x^2 - xy$ at $(2, -3)$ along $(0.6, 0.8)$ should give about `2.6`, and along $(3, 4)$ (five times longer) about `13.0`:

# %%
def f_dir(p):
    return p[0]**2 - p[0] * p[1]

point = np.array([2.0, -3.0])
print(directional_derivative(f_dir, point, np.array([0.6, 0.8])))
print(directional_derivative(f_dir, point, np.array([3.0, 4.0])))
print("gradient:", numerical_gradient(f_dir, point))

# %% nbgrader={"grade": true, "grade_id": "test_directional_derivative_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does directional_derivative give grad f(x) . v for the v it is given?"""
from course_utils import derivatives as cud
f_dir = lambda p: p[0]**2 - p[0] * p[1]
_one_number = {"shape": "Return one number, the slope along v (the dot product of the gradient with v), not the gradient itself."}
# call_checked also fails if directional_derivative changes x or v.
assert_close(call_checked(directional_derivative, f_dir,
                          np.array([2.0, -3.0]), np.array([0.6, 0.8]),
                          name="directional_derivative(f_dir, (2, -3), "
                               "(0.6, 0.8))"),
             2.6, hint=_one_number)
assert_close(call_checked(directional_derivative, f_dir,
                          np.array([2.0, -3.0]), np.array([3.0, 4.0]),
                          name="directional_derivative(f_dir, (2, -3), "
                               "(3, 4)) (v not normalised)"),
             13.0, hint=_one_number)
# Write it yourself: calling a ready-made gradient does not count.
assert_not_delegating(directional_derivative, cud.directional_derivative,
                      cud.numerical_gradient, cud.numerical_jacobian,
                      np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(501)
for _D in (2, 4, 6):
    _A = _rng.normal(size=(_D, _D))
    _f = lambda z, A=_A: 0.5 * z @ A @ z + np.sum(np.sin(z))
    _x = _rng.normal(size=_D)
    _v = _rng.normal(size=_D) * 2.0
    _expected = (0.5 * (_A + _A.T) @ _x + np.cos(_x)) @ _v
    assert_close(call_checked(directional_derivative, _f, _x, _v,
                              name=f"directional_derivative on a random "
                                   f"{_D}-vector"),
                 _expected, rtol=1e-5, atol=1e-6, hint=_one_number)
assert_close(call_checked(directional_derivative, f_dir, np.array([2, -3]),
                          np.array([3, 4]),
                          name="directional_derivative(f_dir, integer x, "
                               "integer v)"),
             13.0, rtol=1e-5, hint=_one_number)
### END HIDDEN TESTS
passed("directional_derivative: grad f(x) . v, with v as given")

# %% nbgrader={"grade": true, "grade_id": "test_directional_derivative_linear", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is directional_derivative linear in v, and zero along a level curve?"""
from course_utils import derivatives as cud
f_dir = lambda p: p[0]**2 - p[0] * p[1]
_p = np.array([2.0, -3.0])
assert_close(call_checked(directional_derivative, f_dir, _p,
                          np.array([2.0, 7.0]),
                          name="directional_derivative along (2, 7), "
                               "perpendicular to the gradient"),
             0.0, atol=1e-6)
_d1 = call_checked(directional_derivative, f_dir, _p, np.array([0.6, 0.8]))
_d2 = call_checked(directional_derivative, f_dir, _p, np.array([1.2, 1.6]))
assert_close(_d2, 2 * _d1, "directional_derivative along 2 v (compared "
             "with twice the value along v)", rtol=1e-5)
# Write it yourself: calling a ready-made version does not count.
assert_not_delegating(directional_derivative, cud.directional_derivative,
                      cud.numerical_gradient, cud.numerical_jacobian,
                      np.gradient)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(502)
_A = _rng.normal(size=(3, 3))
_f = lambda z: 0.5 * z @ _A @ z + np.exp(z[0])
_x = _rng.normal(size=3)
_v, _w = _rng.normal(size=3), _rng.normal(size=3)
_dv = call_checked(directional_derivative, _f, _x, _v)
_grad = 0.5 * (_A + _A.T) @ _x + np.array([np.exp(_x[0]), 0.0, 0.0])
assert_close(_dv, _grad @ _v, "directional_derivative along a random v",
             rtol=1e-5, atol=1e-6)
assert_close(call_checked(directional_derivative, _f, _x, -3 * _v),
             -3 * _dv, "directional_derivative along -3 v (compared with -3 "
             "times the value along v)", rtol=1e-5, atol=1e-6)
assert_close(call_checked(directional_derivative, _f, _x, _v + _w),
             _dv + call_checked(directional_derivative, _f, _x, _w),
             "directional_derivative along v + w (compared with the sum)",
             rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
passed("directional_derivative: linear in v, zero along a level curve")

# %% [markdown]
# ## Summary
#
# - The derivative is the limit of secant slopes; a computer estimates it
#   with a small but finite step $h$.
# - Forward differences have error $O(h)$, central differences $O(h^2)$ for
#   the same two evaluations; the complex step has no cancellation at all.
# - Too small an $h$ loses to round-off: the error is a V in $h$ with its
#   bottom at $2\sqrt{\varepsilon |f|/|f''|}$ (forward) and
#   $(3\varepsilon |f|/|f'''|)^{1/3}$ (central): for $e^x$ at 1,
#   $3.0 \times 10^{-8}$ and $8.7 \times 10^{-6}$.
# - The gradient collects the partial derivatives; a numerical gradient
#   perturbs one entry at a time, for arrays of any shape.
# - The directional derivative along $v$ is $\nabla f \cdot v$, largest
#   (among unit vectors) along the gradient and zero along a level curve.
#
# Your exercises: `forward_difference`, `central_difference`, choosing `h`,
# `numerical_gradient` and `directional_derivative` (15 points). From
# chapter 02 on we use the finished versions in `course_utils.derivatives`
# (`numerical_gradient`, `gradient_check`) to check every gradient we
# derive by hand, starting with the gradient of $\|Ax - b\|^2$.
