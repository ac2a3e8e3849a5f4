"""Chapter 04, backpropagation: its grading batch as data.

The wrong students' k-th notebook carries the k-th plausible mistake of
every exercise, many with the words their message must say; "alt"
students answer correctly in another style (einsum, loops, np.where,
boolean masks) and keep full marks.

Exercise 7's tests run the student's two-layer network with the
reference layers in place of the student's (course_utils.nn's
reference_layers), so a mistake in a layer costs points in the layer's
exercise only: the "earlier" students carry the wrong students' layer
mistakes with the solution's network, which must keep its full marks.
Some wrong networks call the layers, others are written out in full.
See tests/chapters/__init__.py for the fields.
"""
import nbformat

from chapter_grading import Chapter, wrong_students
from chapters import chapter

ASSIGNMENT = "04_backpropagation"
POINTS = 24

# Exercise -> its graded cells and their points.
EXERCISES = {
    "numerical_jacobian": {"test_numerical_jacobian_linear": 2,
                           "test_numerical_jacobian_nonlinear": 1},
    "affine": {"test_affine_forward": 1, "test_affine_backward_dX": 1,
               "test_affine_backward_dW": 2, "test_affine_backward_db": 1},
    "relu": {"test_relu_forward": 1, "test_relu_backward": 2},
    "sigmoid": {"test_sigmoid_forward": 1, "test_sigmoid_backward": 2},
    "mse_loss": {"test_mse_loss_value": 1, "test_mse_gradient": 1,
                 "test_mse_column_targets": 1},
    "softmax_cross_entropy": {"test_softmax_ce_loss": 1,
                              "test_softmax_ce_gradient": 1,
                              "test_softmax_ce_large_scores": 1},
    "two_layer": {"test_two_layer_loss": 1,
                  "test_two_layer_grads_output": 1,
                  "test_two_layer_grads_hidden": 2},
}

# Layers written right, for building wrong variants of one function.
AFFINE_FORWARD = '''
def affine_forward(X, W, b):
    return X @ W + b, (X, W, b)
'''
RELU_FORWARD = '''
def relu_forward(Z):
    return np.maximum(Z, 0), Z
'''
SIGMOID_FORWARD = '''
def sigmoid_forward(Z):
    E = np.exp(-np.abs(Z))
    A = np.where(Z >= 0, 1 / (1 + E), E / (1 + E))
    return A, A
'''
SIGMOID_BACKWARD = '''
def sigmoid_backward(dA, cache):
    return dA * cache * (1 - cache)
'''


def _affine_backward(dX="dZ @ W.T", dW="X.T @ dZ", db="dZ.sum(axis=0)"):
    return AFFINE_FORWARD + f'''
def affine_backward(dZ, cache):
    X, W, b = cache
    return {dX}, {dW}, {db}
'''


def _relu_backward(body):
    return RELU_FORWARD + f'''
def relu_backward(dA, cache):
    Z = cache
{body}
'''


def _mse(loss="np.mean(diff ** 2)", grad="2 * diff / diff.size",
         reshape=True):
    shaped = "    Y = np.reshape(Y, np.shape(Y_hat))\n" if reshape else ""
    return f'''
def mse_loss(Y_hat, Y):
    Y_hat = np.asarray(Y_hat, dtype=float)
    Y = np.asarray(Y, dtype=float)
{shaped}    diff = Y_hat - Y
    N = Y_hat.shape[0]
    return float({loss}), {grad}
'''


def _softmax(shift=True, loss="np.mean(lse - S[rows, y])",
             grad="(P - onehot) / N", subtract="onehot"):
    shifted = "    S = S - S.max(axis=1, keepdims=True)\n" if shift else ""
    return f'''
def softmax_cross_entropy(S, y):
    S = np.asarray(S, dtype=float)
    N, C = S.shape
    rows = np.arange(N)
{shifted}    lse = np.log(np.exp(S).sum(axis=1))
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    onehot = np.zeros_like(P)
    onehot[rows, y] = 1
    if "{subtract}" == "columns":
        onehot = np.zeros_like(P)
        onehot[:, y] = 1
    return float({loss}), {grad}
'''


