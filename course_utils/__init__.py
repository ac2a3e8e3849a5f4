"""Reference kernels for the course "Neural networks from the derivative up".

Modules (one idea each):

- ``derivatives``: finite differences, gradients, Jacobians (chapter 01)
- ``descent``: gradient descent for linear least squares (chapter 02)
- ``regression``: linear regression by gradient descent (chapter 03)
- ``nn``: layers, losses, the MLP, optimisers, training (chapters 04-05;
  a package, one module each)
- ``mlp``: chapter 05's exercises, finished (a dict-of-arrays MLP)
- ``tensorcore``: a bit-exact model of NVIDIA tensor cores (chapter 06)
- ``datasets``: the small data sets every chapter uses
- ``checks``: assertion helpers for graded cells, written for learners
  (a package: the shared diagnosis core, the delegation walk, and the
  checks only chapters 02 and 04 use)
- ``plotting`` / ``widgets``: shared figures and interactive controls

Shapes use fixed letters: N samples, D input features, H hidden units,
C classes or outputs, K the inner dimension of a matmul.
"""

__version__ = "0.1.0"
