"""Isolation of the student's kernel.

``isolation`` (the workers) chooses bubblewrap or resource limits, gives
each kernel its uid, folders and limits, and kills what it leaves
behind; ``kernelmanager`` is jupyter_client's kernel manager for it;
``launch`` runs as root between the worker and the kernel and drops to
the sandbox's uid (``python -m autograder.sandbox.launch``).
"""
