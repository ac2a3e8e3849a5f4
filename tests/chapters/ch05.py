"""Chapter 05, a multi-layer perceptron: its grading batch as data.

The wrong students carry one plausible mistake in every exercise (the
k-th wrong version of each); "alt" and "alt2" answer every exercise
right in other styles (loops, other names, other containers) and keep
full marks.  The train_mlp and init_params cells run the student's
function with correct versions of the earlier helpers, so a mistake
costs its own exercise's points only.  See tests/chapters/__init__.py
for the fields.
"""
from chapter_grading import Chapter, wrong_students
from chapters import chapter

ASSIGNMENT = "05_mlp"
POINTS = 27

# Exercise (= its solution cell's grade id) -> graded cells and points.
EXERCISES = {
    "xavier_init": {"test_xavier_init_draws": 2,
                    "test_xavier_init_scale": 1},
    "init_params": {"test_init_params_structure": 1,
                    "test_init_params_draws": 2},
    "bce_loss": {"test_bce_loss_values": 2, "test_bce_loss_clipping": 1},
    "minibatches": {"test_minibatches_cover": 1,
                    "test_minibatches_shuffled": 2},
    "sgd_update": {"test_sgd_update_values": 1,
                   "test_sgd_update_in_place": 1},
    "predict": {"test_predict_classes": 1, "test_predict_binary": 1},
    "train_mlp": {"test_train_mlp_reference": 2, "test_train_mlp_xnor": 1,
                  "test_train_mlp_digits": 2},
    "momentum_update": {"test_momentum_first_steps": 1,
                        "test_momentum_steps": 2},
    "adam_update": {"test_adam_first_step": 1, "test_adam_steps": 2},
}

# A straightforward train_mlp in raw NumPy; wrong variants edit one line.
TRAIN = '''
def train_mlp(X, y, layer_sizes, *, lr, num_epochs, batch_size, rng):
    L = len(layer_sizes) - 1
    params = init_params(layer_sizes, rng)
    losses = []
    for epoch in range(num_epochs):
        batch_losses = []
        for idx in minibatches(len(X), batch_size, rng):
            acts = [X[idx]]
            for l in range(1, L):
                acts.append(nn.sigmoid(acts[-1] @ params[f"W{l}"]
                                       + params[f"b{l}"]))
            S = acts[-1] @ params[f"W{L}"] + params[f"b{L}"]
            if layer_sizes[-1] == 1:
                a = nn.sigmoid(S)
                loss, da = bce_loss(a, y[idx].reshape(-1, 1))
                dS = da * a * (1 - a)
            else:
                loss, dS = nn.softmax_cross_entropy(S, y[idx])
            batch_losses.append(loss * len(idx))
            grads = {}
            for l in range(L, 0, -1):
                A = acts[l - 1]
                grads[f"W{l}"] = A.T @ dS
                grads[f"b{l}"] = dS.sum(axis=0)
                if l > 1:
                    dS = (dS @ params[f"W{l}"].T) * A * (1 - A)
            sgd_update(params, grads, lr)
        losses.append(sum(batch_losses) / len(X))
    return params, losses
'''


def _edit(old, new, text=TRAIN):
    assert old in text, old
    return text.replace(old, new)


