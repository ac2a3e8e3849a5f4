"""Chapter 04's exercises, answered by the reference, for graded cells.

``chapter04`` holds the reference layers under the exercises' names and
signatures; ``reference_layers`` binds them in a notebook's namespace
while a test judges the student's network on its own.
"""

import contextlib

from .layers import (affine_backward, affine_forward, relu_backward,
                     relu_forward, sigmoid_backward, sigmoid_forward)
from .losses import mse_loss, softmax_cross_entropy


class chapter04:  # noqa: N801 - a namespace, read as nn.chapter04.name
    """The reference layers under the names and signatures of chapter
    04's exercises: ``mse_loss(Y_hat, Y)`` and ``softmax_cross_entropy(S,
    y)`` as the notebook writes them, so that a student's network still
    runs when it calls them by keyword."""

    @staticmethod
    def affine_forward(X, W, b):
        """affine_forward(X, W, b) -> (Z, cache)."""
        return affine_forward(X, W, b)

    @staticmethod
    def affine_backward(dZ, cache):
        """affine_backward(dZ, cache) -> (dX, dW, db)."""
        return affine_backward(dZ, cache)

    @staticmethod
    def relu_forward(Z):
        """relu_forward(Z) -> (A, cache)."""
        return relu_forward(Z)

    @staticmethod
    def relu_backward(dA, cache):
        """relu_backward(dA, cache) -> dZ."""
        return relu_backward(dA, cache)

    @staticmethod
    def sigmoid_forward(Z):
        """sigmoid_forward(Z) -> (A, cache)."""
        return sigmoid_forward(Z)

    @staticmethod
    def sigmoid_backward(dA, cache):
        """sigmoid_backward(dA, cache) -> dZ."""
        return sigmoid_backward(dA, cache)

    @staticmethod
    def mse_loss(Y_hat, Y):
        """mse_loss(Y_hat, Y) -> (loss, dY_hat)."""
        return mse_loss(Y_hat, Y)

    @staticmethod
    def softmax_cross_entropy(S, y):
        """softmax_cross_entropy(S, y) -> (loss, dS)."""
        return softmax_cross_entropy(S, y)


# What chapter 04's two-layer network (exercise 7) calls.
NETWORK_LAYERS = ("affine_forward", "affine_backward", "relu_forward",
                  "relu_backward", "softmax_cross_entropy")


@contextlib.contextmanager
def reference_layers(namespace, names=NETWORK_LAYERS):
    """Run a graded cell with chapter 04's reference layers in place.

    namespace: the notebook's globals(); names: the exercises' function
    names to replace, any of chapter04's (default: the five the
    two-layer network of exercise 7 calls).
    Inside the ``with`` block each of those names that `namespace`
    holds is bound to ``chapter04``'s version, so that a student's
    two-layer network, which calls the layers by name, is judged on its
    own: a mistake in a layer costs points in that layer's exercise
    only.  A name the namespace lacks stays missing, as it would be
    without the block.  The student's own functions are put back
    afterwards, also when a check inside fails.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    try:
        for name, value in saved.items():
            if value is not missing:
                namespace[name] = getattr(chapter04, name)
        yield
    finally:
        for name, value in saved.items():
            if value is not missing:
                namespace[name] = value
