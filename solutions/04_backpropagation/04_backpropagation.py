# %% [markdown]
# # 04 Matrix calculus and backpropagation
#
# A neural network is a chain of simple functions: multiply by a weight
# matrix, add a bias, squash elementwise, repeat, and finally measure a loss.
# Training needs the derivative of that loss with respect to *every* weight,
# often millions of them. Chapter 01 estimated derivatives one entry at a
# time; that costs two loss evaluations per weight and would take forever.
# **Backpropagation** gets all of them for about the price of one more pass
# through the network, by running the chain rule backwards with matrices.
#
# This chapter builds that machinery from the shapes up:
#
# - vectors, matrices and why NumPy's vectorised operations beat loops;
# - Jacobians, and the two ways of laying them out;
# - one layer by hand, then a batch of samples at once;
# - the layers every network is made of, each as a pair
#   `*_forward(...) -> (out, cache)` and `*_backward(dout, cache)`;
# - the two losses of this course, mean squared error and softmax
#   cross-entropy;
# - gradient checking, the test that tells a right gradient from a wrong one,
#   and a two-layer network whose gradients you assemble from your layers.
#
# Finished versions of the layers live in `course_utils.nn` and are what
# chapter 05 trains with. Here you write your own; the tests check them
# against central differences of *your* forward functions and against the
# reference, on random shapes, and they refuse answers that call the
# reference (or an autodiff framework). When a gradient is wrong, the
# message tries to say *how*: a transpose, `(n,)` where `(n, 1)` was meant,
# a missing $1/N$, a sign, a sum over the wrong axis.
#
# Shapes use fixed letters: **N** samples, **D** input features, **H** hidden
# units, **C** classes or outputs, **K** the inner dimension of a matmul.
# Samples are rows: a data matrix `X` has shape `(N, D)`.

# %% [markdown] shared_text="how_to_work.md"
# ## How to work in this notebook
#
# - You work in your own copy, `work/04_backpropagation/` (`make lab`
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
import time

import numpy as np
import matplotlib.pyplot as plt

from course_utils import derivatives as cud
from course_utils import nn as cun
from course_utils import widgets
from course_utils.checks import (
    assert_backward_matches_forward, assert_close, assert_gradient_close,
    assert_network_not_delegating, assert_no_framework,
    assert_not_delegating, call_checked, call_network, call_shaped, fail,
    passed, unpack)

rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Vectors, matrices and shapes
#
# In NumPy every array has a **shape**, a tuple of lengths. Three shapes
# hold "three numbers" and behave differently:
#
# | shape | what it is | example |
# |---|---|---|
# | `(3,)` | a plain vector (1-D) | `np.array([1., 2., 3.])` |
# | `(3, 1)` | a column, a 3x1 matrix | `v[:, None]` |
# | `(1, 3)` | a row, a 1x3 matrix | `v[None, :]` |
#
# The operations of this chapter, for vectors $u, v$ and matrices $A, B$:
#
# - **dot product** $u \cdot v = \sum_i u_i v_i$ (`u @ v`), one number;
# - **Hadamard** (elementwise) product $(A \odot B)_{ij} = A_{ij} B_{ij}$
#   (`A * B`), same shape as $A$ and $B$;
# - **transpose** $(A^T)_{ij} = A_{ji}$ (`A.T`), shape reversed;
# - **matrix product** of $A$ (n x K) and $B$ (K x m), an n x m matrix with
#   $$C_{ij} = \sum_{k=1}^{K} A_{ik} B_{kj},$$
#   row $i$ of $A$ dotted with column $j$ of $B$ (`A @ B`). The inner
#   lengths must agree; the outer ones give the result's shape.
#
# For the two 3x3 matrices below, $c_{23}$ is row 2 of $A$, $(4, 5, 6)$,
# dotted with column 3 of $B$, $(1, 0, 4)$:
# $c_{23} = 4 \cdot 1 + 5 \cdot 0 + 6 \cdot 4 = 28$ (rows and columns
# counted from 1 in the maths, from 0 in NumPy).

# %%
A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
B = np.array([[1.0, 0.0, 1.0], [2.0, 1.0, 0.0], [0.0, 3.0, 4.0]])
C = A @ B
c_23 = sum(A[1, k] * B[k, 2] for k in range(3))   # row 2, column 3
print("A @ B =\n", C)
print("c_23 by the formula:", c_23, " from A @ B:", C[1, 2])
print("Hadamard A * B =\n", A * B)
u, v = np.array([1.0, 2.0, 3.0]), np.array([4.0, -5.0, 6.0])
print("u . v =", u @ v, "  shapes:", u.shape, u[:, None].shape,
      u[None, :].shape)

# %% [markdown]
# Mixing `(n,)` and `(n, 1)` is the most common shape bug of all, because
# NumPy does not complain: it **broadcasts**. A column minus a vector is a
# whole matrix:

# %%
y_hat = np.array([[1.0], [2.0], [3.0]])   # (3, 1): predictions as a column
y = np.array([1.0, 2.0, 3.0])             # (3,): the targets
print((y_hat - y).shape, "<- not (3, 1): every prediction minus every target")
print((y_hat - y.reshape(-1, 1)).shape, "<- what was meant")


# %% [markdown]
# ### Loops against vectorised NumPy
#
# The formula $C_{ij} = \sum_k A_{ik} B_{kj}$ translates directly into three
# nested Python loops. NumPy's `A @ B` computes the same numbers in compiled
# code, in blocks that keep the processor's caches and vector units busy.
# The table below is measured when you run the cell (each entry is the best
# of a few runs; the loops are timed once, they are slow). A middle way, one
# Python loop over rows with a vectorised row-times-matrix product, shows
# that most of the cost is the Python interpreter, not the arithmetic.

# %%
def matmul_loops(A, B):
    """C = A B with three Python loops. A: (n, K), B: (K, m)."""
    n, K = A.shape
    m = B.shape[1]
    C = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            total = 0.0
            for k in range(K):
                total += A[i, k] * B[k, j]
            C[i, j] = total
    return C


def matmul_rows(A, B):
    """C = A B one row at a time: row i of C is A[i] @ B."""
    C = np.zeros((A.shape[0], B.shape[1]))
    for i in range(A.shape[0]):
        C[i] = A[i] @ B
    return C


def best_time(func, *args, repeat=3):
    """Shortest of `repeat` wall-clock timings of func(*args), in s."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


print(f"{'n':>4} {'3 loops':>12} {'row loop':>12} {'A @ B':>12}"
      f" {'loops / A @ B':>14}")
for n in (8, 16, 32, 64):
    A_n, B_n = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    assert np.allclose(matmul_loops(A_n, B_n), A_n @ B_n)
    t_loops = best_time(matmul_loops, A_n, B_n, repeat=1)
    t_rows = best_time(matmul_rows, A_n, B_n)
    t_numpy = best_time(np.matmul, A_n, B_n, repeat=20)
    print(f"{n:>4} {t_loops * 1e3:>9.2f} ms {t_rows * 1e3:>9.3f} ms"
          f" {t_numpy * 1e6:>9.1f} us {t_loops / t_numpy:>13.0f}x")


# %% [markdown]
# On the course machines (2 shared cores, OpenBLAS) the three loops took
# about 0.15 ms for n = 8 and 70 ms for n = 64, the row loop 0.01 to 0.1 ms,
# and `A @ B` 1 to 8 microseconds: a factor of about 170 at n = 8 that grows
# to about 9000 at n = 64 (the loops grow like $n^3$ in interpreted Python;
# the vectorised product stays nearly flat at these sizes).
# Everything below is written with whole-array operations.
#
# ## 2. Jacobians and their layout
#
# For a function $f: \mathbb{R}^n \to \mathbb{R}^m$ the **Jacobian** collects
# every partial derivative of every output:
# $$J_{ij} = \frac{\partial f_i}{\partial x_j}, \qquad J \text{ has shape } (m, n).$$
# This is the **numerator layout**: rows run over the outputs (the
# numerator of $\partial f_i / \partial x_j$), columns over the inputs. Row
# $i$ is the gradient of output $i$. The **denominator layout** is its
# transpose, shape $(n, m)$. Both are in use; mixing them is exactly the
# "transpose" bug the tests of this chapter look for.
#
# This course writes **Jacobians in numerator layout**, so that the chain
# rule reads left to right like the functions compose:
# $J_{f \circ g}(x) = J_f(g(x))\, J_g(x)$. For a *scalar* loss $L$, the
# numerator-layout Jacobian with respect to a column $x$ is a row, $1 \times n$;
# in code we store the gradient $\partial L / \partial W$ of a loss with the
# **shape of $W$ itself** (`dW.shape == W.shape`), so that `W -= lr * dW`
# just works.
#
# Two Jacobians to know by heart:
#
# - $f(x) = A x - b$ with $A$ of shape $(m, n)$: $f_i = \sum_j A_{ij} x_j - b_i$,
#   so $\partial f_i / \partial x_j = A_{ij}$ and **the Jacobian is $A$**.
# - $g(y) = \|y\|^2 = \sum_i y_i^2$: $\partial g / \partial y_i = 2 y_i$, so
#   the Jacobian is the row $2 y^T$ and **the gradient is $2y$**.
#
# ### Exercise 1: a numerical Jacobian (3 points)
#
# Write `numerical_jacobian(f, x, h)` for $f: \mathbb{R}^n \to \mathbb{R}^m$:
# column $j$ of $J$ is the central difference in coordinate $j$,
# $$J_{:, j} = \frac{f(x + h e_j) - f(x - h e_j)}{2h},$$
# returned in numerator layout, shape `(m, n)`. Use the `h` you are given,
# and leave the caller's `x` unchanged.

# %% nbgrader={"grade": false, "grade_id": "numerical_jacobian", "locked": false, "schema_version": 3, "solution": true}
def numerical_jacobian(f, x, h=1e-5):
    """Jacobian of f: R^n -> R^m at x by central differences.

    f: function taking an (n,) float64 array and returning m numbers,
       an (m,) array.
    x: (n,) float64, the point; it is not modified.
    h: step size > 0.
    Returns J: (m, n) float64, numerator layout: J[i, j] = d f_i / d x_j.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)  # a float copy: the caller's x is safe
    columns = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = h
        f_plus = np.asarray(f(x + step), dtype=np.float64).ravel()
        f_minus = np.asarray(f(x - step), dtype=np.float64).ravel()
        columns.append((f_plus - f_minus) / (2 * h))
    return np.stack(columns, axis=1)  # column j: derivatives along x_j
    ### END SOLUTION


# %% [markdown]
# For $f(x) = Ax - b$ with the $2 \times 3$ matrix below it should give $A$
# itself, shape `(2, 3)`; for $\|y\|^2$ at $y = (1, -2, 3)$ the row
# `[[2, -4, 6]]`, shape `(1, 3)`:

# %%
A_lin = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
b_lin = np.array([1.0, -1.0])
J = numerical_jacobian(lambda x: A_lin @ x - b_lin, np.array([0.3, -0.2, 0.7]))
print(J, J.shape)
y_sq = np.array([1.0, -2.0, 3.0])
print(numerical_jacobian(lambda y: np.array([y @ y]), y_sq))

# %% nbgrader={"grade": true, "grade_id": "test_numerical_jacobian_linear", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Is the numerical Jacobian of A x - b equal to A, shape (m, n)?"""
_A = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
_b = np.array([1.0, -1.0])
_x = np.array([0.3, -0.2, 0.7])
_J = call_checked(numerical_jacobian, lambda v: _A @ v - _b, _x,
                  name="numerical_jacobian(f, x)")
assert_close(_J, _A, "numerical_jacobian of A x - b for A of shape (2, 3)")
# A square A: the shape cannot reveal the denominator layout, the values do.
_A_sq = np.array([[2.0, 1.0], [-3.0, 0.5]])
_J = call_checked(numerical_jacobian, lambda v: _A_sq @ v, np.ones(2),
                  name="numerical_jacobian(f, x)")
assert_gradient_close(
    _J, _A_sq, "numerical_jacobian of A x for a square A",
    mistakes=[(_A_sq.T, "it is the transpose of the Jacobian, the "
               "denominator layout. In numerator layout row i holds the "
               "derivatives of output i: the change of f along x_j "
               "belongs in COLUMN j.")])
assert_not_delegating(numerical_jacobian, cud.numerical_jacobian,
                      cud.numerical_gradient, cud.central_difference,
                      cud.forward_difference, np.gradient)
assert_no_framework(numerical_jacobian)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1101)
for _mh, _nh in [(1, 4), (3, 1), (1, 1), (4, 4), (2, 5), (5, 2)]:
    _Ah = _rng.normal(size=(_mh, _nh))
    _bh = _rng.normal(size=_mh)
    _xh = _rng.normal(size=_nh)
    _Jh = call_checked(numerical_jacobian, lambda v: _Ah @ v - _bh, _xh,
                      name="numerical_jacobian(f, x) (hidden)")
    _whath = f"numerical_jacobian of A x - b for A of shape {(_mh, _nh)}"
    if _mh == _nh:
        assert_gradient_close(  # hidden
            _Jh, _Ah, _whath, rtol=1e-6, atol=1e-8,
            mistakes=[(_Ah.T, "it is the transpose of the Jacobian (the "
                       "denominator layout): row i must hold the "
                       "derivatives of output i.")])
    else:
        assert_close(_Jh, _Ah, _whath, rtol=1e-6, atol=1e-8)
