# %% [markdown]
# # 02 Gradient descent for linear systems
#
# Chapter 01 measured slopes. This chapter *uses* them: we walk downhill on a
# function, step by step, against its gradient. That walk, **gradient
# descent**, is how every network in this course is trained. Here we learn
# it where everything can be checked by hand: solving a system of linear
# equations $A x = b$.
#
# Why solve a linear system by walking downhill when `np.linalg.solve`
# exists? Because the walk is the part that carries over. A network's loss
# has no formula for its minimum, only a gradient; and the questions this
# chapter answers for $A x = b$ (how large may a step be, when do we stop,
# how many steps will it take, can the step choose itself) are exactly the
# questions of training.
#
# By the end of this chapter you will have written:
#
# - `lls_objective` and `lls_gradient`: the least-squares objective
#   $F(x) = \|Ax - b\|_2^2$ and its gradient $2A^\top(Ax - b)$,
# - `gradient_descent`: fixed steps, a tolerance-based stop and divergence
#   detection,
# - `max_stable_lr`: the largest learning rate that does not blow up,
# - `bb_step` and `gradient_descent_bb`: steps that pick their own size
#   (Barzilai-Borwein),
#
# and answered two questions on the theory: how many steps a condition
# number costs, and which learning rates diverge. The finished versions live in `course_utils.descent`;
# here you write your own, and the tests check that you did not call them
# (or `np.linalg.solve`, `lstsq`, `pinv`, SciPy).

# %% [markdown] shared_text="how_to_work.md"
# ## How to work in this notebook
#
# - You work in your own copy, `work/02_gradient_descent/` (`make lab`
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
# random seed, so every run gives the same numbers.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from course_utils import datasets, plotting, widgets
from course_utils import descent as cd
from course_utils.derivatives import numerical_gradient
from course_utils.checks import (
    assert_close, assert_not_delegating, call_checked, fail, passed,
    unpack_in_order)

rng = np.random.default_rng(0)
np.set_printoptions(precision=6, suppress=True)

# %% [markdown]
# ## 1. A linear system as a valley
#
# Take two equations in two unknowns $a$ and $b$:
#
# $$4a + 2b = 22, \qquad 3a + 8b = 49.$$
#
# In matrix form $A x = b$ with
# $A = \begin{pmatrix} 4 & 2 \\ 3 & 8 \end{pmatrix}$,
# $x = \begin{pmatrix} a \\ b \end{pmatrix}$ and right-hand side
# $\begin{pmatrix} 22 \\ 49 \end{pmatrix}$ (the letter $b$ is doing double
# duty here; from now on $b$ is the right-hand side). The solution is
# $a = 3$, $b = 5$: $4 \cdot 3 + 2 \cdot 5 = 22$ and
# $3 \cdot 3 + 8 \cdot 5 = 49$.
#
# For a guess $x$ the **residual** $r = Ax - b$ says how far each equation
# is from holding. Squaring and adding its entries gives one number that is
# zero exactly at a solution and positive everywhere else:
#
# $$F(x) = \|Ax - b\|_2^2 = \sum_{i=1}^{N} \big((Ax)_i - b_i\big)^2 .$$
#
# Solving the system is now *minimising* $F$. The same $F$ makes sense for
# any $A$ of shape $(N, D)$: with more equations than unknowns ($N > D$) no
# $x$ may satisfy them all, and the minimiser is the **least-squares**
# solution. Seen from above, $F$ of two unknowns is a valley with
# elliptical contour lines and its bottom at $(3, 5)$; the red dots are the
# first steps of the walk down we are about to build (the finished
# `course_utils.descent` version draws them here).

# %%
A2, b2, x2_true = datasets.seed_linear_system(2)
print("A =\n", A2, "\nb =", b2, "\nsolution:", x2_true)


def F2_grid(U, V):
    # F on a grid of (a, b) values, for the contour plot
    return (A2[0, 0] * U + A2[0, 1] * V - b2[0])**2 + (
        A2[1, 0] * U + A2[1, 1] * V - b2[1])**2


run = cd.gradient_descent(lambda x: 2 * A2.T @ (A2 @ x - b2),
                          np.array([8.0, 1.0]), lr=0.01, max_iter=40)
fig, ax = plotting.plot_contour_path(F2_grid, run.path, xlim=(-2, 9),
                                     ylim=(-1, 10), labels=("a", "b"),
                                     log_levels=True, levels=25)
ax.plot(*x2_true, "x", color="k", ms=10)
ax.set_title(r"$F(a, b) = \|Ax - b\|^2$: 40 steps of gradient descent");


# %% [markdown]
# ### Exercise 1: the objective (2 points)
#
# Write `lls_objective(A, b, x)` returning $F(x) = \|Ax - b\|_2^2$ as a
# Python `float`. `A` has shape $(N, D)$, not necessarily square. Accept
# `x` as a vector of shape $(D,)$ or a column of shape $(D, 1)$, and `b` of
# shape $(N,)$ or $(N, 1)$.
#
# Careful with the shapes: `A @ x` for `x` of shape $(D, 1)$ is a column
# $(N, 1)$, and a column minus a vector $(N,)$ *broadcasts* to an
# $(N, N)$ matrix without any error. Flattening both (`np.ravel`) avoids
# the trap.

# %% nbgrader={"grade": false, "grade_id": "lls_objective", "locked": false, "schema_version": 3, "solution": true}
def lls_objective(A, b, x):
    """Least-squares objective F(x) = ||A x - b||_2^2.

    A: (N, D) float64; b: (N,) or (N, 1); x: (D,) or (D, 1).
    Returns a Python float.
    """
    ### BEGIN SOLUTION
    A = np.asarray(A, dtype=np.float64)
    r = A @ np.ravel(x) - np.ravel(b)  # the residual, (N,)
    return float(r @ r)
    ### END SOLUTION


# %% [markdown]
# At $x = (0, 0)$ the 2x2 system should give `2885.0` ($22^2 + 49^2$), at
# $(1, 1)$ `1700.0`, and at the solution $(3, 5)$ `0.0`:

# %%
for x in ([0.0, 0.0], [1.0, 1.0], [3.0, 5.0]):
    print(x, lls_objective(A2, b2, np.array(x)))

# %% nbgrader={"grade": true, "grade_id": "test_lls_objective_values", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does lls_objective return ||A x - b||^2 for a square system?"""
A2 = np.array([[4.0, 2.0], [3.0, 8.0]])
b2 = np.array([22.0, 49.0])
for _x, _F in (([0.0, 0.0], 2885.0), ([1.0, 1.0], 1700.0),
               ([3.0, 5.0], 0.0)):
    assert_close(call_checked(lls_objective, A2, b2, np.array(_x),
                              name=f"lls_objective(A, b, {_x})"),
                 _F, f"lls_objective(A, b, {_x}) for the 2x2 system")
assert_not_delegating(lls_objective, cd.lls_objective,
                      cd.quadratic_objective, cd.solve_lls, np.linalg.lstsq,
                      np.linalg.solve, np.linalg.pinv)
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1101)
for _D in (1, 3, 6):
    _A = _rng.normal(size=(_D, _D))
    _b = _rng.normal(size=_D)
    _x = _rng.normal(size=_D) * 3
    assert_close(call_checked(lls_objective, _A, _b, _x,
                              name="lls_objective(A, b, x)"),
                 _ref.lls_objective(_A, _b, _x),
                 f"lls_objective for a random {_D}x{_D} system",
                 rtol=1e-9)
### END HIDDEN TESTS
passed("lls_objective: values right on square systems")

# %% nbgrader={"grade": true, "grade_id": "test_lls_objective_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does lls_objective work for non-square A and column vectors x, b?"""
_A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (3, 2)
_b = np.array([1.0, 2.0, 3.0])
_x = np.array([1.0, 1.0])


def _shape_mistake(F, bs, xs):
    """What to say when lls_objective returned an array, not a number."""
    if np.size(F) == 1:
        return "It holds one number: return it as a float, e.g. float(...)."
    if len(bs) != len(xs):  # a column and a vector: A x - b broadcasts
        return ("Here A @ x and b are a column and a vector, and their "
                "difference broadcasts to a matrix: flatten both "
                "(np.ravel) before subtracting.")
    return "Add up the squares of all the residuals into one number."


def _broadcast_hint(bs, xs):
    if len(bs) == len(xs):
        return None
    return ("For these shapes A @ x is a column and b a vector (or the other "
            "way round): subtracting them broadcasts to a matrix without any "
            "error. Flatten both (np.ravel) first.")


for _bs, _xs in (((3,), (2,)), ((3, 1), (2, 1)), ((3,), (2, 1)),
                 ((3, 1), (2,))):
    _F = call_checked(lls_objective, _A, _b.reshape(_bs), _x.reshape(_xs),
                      name=f"lls_objective(A, b, x) for b {_bs}, x {_xs}")
    if _F is not None and np.ndim(_F) != 0:
        fail(f"lls_objective should return one number, but for b of shape "
             f"{_bs} and x of shape {_xs} it returned shape {np.shape(_F)}. "
             f"{_shape_mistake(_F, _bs, _xs)}")
    assert_close(_F, 2.0, f"lls_objective for a (3, 2) A, b of shape "
                 f"{_bs} and x of shape {_xs}",
                 hint={"values": _broadcast_hint(_bs, _xs)})