def _two_layer(dS="(P - onehot) / N", mask="Z1 > 0", dW2="A1.T @ dS",
               db="sum"):
    return f'''
def two_layer_loss_and_grads(X, y, params):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    N = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    S = A1 @ W2 + b2
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    loss = float(np.mean(-np.log(P[np.arange(N), y])))
    onehot = np.zeros_like(P)
    onehot[np.arange(N), y] = 1
    dS = {dS}
    dW2 = {dW2}
    db2 = dS.{db}(axis=0)
    dA1 = dS @ W2.T
    dZ1 = dA1 * ({mask})
    dW1 = X.T @ dZ1
    db1 = dZ1.{db}(axis=0)
    return loss, {{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}}
'''


def _layered(A1="A1", dZ1="relu_backward(dA1, cache_relu)",
             first_cache="cache1"):
    """A network that calls the student's layers, as the text suggests."""
    return f'''
def two_layer_loss_and_grads(X, y, params):
    Z1, cache1 = affine_forward(X, params["W1"], params["b1"])
    A1, cache_relu = relu_forward(Z1)
    S, cache2 = affine_forward({A1}, params["W2"], params["b2"])
    loss, dS = softmax_cross_entropy(S, y)
    dA1, dW2, db2 = affine_backward(dS, cache2)
    dZ1 = {dZ1}
    dX, dW1, db1 = affine_backward(dZ1, {first_cache})
    return loss, {{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}}
'''