### END HIDDEN TESTS
passed("numerical_jacobian: the Jacobian of A x - b is A, numerator layout")

# %% nbgrader={"grade": true, "grade_id": "test_numerical_jacobian_nonlinear", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does numerical_jacobian take central differences with the h given?"""
# For y^3 the central difference is 3 y^2 + h^2, not 3 y^2: with h = 0.5
# the step shows in the result.
_cube = lambda y: np.array([np.sum(y ** 3)])
_y = np.array([1.0, -2.0, 3.0])
_exact = 3 * _y[None, :] ** 2
assert_gradient_close(
    call_checked(numerical_jacobian, _cube, _y, h=0.5,
                 name="numerical_jacobian(f, x, h=0.5)"),
    _exact + 0.25,
    "numerical_jacobian of y0^3 + y1^3 + y2^3 at (1, -2, 3) with h = 0.5",
    mistakes=[(_exact + 1.5 * _y + 0.25, "it matches the forward "
               "difference (f(x + h e_j) - f(x)) / h: use the central "
               "difference (f(x + h e_j) - f(x - h e_j)) / (2h)."),
              (_exact - 1.5 * _y + 0.25, "it matches the backward "
               "difference (f(x) - f(x - h e_j)) / h: use the central "
               "difference (f(x + h e_j) - f(x - h e_j)) / (2h)."),
              (_exact, "it is the exact derivative, as if the step were "
               "tiny: use the h you are given (here 0.5), not a step of "
               "your own.")])
_sq = lambda y: np.array([y @ y])
assert_close(numerical_jacobian(_sq, _y), np.array([[2.0, -4.0, 6.0]]),
             "numerical_jacobian of ||y||^2 at (1, -2, 3)", rtol=1e-6)
assert_not_delegating(numerical_jacobian, cud.numerical_jacobian,
                      cud.numerical_gradient, cud.central_difference,
                      cud.forward_difference, np.gradient)
assert_no_framework(numerical_jacobian)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1102)


def _g(v):
    return np.array([np.sin(v[0]) * v[1], v[0] ** 2 + np.exp(v[2]),
                     v[1] * v[2] - np.cos(v[0])])


for _hh in (1e-2, 0.2):
    _xh = _rng.normal(size=3)
    assert_close(call_checked(numerical_jacobian, _g, _xh, h=_hh,
                              name=f"numerical_jacobian(f, x, h={_hh})"),
                 cud.numerical_jacobian(_g, _xh, h=_hh),
                 f"numerical_jacobian of a nonlinear R^3 -> R^3 map, "
                 f"h = {_hh}", rtol=1e-7, atol=1e-9)
_xh = _rng.normal(size=4)
_kh = lambda v: np.array([np.sum(np.tanh(v)), v[0] * v[3]])
assert_close(numerical_jacobian(_kh, _xh, h=1e-3),
             cud.numerical_jacobian(_kh, _xh, h=1e-3),
             "numerical_jacobian of an R^4 -> R^2 map", rtol=1e-7, atol=1e-9)
### END HIDDEN TESTS
passed("numerical_jacobian: central differences with the given h")

# %% [markdown]
# ## 3. One layer, one sample, by hand
#
# Take one layer in the column-vector form of most maths texts: an input
# $x \in \mathbb{R}^{2}$, a weight matrix $W$ of shape $3 \times 2$ (3
# outputs, 2 inputs), a bias $b \in \mathbb{R}^3$, the sigmoid $\sigma$
# elementwise, a target $y \in \mathbb{R}^3$ and the cost
# $$z = W x + b, \qquad a = \sigma(z), \qquad c = \frac{1}{n}\|a - y\|^2 \quad (n = 3).$$
# Each step has a Jacobian (numerator layout):
#
# | step | Jacobian | shape |
# |---|---|---|
# | $\partial z / \partial b$ | $I$ (each $z_i$ moves one-for-one with $b_i$) | $3 \times 3$ |
# | $\partial z / \partial x$ | $W$ (it is $Ax - b$ again) | $3 \times 2$ |
# | $\partial a / \partial z$ | $\operatorname{diag}(\sigma'(z))$: $a_i$ depends on $z_i$ only | $3 \times 3$ |
# | $\partial c / \partial a$ | $\frac{2}{n}(a - y)^T$ | $1 \times 3$ |
#
# The chain rule multiplies them, starting from the cost:
# $$\frac{\partial c}{\partial z} = \frac{\partial c}{\partial a}\,\operatorname{diag}(\sigma'(z)) = \frac{2}{n}(a - y)^T \odot \sigma'(z)^T, \qquad
# \frac{\partial c}{\partial x} = \frac{\partial c}{\partial z}\, W, \qquad
# \frac{\partial c}{\partial b} = \frac{\partial c}{\partial z}.$$
# Multiplying by a diagonal matrix is just an elementwise product: no
# $3 \times 3$ matrix needs to be built.
#
# The weights are the awkward part. $z$ is a vector and $W$ a matrix, so
# $\partial z / \partial W$ has three indices, $T_{ijk} = \partial z_i / \partial W_{jk}$,
# a $3 \times 3 \times 2$ **third-order tensor**. Since $z_i = \sum_k W_{ik} x_k + b_i$,
# $T_{ijk} = \delta_{ij}\, x_k$: almost all of its 18 entries are 0.
# Contracting it with $\partial c / \partial z$ collapses the $\delta$:
# $$\frac{\partial c}{\partial W_{jk}} = \sum_i \frac{\partial c}{\partial z_i} T_{ijk} = \frac{\partial c}{\partial z_j}\, x_k
# \quad\Longrightarrow\quad
# \frac{\partial c}{\partial W} = \Big(\frac{\partial c}{\partial z}\Big)^{T} x^T,$$
# an **outer product** of a $3 \times 1$ column and a $1 \times 2$ row: a
# $3 \times 2$ matrix, the shape of $W$. That shortcut is how every
# framework computes weight gradients; the tensor is never built. Below it
# *is* built once, numerically, to see it.

# %%
W_col = np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]])   # (3, 2)
b_col = np.array([0.1, -0.2, 0.0])
x_col = np.array([1.0, 2.0])
y_col = np.array([0.0, 1.0, 1.0])
n_out = len(y_col)


def layer_cost(W, b, x):
    """c = (1/n) ||sigmoid(W x + b) - y||^2 for the layer above."""
    a = cun.sigmoid(W @ x + b)
    return np.sum((a - y_col) ** 2) / n_out


z_col = W_col @ x_col + b_col
a_col = cun.sigmoid(z_col)
dc_da = 2 / n_out * (a_col - y_col)        # the row (2/n)(a - y)^T
dc_dz = dc_da * a_col * (1 - a_col)        # times diag(sigma'(z))
dc_dx = dc_dz @ W_col                      # times dz/dx = W
dc_db = dc_dz                              # times dz/db = I

# The third-order tensor dz/dW, T[i, j, k] = d z_i / d W_jk, numerically.
T = cud.numerical_jacobian(lambda w: w.reshape(3, 2) @ x_col + b_col,
                           W_col.ravel()).reshape(3, 3, 2)
print("dz/dW has shape", T.shape, "; its slice i = 0 (d z_0 / dW):")
print(T[0])
dc_dW_tensor = np.einsum("i,ijk->jk", dc_dz, T)    # contract over i
dc_dW = np.outer(dc_dz, x_col)                     # the shortcut
print("outer-product shortcut:\n", dc_dW)
print("same as contracting the tensor:", np.allclose(dc_dW, dc_dW_tensor))
print("same as central differences:   ", np.allclose(
    dc_dW, cud.numerical_gradient(lambda W: layer_cost(W, b_col, x_col),
                                  W_col)))
print("dc/dx:", dc_dx, " central differences:",
      cud.numerical_gradient(lambda x: layer_cost(W_col, b_col, x), x_col))

# %% [markdown]
# ## 4. A batch at once: samples as rows
#
# A network never sees one sample at a time: a batch of $N$ samples is
# stacked as the rows of $X$, shape $(N, D)$. Writing one sample as a row
# $x^T$ turns $z = Wx + b$ into $z^T = x^T W^T + b^T$, so in the
# samples-as-rows layout the weight matrix is stored as $(D, H)$, the
# transpose of the column form, and the whole batch is one product:
# $$Z = X W + b, \qquad X: (N, D),\ W: (D, H),\ b: (H,),\ Z: (N, H),$$
# with $b$ added to every row (NumPy broadcasts it). Given the upstream
# gradient $dZ = \partial L / \partial Z$, shape $(N, H)$, the three
# gradients are
#
# $$dX = dZ\, W^T \;(N, D), \qquad dW = X^T dZ \;(D, H), \qquad db = \sum_{n=1}^{N} dZ_{n,:} \;(H,).$$
#
# $dW$ is the sum over the samples of the per-sample outer products of
# section 3, $\sum_n x_n\, dz_n^T$, which is exactly $X^T dZ$; every sample
# uses the same $b$, so its gradient is the **sum** of dZ over the batch
# (not the mean: a mean over the batch is already inside $dZ$ if the loss
# is one).
#
# **The rule that catches most bugs: a gradient has the shape of what it
# differentiates.** `dW.shape == W.shape`, `db.shape == b.shape`,
# `dX.shape == X.shape`. The shapes even pick the formula: $dW$ must be
# $(D, H)$, built from $X$ $(N, D)$ and $dZ$ $(N, H)$, and the only product
# of those two with that shape is $X^T dZ$.
#
# The shape bookkeeping of a $4 \to 6 \to 6 \to 2 \to 2$ network (4 inputs,
# two hidden layers of 6, a layer of 2, 2 outputs), in both layouts:

# %%
sizes = [4, 6, 6, 2, 2]
N_demo = 5
X_rows = rng.normal(size=(N_demo, sizes[0]))   # samples as rows: (N, D)
A_rows, A_cols = X_rows, X_rows.T              # samples as columns: (D, N)
print(f"{'layer':<7}{'rows: W':<10}{'rows: Z':<10}{'cols: W':<10}"
      f"{'cols: Z':<10}")
for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
    W_rows = rng.normal(size=(fan_in, fan_out))      # Z = X W + b
    W_cols = W_rows.T                                # Z = W X + b
    A_rows = A_rows @ W_rows
    A_cols = W_cols @ A_cols
    print(f"{l:<7}{str(W_rows.shape):<10}{str(A_rows.shape):<10}"
          f"{str(W_cols.shape):<10}{str(A_cols.shape):<10}")
print("parameters:", sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:])))


# %% [markdown]
# With features as columns (samples as rows, this course's layout) the
# weights are $(4, 6)$, $(6, 6)$, $(6, 2)$, $(2, 2)$ and activations are
# $(N, \cdot)$; with samples as columns each weight is transposed and
# activations are $(\cdot, N)$. The numbers are the same; only the
# bookkeeping differs, which is why a mixed-up layout so often still runs
# when a matrix happens to be square.
#
# ### Exercise 2: the affine layer (5 points)
#
# Write the pair every layer of this course follows:
#
# - `affine_forward(X, W, b)` returns `(Z, cache)` with $Z = XW + b$ and
#   `cache = (X, W, b)`;
# - `affine_backward(dZ, cache)` returns `(dX, dW, db)` from the formulas
#   above.
#
# Do not modify the inputs. Any correct style is fine (`@`, `np.dot`,
# `np.einsum`, loops).

# %% nbgrader={"grade": false, "grade_id": "affine", "locked": false, "schema_version": 3, "solution": true}
def affine_forward(X, W, b):
    """Affine layer Z = X W + b, samples as rows.

    X: (N, D) float64, W: (D, H), b: (H,)
    Returns Z: (N, H) and cache = (X, W, b) for affine_backward.
    """
    ### BEGIN SOLUTION
    Z = X @ W + b
    return Z, (X, W, b)
    ### END SOLUTION


def affine_backward(dZ, cache):
    """Gradients of the affine layer Z = X W + b.

    dZ: (N, H) upstream gradient dL/dZ; cache = (X, W, b) from
    affine_forward, X: (N, D), W: (D, H), b: (H,).
    Returns dX: (N, D), dW: (D, H), db: (H,).
    """
    ### BEGIN SOLUTION
    X, W, b = cache
    dX = dZ @ W.T
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    return dX, dW, db
    ### END SOLUTION