assert_not_delegating(lls_objective, cd.lls_objective,
                      cd.quadratic_objective, cd.solve_lls, np.linalg.lstsq,
                      np.linalg.solve, np.linalg.pinv)
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1102)
for _N, _D in ((5, 3), (3, 5), (7, 1)):
    _A = _rng.normal(size=(_N, _D))
    _b = _rng.normal(size=_N)
    _x = _rng.normal(size=_D)
    for _bs, _xs in (((_N,), (_D, 1)), ((_N, 1), (_D, 1)),
                     ((_N, 1), (_D,))):
        _val = call_checked(lls_objective, _A, _b.reshape(_bs),
                            _x.reshape(_xs), name="lls_objective(A, b, x)")
        if _val is not None and np.ndim(_val) != 0:
            fail(f"lls_objective returned shape {np.shape(_val)} for A of "
                 f"shape {(_N, _D)}, b {_bs}, x {_xs}; it should return one "
                 f"number. {_shape_mistake(_val, _bs, _xs)}")
        _hint = _broadcast_hint(_bs, _xs)
        assert_close(_val, _ref.lls_objective(_A, _b, _x),
                     f"lls_objective for A of shape {(_N, _D)}, b {_bs}, "
                     f"x {_xs}", rtol=1e-9, hint={"values": _hint})
### END HIDDEN TESTS
passed("lls_objective: any (N, D), vectors or columns")


# %% [markdown]
# ## 2. The gradient of $\|Ax - b\|^2$
#
# To walk downhill we need the gradient $\nabla F(x)$: the $D$ partial
# derivatives $\partial F / \partial x_j$, arranged like $x$, so that the
# update $x - \text{lr}\,\nabla F(x)$ makes sense. We get it with the chain
# rule, from two simple pieces: $y = Ax - b$ (a vector of $N$ entries) and
# $F = \|y\|^2 = \sum_i y_i^2$ (one number).
#
# **Jacobians.** For a function $g$ from $D$ numbers to $N$ numbers,
# collect its partial derivatives in the $N \times D$ **Jacobian** $J$ with
# $J_{ij} = \partial g_i / \partial x_j$: one row per output, one column per
# input. (This arrangement is called **numerator layout**.) For our two
# pieces:
#
# - $y_i = \sum_j A_{ij} x_j - b_i$, so $\partial y_i / \partial x_j =
#   A_{ij}$: the Jacobian of $Ax - b$ is $A$ itself ($N \times D$);
# - $\partial F / \partial y_i = 2 y_i$: the Jacobian of $\|y\|^2$ is the
#   row $2y^\top$ ($1 \times N$).
#
# **Chain rule.** The Jacobian of the composition is the product of the
# two, the outer function's on the left:
# $$\frac{\partial F}{\partial x} = \frac{\partial F}{\partial y}\,\frac{\partial y}{\partial x} = 2y^\top A = 2(Ax - b)^\top A \qquad (1 \times D).$$
#
# **From a row to the gradient.** That row holds the $D$ partial
# derivatives. The gradient is the same numbers arranged like $x$, a
# vector of shape $(D,)$ (this convention is called **denominator
# layout**): the transpose,
# $$\nabla F(x) = \left(2(Ax - b)^\top A\right)^\top = 2A^\top(Ax - b).$$
#
# Chapter 04 keeps the same bookkeeping for every layer of a network.
# Checking the shapes catches most mistakes: $A^\top$ is $(D, N)$ and
# $Ax - b$ is $(N,)$, so the product is $(D,)$, like $x$. Forget the
# transpose and `A @ r` fails for a non-square $A$, or, worse, runs for a
# square one and silently gives a wrong answer.

# %% [markdown]
# ### Exercise 2: the gradient (4 points)
#
# Write `lls_gradient(A, b, x)` returning $2A^\top(Ax - b)$ **with the shape
# of `x`**: for `x` of shape $(D,)$ a vector $(D,)$, for a column $(D, 1)$ a
# column $(D, 1)$. `b` may be $(N,)$ or $(N, 1)$ either way, and `A` any
# $(N, D)$.

# %% nbgrader={"grade": false, "grade_id": "lls_gradient", "locked": false, "schema_version": 3, "solution": true}
def lls_gradient(A, b, x):
    """Gradient of F(x) = ||A x - b||^2, that is 2 A^T (A x - b).

    A: (N, D) float64; b: (N,) or (N, 1); x: (D,) or (D, 1).
    Returns dx: float64, the same shape as x.
    """
    ### BEGIN SOLUTION
    A = np.asarray(A, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    r = A @ x.ravel() - np.ravel(b)  # the residual, (N,)
    return (2.0 * (A.T @ r)).reshape(x.shape)
    ### END SOLUTION


# %% [markdown]
# At $x = (0, 0)$ the 2x2 system should give `[-470. -872.]`
# ($-2A^\top b$), at $(1, 1)$ `[-356. -672.]`, and at the solution zero.
# Chapter 01's `numerical_gradient` (the finished one, from
# `course_utils.derivatives`) should agree to about six digits:

# %%
for x in ([0.0, 0.0], [1.0, 1.0], [3.0, 5.0]):
    x = np.array(x)
    print(x, "formula:", lls_gradient(A2, b2, x), " numerical:",
          numerical_gradient(lambda v: lls_objective(A2, b2, v), x))
A_tall = rng.normal(size=(5, 3))
b_tall = rng.normal(size=5)
x_col = rng.normal(size=(3, 1))
print("(5, 3) A, column x: shape", lls_gradient(A_tall, b_tall, x_col).shape)

# %% nbgrader={"grade": true, "grade_id": "test_lls_gradient_values", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does lls_gradient return 2 A^T (A x - b), square or not?"""
A2 = np.array([[4.0, 2.0], [3.0, 8.0]])
b2 = np.array([22.0, 49.0])
for _x, _g in (([0.0, 0.0], [-470.0, -872.0]),
               ([1.0, 1.0], [-356.0, -672.0]), ([3.0, 5.0], [0.0, 0.0])):
    _got = call_checked(lls_gradient, A2, b2, np.array(_x),
                        name=f"lls_gradient(A, b, {_x})")
    if isinstance(_got, np.ndarray) and _got.shape == (2,) and np.allclose(
            _got, 2 * A2 @ (A2 @ np.array(_x) - b2)) and any(_g):
        fail(f"lls_gradient(A, b, {_x}) for the 2x2 system gives "
             f"2 A (A x - b): the transpose is missing. The gradient is "
             f"2 A^T (A x - b), with A.T.")
    assert_close(_got, np.array(_g), f"lls_gradient(A, b, {_x}) for the "
                 f"2x2 system")
_A = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0]])  # (3, 2): not square
_b = np.array([1.0, 1.0, 1.0])
_x = np.array([0.5, -1.0])
assert_close(call_checked(lls_gradient, _A, _b, _x,
                          name="lls_gradient(A, b, x)"),
             numerical_gradient(
                 lambda v: np.sum((_A @ v - _b)**2), _x),
             "lls_gradient for a (3, 2) A (compared with a numerical "
             "gradient)", rtol=1e-6, atol=1e-6)
assert_not_delegating(lls_gradient, cd.lls_gradient, cd.quadratic_gradient,
                      cd.solve_lls, numerical_gradient, np.gradient,
                      np.linalg.lstsq, np.linalg.solve, np.linalg.pinv)
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
from course_utils import derivatives as _der
_rng = np.random.default_rng(1201)
for _N, _D in ((4, 4), (6, 3), (3, 6), (1, 5), (7, 1)):
    _A = _rng.normal(size=(_N, _D)) * _rng.uniform(0.5, 3)
    _b = _rng.normal(size=_N)
    _x = _rng.normal(size=_D)
    _g = call_checked(lls_gradient, _A, _b, _x, name="lls_gradient(A, b, x)")
    assert_close(_g, _ref.lls_gradient(_A, _b, _x),
                 f"lls_gradient for A of shape {(_N, _D)}", rtol=1e-9,
                 atol=1e-9)
    assert_close(_g, _der.numerical_gradient(
                     lambda v: _ref.lls_objective(_A, _b, v), _x),
                 f"lls_gradient for A of shape {(_N, _D)} (compared with "
                 f"a numerical gradient)", rtol=1e-5, atol=1e-5)
### END HIDDEN TESTS
passed("lls_gradient: 2 A^T (A x - b) for any (N, D)")

# %% nbgrader={"grade": true, "grade_id": "test_lls_gradient_shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does lls_gradient keep the shape of x, for b as a vector or a column?"""
_A = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0]])  # (3, 2)
_b = np.array([1.0, 1.0, 1.0])
_x = np.array([0.5, -1.0])
_expected = 2 * _A.T @ (_A @ _x - _b)  # (2,)


def _shape_mistake(g, xs):
    """Why a gradient of the wrong shape came back, in a sentence."""
    if np.size(g) == int(np.prod(xs)):
        return ("The numbers are all there: give the result the shape of x, "
                "e.g. with .reshape(np.shape(x)).")
    return ("A column minus a vector broadcasts to a matrix: flatten A @ x "
            "and b (np.ravel) before subtracting.")


for _bs, _xs in (((3,), (2,)), ((3,), (2, 1)), ((3, 1), (2, 1)),
                 ((3, 1), (2,))):
    _g = call_checked(lls_gradient, _A, _b.reshape(_bs), _x.reshape(_xs),
                      name=f"lls_gradient(A, b, x) for b {_bs}, x {_xs}")
    if _g is not None and np.shape(_g) != _xs:
        fail(f"lls_gradient returned shape {np.shape(_g)} for x of shape "
             f"{_xs} (b of shape {_bs}); the gradient must have the shape "
             f"of x. {_shape_mistake(_g, _xs)}")
    assert_close(_g, _expected.reshape(_xs),
                 f"lls_gradient for b of shape {_bs} and x of shape {_xs}")