# Plausible wrong answers: (what it is, solution cell source, expected
# score of the exercise, {graded cell: words its message must contain}).
WRONG = {
    "numerical_jacobian": [
        ("denominator layout (returns J transposed)", """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    rows = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        rows.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / (2 * h))
    return np.array(rows)
""", 0, {"test_numerical_jacobian_linear": "denominator layout"}),
        ("forward differences", """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    fx = np.ravel(f(x))
    J = np.zeros((fx.size, x.size))
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        J[:, j] = (np.ravel(f(x + e)) - fx) / h
    return J
""", 2, {"test_numerical_jacobian_nonlinear": "forward difference"}),
        ("divides by h instead of 2h", """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        cols.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / h)
    return np.stack(cols, axis=1)
""", 0, {"test_numerical_jacobian_linear": "twice as large"}),
        ("perturbs every coordinate at once", """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    return (np.ravel(f(x + h)) - np.ravel(f(x - h))) / (2 * h)
""", 0, {}),
        ("delegates to the reference Jacobian", """
def numerical_jacobian(f, x, h=1e-5):
    return cud.numerical_jacobian(f, x, h)
""", 0, {"test_numerical_jacobian_linear":
         "course_utils.derivatives.numerical_jacobian"}),
        ("ignores the h it is given", """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    step = 1e-6
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = step
        cols.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / (2 * step))
    return np.stack(cols, axis=1)
""", 2, {"test_numerical_jacobian_nonlinear": "use the h you are given"}),
    ],
    "affine": [
        ("dW = dZ^T X (transposed)", _affine_backward(dW="dZ.T @ X"), 3,
         {"test_affine_backward_dW": "transpose of the right gradient"}),
        ("db as a mean over the batch", _affine_backward(
            db="dZ.mean(axis=0)"), 4,
         {"test_affine_backward_db": "an extra 1/N"}),
        ("db not summed over the batch", _affine_backward(db="dZ"), 4,
         {"test_affine_backward_db": "one row per sample"}),
        # dZ @ W fails for every non-square W, so dW and db cells fail too
        ("dX = dZ W (transpose missing)", _affine_backward(dX="dZ @ W"), 1,
         {"test_affine_backward_dX": "without the transpose",
          "test_affine_backward_dW": "stopped with an error about shapes",
          "test_affine_backward_db": "stopped with an error about shapes"}),
        ("backward delegates to course_utils.nn", AFFINE_FORWARD + """
def affine_backward(dZ, cache):
    return cun.affine_backward(dZ, cache)
""", 1, {"test_affine_backward_dW": "course_utils.nn.affine_backward"}),
    ],
    "relu": [
        ("mask Z >= 0 (derivative 1 at 0, as grad[h < 0] = 0)",
         _relu_backward("    dZ = np.array(dA, dtype=float)\n"
                        "    dZ[Z < 0] = 0\n    return dZ"), 1,
         {"test_relu_backward": "exactly 0"}),
        ("mask from the upstream gradient dA",
         _relu_backward("    return dA * (dA > 0)"), 1,
         {"test_relu_backward": "upstream gradient dA"}),
        ("cache = A, mask A >= 0 (never blocks)", """
def relu_forward(Z):
    A = np.maximum(Z, 0)
    return A, A

def relu_backward(dA, cache):
    return dA * (cache >= 0)
""", 0, {"test_relu_forward": "cache of relu_forward should be Z"}),
        ("modifies dA in place",
         _relu_backward("    dA[Z <= 0] = 0\n    return dA"), 1,
         {"test_relu_backward": "changed its input `dA` in place"}),
        ("returns the mask without dA",
         _relu_backward("    return (Z > 0).astype(float)"), 1,
         {"test_relu_backward": "mask alone"}),
    ],
    "sigmoid": [
        ("caches Z and writes sigma' as Z (1 - Z)", """
def sigmoid_forward(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z
""" + SIGMOID_BACKWARD, 0, {"test_sigmoid_backward": "Z (1 - Z)"}),
        ("applies the sigmoid to the cache again", SIGMOID_FORWARD + """
def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)
""", 1, {"test_sigmoid_backward": "applies the sigmoid to the cache"}),
        ("exp(Z) / (1 + exp(Z)) overflows", """
def sigmoid_forward(Z):
    A = np.exp(Z) / (1 + np.exp(Z))
    return A, A
""" + SIGMOID_BACKWARD, 2, {"test_sigmoid_forward": "overflows"}),
        ("forgets the upstream gradient", SIGMOID_FORWARD + """
def sigmoid_backward(dA, cache):
    return cache * (1 - cache)
""", 1, {"test_sigmoid_backward": "multiply by the upstream"}),
        ("dA (1 - A): a factor A lost", SIGMOID_FORWARD + """
def sigmoid_backward(dA, cache):
    return dA * (1 - cache)
""", 1, {"test_sigmoid_backward": "a factor A is missing"}),
    ],
    "mse_loss": [
        ("gradient without the 1/(N C)", _mse(grad="2 * diff"), 1,
         {"test_mse_gradient": "1/(N C) of the mean is missing"}),
        ("divides by N only", _mse(loss="np.sum(diff ** 2) / N",
                                   grad="2 * diff / N"), 1,
         {"test_mse_gradient": "divides by N only",
          "test_mse_loss_value": "divides by N only"}),
        ("gradient without the factor 2", _mse(grad="diff / diff.size"), 1,
         {"test_mse_gradient": "half as large"}),
        ("(N,) targets broadcast against (N, 1)", _mse(reshape=False), 2,
         {"test_mse_column_targets": "(n,) vs (n, 1)"}),
        ("gradient sign flipped", _mse(grad="2 * (Y - Y_hat) / diff.size"),
         1, {"test_mse_gradient": "wrong sign"}),
    ],
    "softmax_cross_entropy": [
        ("no max subtraction (overflows)", _softmax(shift=False), 2,
         {"test_softmax_ce_large_scores":
          "subtract each row's largest score"}),
        ("gradient without the 1/N", _softmax(grad="P - onehot"), 1,
         {"test_softmax_ce_gradient": "1/N of the mean over the batch"}),
        ("one-hot by whole columns, P[:, y]", _softmax(subtract="columns"),
         1, {"test_softmax_ce_gradient": "P[np.arange(N), y]"}),
        ("loss summed, not averaged",
         _softmax(loss="np.sum(lse - S[rows, y])"), 1,
         {"test_softmax_ce_loss": "1/N of the mean over the batch"}),
        ("gradient sign flipped", _softmax(grad="(onehot - P) / N"), 1,
         {"test_softmax_ce_gradient": "wrong sign"}),
    ],
    "two_layer": [
        ("calls the layers, skips relu_backward", _layered(
            dZ1="dA1"), 2,
         {"test_two_layer_grads_hidden": "WITHOUT the ReLU mask"}),
        ("dW2 = dS^T A1 (transposed)", _two_layer(dW2="dS.T @ A1"), 3,
         {"test_two_layer_grads_output": "transpose"}),
        ("bias gradients as means", _two_layer(db="mean"), 1, {}),
        ("dS without the 1/N", _two_layer(dS="P - onehot"), 1,
         {"test_two_layer_grads_output": "1/N"}),
        ("ReLU mask from the upstream gradient", _two_layer(mask="dA1 > 0"),
         2, {"test_two_layer_grads_hidden": "built from the upstream"}),
        ("first layer's backward given the second layer's cache",
         _layered(first_cache="cache2"), 0,
         {"test_two_layer_grads_hidden": "error about shapes",
          "test_two_layer_loss": "error about shapes"}),
        ("second layer fed Z1, not ReLU(Z1)", _layered(A1="Z1"), 0,
         {"test_two_layer_loss": "WITHOUT the ReLU"}),
    ],
}