# %% [markdown]
# With $X = \begin{pmatrix} 1 & 2 & 0 \\ -1 & 0 & 3 \end{pmatrix}$,
# $W = \begin{pmatrix} 1 & 0 \\ 0 & -1 \\ 2 & 1 \end{pmatrix}$ and
# $b = (0.5, -0.5)$, `affine_forward` should give
# `Z = [[1.5, -2.5], [5.5, 2.5]]`; with
# $dZ = \begin{pmatrix} 1 & -1 \\ 2 & 0 \end{pmatrix}$, `affine_backward`
# should give `dX = [[1, 1, 1], [2, 0, 4]]`,
# `dW = [[-1, -1], [2, -2], [6, 0]]` and `db = [3, -1]`:

# %%
X_a = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0]])
W_a = np.array([[1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
b_a = np.array([0.5, -0.5])
Z_a, cache_a = affine_forward(X_a, W_a, b_a)
print("Z =\n", Z_a)
dX_a, dW_a, db_a = affine_backward(np.array([[1.0, -1.0], [2.0, 0.0]]),
                                   cache_a)
print("dX =\n", dX_a, "\ndW =\n", dW_a, "\ndb =", db_a)

# %% nbgrader={"grade": true, "grade_id": "test_affine_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does affine_forward return Z = X W + b and the cache (X, W, b)?"""
_X = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0]])
_W = np.array([[1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
_b = np.array([0.5, -0.5])
_Z, _cache = unpack(
    call_checked(affine_forward, _X, _W, _b, name="affine_forward(X, W, b)"),
    ("Z", "cache"), "affine_forward(X, W, b)")
assert_close(_Z, np.array([[1.5, -2.5], [5.5, 2.5]]),
             "Z from affine_forward(X, W, b)")
_parts = unpack(_cache, ("X", "W", "b"), "the cache of affine_forward")
for _name, _got, _want in zip("XWb", _parts, (_X, _W, _b)):
    if not (np.shape(_got) == _want.shape and np.allclose(_got, _want)):
        fail(f"the cache of affine_forward should be (X, W, b), in that order, "
             f"but its entry for {_name} holds something else.")
assert_not_delegating(affine_forward, cun.affine_forward, cun.MLP)
assert_no_framework(affine_forward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1201)
for _Nh, _Dh, _Hh in [(1, 3, 2), (4, 1, 3), (3, 4, 1), (5, 2, 6), (2, 3, 3)]:
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _Wh = _rng.normal(size=(_Dh, _Hh))
    _bh = _rng.normal(size=_Hh)
    _callh = f"affine_forward(X, W, b) with X {(_Nh, _Dh)}, W {(_Dh, _Hh)}"
    _Zh, _ = unpack(call_checked(affine_forward, _Xh, _Wh, _bh,
                                      name=_callh), ("Z", "cache"), _callh)
    assert_close(_Zh, cun.affine_forward(_Xh, _Wh, _bh)[0], f"Z from {_callh}")
### END HIDDEN TESTS
passed("affine_forward: Z = X W + b and its cache")

# %% nbgrader={"grade": true, "grade_id": "test_affine_backward_dX", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is dX = dZ W^T, shape (N, D)?"""
_X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])      # (N, D) = (3, 2)
_W = np.array([[1.0, 2.0], [-1.0, 0.5]])                  # square (D, H)
_b = np.zeros(2)
_dZ = np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 1.0]])
_call = "affine_backward(dZ, (X, W, b))"
_dX, _, _ = unpack(
    call_shaped(affine_backward, _dZ, (_X, _W, _b), name=_call,
                shapes="Here X is (3, 2), W (2, 2) and dZ (3, 2)."),
    ("dX", "dW", "db"), _call)
assert_gradient_close(
    _dX, _dZ @ _W.T, f"dX from {_call} for a square W", wrt="X",
    mistakes=[(_dZ @ _W, "it matches dZ W, without the transpose: dX "
               "must have the shape of X, (N, D), and with dZ (N, H) and "
               "W (D, H) only one arrangement gives that (here W is "
               "square, so the shapes could not warn you).")])
_X = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0]])
_W = np.array([[1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
_dZ = np.array([[1.0, -1.0], [2.0, 0.0]])
_dX, _, _ = unpack(
    call_shaped(affine_backward, _dZ, (_X, _W, np.zeros(2)), name=_call,
                shapes="Here X is (2, 3), W (3, 2) and dZ (2, 2), so dX "
                "must come out (2, 3), dW (3, 2) and db (2,)."),
    ("dX", "dW", "db"), _call)
assert_gradient_close(_dX, np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 4.0]]),
                      f"dX from {_call}", wrt="X")
assert_not_delegating(affine_backward, cun.affine_backward, cun.MLP)
assert_no_framework(affine_backward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1202)
for _Nh, _Dh, _Hh in [(1, 3, 2), (4, 1, 3), (3, 4, 1), (5, 2, 6), (2, 3, 3)]:
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _Wh = _rng.normal(size=(_Dh, _Hh))
    _bh = _rng.normal(size=_Hh)
    _dZh = _rng.normal(size=(_Nh, _Hh))
    _callh = f"affine_backward with X {(_Nh, _Dh)}, W {(_Dh, _Hh)}"
    _dXh, _, _ = unpack(
        call_shaped(affine_backward, _dZh, (_Xh, _Wh, _bh), name=_callh,
                    shapes=f"Here X is {_Xh.shape}, W {_Wh.shape} and dZ "
                    f"{_dZh.shape}."),
        ("dX", "dW", "db"), _callh)
    assert_gradient_close(  # hidden
        _dXh, cun.affine_backward(_dZh, (_Xh, _Wh, _bh))[0],
        f"dX from {_callh}",
        wrt="X", n_samples=_Nh,
        mistakes=[(_dZh @ _Wh, "it matches dZ W without the transpose.")]
        if _Dh == _Hh else [])
    assert_backward_matches_forward(  # hidden
        affine_forward, affine_backward, {"X": _Xh, "W": _Wh, "b": _bh},
        "affine", wrt=("X",), seed=_Nh)
### END HIDDEN TESTS
passed("affine_backward: dX = dZ W^T")

# %% nbgrader={"grade": true, "grade_id": "test_affine_backward_dW", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Is dW = X^T dZ, the shape of W, also for N = 1 and square W?"""
_X = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0]])       # (N, D) = (2, 3)
_W = np.array([[1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])     # (D, H) = (3, 2)
_dZ = np.array([[1.0, -1.0], [2.0, 0.0]])                # (N, H)
_call = "affine_backward(dZ, (X, W, b))"
_, _dW, _ = unpack(
    call_shaped(affine_backward, _dZ, (_X, _W, np.zeros(2)), name=_call,
                shapes="Here X is (2, 3), W (3, 2) and dZ (2, 2), so dX "
                "must come out (2, 3), dW (3, 2) and db (2,)."),
    ("dX", "dW", "db"), _call)
assert_gradient_close(_dW, np.array([[-1.0, -1.0], [2.0, -2.0], [6.0, 0.0]]),
                      f"dW from {_call}", wrt="W", n_samples=2)
# One sample: dW is the outer product x^T dz of section 3.
_x1, _dz1 = np.array([[2.0, -1.0, 0.5]]), np.array([[1.0, 3.0]])
_, _dW, _ = unpack(
    call_shaped(affine_backward, _dz1, (_x1, _W, np.zeros(2)), name=_call,
                shapes="Here X is (1, 3), W (3, 2) and dZ (1, 2), so dX "
                "must come out (1, 3), dW (3, 2) and db (2,)."),
    ("dX", "dW", "db"), _call)
assert_gradient_close(_dW, _x1.T @ _dz1, f"dW from {_call} for N = 1",
                      wrt="W")
assert_not_delegating(affine_backward, cun.affine_backward, cun.MLP)
assert_no_framework(affine_backward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1203)
for _Nh, _Dh, _Hh in [(1, 3, 2), (4, 1, 3), (3, 4, 1), (5, 2, 6), (3, 3, 3)]:
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _Wh = _rng.normal(size=(_Dh, _Hh))
    _bh = _rng.normal(size=_Hh)
    _dZh = _rng.normal(size=(_Nh, _Hh))
    _callh = f"affine_backward with X {(_Nh, _Dh)}, W {(_Dh, _Hh)}"
    _, _dWh, _ = unpack(
        call_shaped(affine_backward, _dZh, (_Xh, _Wh, _bh), name=_callh,
                    shapes=f"Here X is {_Xh.shape}, W {_Wh.shape} and dZ "
                    f"{_dZh.shape}."),
        ("dX", "dW", "db"), _callh)
    _mistakesh = [(_dZh.T @ _Xh, "it matches dZ^T X, the transpose of the "
                  "right gradient (W is square here, so the shape could "
                  "not warn you).")] if _Dh == _Hh else []
    assert_gradient_close(  # hidden
        _dWh, cun.affine_backward(_dZh, (_Xh, _Wh, _bh))[1],
        f"dW from {_callh}",
        wrt="W", n_samples=_Nh, mistakes=_mistakesh)
    assert_backward_matches_forward(  # hidden
        affine_forward, affine_backward, {"X": _Xh, "W": _Wh, "b": _bh},
        "affine", wrt=("W",), seed=_Nh)
### END HIDDEN TESTS
passed("affine_backward: dW = X^T dZ")

# %% nbgrader={"grade": true, "grade_id": "test_affine_backward_db", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is db the sum of dZ over the batch, shape (H,)?"""
_X = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0], [0.0, 1.0, 1.0]])
_W = np.array([[1.0, 0.0], [0.0, -1.0], [2.0, 1.0]])
_dZ = np.array([[1.0, -1.0], [2.0, 0.0], [0.5, 2.0]])    # (N, H) = (3, 2)
_call = "affine_backward(dZ, (X, W, b))"
_, _, _db = unpack(
    call_shaped(affine_backward, _dZ, (_X, _W, np.zeros(2)), name=_call,
                shapes="Here X is (3, 3), W (3, 2) and dZ (3, 2), so dX "
                "must come out (3, 3), dW (3, 2) and db (2,)."),
    ("dX", "dW", "db"), _call)
assert_gradient_close(
    _db, np.array([3.5, 1.0]), f"db from {_call}", wrt="b", n_samples=3,
    mistakes=[(_dZ.sum(axis=1), "it is dZ summed over axis 1, the H units "
               "of each sample: the batch axis, the one to sum over, is "
               "axis 0.")])
assert_not_delegating(affine_backward, cun.affine_backward, cun.MLP)
assert_no_framework(affine_backward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1204)
for _Nh, _Dh, _Hh in [(1, 3, 2), (4, 1, 3), (3, 4, 1), (5, 2, 6), (2, 3, 3)]:
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _Wh = _rng.normal(size=(_Dh, _Hh))
    _bh = _rng.normal(size=_Hh)
    _dZh = _rng.normal(size=(_Nh, _Hh))
    _callh = f"affine_backward with X {(_Nh, _Dh)}, W {(_Dh, _Hh)}"
    _, _, _dbh = unpack(
        call_shaped(affine_backward, _dZh, (_Xh, _Wh, _bh), name=_callh,
                    shapes=f"Here X is {_Xh.shape}, W {_Wh.shape} and dZ "
                    f"{_dZh.shape}."),
        ("dX", "dW", "db"), _callh)
    assert_gradient_close(  # hidden
        _dbh, cun.affine_backward(_dZh, (_Xh, _Wh, _bh))[2],
        f"db from {_callh}",
        wrt="b", n_samples=_Nh,
        mistakes=[(_dZh.sum(axis=1), "it is dZ summed over axis 1: the "
                   "batch axis is axis 0.")])
    assert_backward_matches_forward(  # hidden
        affine_forward, affine_backward, {"X": _Xh, "W": _Wh, "b": _bh},
        "affine", wrt=("b",), seed=_Nh)
### END HIDDEN TESTS
passed("affine_backward: db = dZ summed over the batch")

# %% [markdown]
# ## 5. Computational graphs and the chain rule, backwards
#
# Write a network as a graph of small operations. For two layers:
# $$X \xrightarrow{\ W_1, b_1\ } Z_1 \xrightarrow{\ \text{ReLU}\ } A_1 \xrightarrow{\ W_2, b_2\ } S \xrightarrow{\ \text{loss}\ } L.$$
# The **forward pass** computes every node from left to right and keeps what
# each operation will need later (its *cache*). The **backward pass** starts
# from $\partial L / \partial L = 1$ and walks right to left: each operation
# receives the gradient of the loss with respect to its output (the
# *upstream* gradient) and turns it into the gradient with respect to its
# inputs, by the chain rule, using only its own local derivative:
# $$\frac{\partial L}{\partial \text{input}} = \frac{\partial L}{\partial \text{output}} \cdot \frac{\partial\, \text{output}}{\partial\, \text{input}}.$$
# No operation needs to know what the rest of the network looks like; that
# is why layers can be written, tested and combined one at a time, and why
# each comes as a pair `*_forward(...) -> (out, cache)` and
# `*_backward(dout, cache) -> d(inputs)`.
#
# For an **elementwise** activation $A = g(Z)$ the local Jacobian is
# diagonal, $\operatorname{diag}(g'(Z))$, so the backward pass is an
# elementwise product: $dZ = dA \odot g'(Z)$.
#
# The two activations of this chapter and their derivatives:

# %%
z = np.linspace(-5, 5, 401)
s = cun.sigmoid(z)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
axes[0].plot(z, np.maximum(z, 0), label="ReLU(z)")
axes[0].plot(z, (z > 0).astype(float), "--", label="ReLU'(z) (0 at z = 0)")
axes[1].plot(z, s, label=r"$\sigma(z)$")
axes[1].plot(z, s * (1 - s), "--", label=r"$\sigma'(z) = \sigma(1 - \sigma)$")
for ax in axes:
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("z")
    ax.legend(fontsize=8)
axes[0].set_title("ReLU: a mask")
axes[1].set_title("sigmoid: at most 1/4");


# %% [markdown]
# ### ReLU and its mask
#
# $\operatorname{ReLU}(z) = \max(z, 0)$ has derivative 1 for $z > 0$ and 0
# for $z < 0$. At exactly $z = 0$ there is a kink and no derivative; any
# value between 0 and 1 is a valid *subgradient*. **This course takes 0**,
# so the backward pass is "let the gradient through where $Z > 0$, block it
# elsewhere":
# $$dZ = dA \odot \mathbb{1}[Z > 0].$$
# A common way to write it, `grad_h[h < 0] = 0`, blocks only where $h < 0$
# and so takes the derivative at 0 as 1. It rarely matters in practice: a
# pre-activation computed from real data is almost never exactly 0.0, and
# when one is, it changes one entry of one step. It matters for a test,
# though, which is why the convention is fixed here. (ReLU's kinks also
# explain why a gradient check of a ReLU network can show errors around
# $10^{-6}$ to $10^{-4}$: a central difference that straddles a kink
# measures the average of two slopes.)
#
# ### Exercise 3: ReLU (3 points)
#
# Write `relu_forward(Z)`, returning `(A, cache)` with $A = \max(Z, 0)$ and
# `cache = Z`, and `relu_backward(dA, cache)`, returning $dZ$: `dA` where
# $Z > 0$, 0 elsewhere (also where $Z = 0$). Do not change `dA` or `Z` in
# place.

# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true}
def relu_forward(Z):
    """ReLU A = max(Z, 0), elementwise.

    Z: (N, H) float64 (any shape works).
    Returns A: the shape of Z, and cache = Z for relu_backward.
    """
    ### BEGIN SOLUTION
    A = np.maximum(Z, 0)
    return A, Z
    ### END SOLUTION


def relu_backward(dA, cache):
    """Gradient of ReLU.

    dA: (N, H) upstream gradient dL/dA; cache = Z: (N, H) from
    relu_forward.
    Returns dZ: (N, H), equal to dA where Z > 0 and 0 elsewhere (also
    where Z == 0).
    """
    ### BEGIN SOLUTION
    Z = cache
    return dA * (Z > 0)
    ### END SOLUTION


# %% [markdown]
# For $Z = \begin{pmatrix} -1 & 0 & 2 \\ 3 & -0.5 & 0 \end{pmatrix}$ the
# forward pass should give `A = [[0, 0, 2], [3, 0, 0]]`, and with
# $dA = \begin{pmatrix} 1 & -2 & 3 \\ -4 & 5 & 6 \end{pmatrix}$ the backward
# pass `dZ = [[0, 0, 3], [-4, 0, 0]]` (NumPy may print `-0.` where a
# negative gradient was multiplied by 0: it equals 0):

# %%
Z_r = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.0]])
A_r, cache_r = relu_forward(Z_r)
print("A =\n", A_r)
print("dZ =\n", relu_backward(np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 6.0]]),
                              cache_r))

# %% nbgrader={"grade": true, "grade_id": "test_relu_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does relu_forward return max(Z, 0) and the cache Z?"""
_Z = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.0]])
_A, _cache = unpack(
    call_checked(relu_forward, _Z, name="relu_forward(Z)"), ("A", "cache"),
    "relu_forward(Z)")
assert_close(_A, np.array([[0.0, 0.0, 2.0], [3.0, 0.0, 0.0]]),
             "A from relu_forward(Z)")
if not (np.shape(_cache) == _Z.shape and np.array_equal(_cache, _Z)):
    fail("the cache of relu_forward should be Z, the layer's input, as the "
         "docstring says (it looks like something else, e.g. A?): the backward "
         "pass builds its mask from Z.")
assert_not_delegating(relu_forward, cun.relu_forward, cun.relu_backward,
                      cun.MLP)
assert_no_framework(relu_forward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1301)
for _shapeh in [(1, 1), (3, 1), (1, 4), (4, 5)]:
    _Zh = _rng.normal(size=_shapeh)
    _Zh.flat[0] = 0.0
    _callh = f"relu_forward(Z) for Z of shape {_shapeh}"
    _Ah, _cacheh = unpack(call_checked(relu_forward, _Zh, name=_callh),
                              ("A", "cache"), _callh)
    assert_close(_Ah, cun.relu_forward(_Zh)[0], f"A from {_callh}")
    if not (np.shape(_cacheh) == _shapeh and np.array_equal(_cacheh, _Zh)):
        fail("the cache of relu_forward should be Z, the layer's input.")
### END HIDDEN TESTS
passed("relu_forward: max(Z, 0) and the cache Z")

# %% nbgrader={"grade": true, "grade_id": "test_relu_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Is dZ = dA where Z > 0 and 0 elsewhere, including at Z = 0?"""
_Z = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.0]])
_dA = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 6.0]])
_dZ = call_checked(relu_backward, _dA, _Z, name="relu_backward(dA, Z)")
assert_gradient_close(
    _dZ, np.array([[0.0, 0.0, 3.0], [-4.0, 0.0, 0.0]]),
    "dZ from relu_backward(dA, Z)", wrt="Z",
    mistakes=[
        (_dA * (_Z >= 0), "it is right except where Z is exactly 0: this "
         "course takes ReLU's derivative at 0 as 0, so the mask is Z > 0 "
         "(writing `dZ[Z < 0] = 0` lets the gradient through at 0)."),
        (_dA * (_dA > 0), "the mask was built from the upstream gradient "
         "dA; it must come from the layer's input Z (the cache)."),
        (_dA, "the gradient passes everywhere: the mask never blocks. Is "
         "it built from A = max(Z, 0) with >= (always true)? Use Z > 0."),
        ((_Z > 0).astype(float), "it is the mask alone: multiply it by "
         "the upstream gradient dA."),
    ])
# Against central differences of your own relu_forward:
_Zr = np.array([[0.7, -1.2, 2.5], [-0.3, 1.1, -2.0]])
assert_backward_matches_forward(relu_forward, relu_backward, {"Z": _Zr},
                                "relu")
assert_not_delegating(relu_backward, cun.relu_forward, cun.relu_backward,
                      cun.MLP)
assert_no_framework(relu_backward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1302)
for _shapeh in [(1, 1), (3, 1), (1, 4), (4, 5)]:
    _Zh = _rng.normal(size=_shapeh)
    _Zh.flat[-1] = 0.0
    _dAh = _rng.normal(size=_shapeh)
    _callh = f"relu_backward(dA, Z) for Z of shape {_shapeh}"
    assert_gradient_close(  # hidden
        call_checked(relu_backward, _dAh, _Zh, name=_callh),
        cun.relu_backward(_dAh, _Zh), f"dZ from {_callh}", wrt="Z",
        mistakes=[(_dAh * (_Zh >= 0), "it is right except where Z is "
                   "exactly 0, where the gradient must be 0 (Z > 0).")])
    _Zrh = _rng.normal(size=_shapeh)
    _Zrh[np.abs(_Zrh) < 1e-3] = 0.5    # central differences off the kink
    assert_backward_matches_forward(  # hidden
        relu_forward, relu_backward, {"Z": _Zrh}, "relu", seed=len(_Zrh))
### END HIDDEN TESTS
passed("relu_backward: the mask Z > 0")


# %% [markdown]
# ### The sigmoid
#
# $\sigma(z) = 1 / (1 + e^{-z})$ squashes any number into $(0, 1)$. Its
# derivative is
# $$\sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2} = \sigma(z)\,\big(1 - \sigma(z)\big),$$
# a function of the *output* $a = \sigma(z)$ alone: $\sigma'(z) = a(1 - a)$.
# So the forward pass caches $A$, and the backward pass is
# $dZ = dA \odot A \odot (1 - A)$, with no exponential at all. (Careful:
# $a(1 - a)$, not $z(1 - z)$.)
#
# Two ways to evaluate $\sigma$ look equal on paper and differ on a
# computer. $e^{z} / (1 + e^{z})$ overflows for $z \gtrsim 710$ and returns
# `inf / inf = nan`. $1 / (1 + e^{-z})$ is fine for large $z$ and, for
# $z \to -\infty$, overflows $e^{-z}$ to `inf` and returns $1/\infty = 0$,
# the right limit (NumPy warns about the overflow). A version that never
# overflows uses $e^{-|z|} \le 1$:
# $$\sigma(z) = \begin{cases} 1 / (1 + e^{-|z|}) & z \ge 0, \\ e^{-|z|} / (1 + e^{-|z|}) & z < 0. \end{cases}$$
#
# ### Exercise 4: the sigmoid (3 points)
#
# Write `sigmoid_forward(Z)`, returning `(A, cache)` with $A = \sigma(Z)$,
# finite for any float $Z$ (also $\pm 1000$), and `cache = A`; and
# `sigmoid_backward(dA, cache)`, returning $dZ = dA \odot A \odot (1 - A)$.

# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true}
def sigmoid_forward(Z):
    """Sigmoid A = 1 / (1 + exp(-Z)), elementwise, without overflow.

    Z: (N, H) float64 (any shape works).
    Returns A: the shape of Z, in (0, 1), and cache = A.
    """
    ### BEGIN SOLUTION
    E = np.exp(-np.abs(Z))                # at most 1: never overflows
    A = np.where(Z >= 0, 1 / (1 + E), E / (1 + E))
    return A, A
    ### END SOLUTION


def sigmoid_backward(dA, cache):
    """Gradient of the sigmoid.

    dA: (N, H) upstream gradient dL/dA; cache = A: (N, H) from
    sigmoid_forward.
    Returns dZ: (N, H) = dA * A * (1 - A).
    """
    ### BEGIN SOLUTION
    A = cache
    return dA * A * (1 - A)
    ### END SOLUTION


# %% [markdown]
# $\sigma(0) = 0.5$ and $\sigma(\pm 2) \approx 0.8808, 0.1192$;
# `sigmoid_forward` of `[[-1000, 0, 1000]]` should give `[[0, 0.5, 1]]`
# with no `nan`; with `A = [[0.5, 0.8, 0.1]]` and `dA = [[1, 2, -1]]`,
# `sigmoid_backward` should give `[[0.25, 0.32, -0.09]]`:

# %%
print(sigmoid_forward(np.array([[0.0, 2.0, -2.0]]))[0])
print(sigmoid_forward(np.array([[-1000.0, 0.0, 1000.0]]))[0])
print(sigmoid_backward(np.array([[1.0, 2.0, -1.0]]),
                       np.array([[0.5, 0.8, 0.1]])))

# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does sigmoid_forward return sigma(Z), finite for large |Z|, cache A?"""
_Z = np.array([[0.0, 2.0, -2.0]])
_A, _cache = unpack(
    call_checked(sigmoid_forward, _Z, name="sigmoid_forward(Z)"),
    ("A", "cache"), "sigmoid_forward(Z)")
assert_close(_A, np.array([[0.5, 0.88079708, 0.11920292]]),
             "A from sigmoid_forward([[0, 2, -2]])", rtol=1e-7)
if not (np.shape(_cache) == _Z.shape and np.allclose(_cache, _A)):
    fail("the cache of sigmoid_forward should be A, the layer's OUTPUT: the "
         "derivative A (1 - A) needs it (caching Z leads to Z (1 - Z), which "
         "is wrong).")
_big = np.array([[-1000.0, 0.0, 1000.0], [-710.0, 1e-3, 750.0]])
with np.errstate(over="ignore"):       # an overflow warning is no error
    _A, _ = unpack(sigmoid_forward(_big), ("A", "cache"),
                         "sigmoid_forward(Z)")
if not (np.all(np.isfinite(_A))):
    fail("sigmoid_forward returns NaN or inf for |Z| near 1000: exp(Z) "
         "overflows. Write sigma with exp(-|Z|), which is at most 1.")
assert_close(_A, cun.sigmoid(_big), "sigmoid_forward for |Z| up to 1000",
             rtol=1e-7, atol=1e-12)
assert_not_delegating(sigmoid_forward, cun.sigmoid_forward, cun.sigmoid,
                      cun.sigmoid_backward, cun.MLP)