# Plausible wrong answers: (what it is, solution cell source, expected
# score of the exercise).  0: every cell of the exercise fails; a partial
# score: the mistake breaks one behaviour only.
WRONG = {
    "xavier_init": [
        ("variance 1/fan_out", """
def xavier_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_out)
""", 0),
        ("standard deviation 1/fan_in", """
def xavier_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) / fan_in
""", 0),
        ("the global np.random instead of rng", """
def xavier_init(fan_in, fan_out, rng):
    return np.random.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
""", 1),
        ("delegates to nn.xavier_init", """
def xavier_init(fan_in, fan_out, rng):
    return nn.xavier_init(fan_in, fan_out, rng)
""", 1),
        ("a generator of its own, seeded as in the example", """
def xavier_init(fan_in, fan_out, rng):
    gen = np.random.default_rng(0)
    return gen.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
""", 1),
    ],
    "init_params": [
        ("random biases", """
def init_params(layer_sizes, rng):
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = xavier_init(layer_sizes[l - 1], layer_sizes[l], rng)
        params[f"b{l}"] = rng.standard_normal(layer_sizes[l])
    return params
""", 0),
        ("biases of shape (1, H)", """
def init_params(layer_sizes, rng):
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = xavier_init(layer_sizes[l - 1], layer_sizes[l], rng)
        params[f"b{l}"] = np.zeros((1, layer_sizes[l]))
    return params
""", 0),
        ("weights drawn last layer first", """
def init_params(layer_sizes, rng):
    params = {}
    for l in range(len(layer_sizes) - 1, 0, -1):
        params[f"W{l}"] = xavier_init(layer_sizes[l - 1], layer_sizes[l], rng)
        params[f"b{l}"] = np.zeros(layer_sizes[l])
    return params
""", 1),
        ("a fresh generator instead of rng", """
def init_params(layer_sizes, rng):
    gen = np.random.default_rng(0)
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = xavier_init(layer_sizes[l - 1], layer_sizes[l], gen)
        params[f"b{l}"] = np.zeros(layer_sizes[l])
    return params
""", 1),
        ("an unseeded generator instead of rng", """
def init_params(layer_sizes, rng):
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = xavier_init(layer_sizes[l - 1], layer_sizes[l],
                                      np.random.default_rng())
        params[f"b{l}"] = np.zeros(layer_sizes[l])
    return params
""", 1),
    ],
    "bce_loss": [
        ("sum instead of the mean", """
def bce_loss(a, y):
    a = np.clip(a, 1e-12, 1 - 1e-12)
    loss = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
    return float(loss), (a - y) / (a * (1 - a))
""", 0),
        ("no clipping", """
def bce_loss(a, y):
    N = len(a)
    loss = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / N
    return float(loss), (a - y) / (a * (1 - a)) / N
""", 2),
        ("gradient without 1/N", """
def bce_loss(a, y):
    a = np.clip(a, 1e-12, 1 - 1e-12)
    loss = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    return float(loss), (a - y) / (a * (1 - a))
""", 0),
        ("gradient with the wrong sign", """
def bce_loss(a, y):
    a = np.clip(a, 1e-12, 1 - 1e-12)
    loss = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    return float(loss), (y - a) / (a * (1 - a)) / len(a)
""", 0),
    ],
    "minibatches": [
        ("drops the last, smaller batch", """
def minibatches(N, batch_size, rng):
    order = rng.permutation(N)
    return [order[i:i + batch_size]
            for i in range(0, N - batch_size + 1, batch_size)]
""", 0),
        ("never shuffles", """
def minibatches(N, batch_size, rng):
    order = np.arange(N)
    return [order[i:i + batch_size] for i in range(0, N, batch_size)]
""", 1),
        ("draws with replacement", """
def minibatches(N, batch_size, rng):
    order = rng.integers(0, N, N)
    return [order[i:i + batch_size] for i in range(0, N, batch_size)]
""", 0),
        ("the global np.random instead of rng", """
def minibatches(N, batch_size, rng):
    order = np.random.permutation(N)
    return [order[i:i + batch_size] for i in range(0, N, batch_size)]
""", 1),
    ],
    "sgd_update": [
        ("steps uphill", """
def sgd_update(params, grads, lr):
    for k in params:
        params[k] += lr * grads[k]
""", 0),
        ("new arrays, not in place", """
def sgd_update(params, grads, lr):
    for k in params:
        params[k] = params[k] - lr * grads[k]
""", 1),
        ("rebinds the loop variable (changes nothing)", """
def sgd_update(params, grads, lr):
    for p, g in zip(params.values(), grads.values()):
        p = p - lr * g
""", 0),
        ("ignores the learning rate", """
def sgd_update(params, grads, lr):
    for k in params:
        params[k] -= grads[k]
""", 0),
    ],
    "predict": [
        ("argmax for one output unit too", """
def predict(params, X):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = nn.sigmoid(A @ params[f"W{l}"] + params[f"b{l}"])
    return (A @ params[f"W{L}"] + params[f"b{L}"]).argmax(axis=1)
""", 1),
        ("(N, 1) labels for one output unit", """
def predict(params, X):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = nn.sigmoid(A @ params[f"W{l}"] + params[f"b{l}"])
    S = A @ params[f"W{L}"] + params[f"b{L}"]
    return (S >= 0).astype(int) if S.shape[1] == 1 else S.argmax(axis=1)
""", 1),
        ("no sigmoid in the hidden layers", """
def predict(params, X):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = A @ params[f"W{l}"] + params[f"b{l}"]
    S = A @ params[f"W{L}"] + params[f"b{L}"]
    return (S[:, 0] >= 0).astype(int) if S.shape[1] == 1 else S.argmax(1)
""", 0),
        ("thresholds the score at 0.5, not the sigmoid", """
def predict(params, X):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = nn.sigmoid(A @ params[f"W{l}"] + params[f"b{l}"])
    S = A @ params[f"W{L}"] + params[f"b{L}"]
    return (S[:, 0] >= 0.5).astype(int) if S.shape[1] == 1 else S.argmax(1)
""", 1),
    ],
    "train_mlp": [
        ("forgets the sigmoid's derivative going back", _edit(
            "dS = (dS @ params[f\"W{l}\"].T) * A * (1 - A)",
            "dS = dS @ params[f\"W{l}\"].T"), 0),
        ("one shuffle for all epochs", _edit(
            "        for idx in minibatches(len(X), batch_size, rng):",
            "        for idx in batches:", _edit(
                "    losses = []\n",
                "    losses = []\n"
                "    batches = minibatches(len(X), batch_size, rng)\n")),
         3),
        ("0/1 targets of shape (N,) against a (N, 1) output", _edit(
            "bce_loss(a, y[idx].reshape(-1, 1))", "bce_loss(a, y[idx])"), 2),
        # The graded runs have a smaller last batch: a plain mean of the
        # batch losses is not the epoch's mean loss per sample.
        ("the mean of the batch losses, not weighted by batch size", _edit(
            "batch_losses.append(loss * len(idx))",
            "batch_losses.append(loss)", _edit(
                "losses.append(sum(batch_losses) / len(X))",
                "losses.append(np.mean(batch_losses))")), 3),
        # XNOR in batches of 3 and 1 cannot be learned without biases.
        ("never updates the biases", _edit(
            "                grads[f\"b{l}\"] = dS.sum(axis=0)\n", "", _edit(
                "sgd_update(params, grads, lr)",
                "sgd_update({k: params[k] for k in grads}, grads, lr)")),
         2),
        # The graded digits come sorted by label.
        ("never shuffles", _edit(
            "        for idx in minibatches(len(X), batch_size, rng):",
            "        for idx in np.array_split(np.arange(len(X)), range(\n"
            "                batch_size, len(X), batch_size)):"), 1),
    ],
    "momentum_update": [
        ("steps with the wrong sign", """
def momentum_update(params, grads, velocity, lr, beta=0.9):
    for k in params:
        velocity[k] = beta * velocity.get(k, 0) + grads[k]
        params[k] += lr * velocity[k]
""", 0),
        ("a running average, (1 - beta) g", """
def momentum_update(params, grads, velocity, lr, beta=0.9):
    for k in params:
        velocity[k] = beta * velocity.get(k, 0) + (1 - beta) * grads[k]
        params[k] -= lr * velocity[k]
""", 0),
        ("forgets to store the velocity", """
def momentum_update(params, grads, velocity, lr, beta=0.9):
    for k in params:
        v = beta * velocity.get(k, 0) + grads[k]
        params[k] -= lr * v
""", 0),
        ("steps with the old velocity", """
def momentum_update(params, grads, velocity, lr, beta=0.9):
    for k in params:
        params[k] -= lr * velocity.get(k, 0)
        velocity[k] = beta * velocity.get(k, 0) + grads[k]
""", 0),
    ],
    "adam_update": [
        ("no bias correction", """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    state["t"] += 1
    for k in params:
        g = grads[k]
        state["m"][k] = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        state["v"][k] = beta2 * state["v"].get(k, 0) + (1 - beta2) * g**2
        params[k] -= lr * state["m"][k] / (np.sqrt(state["v"][k]) + eps)
""", 0),
        ("t incremented after the bias correction", """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    t = state["t"]
    for k in params:
        g = grads[k]
        state["m"][k] = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        state["v"][k] = beta2 * state["v"].get(k, 0) + (1 - beta2) * g**2
        m_hat = state["m"][k] / (1 - beta1**t)
        v_hat = state["v"][k] / (1 - beta2**t)
        params[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    state["t"] += 1
""", 0),
        ("counts t once per parameter, not once per step", """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    for k in params:
        state["t"] += 1
        t = state["t"]
        g = grads[k]
        state["m"][k] = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        state["v"][k] = beta2 * state["v"].get(k, 0) + (1 - beta2) * g**2
        m_hat = state["m"][k] / (1 - beta1**t)
        v_hat = state["v"][k] / (1 - beta2**t)
        params[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)
""", 0),
        ("eps inside the square root", """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for k in params:
        g = grads[k]
        state["m"][k] = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        state["v"][k] = beta2 * state["v"].get(k, 0) + (1 - beta2) * g**2
        m_hat = state["m"][k] / (1 - beta1**t)
        v_hat = state["v"][k] / (1 - beta2**t)
        params[k] -= lr * m_hat / np.sqrt(v_hat + eps)
""", 0),
        ("stores the bias-corrected moments", """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for k in params:
        g = grads[k]
        m = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        v = beta2 * state["v"].get(k, 0) + (1 - beta2) * g**2
        state["m"][k] = m / (1 - beta1**t)
        state["v"][k] = v / (1 - beta2**t)
        params[k] -= lr * state["m"][k] / (np.sqrt(state["v"][k]) + eps)
""", 0),
    ],
}
N_WRONG = max(len(v) for v in WRONG.values())