assert_not_delegating(lls_gradient, cd.lls_gradient, cd.quadratic_gradient,
                      cd.solve_lls, numerical_gradient, np.gradient,
                      np.linalg.lstsq, np.linalg.solve, np.linalg.pinv)
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1202)
for _N, _D in ((5, 3), (3, 5), (4, 4), (6, 1)):
    _A = _rng.normal(size=(_N, _D))
    _b = _rng.normal(size=_N)
    _x = _rng.normal(size=_D)
    _want = _ref.lls_gradient(_A, _b, _x)
    for _bs, _xs in (((_N,), (_D, 1)), ((_N, 1), (_D, 1)),
                     ((_N, 1), (_D,))):
        _gh = call_checked(lls_gradient, _A, _b.reshape(_bs),
                           _x.reshape(_xs), name="lls_gradient(A, b, x)")
        if _gh is not None and np.shape(_gh) != _xs:
            fail(f"lls_gradient returned shape {np.shape(_gh)} for A of "
                 f"shape {(_N, _D)}, b {_bs} and x {_xs}; it must have the "
                 f"shape of x. {_shape_mistake(_gh, _xs)}")
        assert_close(_gh, _want.reshape(_xs),
                     f"lls_gradient for A of shape {(_N, _D)}, b {_bs}, "
                     f"x {_xs}", rtol=1e-9, atol=1e-9)
### END HIDDEN TESTS
passed("lls_gradient: shaped like x, for b (N,) or (N, 1)")


# %% [markdown]
# ## 3. Walking downhill, and knowing when to stop
#
# The gradient points uphill, so a small step against it goes down:
#
# $$x_{k+1} = x_k - \text{lr}\,\nabla F(x_k),$$
#
# with a **learning rate** (step size) $\text{lr} > 0$. Repeat, and the
# iterates slide to the bottom of the valley.
#
# How many times? "5000 steps" is a guess that is either wasteful (the
# answer was reached long ago) or too few (it was not). Better **stopping
# rules** look at where we are:
#
# - **gradient norm:** stop when $\|\nabla F(x_k)\|_2 \le \text{tol}$. The
#   gradient is zero at the minimum, and small near it; section 4 shows
#   that for our $F$ a small gradient also means a small error
#   $\|x_k - x^*\|$;
# - **objective:** stop when $F(x_k) \le \text{tol}$ (only when the minimum
#   value is known to be 0, as for a solvable system);
# - **a budget:** stop after `max_iter` steps whatever happens, so that a
#   run always ends. A run stopped this way may not have met the
#   tolerance: the count it returns, `max_iter`, tells the caller to
#   check;
# - **divergence:** when the step is too large the iterates fly off and the
#   numbers grow until they overflow to `inf` and `nan`. A good solver
#   notices (the gradient norm is no longer finite, or has grown by a huge
#   factor) and says so, instead of returning `nan` as if it were an answer.
#
# ### Exercise 3: gradient descent (5 points)
#
# Write `gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000)` for any
# gradient function `grad` (not only least squares). It returns the pair
# `(x, num_iters)`, in that order, where `num_iters` counts the updates
# made. Start from a **copy** of `x0` as floats (never change the
# caller's `x0`); then, in each pass of the loop:
#
# - compute `g = grad(x)` and its norm $\|g\|_2$ (`np.linalg.norm`);
# - if that norm is not finite (`inf` or `nan`) or has grown past `1e12`
#   times its first value (the norm at `x0`), **raise** a `ValueError`
#   whose message contains the word "diverged" and names the learning
#   rate, e.g.
#   `f"gradient descent diverged: the learning rate lr = {lr} is too large"`;
# - if the norm is $\le$ `tol`, stop and return `(x, num_iters)` (so
#   `num_iters` is `0` when `x0` already satisfies the tolerance);
# - if `max_iter` updates have been made, stop and return `(x, max_iter)`;
# - otherwise update `x = x - lr * g`.

# %% nbgrader={"grade": false, "grade_id": "gradient_descent", "locked": false, "schema_version": 3, "solution": true}
def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    """Fixed-step gradient descent x <- x - lr * grad(x).

    grad: function x -> gradient, an array shaped like x.
    x0: (D,) float64, the start; it is not modified.
    lr: the learning rate, > 0.
    tol: stop when ||grad(x)||_2 <= tol, checked before each update.
    max_iter: the most updates to make.
    Returns (x, num_iters): x (D,) float64 and the number of updates.
    Raises ValueError, naming lr, when the iterates diverge.
    """
    ### BEGIN SOLUTION
    x = np.array(x0, dtype=np.float64)  # a copy: the caller's x0 is safe
    first_norm = None
    for k in range(max_iter + 1):
        g = np.asarray(grad(x), dtype=np.float64)
        g_norm = np.linalg.norm(g)
        if first_norm is None:
            first_norm = g_norm
        if not np.isfinite(g_norm) or g_norm > 1e12 * first_norm:
            raise ValueError(
                f"gradient descent diverged at step {k}: the learning "
                f"rate lr = {lr:g} is too large")
        if g_norm <= tol:
            return x, k
        if k == max_iter:
            return x, max_iter
        x = x - lr * g  # the update
    ### END SOLUTION


# %% [markdown]
# On the 2x2 system from $(0, 0)$ with `lr=0.01` it should give
# `[3. 5.]` after about a hundred updates; with `lr=0.05` it should
# raise a `ValueError` that says it diverged:

# %%
grad2 = lambda x: lls_gradient(A2, b2, x)
x, num_iters = gradient_descent(grad2, np.zeros(2), lr=0.01)
print(x, num_iters, "updates")
try:
    gradient_descent(grad2, np.zeros(2), lr=0.05)
except ValueError as err:
    print("ValueError:", err)

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent_solves", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does gradient_descent reach the solution, step by step as x - lr g?"""
A2 = np.array([[4.0, 2.0], [3.0, 8.0]])
b2 = np.array([22.0, 49.0])
_grad2 = lambda x: 2 * A2.T @ (A2 @ x - b2)
_call = "gradient_descent(grad, [0, 0], lr=0.01)"
_x, _n = unpack_in_order(
    call_checked(gradient_descent, _grad2, np.zeros(2), 0.01, name=_call),
    ("x", "num_iters"), ("array", "number"), _call)
assert_close(_x, np.array([3.0, 5.0]), f"x from {_call} on the 2x2 system",
             rtol=1e-6, atol=1e-6)
_call = "gradient_descent(grad, [0, 0], lr=0.01, max_iter=1)"
_x, _n = unpack_in_order(
    call_checked(gradient_descent, _grad2, np.zeros(2), 0.01, tol=0.0,
                 max_iter=1, name=_call),
    ("x", "num_iters"), ("array", "number"), _call)
assert_close(_x, -0.01 * _grad2(np.zeros(2)),
             "x after one update of gradient_descent(grad, [0, 0], "
             "lr=0.01) (it should be x0 - lr * grad(x0))")
assert_not_delegating(gradient_descent, cd.gradient_descent, cd.solve_lls,
                      cd.conjugate_gradient, np.linalg.solve,
                      np.linalg.lstsq, np.linalg.pinv, np.linalg.inv,
                      "scipy.linalg.solve", "scipy.linalg.lstsq",
                      "scipy.optimize.minimize", "scipy.sparse.linalg.cg")