assert_no_framework(sigmoid_forward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1401)
for _shapeh in [(1, 1), (3, 1), (1, 4), (4, 5)]:
    _Zh = _rng.normal(scale=4.0, size=_shapeh)
    _callh = f"sigmoid_forward(Z) for Z of shape {_shapeh}"
    _Ah, _cacheh = unpack(
        call_checked(sigmoid_forward, _Zh, name=_callh), ("A", "cache"),
        _callh)
    assert_close(_Ah, cun.sigmoid_forward(_Zh)[0], f"A from {_callh}",
                 atol=1e-12, rtol=1e-7)
    if not (np.shape(_cacheh) == _shapeh and np.allclose(_cacheh, _Ah)):
        fail("the cache of sigmoid_forward should be A, the layer's output.")
### END HIDDEN TESTS
passed("sigmoid_forward: sigma(Z), finite, cache A")

# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Is dZ = dA * A * (1 - A), with A the cached output?"""
_A = np.array([[0.5, 0.8, 0.1]])
_dA = np.array([[1.0, 2.0, -1.0]])
_sig = lambda t: 1 / (1 + np.exp(-t))
_dZ = call_checked(sigmoid_backward, _dA, _A,
                   name="sigmoid_backward(dA, A)")
assert_gradient_close(
    _dZ, np.array([[0.25, 0.32, -0.09]]), "dZ from sigmoid_backward(dA, A)",
    wrt="Z",
    mistakes=[
        (_A * (1 - _A), "it is A (1 - A) alone: multiply by the upstream "
         "gradient dA (the chain rule)."),
        (_dA * _sig(_A) * (1 - _sig(_A)), "it applies the sigmoid to the "
         "cache again: the cache already holds A = sigma(Z), so "
         "sigma'(Z) = A (1 - A)."),
        (_dA * (1 - _A), "a factor A is missing: sigma'(Z) = A (1 - A)."),
    ])
# With the cache of your own sigmoid_forward:
_Z = np.array([[0.3, -1.5, 2.0], [0.0, 4.0, -0.7]])
_G = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
_A = _sig(_Z)
_, _cache = unpack(sigmoid_forward(_Z), ("A", "cache"),
                         "sigmoid_forward(Z)")
assert_gradient_close(
    call_checked(sigmoid_backward, _G, _cache,
                 name="sigmoid_backward(dA, cache)"),
    _G * _A * (1 - _A),
    "sigmoid_backward(dA, cache) with the cache of your sigmoid_forward",
    wrt="Z",
    mistakes=[(_G * _Z * (1 - _Z), "it is dA Z (1 - Z): the derivative is "
               "A (1 - A) with A = sigma(Z), the layer's OUTPUT. Cache A "
               "in sigmoid_forward and use it.")])
assert_backward_matches_forward(sigmoid_forward, sigmoid_backward,
                                {"Z": _Z}, "sigmoid")
assert_not_delegating(sigmoid_backward, cun.sigmoid_forward, cun.sigmoid,
                      cun.sigmoid_backward, cun.MLP)
assert_no_framework(sigmoid_backward)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1402)
for _shapeh in [(1, 1), (3, 1), (1, 4), (4, 5)]:
    _Zh = _rng.normal(scale=2.0, size=_shapeh)
    _Ah = cun.sigmoid(_Zh)
    _dAh = _rng.normal(size=_shapeh)
    _callh = f"sigmoid_backward(dA, A) for A of shape {_shapeh}"
    assert_gradient_close(  # hidden
        call_checked(sigmoid_backward, _dAh, _Ah, name=_callh),
        cun.sigmoid_backward(_dAh, _Ah), f"dZ from {_callh}", wrt="Z")
    assert_backward_matches_forward(  # hidden
        sigmoid_forward, sigmoid_backward, {"Z": _Zh}, "sigmoid",
        seed=_Zh.size)
### END HIDDEN TESTS
passed("sigmoid_backward: dA * A * (1 - A)")


# %% [markdown]
# ## 6. Losses: mean squared error
#
# A loss turns the network's output into one number, and its gradient is
# where every backward pass starts. For predictions $\hat Y$ and targets
# $Y$, both $(N, C)$, the **mean squared error** averages over all
# $N \times C$ entries:
# $$L = \frac{1}{NC} \sum_{n, c} (\hat Y_{nc} - Y_{nc})^2, \qquad
# d\hat Y = \frac{\partial L}{\partial \hat Y} = \frac{2}{NC}(\hat Y - Y) \quad (N, C).$$
# For one sample ($N = 1$) this is section 3's $c = \frac{1}{n}\|a - y\|^2$
# and its $\frac{2}{n}(a - y)$. The $\frac{1}{NC}$ goes into the gradient
# too: forget it and every gradient of the network is $NC$ times too large.
#
# With one output ($C = 1$) targets often arrive as a vector of shape
# $(N,)$ while predictions are $(N, 1)$: reshape the targets first, or
# section 1's broadcasting turns $\hat Y - Y$ into an $(N, N)$ matrix.
#
# ### Exercise 5: mean squared error (3 points)
#
# Write `mse_loss(Y_hat, Y)` returning `(loss, dY_hat)`: the loss as one
# number and its gradient, shape of `Y_hat`. Accept targets `Y` of the shape
# of `Y_hat`, or `(N,)` when `Y_hat` is `(N, 1)`.

# %% nbgrader={"grade": false, "grade_id": "mse_loss", "locked": false, "schema_version": 3, "solution": true}
def mse_loss(Y_hat, Y):
    """Mean squared error over all N x C entries, and its gradient.

    Y_hat: (N, C) float64 predictions; Y: (N, C) targets, or (N,) when
    C = 1.
    Returns loss: float, the mean of (Y_hat - Y)**2, and
    dY_hat: (N, C) = 2 (Y_hat - Y) / (N C).
    """
    ### BEGIN SOLUTION
    Y_hat = np.asarray(Y_hat, dtype=np.float64)
    Y = np.reshape(Y, Y_hat.shape)        # (N,) targets become (N, 1)
    diff = Y_hat - Y
    loss = float(np.mean(diff ** 2))
    dY_hat = 2 * diff / diff.size
    return loss, dY_hat
    ### END SOLUTION


# %% [markdown]
# For $\hat Y = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$ and
# $Y = \begin{pmatrix} 0 & 2 \\ 1 & 1 \end{pmatrix}$ the errors are
# $1, 0, 2, 3$, so it should give `loss = 14 / 4 = 3.5` and
# `dY_hat = [[0.5, 0], [1, 1.5]]`:

# %%
loss_m, dY_m = mse_loss(np.array([[1.0, 2.0], [3.0, 4.0]]),
                        np.array([[0.0, 2.0], [1.0, 1.0]]))
print(loss_m)
print(dY_m)

# %% nbgrader={"grade": true, "grade_id": "test_mse_loss_value", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is the loss the mean of the squared errors over all N x C entries?"""
_Yh = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
_Y = np.array([[0.0, 2.0], [1.0, 1.0], [0.0, 1.0]])
_call = "mse_loss(Y_hat, Y)"
_loss, _ = unpack(call_checked(mse_loss, _Yh, _Y, name=_call),
                        ("loss", "dY_hat"), _call)
if not (np.size(_loss) == 1):
    fail(f"the loss from {_call} should be one number, not an array of shape "
         f"{np.shape(_loss)}: average over every entry.")
assert_gradient_close(
    float(np.asarray(_loss).ravel()[0]), 18.0 / 6,
    f"the loss from {_call} with Y_hat of shape (3, 2)",
    mistakes=[(18.0 / 3, "it divides by N only: the mean runs over all "
               "N x C entries, so divide by N C (Y_hat.size)."),
              (18.0 / 2, "it divides by C only: the mean runs over all "
               "N x C entries, so divide by N C (Y_hat.size)."),
              (18.0, "it is the sum of the squared errors: the loss is "
               "their MEAN over all N x C entries.")])
assert_not_delegating(mse_loss, cun.mse_loss, cun.MLP)
assert_no_framework(mse_loss)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1501)
for _shapeh in [(1, 1), (5, 1), (1, 4), (3, 5)]:
    _Yhh, _Yh = _rng.normal(size=_shapeh), _rng.normal(size=_shapeh)
    _callh = f"mse_loss(Y_hat, Y) for Y_hat of shape {_shapeh}"
    _lossh, _ = unpack(call_checked(mse_loss, _Yhh, _Yh, name=_callh),
                            ("loss", "dY_hat"), _callh)
    if not (np.size(_lossh) == 1):
        fail(f"the loss from {_callh} should be one number.")
    assert_close(float(np.asarray(_lossh).ravel()[0]),
                 cun.mse_loss(_Yhh, _Yh)[0], f"the loss from {_callh}")
### END HIDDEN TESTS
passed("mse_loss: the mean of the squared errors")

# %% nbgrader={"grade": true, "grade_id": "test_mse_gradient", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is dY_hat = 2 (Y_hat - Y) / (N C), the derivative of the loss?"""
_Yh = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
_Y = np.array([[0.0, 2.0], [1.0, 1.0], [0.0, 1.0]])
_diff = _Yh - _Y
_call = "mse_loss(Y_hat, Y)"
_, _dY = unpack(call_checked(mse_loss, _Yh, _Y, name=_call),
                      ("loss", "dY_hat"), _call)
assert_gradient_close(
    _dY, 2 * _diff / 6, f"dY_hat from {_call} with Y_hat of shape (3, 2)",
    wrt="Y_hat",
    mistakes=[
        (2 * _diff, "the 1/(N C) of the mean is missing: the loss averages "
         "over all N x C entries, and so does its gradient."),
        (2 * _diff / 3, "it divides by N only: the mean runs over all "
         "N x C entries, so divide by N C (Y_hat.size)."),
        (2 * _diff / 2, "it divides by C only: the mean runs over all "
         "N x C entries, so divide by N C (Y_hat.size)."),
    ])
# Against central differences of your own loss (when the loss is right;
# its own cell judges it):
_own = lambda P: float(np.asarray(mse_loss(P, _Y)[0]).ravel()[0])
if np.isclose(_own(_Yh), 3.0):
    assert_gradient_close(_dY, cud.numerical_gradient(_own, _Yh),
                          f"dY_hat from {_call} (compared with central "
                          f"differences of your loss)", wrt="Y_hat",
                          rtol=1e-5, atol=1e-7)
assert_not_delegating(mse_loss, cun.mse_loss, cun.MLP)
assert_no_framework(mse_loss)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1502)
for _shapeh in [(1, 1), (5, 1), (1, 4), (3, 5)]:
    _Yhh, _Yh = _rng.normal(size=_shapeh), _rng.normal(size=_shapeh)
    _callh = f"mse_loss(Y_hat, Y) for Y_hat of shape {_shapeh}"
    _, _dYh = unpack(call_checked(mse_loss, _Yhh, _Yh, name=_callh),
                          ("loss", "dY_hat"), _callh)
    assert_gradient_close(_dYh, cun.mse_loss(_Yhh, _Yh)[1],
                          f"dY_hat from {_callh}", wrt="Y_hat",
                          n_samples=_Yhh.size)
### END HIDDEN TESTS
passed("mse_loss: dY_hat = 2 (Y_hat - Y) / (N C)")

# %% nbgrader={"grade": true, "grade_id": "test_mse_column_targets", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""With Y_hat (N, 1) and targets Y (N,), are loss and gradient right?"""
_Yh = np.array([[1.0], [2.0], [4.0], [0.0]])          # (N, 1)
_Y = np.array([0.0, 2.0, 1.0, 1.0])                   # (N,)
_call = "mse_loss(Y_hat, Y) with Y_hat (4, 1) and Y (4,)"
_loss, _dY = unpack(call_checked(mse_loss, _Yh, _Y, name=_call),
                          ("loss", "dY_hat"), _call)
if not (np.shape(_dY) != (4, 4)):
    fail(f"dY_hat from {_call} has shape (4, 4): Y_hat (N, 1) minus Y (N,) "
         f"broadcasts to an (N, N) matrix. Check (n,) vs (n, 1): reshape Y to "
         f"the shape of Y_hat first.")
if not (np.size(_loss) == 1):
    fail(f"the loss from {_call} should be one number.")
assert_close(float(np.asarray(_loss).ravel()[0]), 11.0 / 4,
             f"the loss from {_call}")
assert_gradient_close(_dY, np.array([[0.5], [0.0], [1.5], [-0.5]]),
                      f"dY_hat from {_call}", wrt="Y_hat")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1503)
for _Nh in (1, 3, 7):
    _Yhh, _Yh = _rng.normal(size=(_Nh, 1)), _rng.normal(size=_Nh)
    _callh = f"mse_loss(Y_hat, Y) with Y_hat ({_Nh}, 1) and Y ({_Nh},)"
    _lossh, _dYh = unpack(call_checked(mse_loss, _Yhh, _Yh, name=_callh),
                              ("loss", "dY_hat"), _callh)
    _ref_lossh, _ref_dYh = cun.mse_loss(_Yhh, _Yh)
    assert_close(float(np.asarray(_lossh).ravel()[0]), _ref_lossh,
                 f"the loss from {_callh}")
    assert_gradient_close(_dYh, _ref_dYh, f"dY_hat from {_callh}", wrt="Y_hat")
### END HIDDEN TESTS
passed("mse_loss: (N,) targets for (N, 1) predictions")