# Right answers in another style: every exercise keeps full marks.
ALT = {
    "xavier_init": """
def xavier_init(fan_in, fan_out, rng):
    return rng.normal(0.0, 1 / np.sqrt(fan_in), size=(fan_in, fan_out))
""",
    "init_params": """
def init_params(layer_sizes, rng):
    pairs = zip(layer_sizes[:-1], layer_sizes[1:])
    params = {}
    for l, (n_in, n_out) in enumerate(pairs, start=1):
        params["W" + str(l)] = xavier_init(n_in, n_out, rng)
        params["b" + str(l)] = np.zeros((n_out,))
    return params
""",
    "bce_loss": """
def bce_loss(a, y):
    eps = 1e-12
    a = np.minimum(np.maximum(np.asarray(a, dtype=float), eps), 1 - eps)
    y = np.asarray(y, dtype=float)
    loss = np.mean(-y * np.log(a) - (1 - y) * np.log(1 - a))
    da = (-y / a + (1 - y) / (1 - a)) / a.shape[0]
    return loss, da
""",
    "minibatches": """
def minibatches(N, batch_size, rng):
    idx = np.arange(N)
    rng.shuffle(idx)
    batches, start = [], 0
    while start < N:
        batches.append(idx[start:start + batch_size].tolist())
        start += batch_size
    return batches
""",
    "sgd_update": """
def sgd_update(params, grads, lr):
    for k, g in grads.items():
        np.subtract(params[k], lr * g, out=params[k])
""",
    "predict": """
def predict(params, X):
    L = len(params) // 2
    A = np.asarray(X, dtype=float)
    for l in range(1, L + 1):
        A, _ = nn.affine_forward(A, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            A = nn.sigmoid(A)
    if A.shape[1] > 1:
        return np.argmax(A, axis=1)
    return (nn.sigmoid(A) >= 0.5).astype(np.int64).ravel()
""",
    "train_mlp": TRAIN,
    "momentum_update": """
def momentum_update(params, grads, velocity, lr, beta=0.9):
    for k, p in params.items():
        v = velocity.setdefault(k, np.zeros_like(p))
        v *= beta
        v += grads[k]
        p -= lr * v
""",
    "adam_update": """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    state["t"] = t = state["t"] + 1
    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    for k, p in params.items():
        g = grads[k]
        m = state["m"].setdefault(k, np.zeros_like(p))
        v = state["v"].setdefault(k, np.zeros_like(p))
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g * g
        p -= step * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2**t))
""",
}