# Correct answers in other styles: they must keep full marks.
ALT = [
    {
        "numerical_jacobian": """
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    steps = h * np.eye(x.size)
    return np.array([np.ravel(f(x + e)) - np.ravel(f(x - e))
                     for e in steps]).T / (2 * h)
""",
        "affine": """
def affine_forward(X, W, b):
    return np.einsum("nd,dh->nh", X, W) + b, (X, W, b)

def affine_backward(dZ, cache):
    X, W, b = cache
    return (np.einsum("nh,dh->nd", dZ, W), np.einsum("nd,nh->dh", X, dZ),
            np.einsum("nh->h", dZ))
""",
        "relu": """
def relu_forward(Z):
    return np.where(Z > 0, Z, 0.0), Z.copy()

def relu_backward(dA, cache):
    return np.where(cache > 0, dA, 0.0)
""",
        "sigmoid": """
def sigmoid_forward(Z):
    A = 0.5 * (1 + np.tanh(np.asarray(Z) / 2))
    return A, A

def sigmoid_backward(dA, cache):
    return dA * cache - dA * cache ** 2
""",
        "mse_loss": """
def mse_loss(Y_hat, Y):
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    diff = Y_hat - Y
    return np.sum(diff * diff) / diff.size, diff * (2.0 / diff.size)
""",
        "softmax_cross_entropy": """
def softmax_cross_entropy(S, y):
    N, C = S.shape
    m = np.max(S, axis=1, keepdims=True)
    E = np.exp(S - m)
    P = E / E.sum(axis=1, keepdims=True)
    onehot = np.eye(C)[y]
    loss = np.mean(np.log(E.sum(axis=1)) + m[:, 0] - np.sum(S * onehot, 1))
    return loss, (P - onehot) / N
""",
        "two_layer": _two_layer(dW2="np.einsum('nh,nc->hc', A1, dS)"),
    },
    {
        "numerical_jacobian": """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    m = len(np.atleast_1d(f(x)))
    J = np.zeros((m, len(x)))
    for j in range(len(x)):
        for i in range(m):
            plus, minus = x.copy(), x.copy()
            plus[j] += h
            minus[j] -= h
            J[i, j] = (np.atleast_1d(f(plus))[i]
                       - np.atleast_1d(f(minus))[i]) / (2 * h)
    return J
""",
        "affine": """
def affine_forward(X, W, b):
    Z = np.zeros((X.shape[0], W.shape[1]))
    for n in range(X.shape[0]):
        Z[n] = X[n] @ W + b
    return Z, (X, W, b)

def affine_backward(dZ, cache):
    X, W, b = cache
    dX, dW, db = np.zeros(X.shape), np.zeros(W.shape), np.zeros(b.shape)
    for n in range(X.shape[0]):
        dX[n] = W @ dZ[n]
        dW += np.outer(X[n], dZ[n])
        db += dZ[n]
    return dX, dW, db
""",
        "relu": """
def relu_forward(Z):
    A = np.array(Z, dtype=float)
    A[A < 0] = 0
    return A, Z

def relu_backward(dA, cache):
    dZ = np.array(dA, dtype=float)
    dZ[cache <= 0] = 0
    return dZ
""",
        "sigmoid": """
def sigmoid_forward(Z):
    A = 1 / (1 + np.exp(-Z))    # overflows to inf for Z = -1000: warns, 0
    return A, A

def sigmoid_backward(dA, cache):
    return dA * cache * (1 - cache)
""",
        "mse_loss": """
def mse_loss(Y_hat, Y):
    Y = np.asarray(Y).reshape(np.shape(Y_hat))
    total, size = 0.0, np.size(Y_hat)
    for idx in np.ndindex(np.shape(Y_hat)):
        total += (Y_hat[idx] - Y[idx]) ** 2
    return total / size, 2 * (Y_hat - Y) / size
""",
        "softmax_cross_entropy": """
def softmax_cross_entropy(S, y):
    N = len(S)
    loss, dS = 0.0, np.zeros(np.shape(S))
    for n in range(N):
        s = S[n] - np.max(S[n])
        p = np.exp(s) / np.sum(np.exp(s))
        loss += (np.log(np.sum(np.exp(s))) - s[y[n]]) / N
        dS[n] = p / N
        dS[n, y[n]] -= 1 / N
    return loss, dS
""",
        # The layers called by keyword (softmax_cross_entropy(S=...)), in
        # a loop over the two layers.
        "two_layer": """
def two_layer_loss_and_grads(X, y, params):
    caches, out = [], X
    for layer in (1, 2):
        out, cache = affine_forward(X=out, W=params[f"W{layer}"],
                                    b=params[f"b{layer}"])
        caches.append(cache)
        if layer == 1:
            out, relu_cache = relu_forward(Z=out)
    loss, grad = softmax_cross_entropy(S=out, y=y)
    grads = {}
    for layer in (2, 1):
        if layer == 1:
            grad = relu_backward(dA=grad, cache=relu_cache)
        grad, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(
            dZ=grad, cache=caches[layer - 1])
    return loss, grads
""",
    },
    {   # other names, lists for tuples, other NumPy functions
        "numerical_jacobian": """
def numerical_jacobian(f, x, h=1e-5):
    x0 = np.asarray(x, dtype=np.float64).copy()
    steps = np.diag(np.full(x0.size, h))
    return np.column_stack([np.subtract(f(x0 + d), f(x0 - d)) / (2 * h)
                            for d in steps])
""",
        "affine": """
def affine_forward(inputs, weights, bias):
    return [np.dot(inputs, weights) + bias[np.newaxis, :],
            [inputs, weights, bias]]

def affine_backward(upstream, cache):
    inputs, weights, _ = cache
    return [np.dot(upstream, weights.T), np.dot(inputs.T, upstream),
            np.sum(upstream, axis=0)]
""",
        "relu": """
def relu_forward(Z):
    return np.clip(Z, 0, None), np.copy(Z)

def relu_backward(dA, cache):
    return np.multiply(dA, np.greater(cache, 0))
""",
        "sigmoid": """
def sigmoid_forward(Z):
    Z = np.asarray(Z, dtype=float)
    A = np.empty_like(Z)
    pos = Z >= 0
    A[pos] = 1 / (1 + np.exp(-Z[pos]))
    e = np.exp(Z[~pos])
    A[~pos] = e / (1 + e)
    return A, A

def sigmoid_backward(dA, cache):
    return np.multiply(dA, cache * (1.0 - cache))
""",
        "mse_loss": """
def mse_loss(Y_hat, Y):
    target = np.reshape(np.asarray(Y, dtype=float), np.shape(Y_hat))
    err = np.subtract(Y_hat, target)
    return [np.average(err ** 2), err * 2 / err.size]
""",
        "softmax_cross_entropy": """
def softmax_cross_entropy(S, y):
    n = S.shape[0]
    z = S - np.amax(S, axis=1)[:, None]
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    loss = -np.sum(log_p[range(n), y]) / n
    dS = np.exp(log_p)
    dS[range(n), y] -= 1.0
    return loss, dS / n
""",
        "two_layer": """
def two_layer_loss_and_grads(X, y, params):
    hidden_in, first = affine_forward(X, params["W1"], params["b1"])
    hidden, gate = relu_forward(hidden_in)
    scores, second = affine_forward(hidden, params["W2"], params["b2"])
    loss, d_scores = softmax_cross_entropy(scores, y)
    d_hidden, dW2, db2 = affine_backward(d_scores, second)
    _, dW1, db1 = affine_backward(relu_backward(d_hidden, gate), first)
    return [loss, dict(zip(["W1", "b1", "W2", "b2"], [dW1, db1, dW2, db2]))]
""",
    },
]
ALT_NAMES = [f"alt{i}" for i in range(len(ALT))]
N_WRONG = max(len(v) for v in WRONG.values())