# %% [markdown]
# ### Worked examples with your layers
#
# **Example 1: section 3's layer, batched.** One sample is a batch with
# $N = 1$: $X = x^T$ (shape `(1, 2)`), and the weight in the samples-as-rows
# layout is the transpose of the column-form $W$. The chain
# affine → sigmoid → MSE, run forwards and then backwards with your
# functions, must reproduce the hand-derived $\partial c / \partial W$
# (transposed) and $\partial c / \partial x$:

# %%
X1 = x_col[None, :]                        # (1, 2): one sample as a row
Z1, cache_aff = affine_forward(X1, W_col.T, b_col)
A1, cache_sig = sigmoid_forward(Z1)
c1, dA1 = mse_loss(A1, y_col[None, :])
dX1, dW1, db1 = affine_backward(sigmoid_backward(dA1, cache_sig), cache_aff)
print("cost:", c1, "(section 3:", layer_cost(W_col, b_col, x_col), ")")
print("dW^T equals section 3's outer product:", np.allclose(dW1.T, dc_dW))
print("dX equals dc/dx:", np.allclose(dX1[0], dc_dx),
      "  db equals dc/db:", np.allclose(db1, dc_db))

# %% [markdown]
# **Example 2: the 4 → 6 → 6 → 2 → 2 network.** Four affine layers with
# sigmoids between them and an MSE loss on a batch of 5. The backward pass
# visits the layers in reverse, each `*_backward` consuming the gradient
# the next layer handed back, and every gradient comes out with the shape of
# its parameter. A gradient check of the first layer's weights closes the
# example (section 8 explains the number):

# %%
sizes = [4, 6, 6, 2, 2]
net_rng = np.random.default_rng(40)
params_net = {}
for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
    scale = 1 / np.sqrt(fan_in)
    params_net[f"W{l}"] = net_rng.normal(size=(fan_in, fan_out)) * scale
    params_net[f"b{l}"] = net_rng.normal(size=fan_out) * 0.1
X_net = net_rng.normal(size=(5, 4))
Y_net = net_rng.normal(size=(5, 2))
n_layers = len(sizes) - 1


def net_loss_and_grads(params):
    """Forward and backward through the network with your layers."""
    A, caches = X_net, []
    for l in range(1, n_layers + 1):
        Z, c_aff = affine_forward(A, params[f"W{l}"], params[f"b{l}"])
        if l < n_layers:
            A, c_act = sigmoid_forward(Z)
        else:
            A, c_act = Z, None                  # no activation at the end
        caches.append((c_aff, c_act))
    loss, dA = mse_loss(A, Y_net)
    grads = {}
    for l in range(n_layers, 0, -1):
        c_aff, c_act = caches[l - 1]
        dZ = dA if c_act is None else sigmoid_backward(dA, c_act)
        dA, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dZ, c_aff)
    return loss, grads


loss_net, grads_net = net_loss_and_grads(params_net)
print(f"loss {loss_net:.4f}")
for name in params_net:
    print(f"{name}: parameter {str(params_net[name].shape):<8}"
          f" gradient {grads_net[name].shape}")


def loss_of_W1(W1):
    return net_loss_and_grads(dict(params_net, W1=W1))[0]


numeric_W1 = cud.numerical_gradient(loss_of_W1, params_net["W1"])
print("relative error of dW1:",
      f"{cun.gradient_error(grads_net['W1'], numeric_W1):.1e}")


# %% [markdown]
# **Example 3**, the two-layer ReLU classifier, is exercise 7 below, after
# the loss it needs.
#
# ## 7. Softmax and cross-entropy
#
# A classifier's last layer produces **scores** $S$, shape $(N, C)$, one row
# per sample, one column per class. The softmax turns each row into
# probabilities,
# $$p_{nk} = \frac{e^{s_{nk}}}{\sum_j e^{s_{nj}}},$$
# and the cross-entropy loss is the mean over the batch of
# $-\log p_{n, y_n}$, the negative log-probability of each sample's true
# label $y_n$.
#
# **The gradient.** Drop the sample index and write $p_k$ for one row.
# Differentiating the quotient gives
# $$\frac{\partial p_k}{\partial s_j} = p_k(\delta_{kj} - p_j),$$
# with the Kronecker delta $\delta_{kj}$ (1 if $k = j$, else 0). For the
# loss $\ell = -\log p_y$ of one sample,
# $$\frac{\partial \ell}{\partial s_j} = -\frac{1}{p_y}\,\frac{\partial p_y}{\partial s_j} = -\frac{1}{p_y}\,p_y(\delta_{yj} - p_j) = p_j - \delta_{yj}:$$
# the probabilities, minus 1 at the true class. Averaging over the batch
# divides by $N$:
# $$dS = \frac{1}{N}\big(P - \operatorname{onehot}(y)\big), \qquad (N, C).$$
#
# **Keeping it finite.** $e^{1000}$ overflows to `inf`, and `inf / inf` is
# `nan`. Softmax does not change when the same number is subtracted from a
# whole row, so subtract each row's maximum first: every exponent is then
# at most 0, and the largest term is exactly 1. The loss then comes from
# the log-sum-exp,
# $$-\log p_{y} = \log \sum_j e^{s_j - m} - (s_y - m), \qquad m = \max_j s_j,$$
# without ever taking the log of a rounded-to-zero probability.
#
# ### Exercise 6: softmax cross-entropy (3 points)
#
# Write `softmax_cross_entropy(S, y)` returning `(loss, dS)`: the mean
# cross-entropy over the batch (one number) and $dS$, finite for scores as
# large as $10^3$. `y` holds integer labels; `P[np.arange(N), y]` picks each
# row's entry at its own label.

# %% nbgrader={"grade": false, "grade_id": "softmax_cross_entropy", "locked": false, "schema_version": 3, "solution": true}
def softmax_cross_entropy(S, y):
    """Softmax cross-entropy, mean over the batch, and its gradient.

    S: (N, C) float64 scores; y: (N,) integer labels in 0..C-1.
    Returns loss: float, the mean of -log softmax(S)[n, y[n]], and
    dS: (N, C) = (softmax(S) - onehot(y)) / N.
    """
    ### BEGIN SOLUTION
    S = np.asarray(S, dtype=np.float64)
    N = S.shape[0]
    rows = np.arange(N)
    shifted = S - S.max(axis=1, keepdims=True)     # every exponent <= 0
    log_sum = np.log(np.exp(shifted).sum(axis=1))  # (N,)
    loss = float(np.mean(log_sum - shifted[rows, y]))
    dS = np.exp(shifted - log_sum[:, None])        # the softmax P
    dS[rows, y] -= 1
    dS /= N
    return loss, dS
    ### END SOLUTION


# %% [markdown]
# For the scores below (row 1 all equal, row 2 with $s_{2,1} = \ln 3$) and
# labels `[2, 0]` the probabilities are $(\frac14, \frac14, \frac14, \frac14)$
# and $(\frac12, \frac16, \frac16, \frac16)$, so it should give
# `loss = (ln 4 + ln 2) / 2 = 1.5 ln 2 ≈ 1.0397` and
# `dS = [[0.125, 0.125, -0.375, 0.125], [-0.25, 0.0833, 0.0833, 0.0833]]`;
# for scores of size 1000 the loss should stay finite (`≈ 1000.6566` for
# the second example, where the first sample's label has probability
# $e^{-2000}$, which rounds to 0):

# %%
S_demo = np.array([[0.0, 0.0, 0.0, 0.0], [np.log(3.0), 0.0, 0.0, 0.0]])
loss_s, dS_s = softmax_cross_entropy(S_demo, np.array([2, 0]))
print(loss_s, 1.5 * np.log(2))
print(dS_s)
print(softmax_cross_entropy(np.array([[1000.0, 0.0, -1000.0],
                                      [0.0, 1000.0, 999.0]]),
                            np.array([2, 2]))[0])

# %% nbgrader={"grade": true, "grade_id": "test_softmax_ce_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is the loss the mean over the batch of -log p[n, y[n]]?"""
_S = np.array([[0.0, 0.0, 0.0, 0.0], [np.log(3.0), 0.0, 0.0, 0.0]])
_y = np.array([2, 0])
_call = "softmax_cross_entropy(S, y)"
_loss, _ = unpack(call_checked(softmax_cross_entropy, _S, _y,
                                     name=_call), ("loss", "dS"), _call)
if not (np.size(_loss) == 1):
    fail(f"the loss from {_call} should be one number (the mean over the "
         f"batch), not an array of shape {np.shape(_loss)}.")
assert_gradient_close(float(np.asarray(_loss).ravel()[0]),
                      1.5 * np.log(2.0), f"the loss from {_call}",
                      n_samples=2)
assert_not_delegating(softmax_cross_entropy, cun.softmax_cross_entropy,
                      cun.softmax, cun.MLP)
assert_no_framework(softmax_cross_entropy)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1601)
for _Nh, _Ch in [(1, 2), (1, 1), (5, 3), (4, 7), (6, 2)]:
    _Sh = _rng.normal(scale=3.0, size=(_Nh, _Ch))
    _yh = _rng.integers(0, _Ch, size=_Nh)
    _callh = f"softmax_cross_entropy(S, y) for S of shape {(_Nh, _Ch)}"
    _lossh, _ = unpack(call_checked(softmax_cross_entropy, _Sh, _yh,
                                         name=_callh), ("loss", "dS"), _callh)
    if not (np.size(_lossh) == 1):
        fail(f"the loss from {_callh} should be one number.")
    assert_gradient_close(float(np.asarray(_lossh).ravel()[0]),
                          cun.softmax_cross_entropy(_Sh, _yh)[0],
                          f"the loss from {_callh}", n_samples=_Nh,
                          atol=1e-10)
### END HIDDEN TESTS
passed("softmax_cross_entropy: the mean cross-entropy")

# %% nbgrader={"grade": true, "grade_id": "test_softmax_ce_gradient", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is dS = (softmax(S) - onehot(y)) / N?"""
_S = np.array([[0.0, 0.0, 0.0, 0.0], [np.log(3.0), 0.0, 0.0, 0.0]])
_y = np.array([2, 0])
_P = np.array([[0.25, 0.25, 0.25, 0.25], [0.5, 1 / 6, 1 / 6, 1 / 6]])
_onehot = np.array([[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
_by_columns = _P.copy()
_by_columns[:, _y] -= 1
_call = "softmax_cross_entropy(S, y)"
_, _dS = unpack(call_checked(softmax_cross_entropy, _S, _y,
                                   name=_call), ("loss", "dS"), _call)
assert_gradient_close(
    _dS, (_P - _onehot) / 2, f"dS from {_call}", wrt="S", n_samples=2,
    mistakes=[
        (_by_columns / 2, "1 was subtracted from whole columns: P[:, y] "
         "picks column y[n] in EVERY row. Subtract it only at each "
         "sample's own label, P[np.arange(N), y]."),
        (_P / 2, "it is softmax / N: subtract the one-hot of the labels "
         "(1 at each sample's true class)."),
    ])
# Against central differences of your own loss (when the loss is right;
# its own cell judges it):
_S2 = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.4], [1.5, 1.0, 0.2]])
_y2 = np.array([2, 0, 1])
_, _dS2 = unpack(softmax_cross_entropy(_S2, _y2), ("loss", "dS"),
                       _call)
_own = lambda T: float(
    np.asarray(softmax_cross_entropy(T, _y2)[0]).ravel()[0])
if np.isclose(_own(_S2), cun.softmax_cross_entropy(_S2, _y2)[0]):
    assert_gradient_close(_dS2, cud.numerical_gradient(_own, _S2),
                          f"dS from {_call} (compared with central "
                          f"differences of your loss)", wrt="S",
                          n_samples=3, rtol=1e-5, atol=1e-8)
assert_not_delegating(softmax_cross_entropy, cun.softmax_cross_entropy,
                      cun.softmax, cun.MLP)
assert_no_framework(softmax_cross_entropy)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1602)
for _Nh, _Ch in [(1, 2), (1, 1), (5, 3), (4, 7), (6, 2)]:
    _Sh = _rng.normal(scale=3.0, size=(_Nh, _Ch))
    _yh = _rng.integers(0, _Ch, size=_Nh)
    _callh = f"softmax_cross_entropy(S, y) for S of shape {(_Nh, _Ch)}"
    _, _dSh = unpack(call_checked(softmax_cross_entropy, _Sh, _yh,
                                       name=_callh), ("loss", "dS"), _callh)
    assert_gradient_close(_dSh, cun.softmax_cross_entropy(_Sh, _yh)[1],
                          f"dS from {_callh}", wrt="S", n_samples=_Nh,
                          atol=1e-10)
### END HIDDEN TESTS
passed("softmax_cross_entropy: dS = (P - onehot) / N")