### BEGIN HIDDEN TESTS
import warnings as _warnings
from course_utils import descent as _ref
_rng = np.random.default_rng(1301)
for _N, _D, _cond in ((4, 4, 1.5), (6, 3, 5.0), (8, 2, 20.0), (5, 5, 3.0)):
    _U, _ = np.linalg.qr(_rng.normal(size=(_N, _D)))
    _V, _ = np.linalg.qr(_rng.normal(size=(_D, _D)))
    _A = (_U * np.geomspace(1.0, 1.0 / _cond, _D)) @ _V.T * 2.0
    _b = _rng.normal(size=_N)
    _G = lambda x, A=_A, b=_b: 2.0 * A.T @ (A @ x - b)
    _L, _mu = _ref.lls_constants(_A)
    _x0 = _rng.normal(size=_D)
    for _lr in (1.0 / _L, 2.0 / (_L + _mu)):
        _want = _ref.gradient_descent(_G, _x0, lr=_lr, tol=1e-9)
        _x, _n = call_checked(gradient_descent, _G, _x0, _lr, tol=1e-9,
                              name="gradient_descent(grad, x0, lr)")
        assert_close(_x, _want.x, f"x from gradient_descent on a random "
                     f"{_N}x{_D} system", rtol=1e-7, atol=1e-8)
        for _k in (1, 2, 5):
            _x, _ = call_checked(gradient_descent, _G, _x0, _lr, tol=0.0,
                                 max_iter=_k,
                                 name="gradient_descent(grad, x0, lr)")
            assert_close(_x, _ref.gradient_descent(
                             _G, _x0, lr=_lr, tol=0.0, max_iter=_k).x,
                         f"x after {_k} updates of "
                         f"gradient_descent on a random {_N}x{_D} system",
                         rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS
passed("gradient_descent: steps x - lr g down to the solution")

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent_counts", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does gradient_descent stop on ||grad|| <= tol and count its updates?"""
_grad = lambda x: x  # the gradient of ||x||^2 / 2: lr = 0.5 halves x
_pair = ("x", "num_iters"), ("array", "number")
_call = "gradient_descent(x -> x, [1], lr=0.5, tol=1e-3)"
_out = unpack_in_order(call_checked(gradient_descent, _grad, np.array([1.0]),
                                    0.5, tol=1e-3, name=_call), *_pair, _call)
# ||g|| is 0.5**k after k updates: 0.5**9 > 1e-3 >= 0.5**10.
if not (_out[1] == 10):
    fail(f"gradient_descent(x -> x, [1], lr=0.5, tol=1e-3) made {_out[1]} "
         f"updates, but it needs 10 to bring ||grad|| below tol. Check it "
         f"before each update, and count updates, not gradient evaluations.")
assert_close(_out[0], np.array([0.5**10]), "x from gradient_descent(x -> x, "
             "[1], lr=0.5, tol=1e-3)")
_x0 = np.array([1e-9])
_call = "gradient_descent(x -> x, [1e-9], lr=0.5)"
_out = unpack_in_order(call_checked(gradient_descent, _grad, _x0, 0.5,
                                    name=_call), *_pair, _call)
if not (_out[1] == 0):
    fail(f"x0 = [1e-9] already has ||grad|| <= tol = 1e-8, but "
         f"gradient_descent made {_out[1]} updates instead of 0: test the "
         f"tolerance before updating.")
assert_close(_out[0], _x0, "x from gradient_descent when x0 already "
             "satisfies tol")
_call = "gradient_descent(x -> x, [1], lr=0.5, tol=1e-3, max_iter=4)"
_out = unpack_in_order(call_checked(gradient_descent, _grad, np.array([1.0]),
                                    0.5, tol=1e-3, max_iter=4, name=_call),
                       *_pair, _call)
if not (_out[1] == 4):
    fail(f"with max_iter=4 and tol not reached, gradient_descent should "
         f"return (x, 4), but num_iters was {_out[1]}.")
assert_close(_out[0], np.array([0.5**4]), "x from gradient_descent after "
             "max_iter=4 updates")
assert_not_delegating(gradient_descent, cd.gradient_descent, cd.solve_lls,
                      cd.conjugate_gradient, np.linalg.solve,
                      np.linalg.lstsq, np.linalg.pinv, np.linalg.inv,
                      "scipy.linalg.solve", "scipy.linalg.lstsq",
                      "scipy.optimize.minimize", "scipy.sparse.linalg.cg")
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1302)
for _N, _D, _cond, _tol in ((4, 4, 10.0, 1e-6), (6, 3, 30.0, 1e-10),
                            (3, 2, 5.0, 1e-4)):
    _U, _ = np.linalg.qr(_rng.normal(size=(_N, _D)))
    _V, _ = np.linalg.qr(_rng.normal(size=(_D, _D)))
    _A = (_U * np.geomspace(1.0, 1.0 / np.sqrt(_cond), _D)) @ _V.T * 2.0
    _b = _rng.normal(size=_N)
    _G = lambda x, A=_A, b=_b: 2.0 * A.T @ (A @ x - b)
    _L, _mu = _ref.lls_constants(_A)
    _x0 = _rng.normal(size=_D)
    _want = _ref.gradient_descent(_G, _x0, lr=1.0 / _L, tol=_tol,
                                  max_iter=20_000)
    _x, _n = call_checked(gradient_descent, _G, _x0, 1.0 / _L, tol=_tol,
                          max_iter=20_000, name="gradient_descent")
    if not (_n == _want.n_iter):
        fail(f"on a random {_N}x{_D} system with tol={_tol:g}, "
             f"gradient_descent reported {_n} updates, not the number needed "
             f"to reach ||grad|| <= tol. Do you stop on the tolerance, checked "
             f"before each update, and count updates?")
    _k = max(_want.n_iter // 2, 1)
    _x, _n = call_checked(gradient_descent, _G, _x0, 1.0 / _L, tol=_tol,
                          max_iter=_k, name="gradient_descent")
    if not (_n == _k):
        fail(f"with max_iter={_k} (too few to reach tol) gradient_descent "
             f"should return (x, {_k}), but num_iters was {_n}.")
    assert_close(_x, _want.path[_k], f"x after max_iter={_k} updates",
                 rtol=1e-9, atol=1e-12)
    _x, _n = call_checked(gradient_descent, _G, _want.x, 1.0 / _L,
                          tol=_tol, name="gradient_descent")
    if not (_n == 0):
        fail("started at a point that already meets tol, gradient_descent "
             f"made {_n} updates instead of 0.")
### END HIDDEN TESTS
passed("gradient_descent: stops on tol, counts updates, honours max_iter")

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent_diverges", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does gradient_descent raise ValueError naming lr, and leave x0 alone?"""
A2 = np.array([[4.0, 2.0], [3.0, 8.0]])
b2 = np.array([22.0, 49.0])
_grad2 = lambda x: 2 * A2.T @ (A2 @ x - b2)
try:
    gradient_descent(_grad2, np.zeros(2), 0.05)
except ValueError as _err:
    _msg = str(_err).lower()
    if not ("diverg" in _msg):
        fail(f"gradient_descent raised ValueError({str(_err)!r}); the message "
             f"should say that the iterates diverged.")
    if not ("lr" in _msg or "learning rate" in _msg):
        fail(f"gradient_descent raised ValueError({str(_err)!r}); the message "
             f"should name the learning rate (lr) that was too large.")
else:
    fail("gradient_descent(grad, [0, 0], lr=0.05) returned normally, but "
         "this lr is above 2/L and the iterates blow up: raise a ValueError "
         "when the gradient norm is no longer finite or grows past 1e12 "
         "times its first value.")
# The caller's x0, before and after a run that returns normally.
_x0 = np.array([8.0, 1.0])
call_checked(gradient_descent, _grad2, _x0, 0.01, max_iter=3,
             name="gradient_descent(grad, x0, lr=0.01, max_iter=3)")
if not np.array_equal(_x0, [8.0, 1.0]):
    fail("gradient_descent changed its input x0 in place. Work on a copy "
         "instead (x = np.array(x0, dtype=float)).")
assert_not_delegating(gradient_descent, cd.gradient_descent, cd.solve_lls,
                      cd.conjugate_gradient, np.linalg.solve,
                      np.linalg.lstsq, np.linalg.pinv, np.linalg.inv,
                      "scipy.linalg.solve", "scipy.linalg.lstsq",
                      "scipy.optimize.minimize", "scipy.sparse.linalg.cg")
### BEGIN HIDDEN TESTS
import warnings as _warnings
from course_utils import descent as _ref
_rng = np.random.default_rng(1303)
_cases = []
for _N, _D, _factor in ((4, 4, 1.2), (6, 3, 3.0), (2, 2, 50.0)):
    _A = _rng.normal(size=(_N, _D))
    _b = _rng.normal(size=_N)
    _cases.append((lambda x, A=_A, b=_b: 2.0 * A.T @ (A @ x - b),
                   _rng.normal(size=_D), _factor * _ref.max_stable_lr(_A),
                   f"a random {_N}x{_D} system with lr {_factor} x 2/L"))
# A gradient that turns into nan (outside its domain) must stop the run.
_cases.append((lambda x: np.where(x >= 0, x - 2.0, np.nan),
               np.array([1.0]), 3.0, "a gradient that becomes nan"))
for _G, _x0, _lr, _what in _cases:
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            gradient_descent(_G, _x0.copy(), _lr)
    except ValueError as _exc:
        if not ("diverg" in str(_exc).lower()):
            fail(f"on {_what} the ValueError's message should say it diverged.")
    else:
        fail(f"gradient_descent returned normally on {_what}; it should "
             f"raise ValueError when the gradient norm is not finite or "
             f"grows past 1e12 times its first value.")
    _before = _x0.copy()
    call_checked(gradient_descent, _G, _x0, 1e-3 * _lr, max_iter=2,
                 name="gradient_descent(grad, x0, lr, max_iter=2)")
    if not np.array_equal(_x0, _before):
        fail("gradient_descent changed its input x0 in place.")
### END HIDDEN TESTS
passed("gradient_descent: divergence raises ValueError naming lr; x0 kept")

# %% [markdown]
# ### The 4x4 system
#
# The course's second system has four unknowns:
#
# $$A = \begin{pmatrix} 1 & 3 & 2 & -1 \\ 5 & 2 & 1 & -2 \\ 0 & 1 & 2 & 4 \\ 1 & 1 & -1 & -3 \end{pmatrix},
# \qquad b = \begin{pmatrix} 9 \\ 4 \\ 24 \\ -12 \end{pmatrix},
# \qquad x^* = \begin{pmatrix} 1 \\ 2 \\ 3 \\ 4 \end{pmatrix}.$$
#
# From a random start, 5000 fixed steps of `lr = 0.01` reach $x^*$ (set
# `tol=0` to force all 5000). But a tolerance-based stop shows that a good
# part of them were spent polishing digits no one asked for:

# %%
A4, b4, x4_true = datasets.seed_linear_system(4)
grad4 = lambda x: lls_gradient(A4, b4, x)
x_start = np.random.default_rng(4).normal(size=4)
x_fixed, n_fixed = gradient_descent(grad4, x_start, lr=0.01, tol=0.0,
                                    max_iter=5000)
print("5000 steps:       ", x_fixed, " ||grad|| =",
      f"{np.linalg.norm(grad4(x_fixed)):.1e}")
x_tol, n_tol = gradient_descent(grad4, x_start, lr=0.01, tol=1e-8)
print(f"tol = 1e-8 stops after {n_tol} steps:", x_tol)
for tol in (1e-2, 1e-4, 1e-6, 1e-10):
    print(f"tol = {tol:.0e}: {gradient_descent(grad4, x_start, 0.01, tol)[1]}"
          " steps")

# %% [markdown]
# ## 4. How large a step? Curvature and the condition number
#
# $F(x) = \|Ax - b\|^2$ is a quadratic. Its **Hessian** (the matrix of second
# derivatives, the Jacobian of the gradient $2A^\top A x - 2A^\top b$) is
# the constant matrix
#
# $$H = 2A^\top A \qquad (D \times D,\ \text{symmetric, eigenvalues} \ge 0).$$
#
# Call $L$ its largest and $\mu$ its smallest eigenvalue: the steepest and
# the flattest curvature of the valley. We assume $\mu > 0$ (the columns of
# $A$ are independent, as in both our systems), so there is exactly one
# minimiser $x^*$. The gradient is linear in $x$ and vanishes at $x^*$, so
# $\nabla F(x) = H(x - x^*)$. Two things follow. First, the promise of
# section 3: $\|\nabla F(x)\| \ge \mu\,\|x - x^*\|$, so a gradient norm
# below tol means an error below $\text{tol} / \mu$. Second, one step does
# this to the error $e_k = x_k - x^*$:
#
# $$e_{k+1} = e_k - \text{lr}\,H e_k = (I - \text{lr}\,H)\,e_k .$$
#
# Along the eigenvector of each eigenvalue $\lambda_i$ the error is multiplied
# by $1 - \text{lr}\,\lambda_i$ at every step. So:
#
# - **convergence iff $0 < \text{lr} < 2/L$**: every factor must lie in
#   $(-1, 1)$, and the steepest direction is the first to break (for
#   $\text{lr} > 2/L$ the error there grows by $|1 - \text{lr}\,L| > 1$ per
#   step: divergence);
# - for $1/L < \text{lr} < 2/L$ the factor along the steep direction is
#   negative: the iterates **zig-zag** across the valley while converging;
# - the direction whose factor is largest in size decides the speed. That
#   worst factor
#   $\max(|1 - \text{lr}\,\mu|, |1 - \text{lr}\,L|)$ is smallest when the
#   two are equal, at the **optimal fixed step**
#   $$\text{lr}^* = \frac{2}{L + \mu}, \qquad \text{giving the rate}\quad \rho = \frac{L - \mu}{L + \mu} = \frac{\kappa - 1}{\kappa + 1},$$
#   with the **condition number** $\kappa = L / \mu$;
# - after $k$ steps $\|e_k\| \le \rho^k \|e_0\|$ (and the same for the
#   gradient norm). The error has surely shrunk by a factor $\varepsilon$
#   once $\rho^k \le \varepsilon$, that is for every whole number
#   $$k \ge \frac{\ln(1/\varepsilon)}{\ln(1/\rho)} \approx \frac{\kappa}{2}\,\ln\frac{1}{\varepsilon}$$
#   (the approximation holds for large $\kappa$): **the iteration count
#   grows linearly with $\kappa$**.
#
# Note that $\kappa$ of $2A^\top A$ is the *square* of the condition number
# of $A$ itself (the ratio of its largest to its smallest singular value):
# least squares makes a badly conditioned system worse.
#
# For the 2x2 system $L \approx 170.1$ and $\mu \approx 15.9$, so $\kappa
# \approx 10.7$, $2/L \approx 0.01176$ and $\text{lr}^* \approx 0.01075$. The
# 4x4 system is much worse: $\kappa \approx 174$, and its $2/L \approx
# 0.0205$, which is why `lr = 0.01` (about half of it) was safe there.
#
# The next figure measures it on random symmetric positive definite
# matrices $S$ with eigenvalues spread evenly from 1 to $\kappa$. It
# minimises $\tfrac12 x^\top S x - c^\top x$, whose gradient is $Sx - c$
# and whose Hessian is $S$ itself, so $L = \kappa$ and $\mu = 1$ exactly,
# and counts the steps of the optimal fixed step until the gradient norm
# has shrunk by $10^6$, against the guaranteed count.

# %%
kappas = np.geomspace(10, 1000, 7)
measured, bound = [], []
for kappa in kappas:
    S, c = datasets.spd_system(n=50, cond=kappa, seed=1)
    g0 = np.linalg.norm(c)  # the gradient S x - c at x0 = 0
    run = cd.gradient_descent(lambda x: S @ x - c, np.zeros(50),
                              method="optimal", L=kappa, mu=1.0,
                              tol=1e-6 * g0, max_iter=100_000)
    rho = (kappa - 1) / (kappa + 1)
    measured.append(run.n_iter)
    bound.append(np.log(1e6) / np.log(1 / rho))
    print(f"kappa = {kappa:7.1f}: {run.n_iter:5d} iterations "
          f"(bound {bound[-1]:7.1f})")
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(kappas, measured, "o", label="measured (optimal fixed step)")
k_fine = np.geomspace(10, 1000, 100)
ax.loglog(k_fine, np.log(1e6) / np.log((k_fine + 1) / (k_fine - 1)), "-",
          label=r"bound $\ln(10^6) / \ln(1/\rho)$")
ax.set_xlabel(r"condition number $\kappa = L / \mu$")
ax.set_ylabel(r"iterations to reduce $\|\nabla F\|$ by $10^6$")
ax.legend(loc="best")
ax.set_title("Iterations grow linearly with the condition number");


# %% [markdown]
# ### Exercise 4: the largest stable learning rate (2 points)
#
# Write `max_stable_lr(A)` returning $2/L$, where $L$ is the largest
# eigenvalue of the Hessian $2A^\top A$, for any $A$ of shape $(N, D)$.
# `np.linalg.eigvalsh` gives the eigenvalues of a symmetric matrix in
# ascending order. (The eigenvalues of $A$ itself are the wrong thing: $A$
# may not even be square, and for a non-symmetric square $A$ they are not
# related to the curvature of $F$.)

# %% nbgrader={"grade": false, "grade_id": "max_stable_lr", "locked": false, "schema_version": 3, "solution": true}
def max_stable_lr(A):
    """Largest stable fixed learning rate 2 / L for F(x) = ||A x - b||^2.

    L is the largest eigenvalue of the Hessian 2 A^T A.
    A: (N, D) float64.
    Returns a Python float.
    """
    ### BEGIN SOLUTION
    A = np.asarray(A, dtype=np.float64)
    L = np.linalg.eigvalsh(2.0 * (A.T @ A))[-1]
    return float(2.0 / L)
    ### END SOLUTION


# %% [markdown]
# For $A = \operatorname{diag}(1, 3)$ the Hessian is $\operatorname{diag}(2,
# 18)$, so it should give `0.111111` ($2/18$); for the 2x2 system about
# `0.011758`, and for the 4x4 system about `0.0205`:

# %%
print(max_stable_lr(np.diag([1.0, 3.0])))
print(max_stable_lr(A2), max_stable_lr(A4))

# %% nbgrader={"grade": true, "grade_id": "test_max_stable_lr_values", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does max_stable_lr return 2 / L, L the top eigenvalue of 2 A^T A?"""
for _A, _want, _what in (
        (np.diag([1.0, 3.0]), 2.0 / 18.0, "diag(1, 3)"),
        (np.array([[1.0, 2.0], [0.0, 0.0]]), 0.2, "[[1, 2], [0, 0]]"),
        (np.array([[4.0, 2.0], [3.0, 8.0]]), 0.011757525070410547,
         "the 2x2 system's A")):
    assert_close(call_checked(max_stable_lr, _A,
                              name=f"max_stable_lr({_what})"),
                 _want, f"max_stable_lr({_what})", rtol=1e-9)
assert_not_delegating(max_stable_lr, cd.max_stable_lr, cd.lls_constants)
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1401)
for _D in (2, 3, 5, 8):
    _A = _rng.normal(size=(_D, _D)) * _rng.uniform(0.2, 5)
    assert_close(call_checked(max_stable_lr, _A, name="max_stable_lr(A)"),
                 _ref.max_stable_lr(_A),
                 f"max_stable_lr for a random non-symmetric {_D}x{_D} A",
                 rtol=1e-9)