# A third style: loops, other names, other containers.
ALT2 = {
    "xavier_init": """
import math


def xavier_init(fan_in, fan_out, rng):
    scale = 1 / math.sqrt(fan_in)
    rows = [rng.standard_normal(fan_out) * scale for _ in range(fan_in)]
    return np.array(rows).reshape(fan_in, fan_out)
""",
    "init_params": """
def init_params(layer_sizes, rng):
    sizes = list(layer_sizes)
    out = dict()
    layer = 1
    while layer < len(sizes):
        out.update({"W%d" % layer: xavier_init(sizes[layer - 1],
                                               sizes[layer], rng),
                    "b%d" % layer: np.zeros(sizes[layer], dtype=float)})
        layer += 1
    return out
""",
    "bce_loss": """
import math


def bce_loss(a, y):
    a = np.asarray(a, dtype=float)
    y = np.asarray(y, dtype=float)
    n = a.shape[0]
    total, grad = 0.0, np.zeros_like(a)
    for i in range(n):
        p = min(max(a[i, 0], 1e-12), 1 - 1e-12)
        total -= y[i, 0] * math.log(p) + (1 - y[i, 0]) * math.log(1 - p)
        grad[i, 0] = (p - y[i, 0]) / (p * (1 - p)) / n
    return total / n, grad
""",
    "minibatches": """
def minibatches(N, batch_size, rng):
    shuffled = rng.permutation(N)
    return np.array_split(shuffled, range(batch_size, N, batch_size))
""",
    "sgd_update": """
def sgd_update(params, grads, lr):
    for key in list(params):
        step = np.multiply(lr, grads[key])
        params[key][...] = params[key] - step
""",
    "predict": """
def predict(params, X):
    n_layers = len(params) // 2
    out = np.array(X, dtype=float)
    for layer in range(1, n_layers + 1):
        out = out @ params["W%d" % layer] + params["b%d" % layer]
        if layer < n_layers:
            out = 0.5 * (1 + np.tanh(0.5 * out))     # the sigmoid
    if out.shape[1] == 1:
        return np.where(out[:, 0] >= 0, 1, 0)
    return np.argmax(out, axis=1)
""",
    # chapter 04's layer functions with their caches, np.average
    "train_mlp": """
def train_mlp(X, y, layer_sizes, *, lr, num_epochs, batch_size, rng):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    L = len(layer_sizes) - 1
    params = init_params(layer_sizes, rng)
    history = []
    for _ in range(num_epochs):
        batch_losses, batch_sizes = [], []
        for idx in minibatches(X.shape[0], batch_size, rng):
            A, caches = X[idx], []
            for l in range(1, L):
                Z, affine_cache = nn.affine_forward(
                    A, params[f"W{l}"], params[f"b{l}"])
                A, sigmoid_cache = nn.sigmoid_forward(Z)
                caches.append((affine_cache, sigmoid_cache))
            S, last_cache = nn.affine_forward(A, params[f"W{L}"],
                                              params[f"b{L}"])
            if layer_sizes[-1] == 1:
                a, _ = nn.sigmoid_forward(S)
                loss, da = bce_loss(a, y[idx][:, None])
                dS = da * a * (1 - a)
            else:
                loss, dS = nn.softmax_cross_entropy(S, y[idx])
            batch_losses.append(loss)
            batch_sizes.append(len(idx))
            grads = {}
            dA, grads[f"W{L}"], grads[f"b{L}"] = nn.affine_backward(
                dS, last_cache)
            for l in range(L - 1, 0, -1):
                affine_cache, sigmoid_cache = caches[l - 1]
                dZ = nn.sigmoid_backward(dA, sigmoid_cache)
                dA, grads[f"W{l}"], grads[f"b{l}"] = nn.affine_backward(
                    dZ, affine_cache)
            sgd_update(params, grads, lr)
        history.append(float(np.average(batch_losses, weights=batch_sizes)))
    return params, history
""",
    "momentum_update": """
def momentum_update(params, grads, velocity, lr, beta=0.9):
    for name in grads:
        if name in velocity:
            velocity[name] = velocity[name] * beta + grads[name]
        else:
            velocity[name] = np.array(grads[name], dtype=float)
        params[name] -= lr * velocity[name]
""",
    "adam_update": """
def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    step = state["t"] = state["t"] + 1
    correction1, correction2 = 1 - beta1 ** step, 1 - beta2 ** step
    for name, g in grads.items():
        first = state["m"].get(name, np.zeros_like(g))
        second = state["v"].get(name, np.zeros_like(g))
        first = beta1 * first + (1 - beta1) * g
        second = beta2 * second + (1 - beta2) * np.square(g)
        state["m"][name], state["v"][name] = first, second
        params[name] -= (lr * (first / correction1)
                         / (np.sqrt(second / correction2) + eps))
""",
}