# %% nbgrader={"grade": true, "grade_id": "test_softmax_ce_large_scores", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Do loss and gradient stay finite and right for scores of size 1000?"""
_S = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
_y = np.array([2, 2])
_call = "softmax_cross_entropy(S, y) for scores of size 1000"
_overflow = (
    f"{_call} returns NaN or inf. Either exp(1000) overflowed (subtract "
    f"each row's largest score before taking exp: softmax does not "
    f"change), or the log of a probability that rounded to 0 gave -inf "
    f"(take the loss from the log-sum-exp, log(sum(exp(s - m))) - "
    f"(s_y - m), not from log(P)).")
with np.errstate(all="ignore"):        # warnings are no error; NaN is
    _loss, _dS = unpack(call_checked(softmax_cross_entropy, _S, _y,
                                           name=_call), ("loss", "dS"),
                              _call)
if not (np.all(np.isfinite(_loss)) and np.all(np.isfinite(_dS))):
    fail(_overflow)
assert_gradient_close(float(np.asarray(_loss).ravel()[0]),
                      (2000 + 1 + np.log1p(np.exp(-1.0))) / 2,
                      f"the loss from {_call}", n_samples=2)
assert_gradient_close(_dS, cun.softmax_cross_entropy(_S, _y)[1],
                      f"dS from {_call}", wrt="S", n_samples=2)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1603)
for _Nh, _Ch in [(1, 3), (4, 5), (3, 2)]:
    _Sh = _rng.normal(scale=1e3, size=(_Nh, _Ch))
    _yh = _rng.integers(0, _Ch, size=_Nh)
    _callh = f"softmax_cross_entropy(S, y) for S {(_Nh, _Ch)} of size 1e3"
    with np.errstate(all="ignore"):  # warnings are no error
        _lossh, _dSh = unpack(call_checked(softmax_cross_entropy, _Sh,
                                               _yh, name=_callh),
                                  ("loss", "dS"), _callh)
    _ref_lossh, _ref_dSh = cun.softmax_cross_entropy(_Sh, _yh)
    if not (np.all(np.isfinite(_lossh)) and np.all(np.isfinite(_dSh))):
        fail(_overflow.replace("for scores of size 1000", f"for S {(_Nh, _Ch)}"))
    assert_close(float(np.asarray(_lossh).ravel()[0]), _ref_lossh,
                 f"the loss from {_callh}", rtol=1e-9)
    assert_gradient_close(_dSh, _ref_dSh, f"dS from {_callh}", wrt="S",
                          n_samples=_Nh, atol=1e-10)
### END HIDDEN TESTS
passed("softmax_cross_entropy: finite for scores of size 1000")

# %% [markdown]
# ## 8. Gradient checking
#
# Every gradient in this chapter was derived by hand, and a hand derivation
# can be wrong in ways that still run. The safety net is to compare the
# analytic gradient $a$ with central differences $n$ of the loss
# (chapter 01) through the **relative error**
# $$\text{err} = \frac{\max_i |a_i - n_i|}{\max\big(\max_i |a_i|,\ \max_i |n_i|\big)}$$
# (`cun.gradient_error`), scaled by the largest entry of the whole
# gradient, not entry by entry, so that exact zeros (a dead ReLU unit) do
# not turn round-off into an error of 1. Rules of thumb (float64,
# $h \approx 10^{-5}$, the centred formula, a few samples):
#
# | relative error | verdict |
# |---|---|
# | about $10^{-7}$ or below | right |
# | $10^{-7}$ to $10^{-4}$ | fine where the loss has kinks (ReLU), suspicious otherwise |
# | $10^{-4}$ to $10^{-2}$ | uncomfortable: usually a bug |
# | above $10^{-2}$ | wrong |
#
# **float64 only.** In float32 the round-off of each loss value is about
# $10^{-7}$ of the loss, and dividing by $2h$ magnifies it: the best
# possible relative error is around $10^{-4}$ to $10^{-3}$, where a small
# bug hides in the noise. The figure checks the affine → sigmoid → MSE gradient $dW$ of the
# reference layers for many steps $h$, in both precisions:

# %%
gc_rng = np.random.default_rng(8)
X_gc = gc_rng.normal(size=(6, 4))
W_gc = gc_rng.normal(size=(4, 3))
b_gc = gc_rng.normal(size=3)
Y_gc = gc_rng.normal(size=(6, 3))


def gc_loss(W, dtype=np.float64):
    """MSE of sigmoid(X W + b) against Y, computed in `dtype`."""
    Z = X_gc.astype(dtype) @ W.astype(dtype) + b_gc.astype(dtype)
    A = 1 / (1 + np.exp(-Z))
    return float(np.mean((A - Y_gc.astype(dtype)) ** 2))


Z_gc, c_aff = cun.affine_forward(X_gc, W_gc, b_gc)
A_gc, c_sig = cun.sigmoid_forward(Z_gc)
_, dA_gc = cun.mse_loss(A_gc, Y_gc)
dW_gc = cun.affine_backward(cun.sigmoid_backward(dA_gc, c_sig), c_aff)[1]

hs = np.logspace(-10, -1, 19)
errors = {}
for dtype in (np.float64, np.float32):
    errors[dtype.__name__] = [
        cun.gradient_error(dW_gc, cud.numerical_gradient(
            lambda W: gc_loss(W, dtype), W_gc, h)) for h in hs]
fig, ax = plt.subplots(figsize=(6, 3.8))
for name, errs in errors.items():
    ax.loglog(hs, errs, "o-", ms=3, label=name)
ax.axhline(1e-7, color="C2", ls="--", lw=1, label="1e-7: right")
ax.axhline(1e-2, color="C3", ls="--", lw=1, label="1e-2: wrong")
ax.set_xlabel("step h")
ax.set_ylabel("relative error of dW")
ax.legend(fontsize=8)
ax.set_title("Gradient check of a correct gradient");
print("best float64:", f"{min(errors['float64']):.1e}",
      " best float32:", f"{min(errors['float32']):.1e}")
dW_wrong = cun.affine_backward(dA_gc, c_aff)[1]     # sigma' forgotten
for h in (1e-5, 1e-3, 1e-1):
    numeric = cud.numerical_gradient(gc_loss, W_gc, h)
    print(f"a wrong dW (sigma' forgotten), h = {h:.0e}: "
          f"{cun.gradient_error(dW_wrong, numeric):.1e}")


# %% [markdown]
# The float64 curve is the V of chapter 01: its bottom, near
# $h = 10^{-5}$, lies far below $10^{-7}$. The float32 curve is worse at
# every step: at best about $10^{-4}$, reached only at a step as large as
# $h \approx 10^{-2}$, and for $h$ below about $10^{-6}$ the error is 1,
# because a nudge that small is lost when $W + h$ is rounded to float32,
# so both sides of every difference are the same number. A wrong
# gradient, here $dW$ without the sigmoid's derivative, is off by about 1
# at every step (the last lines above).
#
# ### Exercise 7: a two-layer network's gradients (4 points)
#
# Put the pieces together: the classifier
# $$X \to Z_1 = X W_1 + b_1 \to A_1 = \operatorname{ReLU}(Z_1) \to S = A_1 W_2 + b_2 \to L = \text{softmax cross-entropy}(S, y),$$
# with `params` a dict holding `W1` (D, H), `b1` (H,), `W2` (H, C) and
# `b2` (C,). Write `two_layer_loss_and_grads(X, y, params)` returning the
# loss and a dict `grads` with the same keys, each gradient the shape of its
# parameter. Your layer functions from exercises 2, 3 and 6 do all the work:
# run them forwards, keeping the caches, then backwards in reverse order.
# Do not modify `params`.
#
# The tests of this exercise run your function with the reference layers
# of `course_utils.nn` in place of yours (under the same names), so that
# a mistake in an earlier exercise costs points there and not again here.
# The check below the exercise runs it with your own layers.

# %% nbgrader={"grade": false, "grade_id": "two_layer", "locked": false, "schema_version": 3, "solution": true}
def two_layer_loss_and_grads(X, y, params):
    """Loss and gradients of affine - ReLU - affine - softmax CE.

    X: (N, D) float64; y: (N,) integer labels in 0..C-1.
    params: {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}.
    Returns loss: float, and grads: a dict with the keys of params,
    each gradient the shape of its parameter.
    """
    ### BEGIN SOLUTION
    Z1, cache1 = affine_forward(X, params["W1"], params["b1"])
    A1, cache_relu = relu_forward(Z1)
    S, cache2 = affine_forward(A1, params["W2"], params["b2"])
    loss, dS = softmax_cross_entropy(S, y)
    dA1, dW2, db2 = affine_backward(dS, cache2)
    dZ1 = relu_backward(dA1, cache_relu)
    _, dW1, db1 = affine_backward(dZ1, cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION


# %% [markdown]
# On the small network below, with your own layers, the gradient check
# should report relative errors around $10^{-9}$ or smaller for every
# parameter. A large error here while the tests of exercise 7 pass points
# to one of your layers (their own tests say which):

# %%
tl_rng = np.random.default_rng(7)
params_tl = {"W1": tl_rng.normal(size=(3, 5)), "b1": tl_rng.normal(size=5),
             "W2": tl_rng.normal(size=(5, 4)), "b2": tl_rng.normal(size=4)}
X_tl = tl_rng.normal(size=(6, 3))
y_tl = tl_rng.integers(0, 4, size=6)
loss_tl, grads_tl = two_layer_loss_and_grads(X_tl, y_tl, params_tl)
print(f"loss {loss_tl:.4f}")
for name in params_tl:
    numeric = cud.numerical_gradient(
        lambda p: two_layer_loss_and_grads(
            X_tl, y_tl, dict(params_tl, **{name: p}))[0], params_tl[name])
    print(f"d{name}: shape {grads_tl[name].shape}, relative error "
          f"{cun.gradient_error(grads_tl[name], numeric):.1e}")

# %% nbgrader={"grade": true, "grade_id": "test_two_layer_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is the loss the softmax cross-entropy of the network's scores?"""
# Your network runs with the reference layers of course_utils.nn in place
# of yours (inside `with cun.reference_layers(...)`), so that a mistake in
# exercises 2, 3 or 6 costs points there, not again here.
_layers = (affine_forward, affine_backward, relu_forward, relu_backward,
           softmax_cross_entropy)
_forbidden = (cun.affine_forward, cun.affine_backward, cun.relu_forward,
              cun.relu_backward, cun.softmax_cross_entropy, cun.softmax,
              cun.MLP, cun.mlp_gradient_check)
_call = "two_layer_loss_and_grads(X, y, params)"
_rng = np.random.default_rng(16)
_params = {"W1": _rng.normal(size=(2, 3)), "b1": _rng.normal(size=3),
           "W2": _rng.normal(size=(3, 2)), "b2": _rng.normal(size=2)}
_X = _rng.normal(size=(4, 2))
_y = np.array([0, 1, 1, 0])
with cun.reference_layers(globals()):
    _loss, _grads = call_network(two_layer_loss_and_grads, _X, _y, _params)
if not (np.size(_loss) == 1):
    fail(f"the loss from {_call} should be one number.")
_Z1 = _X @ _params["W1"] + _params["b1"]
_S = np.maximum(_Z1, 0) @ _params["W2"] + _params["b2"]
assert_gradient_close(
    float(np.asarray(_loss).ravel()[0]),
    cun.softmax_cross_entropy(_S, _y)[0], f"the loss from {_call}",
    mistakes=[(cun.softmax_cross_entropy(_Z1 @ _params["W2"] + _params["b2"],
                                         _y)[0],
               "it is the loss of the network WITHOUT the ReLU: the second "
               "layer takes A1 = ReLU(Z1), not Z1.")])
assert_network_not_delegating(two_layer_loss_and_grads, _layers, *_forbidden)
assert_no_framework(two_layer_loss_and_grads)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1701)
for _Nh, _Dh, _Hh, _Ch in [(1, 3, 4, 2), (5, 1, 3, 3), (4, 2, 1, 2),
                           (3, 4, 4, 5)]:
    _paramsh = {"W1": _rng.normal(size=(_Dh, _Hh)),
                "b1": _rng.normal(size=_Hh),
                "W2": _rng.normal(size=(_Hh, _Ch)),
                "b2": _rng.normal(size=_Ch)}
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _yh = _rng.integers(0, _Ch, size=_Nh)
    _callh = (f"two_layer_loss_and_grads with N, D, H, C = "
              f"{_Nh}, {_Dh}, {_Hh}, {_Ch}")
    with cun.reference_layers(namespace=globals()):
        _lossh, _ = call_network(two_layer_loss_and_grads, _Xh, _yh,
                                 _paramsh, name=_callh)
    _A1h = np.maximum(_Xh @ _paramsh["W1"] + _paramsh["b1"], 0)
    _Sh = _A1h @ _paramsh["W2"] + _paramsh["b2"]
    assert_close(float(np.asarray(_lossh).ravel()[0]),
                 cun.softmax_cross_entropy(_Sh, _yh)[0],
                 f"the loss from {_callh}")
### END HIDDEN TESTS
passed("two_layer_loss_and_grads: the loss (run with the "
       "reference layers)")