assert_not_delegating(max_stable_lr, _ref.max_stable_lr,
                      _ref.lls_constants)
### END HIDDEN TESTS
passed("max_stable_lr: 2 / L for square A")

# %% nbgrader={"grade": true, "grade_id": "test_max_stable_lr_rectangular", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does max_stable_lr work for a non-square A, tall or wide?"""
_tall = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0]])  # 2 A^T A: eig 22, 2
_wide = _tall.T                                       # 2 A^T A: 22, 2, 0
for _A, _what in ((_tall, "a (3, 2) A"), (_wide, "a (2, 3) A")):
    assert_close(call_checked(max_stable_lr, _A,
                              name=f"max_stable_lr({_what})"),
                 1.0 / 11.0, f"max_stable_lr({_what})", rtol=1e-9)
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1402)
for _N, _D in ((6, 3), (3, 6), (10, 1), (1, 4)):
    _A = _rng.normal(size=(_N, _D))
    assert_close(call_checked(max_stable_lr, _A, name="max_stable_lr(A)"),
                 _ref.max_stable_lr(_A),
                 f"max_stable_lr for a random A of shape {(_N, _D)}",
                 rtol=1e-9)
assert_not_delegating(max_stable_lr, _ref.max_stable_lr,
                      _ref.lls_constants)
