"""Optimisers (chapter 05): ``step(params, grads)`` updates params in
place."""

import numpy as np

from ._validate import _check_rate


def _check_beta(name, value):
    if not 0 <= value < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")


class SGD:
    """Plain gradient descent: p <- p - lr * g."""

    def __init__(self, lr):
        _check_rate("lr", lr)
        self.lr = lr

    def _check(self, params, grads):
        if params.keys() != grads.keys():
            raise ValueError(
                f"grads has keys {sorted(grads)} but params has "
                f"{sorted(params)}: they must match")
        for k, p in params.items():
            if grads[k].shape != p.shape:
                raise ValueError(
                    f"grads[{k!r}] has shape {grads[k].shape} but "
                    f"params[{k!r}] has shape {p.shape}")

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        lr = self.lr
        for k, p in params.items():
            p -= lr * grads[k]


class Momentum(SGD):
    """Gradient descent with momentum: v <- beta v + g; p <- p - lr v."""

    def __init__(self, lr, beta=0.9):
        super().__init__(lr)
        _check_beta("beta", beta)
        self.beta, self.v = beta, {}

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        for k, p in params.items():
            v = self.v.setdefault(k, np.zeros_like(p))
            v *= self.beta
            v += grads[k]
            p -= self.lr * v


class RMSprop(SGD):
    """RMSprop: scale each step by a running RMS of the gradient.

    s <- beta s + (1 - beta) g**2;  p <- p - lr g / (sqrt(s) + eps).
    """

    def __init__(self, lr=1e-3, beta=0.9, eps=1e-8):
        super().__init__(lr)
        _check_beta("beta", beta)
        _check_rate("eps", eps)
        self.beta, self.eps, self.s = beta, eps, {}

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        for k, p in params.items():
            g = grads[k]
            s = self.s.setdefault(k, np.zeros_like(p))
            s *= self.beta
            s += (1 - self.beta) * g * g
            p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(SGD):
    """Adam: momentum and RMSprop with bias correction.

    m <- b1 m + (1 - b1) g; s <- b2 s + (1 - b2) g**2;
    p <- p - lr m_hat / (sqrt(s_hat) + eps), m_hat = m / (1 - b1**t),
    s_hat = s / (1 - b2**t) at step t = 1, 2, ...
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        _check_beta("beta1", beta1)
        _check_beta("beta2", beta2)
        _check_rate("eps", eps)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m, self.s, self.t = {}, {}, 0

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr_t = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        eps_t = self.eps * np.sqrt(1 - b2 ** self.t)
        for k, p in params.items():
            g = grads[k]
            m = self.m.setdefault(k, np.zeros_like(p))
            s = self.s.setdefault(k, np.zeros_like(p))
            m *= b1
            m += (1 - b1) * g
            s *= b2
            s += (1 - b2) * g * g
            p -= lr_t * m / (np.sqrt(s) + eps_t)