# %% nbgrader={"grade": true, "grade_id": "test_two_layer_grads_output", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are dW2 and db2 right, with the keys and shapes of params?"""
# Your network runs with the reference layers of course_utils.nn in place
# of yours (inside `with cun.reference_layers(...)`), so that a mistake in
# exercises 2, 3 or 6 costs points there, not again here.
_layers = (affine_forward, affine_backward, relu_forward, relu_backward,
           softmax_cross_entropy)
_forbidden = (cun.affine_forward, cun.affine_backward, cun.relu_forward,
              cun.relu_backward, cun.softmax_cross_entropy, cun.softmax,
              cun.MLP, cun.mlp_gradient_check)
_call = "two_layer_loss_and_grads(X, y, params)"
_rng = np.random.default_rng(17)
_params = {"W1": _rng.normal(size=(3, 4)), "b1": _rng.normal(size=4),
           "W2": _rng.normal(size=(4, 2)), "b2": _rng.normal(size=2)}
_X = _rng.normal(size=(5, 3))
_y = np.array([0, 1, 1, 0, 1])
with cun.reference_layers(globals()):
    _, _grads = call_network(two_layer_loss_and_grads, _X, _y, _params)
if not (isinstance(_grads, dict) and set(_grads) == set(_params)):
    fail(f"grads from {_call} should be a dict with the keys of params, "
         f"W1, b1, W2 and b2.")
# The reference: course_utils.nn's layers, composed.
_Z1, _c1 = cun.affine_forward(_X, _params["W1"], _params["b1"])
_A1, _c2 = cun.relu_forward(_Z1)
_S, _c3 = cun.affine_forward(_A1, _params["W2"], _params["b2"])
_, _dS = cun.softmax_cross_entropy(_S, _y)
_, _dW2, _db2 = cun.affine_backward(_dS, _c3)
assert_gradient_close(_grads["W2"], _dW2, f"grads['W2'] from {_call}",
                      wrt="W2", n_samples=5)
assert_gradient_close(_grads["b2"], _db2, f"grads['b2'] from {_call}",
                      wrt="b2", n_samples=5)
assert_network_not_delegating(two_layer_loss_and_grads, _layers, *_forbidden)
assert_no_framework(two_layer_loss_and_grads)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1702)
for _Nh, _Dh, _Hh, _Ch in [(1, 3, 4, 2), (5, 1, 3, 3), (4, 2, 1, 2),
                           (3, 4, 4, 5)]:
    _paramsh = {"W1": _rng.normal(size=(_Dh, _Hh)),
                "b1": _rng.normal(size=_Hh),
                "W2": _rng.normal(size=(_Hh, _Ch)),
                "b2": _rng.normal(size=_Ch)}
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _yh = _rng.integers(0, _Ch, size=_Nh)
    _callh = (f"two_layer_loss_and_grads with N, D, H, C = "
              f"{_Nh}, {_Dh}, {_Hh}, {_Ch}")
    with cun.reference_layers(namespace=globals()):
        _, _gradsh = call_network(two_layer_loss_and_grads, _Xh, _yh,
                                  _paramsh, name=_callh)
        _loss_ofh = lambda p, k: float(np.asarray(two_layer_loss_and_grads(
            _Xh, _yh, dict(_paramsh, **{k: p}))[0]).ravel()[0])
        _numh = {_kh: cud.numerical_gradient(lambda p: _loss_ofh(p, _kh),
                                             _paramsh[_kh])
                 for _kh in ("W2", "b2")}
    if not (isinstance(_gradsh, dict) and set(_gradsh) == set(_paramsh)):
        fail(f"grads from {_callh} should be a dict with keys W1, b1, W2, "
             f"b2.")
    for _kh in ("W2", "b2"):
        assert_gradient_close(_gradsh[_kh], _numh[_kh],
                              f"grads['{_kh}'] from {_callh}", wrt=_kh,
                              n_samples=_Nh, rtol=1e-5, atol=1e-7)
### END HIDDEN TESTS
passed("two_layer_loss_and_grads: dW2 and db2 (run with the "
       "reference layers)")

# %% nbgrader={"grade": true, "grade_id": "test_two_layer_grads_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Are dW1 and db1 right, through the ReLU mask?"""
# Your network runs with the reference layers of course_utils.nn in place
# of yours (inside `with cun.reference_layers(...)`), so that a mistake in
# exercises 2, 3 or 6 costs points there, not again here.
_layers = (affine_forward, affine_backward, relu_forward, relu_backward,
           softmax_cross_entropy)
_forbidden = (cun.affine_forward, cun.affine_backward, cun.relu_forward,
              cun.relu_backward, cun.softmax_cross_entropy, cun.softmax,
              cun.MLP, cun.mlp_gradient_check)
_call = "two_layer_loss_and_grads(X, y, params)"
_rng = np.random.default_rng(17)
_params = {"W1": _rng.normal(size=(3, 4)), "b1": _rng.normal(size=4),
           "W2": _rng.normal(size=(4, 2)), "b2": _rng.normal(size=2)}
_X = _rng.normal(size=(5, 3))
_y = np.array([0, 1, 1, 0, 1])
with cun.reference_layers(globals()):
    _, _grads = call_network(two_layer_loss_and_grads, _X, _y, _params)
if not (isinstance(_grads, dict) and set(_grads) == set(_params)):
    fail(f"grads from {_call} should be a dict with the keys of params, "
         f"W1, b1, W2 and b2.")
# The reference: course_utils.nn's layers, composed.
_Z1, _c1 = cun.affine_forward(_X, _params["W1"], _params["b1"])
_A1, _c2 = cun.relu_forward(_Z1)
_S, _c3 = cun.affine_forward(_A1, _params["W2"], _params["b2"])
_, _dS = cun.softmax_cross_entropy(_S, _y)
_dA1 = cun.affine_backward(_dS, _c3)[0]
_, _dW1, _db1 = cun.affine_backward(cun.relu_backward(_dA1, _c2), _c1)
_no_mask = cun.affine_backward(_dA1, _c1)
_mask_dA = cun.affine_backward(_dA1 * (_dA1 > 0), _c1)
for _k, _i, _ref in (("W1", 1, _dW1), ("b1", 2, _db1)):
    assert_gradient_close(
        _grads[_k], _ref, f"grads['{_k}'] from {_call}", wrt=_k, n_samples=5,
        mistakes=[(_no_mask[_i], "it matches the gradient WITHOUT the ReLU "
                   "mask: the upstream gradient must be blocked where "
                   "Z1 <= 0 (relu_backward with the cache Z1)."),
                  (_mask_dA[_i], "the ReLU mask was built from the "
                   "upstream gradient; it must come from Z1 > 0.")])
assert_network_not_delegating(two_layer_loss_and_grads, _layers, *_forbidden)
assert_no_framework(two_layer_loss_and_grads)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1703)
for _Nh, _Dh, _Hh, _Ch in [(1, 3, 4, 2), (5, 1, 3, 3), (4, 2, 1, 2),
                           (3, 4, 4, 5)]:
    _paramsh = {"W1": _rng.normal(size=(_Dh, _Hh)),
                "b1": _rng.normal(size=_Hh),
                "W2": _rng.normal(size=(_Hh, _Ch)),
                "b2": _rng.normal(size=_Ch)}
    _Xh = _rng.normal(size=(_Nh, _Dh))
    _yh = _rng.integers(0, _Ch, size=_Nh)
    _callh = (f"two_layer_loss_and_grads with N, D, H, C = "
              f"{_Nh}, {_Dh}, {_Hh}, {_Ch}")
    with cun.reference_layers(namespace=globals()):
        _, _gradsh = call_network(two_layer_loss_and_grads, _Xh, _yh,
                                  _paramsh, name=_callh)
        _loss_ofh = lambda p, k: float(np.asarray(two_layer_loss_and_grads(
            _Xh, _yh, dict(_paramsh, **{k: p}))[0]).ravel()[0])
        _numh = {_kh: cud.numerical_gradient(lambda p: _loss_ofh(p, _kh),
                                             _paramsh[_kh])
                 for _kh in ("W1", "b1")}
    if not (isinstance(_gradsh, dict) and set(_gradsh) == set(_paramsh)):
        fail(f"grads from {_callh} should be a dict with keys W1, b1, W2, "
             f"b2.")
    _Z1h, _c1h = cun.affine_forward(_Xh, _paramsh["W1"], _paramsh["b1"])
    _A1h, _c2h = cun.relu_forward(_Z1h)
    _Sh, _c3h = cun.affine_forward(_A1h, _paramsh["W2"], _paramsh["b2"])
    _dSh = cun.softmax_cross_entropy(_Sh, _yh)[1]
    _dA1h = cun.affine_backward(_dSh, _c3h)[0]
    _, _dW1h, _db1h = cun.affine_backward(cun.relu_backward(_dA1h, _c2h),
                                          _c1h)
    assert_gradient_close(_gradsh["W1"], _dW1h, f"grads['W1'] from {_callh}",
                          wrt="W1", n_samples=_Nh)
    assert_gradient_close(_gradsh["b1"], _db1h, f"grads['b1'] from {_callh}",
                          wrt="b1", n_samples=_Nh)
    for _kh in ("W1", "b1"):
        if not (cun.gradient_error(np.asarray(_gradsh[_kh], dtype=float),
                                   _numh[_kh]) < 1e-5):
            fail(f"grads['{_kh}'] from {_callh} disagrees with central "
                 f"differences of your own loss.")
### END HIDDEN TESTS
passed("two_layer_loss_and_grads: dW1 and db1 through the ReLU (run with the "
       "reference layers)")

# %% [markdown]
# ## 9. The backward pass, one node at a time
#
# The widget below runs a small version of exercise 7's network on **one**
# example ($D = 2$ inputs, $H = 3$ hidden units, $C = 2$ classes) with the
# reference layers of `course_utils.nn`. Move the slider to walk the graph
# backwards, from the loss to the input: the orange node is the one the
# gradient has just reached, green ones are done, and the readout shows the
# formula, the shape and the values of the gradient arriving there, with
# what the forward pass computed at that node.
#
# Follow the middle hidden unit. The forward pass gives it
# $Z_1 \approx -2.0$ (step 4), so ReLU switches it off: $A_1 = 0$ there.
# At step 2 its row of $dW_2$ is 0, since a unit that outputs 0 moved no
# score. At step 3 a gradient does arrive at it ($dA_1 \approx 0.28$:
# the loss *would* change if this unit's output moved), but at step 4 the
# ReLU mask blocks it, because a small change of $Z_1$ leaves the output
# at 0: its entry of $dZ_1$ is 0, and at step 5 so are its column of $dW_1$
# and its entry of $db_1$. The weights into a unit that is off get no
# gradient from this example. The other two units are on and pass their
# gradients through unchanged. Every gradient has the shape of its node.

# %%
w_rng = np.random.default_rng(18)
params_one = {"W1": w_rng.normal(size=(2, 3)), "b1": w_rng.normal(size=3),
              "W2": w_rng.normal(size=(3, 2)), "b2": w_rng.normal(size=2)}
x_one = np.array([[0.5, -1.0]])      # one sample, as a (1, D) row
y_one = np.array([1])
widgets.backprop_widget(x_one, y_one, params_one)

# %% [markdown]
# ## Summary
#
# - Shapes first: `(n,)`, `(n, 1)` and `(1, n)` are different, and
#   broadcasting hides the difference. $C_{ij} = \sum_k A_{ik} B_{kj}$;
#   vectorised NumPy beats Python loops by factors of thousands.
# - Jacobians here are in numerator layout, $(m, n)$, rows over outputs;
#   the Jacobian of $Ax - b$ is $A$, the gradient of $\|y\|^2$ is $2y$. A
#   loss's gradient is stored with the shape of the variable.
# - One layer: $\partial z / \partial b = I$, $\partial z / \partial x = W$,
#   activation Jacobians are diagonal, and $\partial c / \partial W$ is an
#   outer product, not a third-order tensor.
# - Batched, samples as rows: $Z = XW + b$, $dX = dZ\,W^T$, $dW = X^T dZ$,
#   $db = \sum_n dZ_n$. A gradient has the shape of what it differentiates.
# - Backpropagation is the chain rule run backwards over a graph of layers,
#   each a `forward -> (out, cache)` / `backward(dout, cache)` pair; ReLU's
#   backward is a mask (derivative 0 at 0), the sigmoid's is $A(1 - A)$.
# - MSE: $d\hat Y = 2(\hat Y - Y)/(NC)$; softmax cross-entropy:
#   $dS = (P - \operatorname{onehot}(y))/N$, computed after subtracting each
#   row's maximum.
# - Check every gradient against central differences in float64: about
#   $10^{-7}$ or below is right, above $10^{-2}$ wrong.
#
# Your exercises: `numerical_jacobian`, the affine, ReLU and sigmoid layers,
# `mse_loss`, `softmax_cross_entropy` and `two_layer_loss_and_grads`
# (24 points). Chapter 05 trains networks with the finished versions in
# `course_utils.nn` (`affine_forward`, `relu_backward`, ...,
# `mlp_gradient_check`).