### END HIDDEN TESTS
passed("max_stable_lr: any (N, D)")

# %% [markdown]
# ### Try it: the learning rate on the 2x2 valley
#
# Move the slider (a log scale). Below $1/L$ the path slides smoothly down
# the valley; between $1/L$ and $2/L$ it zig-zags across the steep
# direction but still converges; near the optimal $2/(L + \mu)$ it is
# fastest; past $2/L$ (the dashed red line in the right panel) it flies off. The
# right panel shows the worst factor $\max_i |1 - \text{lr}\,\lambda_i|$ by
# which the error shrinks (or grows) per step; a very small lr makes it
# close to 1 as well: stable, but slow.

# %%
widgets.lls_learning_rate_widget(A2, b2, x0=np.array([8.0, 1.0]),
                                 lr=0.005, xlim=(-2, 9), ylim=(-1, 10))

# %% [markdown]
# ### Exercise 5: reading the theory (2 points)
#
# Two questions, answered with numbers (compute them in the cell, or by
# hand):
#
# 1. `iterations_needed`: gradient descent with the **optimal fixed step**
#    on a quadratic with condition number $\kappa = 100$. What is the
#    smallest number of steps $k$ (an `int`) for which the theory above
#    *guarantees* that the error has shrunk by a factor of $10^6$
#    ($\|e_k\| \le 10^{-6}\,\|e_0\|$)?
# 2. `diverging_lrs`: which of the learning rates in `candidate_lrs` make
#    fixed-step gradient descent **diverge** on the 2x2 system
#    $A = \begin{pmatrix} 4 & 2 \\ 3 & 8 \end{pmatrix}$? A list of those
#    values (a tuple or a set will do too; an empty list if none).
#
# The tests you can run check only the form of your answers (a whole
# number; values from `candidate_lrs`): the values are checked when your
# work is graded.

# %% nbgrader={"grade": false, "grade_id": "theory", "locked": false, "schema_version": 3, "solution": true}
candidate_lrs = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
# iterations_needed = ...
# diverging_lrs = [...]
### BEGIN SOLUTION
kappa = 100.0
rate = (kappa - 1.0) / (kappa + 1.0)
iterations_needed = int(np.ceil(np.log(1e-6) / np.log(rate)))
A_2x2 = np.array([[4.0, 2.0], [3.0, 8.0]])
L_2x2 = np.linalg.eigvalsh(2 * A_2x2.T @ A_2x2)[-1]
diverging_lrs = [lr for lr in candidate_lrs if lr > 2 / L_2x2]
### END SOLUTION

# %%
print("iterations_needed:", iterations_needed)
print("diverging_lrs:", diverging_lrs)

# %% nbgrader={"grade": true, "grade_id": "test_theory_iterations", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is iterations_needed the guaranteed step count for kappa = 100?"""
from course_utils.checks import answered
iterations_needed = answered(lambda: iterations_needed, "iterations_needed")
if isinstance(iterations_needed, bool) or not (
        np.ndim(iterations_needed) == 0 and isinstance(
            iterations_needed, (int, float, np.integer, np.floating))):
    fail(f"iterations_needed should be a number, not "
         f"{type(iterations_needed).__name__}.")
if not (iterations_needed > 0 and float(iterations_needed).is_integer()):
    fail("iterations_needed should be a whole number of steps, > 0.")
_verdict = ("iterations_needed: format ok (a whole number); the value is "
            "checked when graded")
### BEGIN HIDDEN TESTS
if int(iterations_needed) == 690:
    fail("iterations_needed is one step short: k = ln(1e-6) / ln(rho) is "
         "not a whole number, and the guarantee rho**k <= 1e-6 needs the "
         "next whole number up (round up, not down).")
if int(iterations_needed) == 1375:
    fail("iterations_needed is the count for the rate 1 - 1/kappa, which "
         "belongs to the step 1/L. The optimal fixed step 2/(L + mu) "
         "shrinks the error by rho = (kappa - 1)/(kappa + 1) per step.")
if int(iterations_needed) != 691:
    fail("iterations_needed is not the smallest k that the rate of the "
         "optimal fixed step guarantees: check which rate rho belongs to "
         "that step, solve rho**k <= 1e-6 for k, and round the right way.")
_verdict = "iterations_needed: right"
### END HIDDEN TESTS
passed(_verdict)

# %% nbgrader={"grade": true, "grade_id": "test_theory_diverging", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are diverging_lrs exactly the candidates above 2/L on the 2x2 system?"""
from course_utils.checks import answered
diverging_lrs = answered(lambda: diverging_lrs, "diverging_lrs")
_given = [0.001, 0.005, 0.01, 0.011, 0.012, 0.02, 0.1]
if not (isinstance(diverging_lrs, (list, tuple, set, frozenset,
                                   np.ndarray))):
    fail(f"diverging_lrs should be a list of learning rates, not "
         f"{type(diverging_lrs).__name__}.")
try:
    _chosen = [float(v) for v in np.ravel(list(diverging_lrs))]
except (TypeError, ValueError):
    fail("diverging_lrs should hold numbers: learning rates from "
         "candidate_lrs.")
if not (all(any(np.isclose(v, w) for w in _given) for v in _chosen)):
    fail("diverging_lrs should only hold values from candidate_lrs.")
_verdict = ("diverging_lrs: format ok (values from candidate_lrs); the "
            "choice is checked when graded")
### BEGIN HIDDEN TESTS
_right = {0.012, 0.02, 0.1}
_got = {w for w in _given if any(np.isclose(v, w) for v in _chosen)}
if not _got:
    fail("diverging_lrs is empty, but some of the candidates do diverge on "
         "the 2x2 system. Compare each with 2 / L, where L is the largest "
         "eigenvalue of the Hessian 2 A^T A (the eigenvalues of A itself "
         "say nothing about the curvature).")
if _got > _right:
    fail("diverging_lrs holds every candidate that diverges, and also some "
         "that converge: the limit is 2 / L (1 / L is where the zig-zag "
         "starts and 2 / (L + mu) the fastest step), with L the largest "
         "eigenvalue of 2 A^T A.")
if _got < _right:
    fail("diverging_lrs misses some candidates that diverge: compare each "
         "with 2 / L, where L is the largest eigenvalue of the Hessian "
         "2 A^T A (with its factor 2, and not of A).")
if _got != _right:
    fail("diverging_lrs is not the set of candidates that diverge on the 2x2 "
         "system: compare each with 2 / L, where L is the largest eigenvalue "
         "of 2 A^T A (not of A).")
_verdict = "diverging_lrs: right"
### END HIDDEN TESTS
passed(_verdict)


# %% [markdown]
# ## 5. Steps that choose their own size: Barzilai-Borwein
#
# The optimal fixed step needs $L$ and $\mu$, i.e. the eigenvalues of the
# Hessian, which for a network we never have. Barzilai and Borwein (1988)
# proposed to *measure* the curvature from the last step instead. With
#
# $$s_k = x_k - x_{k-1}, \qquad y_k = \nabla F(x_k) - \nabla F(x_{k-1}),$$
#
# a quadratic has $y_k = H s_k$: the change of gradient along $s$ tells how
# curved $F$ is in that direction. The step
# $$\text{lr}_k = \frac{s_k^\top s_k}{s_k^\top y_k} \qquad \text{(BB1, the "long" step)}$$
# is the inverse of the curvature $s^\top H s / s^\top s$ along the last
# step, a value between $1/L$ and $1/\mu$. (The other choice,
# $\text{BB2} = s^\top y / y^\top y$, is the "short" step; we use BB1.)
# The first step has no history, so it uses a given $\text{lr}_0$.
#
# BB steps are not monotone: $F$ goes up now and then. Yet on quadratics
# they are far faster than the best fixed step, because every so often a
# long step wipes out the error along the flat directions that a fixed
# step crawls along.
#
# ### Exercise 6: the BB step (2 points)
#
# Write `bb_step(s, y)` returning $s^\top s / s^\top y$ as a float, for `s`
# and `y` of **any** (equal) shape: vectors, columns, matrices (then the
# "dot product" runs over all entries). `np.vdot` or flattening with
# `np.ravel` does that.

# %% nbgrader={"grade": false, "grade_id": "bb_step", "locked": false, "schema_version": 3, "solution": true}
def bb_step(s, y):
    """Barzilai-Borwein step (BB1) s.s / s.y.

    s: (...) float64, x_k - x_{k-1}; y: (...) float64, the gradient
    change g_k - g_{k-1}, the same shape as s.
    Returns a Python float.
    """
    ### BEGIN SOLUTION
    s = np.ravel(np.asarray(s, dtype=np.float64))
    y = np.ravel(np.asarray(y, dtype=np.float64))
    return float((s @ s) / (s @ y))
    ### END SOLUTION


# %% [markdown]
# `bb_step([2, 1], [1, 1])` should give `1.666667` (5/3); for a quadratic
# with curvature 4 along $s$, e.g. `bb_step([1, 0], [4, 0])`, `0.25`:

# %%
print(bb_step(np.array([2.0, 1.0]), np.array([1.0, 1.0])))
print(bb_step(np.array([1.0, 0.0]), np.array([4.0, 0.0])))

# %% nbgrader={"grade": true, "grade_id": "test_bb_step_values", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does bb_step return s.s / s.y (BB1) for vectors?"""
for _s, _y, _want in (([2.0, 1.0], [1.0, 1.0], 5.0 / 3.0),
                      ([1.0, 0.0], [4.0, 0.0], 0.25),
                      ([1.0, -1.0, 2.0], [3.0, 1.0, 1.0], 1.5)):
    assert_close(call_checked(bb_step, np.array(_s), np.array(_y),
                              name=f"bb_step({_s}, {_y})"),
                 _want, f"bb_step({_s}, {_y})")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1501)
