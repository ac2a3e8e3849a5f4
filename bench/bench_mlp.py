"""Benchmark: one training epoch of a 64-128-10 ReLU MLP on digits.

Compares course_utils.nn.train with two PyTorch CPU baselines, all on
one thread, from the same initial weights and in the same batch order:

- torch.nn: nn.Sequential + F.cross_entropy + torch.optim.SGD
  (autograd), the way PyTorch tutorials write it;
- torch by hand: the same matmuls written out (addmm, in-place ops,
  no autograd), which is what course_utils.nn does in NumPy.

Softmax cross-entropy, SGD with lr = 0.1, batch size 32.  Every loop
also sums the loss and counts correct predictions for every batch, as
train() does for its history, so all three do the same work.
Each implementation's epoch time is the median of REPEATS epochs run
in turn (so machine noise hits all three alike); ratios are times
measured in this run.  Then the three train NUM_EPOCHS epochs each and
report test accuracy, to show they compute the same thing.  The five
matmuls of a step, timed alone in NumPy and in torch (in turn with the
three), show how much of a step is matrix products and how much is
everything else.

Run: python bench/bench_mlp.py   (torch is the optional "bench" extra)
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from course_utils import nn  # noqa: E402
from course_utils.datasets import digits  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch is not installed, so there is nothing to compare with; "
          "install the bench extra (pip install -e '.[bench]').  Skipped.")
    sys.exit(0)

torch.set_num_threads(1)

SIZES = [64, 128, 10]
BATCH, LR, SEED = 32, 0.1, 0
REPEATS, NUM_EPOCHS = 15, 5


def epoch_order(N, epoch):
    """The sample order that nn.train(..., seed=epoch) uses."""
    return np.random.default_rng(epoch).permutation(N)


class CourseUtils:
    name = "course_utils.nn"

    def __init__(self, X, y, dtype):
        self.model = nn.MLP(SIZES, seed=SEED, dtype=dtype)
        self.X, self.y = X.astype(dtype), y
        self.opt = nn.SGD(LR)

    def epoch(self, epoch):
        nn.train(self.model, self.X, self.y, optimizer=self.opt,
                 batch_size=BATCH, num_epochs=1, progress=False,
                 seed=epoch)

    def predict(self, X):
        return self.model.predict(X)


def initial_weights(dtype):
    """(W1, b1, W2, b2) as torch tensors, from the course MLP's init."""
    p = nn.MLP(SIZES, seed=SEED, dtype=dtype).params
    return [torch.from_numpy(p[k].copy()) for k in ("W1", "b1", "W2", "b2")]


class TorchNN:
    name = "torch.nn + optim.SGD"

    def __init__(self, X, y, dtype):
        W1, b1, W2, b2 = initial_weights(dtype)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
            torch.nn.Linear(SIZES[1], SIZES[2])).to(W1.dtype)
        with torch.no_grad():
            self.net[0].weight.copy_(W1.T)
            self.net[0].bias.copy_(b1)
            self.net[2].weight.copy_(W2.T)
            self.net[2].bias.copy_(b2)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=LR)
        self.X = torch.from_numpy(X.astype(dtype))
        self.y = torch.from_numpy(y)

    def epoch(self, epoch):
        order = torch.from_numpy(epoch_order(len(self.X), epoch))
        X, y = self.X[order], self.y[order]
        total_loss = torch.zeros((), dtype=X.dtype)
        correct = torch.zeros((), dtype=torch.int64)
        for i in range(0, len(X), BATCH):
            Xb, yb = X[i:i + BATCH], y[i:i + BATCH]
            self.opt.zero_grad()
            scores = self.net(Xb)
            loss = F.cross_entropy(scores, yb)
            loss.backward()
            self.opt.step()
            total_loss += loss.detach() * len(Xb)
            correct += (scores.detach().argmax(1) == yb).sum()
        return total_loss.item() / len(X), correct.item() / len(X)

    def first_weights(self):
        return self.net[0].weight.detach().numpy().T

    def predict(self, X):
        with torch.no_grad():
            X = torch.from_numpy(X).to(self.X.dtype)
            return self.net(X).argmax(1).numpy()


class TorchByHand:
    name = "torch by hand"

    def __init__(self, X, y, dtype):
        self.W1, self.b1, self.W2, self.b2 = initial_weights(dtype)
        self.X = torch.from_numpy(X.astype(dtype))
        self.y = torch.from_numpy(y)

    @torch.inference_mode()
    def epoch(self, epoch):
        W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2
        order = torch.from_numpy(epoch_order(len(self.X), epoch))
        X, y = self.X[order], self.y[order]
        total_loss = torch.zeros((), dtype=X.dtype)
        correct = torch.zeros((), dtype=torch.int64)
        all_rows = torch.arange(BATCH)
        for i in range(0, len(X), BATCH):
            Xb, yb = X[i:i + BATCH], y[i:i + BATCH]
            n = len(Xb)
            rows = all_rows[:n]
            A1 = torch.addmm(b1, Xb, W1).clamp_(min=0)
            S = torch.addmm(b2, A1, W2)
            correct += (S.argmax(1) == yb).sum()
            logp = torch.log_softmax(S, 1)
            total_loss -= logp[rows, yb].sum()
            dS = logp.exp_()
            dS[rows, yb] -= 1
            dS /= n
            dA1 = (dS @ W2.T).mul_(A1 > 0)
            W2.sub_(A1.T @ dS, alpha=LR)
            b2.sub_(dS.sum(0), alpha=LR)
            W1.sub_(Xb.T @ dA1, alpha=LR)
            b1.sub_(dA1.sum(0), alpha=LR)
        return total_loss.item() / len(X), correct.item() / len(X)

    def first_weights(self):
        return self.W1.numpy()

    def predict(self, X):
        X = torch.from_numpy(X).to(self.X.dtype)
        S = torch.addmm(self.b2, torch.addmm(self.b1, X, self.W1)
                        .clamp_(min=0), self.W2)
        return S.argmax(1).numpy()


