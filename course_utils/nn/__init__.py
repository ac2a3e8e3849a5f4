"""Layers, losses, the MLP, optimisers and training (chapters 04-05).

Chapter 04 builds the layer kernels and their gradients; chapter 05
trains multi-layer perceptrons with them.  Every kernel here is the
finished reference version of a notebook exercise.  The modules:

- ``layers``: affine, ReLU, sigmoid and tanh, forward and backward
- ``losses``: MSE, binary and softmax cross-entropy, each returning
  ``(loss, dscores)``; the softmax
- ``graded``: chapter 04's exercises answered by the reference
  (``chapter04``, ``reference_layers``) for graded cells
- ``model``: the ``MLP`` and its initialisations (Xavier, He)
- ``optimisers``: SGD, Momentum, RMSprop, Adam
- ``training``: the training loop ``train``
- ``gradcheck``: an MLP's gradients against central differences
- ``_validate``: the argument checks they share

Import from here (``from course_utils import nn``; ``nn.MLP``): the
names below are the package's interface, whichever module defines them.

Shapes use the course letters: N samples, D input features, H hidden
units, C classes or outputs.  Samples are rows: X has shape (N, D).
Arrays are float64 unless a docstring says otherwise.  The public
functions check their arguments and raise ``ValueError`` or
``TypeError`` with a message that names the problem.
"""

# Also private names that tests and graded cells read here: the two
# numeric gradient paths and the layers chapter 04's network calls.
from .gradcheck import (_numeric_grads_loop, _numeric_grads_rank1,  # noqa: F401
                        gradient_error, mlp_gradient_check)
from .graded import NETWORK_LAYERS, chapter04, reference_layers  # noqa: F401
from .layers import (affine_backward, affine_forward, relu_backward,
                     relu_forward, sigmoid, sigmoid_backward,
                     sigmoid_forward, tanh_backward, tanh_forward)
from .losses import bce_loss, mse_loss, softmax, softmax_cross_entropy
from .model import MLP, he_init, xavier_init
from .optimisers import SGD, Adam, Momentum, RMSprop
from .training import train

__all__ = [
    "affine_forward", "affine_backward",
    "relu_forward", "relu_backward",
    "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "sigmoid", "softmax",
    "mse_loss", "bce_loss", "softmax_cross_entropy",
    "xavier_init", "he_init",
    "MLP", "SGD", "Momentum", "RMSprop", "Adam", "train",
    "gradient_error", "mlp_gradient_check",
    "chapter04", "reference_layers",
]