for _D in (1, 4, 9):
    _H = _rng.normal(size=(_D, _D))
    _H = _H @ _H.T + np.eye(_D)
    _s = _rng.normal(size=_D)
    _y = _H @ _s
    assert_close(call_checked(bb_step, _s, _y, name="bb_step(s, y)"),
                 float(np.dot(_s, _s) / np.dot(_s, _y)),
                 f"bb_step for random vectors of length {_D}", rtol=1e-9)
### END HIDDEN TESTS
passed("bb_step: s.s / s.y")

# %% nbgrader={"grade": true, "grade_id": "test_bb_step_any_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does bb_step work for columns and matrices, returning one float?"""
for _s, _y, _want in (
        (np.array([[1.0], [2.0], [2.0]]), np.array([[2.0], [1.0], [1.0]]),
         1.5),
        (np.eye(2), 2.0 * np.eye(2), 0.5)):
    _lr = call_checked(bb_step, _s, _y, name=f"bb_step(s, y) for shape "
                       f"{_s.shape}")
    if not (np.ndim(_lr) == 0):
        fail(f"bb_step returned shape {np.shape(_lr)} for s of shape "
             f"{_s.shape}; it should return one number (a float).")
    assert_close(_lr, _want, f"bb_step for s, y of shape {_s.shape}")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1502)
for _shape in ((5, 1), (3, 4), (2, 2, 3)):
    _s = _rng.normal(size=_shape)
    _y = _s * _rng.uniform(0.5, 4.0, size=_shape)
    _step = call_checked(bb_step, _s, _y, name="bb_step(s, y)")
    if not (np.ndim(_step) == 0):
        fail(f"bb_step returned shape {np.shape(_step)} for s of shape {_shape}; "
             f"it should return one number.")
    assert_close(_step, float(np.sum(_s * _s) / np.sum(_s * _y)),
                 f"bb_step for s, y of shape {_shape}", rtol=1e-9)
### END HIDDEN TESTS
passed("bb_step: any shape, one float")


# %% [markdown]
# ### Exercise 7: gradient descent with BB steps (3 points)
#
# Write `gradient_descent_bb(grad, x0, lr0, tol=1e-8, max_iter=10_000)`:
# the same loop, stopping rules, counting and divergence check as your
# `gradient_descent`, but the first update uses `lr0` and every later one
# the BB1 step `bb_step(x - x_prev, g - g_prev)` from the previous iterate
# and gradient. Return `(x, num_iters)`; never change `x0`; raise a
# `ValueError` saying it diverged (and naming the learning rate) as before.

# %% nbgrader={"grade": false, "grade_id": "gradient_descent_bb", "locked": false, "schema_version": 3, "solution": true}
def gradient_descent_bb(grad, x0, lr0, tol=1e-8, max_iter=10_000):
    """Gradient descent with Barzilai-Borwein (BB1) steps.

    grad: function x -> gradient, an array shaped like x.
    x0: (D,) float64, the start; it is not modified.
    lr0: the learning rate of the first update; later ones are BB1.
    tol, max_iter: as in gradient_descent.
    Returns (x, num_iters): x (D,) float64 and the number of updates.
    Raises ValueError, naming the learning rate, when it diverges.
    """
    ### BEGIN SOLUTION
    x = np.array(x0, dtype=np.float64)  # a copy: the caller's x0 is safe
    x_prev = g_prev = first_norm = None
    lr = lr0
    for k in range(max_iter + 1):
        g = np.asarray(grad(x), dtype=np.float64)
        g_norm = np.linalg.norm(g)
        if first_norm is None:
            first_norm = g_norm
        if not np.isfinite(g_norm) or g_norm > 1e12 * first_norm:
            raise ValueError(
                f"BB gradient descent diverged at step {k}: the learning "
                f"rate lr = {lr:g} (first step lr0 = {lr0:g}) is too large")
        if g_norm <= tol:
            return x, k
        if k == max_iter:
            return x, max_iter
        if x_prev is not None:
            lr = bb_step(x - x_prev, g - g_prev)
        x_prev, g_prev = x, g
        x = x - lr * g  # the update
    ### END SOLUTION


# %% [markdown]
# On the 4x4 system from the same start as before it should reach
# `[1. 2. 3. 4.]` in a few dozen updates, against thousands with
# `lr = 0.01`:

# %%
x_bb, n_bb = gradient_descent_bb(grad4, x_start, lr0=0.01)
print(x_bb, n_bb, "BB updates;",
      gradient_descent(grad4, x_start, lr=0.01)[1], "with lr = 0.01")

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent_bb_solves", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does gradient_descent_bb take lr0 first, then BB1 steps, to the end?"""
A2 = np.array([[4.0, 2.0], [3.0, 8.0]])
b2 = np.array([22.0, 49.0])
_grad2 = lambda x: 2 * A2.T @ (A2 @ x - b2)
_pair = ("x", "num_iters"), ("array", "number")
_call = "gradient_descent_bb(grad, [0, 0], lr0=0.01)"
_x, _n = unpack_in_order(call_checked(gradient_descent_bb, _grad2,
                                      np.zeros(2), 0.01, name=_call),
                         *_pair, _call)
assert_close(_x, np.array([3.0, 5.0]), f"x from {_call} on the 2x2 system",
             atol=1e-6)
# Two hand-computed updates: x1 = x0 - lr0 g0, then the BB1 step.
_x0 = np.zeros(2)
_g0 = _grad2(_x0)
_x1 = _x0 - 0.01 * _g0
_s, _y = _x1 - _x0, _grad2(_x1) - _g0
_x2 = _x1 - (_s @ _s) / (_s @ _y) * _grad2(_x1)
for _k, _want in ((1, _x1), (2, _x2)):
    _call = f"gradient_descent_bb(grad, [0, 0], lr0=0.01, max_iter={_k})"
    _x, _n = unpack_in_order(call_checked(
        gradient_descent_bb, _grad2, _x0, 0.01, max_iter=_k, tol=0.0,
        name=_call), *_pair, _call)
    assert_close(_x, _want, f"x after {_k} update(s) of gradient_descent_bb"
                 f"(grad, [0, 0], lr0=0.01)", rtol=1e-9)
assert_not_delegating(gradient_descent_bb, cd.gradient_descent,
                      cd.solve_lls,
                      cd.conjugate_gradient, np.linalg.solve,
                      np.linalg.lstsq, np.linalg.pinv, np.linalg.inv,
                      "scipy.linalg.solve", "scipy.linalg.lstsq",
                      "scipy.optimize.minimize", "scipy.sparse.linalg.cg")
### BEGIN HIDDEN TESTS
from course_utils import descent as _ref
_rng = np.random.default_rng(1601)
for _N, _D, _cond in ((4, 4, 30.0), (6, 3, 10.0), (10, 5, 100.0),
                      (20, 8, 50.0)):
    _U, _ = np.linalg.qr(_rng.normal(size=(_N, _D)))
    _V, _ = np.linalg.qr(_rng.normal(size=(_D, _D)))
    _A = (_U * np.geomspace(1.0, 1.0 / np.sqrt(_cond), _D)) @ _V.T * 3.0
    _b = _rng.normal(size=_N)
    _G = lambda x, A=_A, b=_b: 2.0 * A.T @ (A @ x - b)
    _L, _mu = _ref.lls_constants(_A)
    _x0 = _rng.normal(size=_D)
    _want = _ref.gradient_descent(_G, _x0, lr=1.0 / _L, method="bb",
                                  tol=1e-10)
    _x, _n = call_checked(gradient_descent_bb, _G, _x0, 1.0 / _L, tol=1e-10,
                          name="gradient_descent_bb(grad, x0, lr0)")
    assert_close(_x, _want.x, f"x from gradient_descent_bb on a random "
                 f"{_N}x{_D} system", rtol=1e-7, atol=1e-8)
    # BB runs are sensitive to rounding: compare the first updates
    # exactly, and the count loosely (fixed steps would need far more).
    for _k in (1, 2, 3, 4):
        _x, _ = call_checked(gradient_descent_bb, _G, _x0, 1.0 / _L,
                             tol=0.0, max_iter=_k,
                             name="gradient_descent_bb")
        assert_close(_x, _ref.gradient_descent(
                         _G, _x0, lr=1.0 / _L, method="bb", tol=0.0,
                         max_iter=_k).x,
                     f"x after {_k} updates of gradient_descent_bb on a "
                     f"random {_N}x{_D} system", rtol=1e-8, atol=1e-10)
    if not (_n <= 2 * _want.n_iter + 10):
        fail(f"gradient_descent_bb needed {_n} updates on a random {_N}x{_D} "
             f"system, far more than BB steps should: are the later updates "
             f"really BB1 steps?")
### END HIDDEN TESTS
passed("gradient_descent_bb: lr0, then BB1 steps, to the solution")

# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent_bb_rules", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does gradient_descent_bb stop, count, detect divergence, keep x0?"""
_grad = lambda x: 4.0 * x  # curvature 4: the BB1 step is exactly 1/4
_pair = ("x", "num_iters"), ("array", "number")
_call = "gradient_descent_bb(x -> 4x, [1], lr0=0.1)"
_out = unpack_in_order(call_checked(gradient_descent_bb, _grad,
                                    np.array([1.0]), 0.1, name=_call),
                       *_pair, _call)