# Helpers whose cells do not run (a syntax error, or the function not
# written at all), carried by the wrong student whose train_mlp never
# steps the biases: their own exercises score 0, and train_mlp is still
# judged with correct helpers (nbgrader runs correct_helpers in the
# student's kernel), losing only what its own mistake costs.
BROKEN_STUDENT = 4
BROKEN = {
    "init_params": """
def init_params(layer_sizes, rng)
    return {}
""",
    "bce_loss": """
# I will come back to this one
""",
    "minibatches": """
def minibatches(N, batch_size, rng):
    order = rng.permutation(N
    return [order[i:i + batch_size] for i in range(0, N, batch_size)]
""",
    "sgd_update": """
def sgd_update(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]
  return None
""",
}
BROKEN_ZERO = dict(init_params=0, bce_loss=0, minibatches=0, sgd_update=0)



def students(right):
    """The other correct styles (their answer cells only), then the wrong
    students, one of them with helpers that do not run."""
    def own(sources):
        return {ex: code.strip() + "\n" for ex, code in sources.items()}
    wrong = wrong_students(right, WRONG, N_WRONG)
    wrong[BROKEN_STUDENT][1].update(own(BROKEN))
    return [("alt", own(ALT)), ("alt2", own(ALT2))] + wrong


RIGHT = ["alt", "alt2"]
# The helpers that do not run cost their own points only; train_mlp, run
# with correct helpers in their place, loses what its own mistake costs.
PINNED = {f"wrong{BROKEN_STUDENT}": dict(
    Chapter(ASSIGNMENT, EXERCISES, WRONG).expected(f"wrong{BROKEN_STUDENT}"),
    **BROKEN_ZERO)}