# The layer mistakes of wrong students 0.., each with the solution's
# network: exercise 7 must keep its 4 points.  (Every mistake of the
# layers the network calls is in one of them.)
N_EARLIER = max(len(WRONG[ex]) for ex in
                ("affine", "relu", "softmax_cross_entropy"))
EARLIER_NAMES = [f"earlier{k}" for k in range(N_EARLIER)]



def earlier_students(right):
    """[(earlierK, sources)]: wrong student K's layer mistakes, the
    solution's two-layer network."""
    out = []
    for k in range(N_EARLIER):
        sources = dict(right)
        for ex, variants in WRONG.items():
            if ex != "two_layer" and k < len(variants):
                sources[ex] = variants[k][1].strip() + "\n"
        out.append((f"earlier{k}", sources))
    return out


def students(right):
    """Wrong students, the other correct styles, the earlier students."""
    alts = [(name, dict(right, **{ex: src.strip() + "\n"
                                  for ex, src in alt.items()}))
            for name, alt in zip(ALT_NAMES, ALT)]
    return (wrong_students(right, WRONG, N_WRONG) + alts
            + earlier_students(right))


RIGHT = ALT_NAMES
# An "earlier" student loses what wrong student K loses in the layers and
# keeps exercise 7's points.
PINNED = {
    name: dict(Chapter(ASSIGNMENT, EXERCISES, WRONG).expected(f"wrong{k}"),
               two_layer=sum(EXERCISES["two_layer"].values()))
    for k, name in enumerate(EARLIER_NAMES)}