def time_epochs(impls):
    """Median seconds per epoch for each implementation, run in turn."""
    times = {impl.name: [] for impl in impls}
    for epoch in range(REPEATS):
        for impl in impls:
            start = time.perf_counter()
            impl.epoch(epoch)
            times[impl.name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


class MatmulsAlone:
    """Just the five matmuls of each step (forward X W1, A1 W2; backward
    dS W2^T, A1^T dS, X^T dA1), on the same batches, written into
    preallocated arrays: the part of a step that is matrix products."""

    def __init__(self, X, lib, dtype):
        self.name = f"the matmuls alone, {lib}"
        D, H, C = SIZES
        rng = np.random.default_rng(SEED)
        shapes = {"W1": (D, H), "W2": (H, C), "A1": (BATCH, H),
                  "dS": (BATCH, C), "dA1": (BATCH, H), "gW1": (D, H),
                  "gW2": (H, C)}
        a = {k: rng.standard_normal(shape).astype(dtype)
             for k, shape in shapes.items()}
        self.X = X.astype(dtype)
        if lib == "torch":
            a = {k: torch.from_numpy(v) for k, v in a.items()}
            self.X = torch.from_numpy(self.X)
        self.a, self.mm = a, (torch.mm if lib == "torch" else np.matmul)

    def epoch(self, epoch):
        a, mm, X = self.a, self.mm, self.X
        W1, W2, gW1, gW2 = a["W1"], a["W2"], a["gW1"], a["gW2"]
        for i in range(0, len(X), BATCH):
            Xb = X[i:i + BATCH]
            n = len(Xb)
            A1, dS, dA1 = a["A1"][:n], a["dS"][:n], a["dA1"][:n]
            mm(Xb, W1, out=A1)
            mm(A1, W2, out=dS)
            mm(dS, W2.T, out=dA1)
            mm(A1.T, dS, out=gW2)
            mm(Xb.T, dA1, out=gW1)


def main():
    X_train, X_test, y_train, y_test = digits()
    kinds = (CourseUtils, TorchNN, TorchByHand)
    print(f"One epoch, {SIZES} ReLU MLP, softmax CE, SGD lr={LR}, batch "
          f"{BATCH}, N = {len(X_train)} digits, 1 thread, median of "
          f"{REPEATS}; torch {torch.__version__}, numpy {np.__version__}")
    print("All three sum the loss and count correct predictions for "
          "every batch (train's history).")
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(
            f"{os.path.basename(p['filepath'])} {p['num_threads']} "
            "thread(s)" for p in threadpool_info() if p["user_api"] == "blas")
        print(f"BLAS loaded: {blas}; torch: {torch.get_num_threads()} "
              "thread(s)")
    except ImportError:
        pass
    for dtype in ("float64", "float32"):
        impls = [kind(X_train, y_train, dtype) for kind in kinds]
        alone = {lib: MatmulsAlone(X_train, lib, dtype)
                 for lib in ("numpy", "torch")}
        for impl in impls + list(alone.values()):   # warm-up
            impl.epoch(0)
        times = time_epochs(impls + list(alone.values()))
        ours = times[CourseUtils.name]
        print(f"\n{dtype}")
        steps = -(-len(X_train) // BATCH)
        for impl in impls:
            t = times[impl.name]
            ratio = ("" if impl.name == CourseUtils.name else
                     f"course_utils.nn is {t / ours:4.2f}x faster")
            print(f"  {impl.name:22s} {t * 1e3:7.2f} ms/epoch "
                  f"{t / steps * 1e6:6.1f} us/step  {ratio}")
        matmuls = {lib: times[m.name] / steps for lib, m in alone.items()}
        print(f"  of which the five matmuls (timed alone): numpy "
              f"{matmuls['numpy'] * 1e6:.1f} us/step, torch "
              f"{matmuls['torch'] * 1e6:.1f} us/step; the rest:")
        for impl in impls:
            lib = "numpy" if impl is impls[0] else "torch"
            rest = times[impl.name] / steps - matmuls[lib]
            print(f"    {impl.name:22s} {rest * 1e6:6.1f} us/step")
        # Same weights, same order: the same test accuracy.
        impls = [kind(X_train, y_train, dtype) for kind in kinds]
        for epoch in range(NUM_EPOCHS):
            for impl in impls:
                impl.epoch(epoch)
        accs = ", ".join(
            f"{impl.name} {np.mean(impl.predict(X_test) == y_test):.4f}"
            for impl in impls)
        print(f"  test accuracy after {NUM_EPOCHS} epochs: {accs}")
        W1 = impls[0].model.params["W1"]
        gaps = ", ".join(
            f"{impl.name} {np.abs(impl.first_weights() - W1).max():.1e}"
            for impl in impls[1:])
        print(f"  largest |W1 - W1 of course_utils.nn|: {gaps}")


if __name__ == "__main__":
    main()