MESSAGES = [
    # variance 1/fan_out; drops the last batch
    ("wrong0", "test_xavier_init_scale", "not 1/fan_in", ()),
    ("wrong0", "test_minibatches_cover", "keep the last, smaller batch", ()),
    # no clipping; new arrays instead of in place; t incremented late
    ("wrong1", "test_bce_loss_clipping", "clip a to", ()),
    ("wrong1", "test_sgd_update_in_place", "put a new array into params",
     ()),
    ("wrong1", "test_adam_first_step", "NaN or infinity", ()),
    # momentum's velocity not kept
    ("wrong2", "test_momentum_first_steps", "store the velocity", ()),
    # the blank release says what to do
    ("stub", "test_train_mlp_digits", "NotImplementedError", ()),
    # what the visible tests were built to catch: rng ignored, layers
    # drawn backwards, t per parameter, unweighted epoch loss, biases
    # never stepped, no shuffle
    ("wrong2", "test_init_params_draws", "drew W2 before W1", ()),
    ("wrong4", "test_xavier_init_draws",
     "the same weights twice from one generator", ()),
    ("wrong2", "test_adam_first_step", "not once per parameter", ()),
    # a generator of its own, seeded or not
    ("wrong3", "test_init_params_draws",
     "did not draw from the rng it was given", ()),
    ("wrong4", "test_init_params_draws",
     "did not draw from the rng it was given", ()),
    # 0/1 targets of shape (N,) against the (N, 1) output
    ("wrong2", "test_train_mlp_xnor", "pass the targets as a column", ()),
    ("wrong3", "test_train_mlp_reference",
     "a plain mean of the batch losses", ()),
    ("wrong4", "test_train_mlp_reference", "every bias is still zero", ()),
    ("wrong4", "test_train_mlp_xnor", "every bias gets its step", ()),
    ("wrong5", "test_train_mlp_reference", "same order every epoch", ()),
    ("wrong5", "test_train_mlp_digits", "shuffle them every epoch", ()),
    # train_mlp judged with correct helpers: its own mistake named, not a
    # NameError for the helpers that did not run
    (f"wrong{BROKEN_STUDENT}", "test_train_mlp_reference", "bias",
     ("NameError",)),
    (f"wrong{BROKEN_STUDENT}", "test_train_mlp_xnor", "bias",
     ("NameError",)),
]
BLOCKS = False  # the blank release's NotImplementedError is not a check's
FEEDBACK = ("wrong0", ("xavier_init",), ())


def check_what_a_mistake_keeps(graded):
    """Does a mistake keep the cells it cannot break?"""
    for student in ("wrong3", f"wrong{BROKEN_STUDENT}"):
        messages = chapter("ch05").messages(graded, student)
        assert "test_train_mlp_digits" not in messages, student


CHECKS = [check_what_a_mistake_keeps]
