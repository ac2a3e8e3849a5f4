"""Give a subpackage's interface the names students and the grader use.

A function defined in ``course_utils/nn/layers.py`` is imported as
``course_utils.nn.affine_forward``.  Its messages ("network uses
course_utils.nn.affine_forward") and the dotted names the grader sends
between processes must stay that public path, whichever module of the
package holds the code, as NumPy does for its own functions.
"""
import types


def _rename(obj, module):
    obj.__module__ = module
    if isinstance(obj, type):
        for member in vars(obj).values():
            func = getattr(member, "__func__", member)
            if isinstance(func, types.FunctionType):
                func.__module__ = module


def export(module, namespace, names):
    """Name every function and class in `names` (read from the package's
    `namespace`, its globals()) after the package `module`."""
    for name in names:
        obj = namespace[name]
        if isinstance(obj, (type, types.FunctionType)):
            _rename(obj, module)