# Each mistake's own words, where it lists them.
MESSAGES = [(f"wrong{k}", cell, words, ())
            for variants in WRONG.values()
            for k, (_, _, _, expect) in enumerate(variants)
            for cell, words in expect.items()]
BLOCKS = False  # a student's own code may raise its own error here
FEEDBACK = ("wrong0", ("numerical_jacobian",), ())


def _printed(graded, student):
    """{grade id: what the cell printed} in a student's graded notebook."""
    nb = nbformat.read(chapter("ch04").autograded(graded, student), 4)
    return {cell.metadata.get("nbgrader", {}).get("grade_id"): "".join(
        o.get("text", "") for o in cell.get("outputs", [])
        if o.get("output_type") == "stream") for cell in nb.cells
        if cell.cell_type == "code"}


def check_a_layer_mistake_costs_only_its_own_exercise(graded):
    """With wrong layers and the solution's network, does no cell of
    exercise 7 fail, and does its pass say how it was run?"""
    for name in EARLIER_NAMES:
        messages = chapter("ch04").messages(graded, name)
        assert not set(messages) & set(EXERCISES["two_layer"]), name
        shown = _printed(graded, name)["test_two_layer_grads_hidden"]
        assert ("\u2713 two_layer_loss_and_grads: dW1 and db1 through the "
                "ReLU (run with the reference layers)") in shown, name


def check_every_exercise_has_two_other_correct_styles():
    """Are at least two correct styles besides the solution pinned for
    every exercise?"""
    for ex in EXERCISES:
        assert sum(ex in alt for alt in ALT) >= 2, ex


def check_messages_are_plain(graded):
    """Do the messages stay free of expected numbers and of NumPy noise?"""
    assert len(MESSAGES) >= 5
    for k in range(N_WRONG):
        messages = chapter("ch04").messages(graded, f"wrong{k}")
        for cell, text in messages.items():
            last = text.strip().splitlines()[-1]
            # a check's short block, or the student's own code's error
            assert (text.startswith("\u2717 Test failed: ")
                    or "Error" in last), (k, cell, text)
            if text.startswith("\u2717"):
                assert "Traceback" not in text, (k, cell, text)
                # hand-computed expectations never appear in a message
                for number in ("0.88079708", "1.0397", "0.6566"):
                    assert number not in text, (k, cell, text)


CHECKS = [check_a_layer_mistake_costs_only_its_own_exercise,
          check_every_exercise_has_two_other_correct_styles,
          check_messages_are_plain]