if not (_out[1] == 2):
    fail(f"for x -> 4x from [1] with lr0=0.1 the second update (BB step 1/4) "
         f"lands on 0, so num_iters should be 2, but it was {_out[1]}. Check "
         f"the tolerance before each update and count updates.")
_call = "gradient_descent_bb(x -> 4x, [1e-9], lr0=0.1)"
_out = unpack_in_order(call_checked(gradient_descent_bb, _grad,
                                    np.array([1e-9]), 0.1, name=_call),
                       *_pair, _call)
if not (_out[1] == 0):
    fail(f"x0 = [1e-9] already meets tol, but gradient_descent_bb made "
         f"{_out[1]} updates instead of 0.")
_call = "gradient_descent_bb(x -> x, [1], lr0=0.5, tol=1e-3, max_iter=1)"
_out = unpack_in_order(call_checked(gradient_descent_bb, lambda x: x,
                                    np.array([1.0]), 0.5, tol=1e-3,
                                    max_iter=1, name=_call), *_pair, _call)
if not (_out[1] == 1):
    fail(f"with max_iter=1 and tol not reached, gradient_descent_bb should "
         f"return (x, 1), but num_iters was {_out[1]}.")
# A first step far too large for x -> x**3 blows the gradient up.
try:
    gradient_descent_bb(lambda x: x**3, np.array([10.0]), 1e3)
except ValueError as _err:
    if not ("diverg" in str(_err).lower()):
        fail(f"gradient_descent_bb raised ValueError({str(_err)!r}); the "
             f"message should say that the iterates diverged.")
    if not ("lr" in str(_err).lower() or "learning rate" in str(
        _err).lower()):
        fail(f"gradient_descent_bb raised ValueError({str(_err)!r}); the "
             f"message should name the learning rate.")
else:
    fail("gradient_descent_bb(x -> x**3, [10], lr0=1e3) returned normally, "
         "but its first step makes the gradient 1e15 times larger: raise a "
         "ValueError when the gradient norm grows past 1e12 times its first "
         "value.")
# The caller's x0, before and after a run that returns normally.
_x0 = np.array([1.0])
call_checked(gradient_descent_bb, _grad, _x0, 0.1, max_iter=2,
             name="gradient_descent_bb(x -> 4x, x0, lr0=0.1, max_iter=2)")
if not np.array_equal(_x0, [1.0]):
    fail("gradient_descent_bb changed its input x0 in place. Work on a "
         "copy instead (x = np.array(x0, dtype=float)).")
assert_not_delegating(gradient_descent_bb, cd.gradient_descent,
                      cd.solve_lls,
                      cd.conjugate_gradient, np.linalg.solve,
                      np.linalg.lstsq, np.linalg.pinv, np.linalg.inv,
                      "scipy.linalg.solve", "scipy.linalg.lstsq",
                      "scipy.optimize.minimize", "scipy.sparse.linalg.cg")
### BEGIN HIDDEN TESTS
import warnings as _warnings
from course_utils import descent as _ref
_rng = np.random.default_rng(1602)
for _N, _D in ((5, 3), (4, 4)):
    _A = _rng.normal(size=(_N, _D)) + 2 * np.eye(_N, _D)
    _b = _rng.normal(size=_N)
    _G = lambda x, A=_A, b=_b: 2.0 * A.T @ (A @ x - b)
    _L, _mu = _ref.lls_constants(_A)
    _x0 = _rng.normal(size=_D)
    _x, _n = call_checked(gradient_descent_bb, _G, _x0, 1.0 / _L, tol=1e-6,
                          name="gradient_descent_bb")
    if not (np.linalg.norm(_G(_x)) <= 1e-6):
        fail("gradient_descent_bb returned an x whose gradient norm is above "
             "tol: did it stop on a fixed count?")
    _xm, _nm = call_checked(gradient_descent_bb, _G, _x0, 1.0 / _L,
                            tol=1e-6, max_iter=_n - 1,
                            name="gradient_descent_bb")
    if not (_nm == _n - 1 and np.linalg.norm(_G(_xm)) > 1e-6):
        fail(f"gradient_descent_bb reported {_n} updates, but {_n - 1} already "
             f"met tol (or max_iter={_n - 1} was not honoured): count the "
             f"updates made, checking tol before each one.")
    _x, _n = call_checked(gradient_descent_bb, _G, _x, 1.0 / _L, tol=1e-6,
                          name="gradient_descent_bb")
    if not (_n == 0):
        fail(f"started where tol is already met, gradient_descent_bb made {_n} "
             f"updates instead of 0.")
try:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        gradient_descent_bb(lambda x: np.where(x <= 1.5, x - 2.0, np.nan),
                            np.array([1.0]), 3.0)
except ValueError as _exc:
    if not ("diverg" in str(_exc).lower()):
        fail("the ValueError's message should say the iterates diverged.")
else:
    fail("gradient_descent_bb returned normally although the gradient "
         "became nan; raise ValueError when it is not finite.")
_x0 = np.array([1.0, -2.0])
call_checked(gradient_descent_bb, lambda x: x - 2.0, _x0, 3.0, max_iter=3,
             name="gradient_descent_bb(grad, x0, lr0=3.0, max_iter=3)")
if not np.array_equal(_x0, [1.0, -2.0]):
    fail("gradient_descent_bb changed x0 in place: work on a copy.")
### END HIDDEN TESTS
passed("gradient_descent_bb: stopping, counting and divergence rules")

# %% [markdown]
# ## 6. The yardstick: conjugate gradient
#
# How good is "good"? For a symmetric positive definite system
# **conjugate gradient** (CG) is the classic answer: it chooses each new
# direction conjugate to all previous ones and, in exact arithmetic, solves
# a $D \times D$ system in at most $D$ steps (its error falls roughly like
# $\left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^k$, with
# $\sqrt\kappa$ where gradient descent has $\kappa$).
# `course_utils.descent` has all four methods. Iterations to
# $\|\nabla\| \le 10^{-8}$ on the 4x4 system (least squares, Hessian
# $2A^\top A$, $\kappa \approx 174$) and on a random SPD system with
# $D = 100$ and $\kappa = 10^3$ (minimising $\tfrac12 x^\top A x - b^\top x$,
# Hessian $A$), all from $x_0 = 0$:

# %%
S, c = datasets.spd_system(n=100, cond=1e3, seed=0)
eig_S = np.linalg.eigvalsh(S)
L_S, mu_S = eig_S[-1], eig_S[0]
table = {
    "conjugate gradient": (
        cd.solve_lls(A4, b4, method="cg").n_iter,
        cd.conjugate_gradient(S, c).n_iter),
    "fixed step 1/L": (
        cd.solve_lls(A4, b4, method="fixed").n_iter,
        cd.gradient_descent(lambda x: S @ x - c, np.zeros(100), L=L_S,
                            max_iter=50_000).n_iter),
    "optimal fixed 2/(L+mu)": (
        cd.solve_lls(A4, b4, method="optimal").n_iter,
        cd.gradient_descent(lambda x: S @ x - c, np.zeros(100),
                            method="optimal", L=L_S, mu=mu_S,
                            max_iter=50_000).n_iter),
    "Barzilai-Borwein (BB1)": (
        cd.solve_lls(A4, b4, method="bb").n_iter,
        cd.gradient_descent(lambda x: S @ x - c, np.zeros(100),
                            method="bb", L=L_S).n_iter),
}
print(f"{'method':<24} {'4x4 system':>11} {'SPD, kappa 1e3':>15}")
for name, (n_seed, n_spd) in table.items():
    print(f"{name:<24} {n_seed:>11} {n_spd:>15}")

# %% [markdown]
# CG needs about $D$ steps or fewer. BB1 needs 8 to 11 times more than CG
# here, yet 19 to 46 times fewer than the best fixed step, without knowing
# $\mu$, and using $L$ only for the size of its first step. Fixed steps pay the full price of $\kappa$; the
# optimal one saves at most a factor of about two over $1/L$. Knowing the curvature, or measuring it as BB does, is what makes a
# method fast; chapter 05's optimisers (momentum, and friends) are other
# answers to the same question.
#
# ## Summary
#
# - Solving $Ax = b$ is minimising $F(x) = \|Ax - b\|^2$; the same $F$
#   gives least-squares solutions for non-square $A$.
# - The gradient is $2A^\top(Ax - b)$: Jacobian $A$, outer derivative
#   $2y^\top$, chain rule in numerator layout, transposed to the shape of
#   $x$ for the update.
# - Fixed steps converge iff $0 < \text{lr} < 2/L$ ($L$ the top eigenvalue
#   of the Hessian $2A^\top A$), zig-zag above $1/L$, and are fastest at
#   $2/(L + \mu)$ with rate $(\kappa - 1)/(\kappa + 1)$: the iteration count
#   grows linearly with the condition number.
# - Stop on the gradient norm (or the objective), cap the iterations, and
#   raise an error on divergence rather than returning `nan`.
# - Barzilai-Borwein steps measure the curvature from the last step and
#   beat the best fixed step by a factor of 19 to 46 on our two
#   ill-conditioned systems; conjugate gradient is the yardstick.
#
# Your exercises: `lls_objective`, `lls_gradient`, `gradient_descent`,
# `max_stable_lr`, the theory questions, `bb_step` and `gradient_descent_bb`
# (20 points). From chapter 03 on we use the finished versions in
# `course_utils.descent`.
