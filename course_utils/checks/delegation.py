"""Is an exercise answered by calling what it asks the student to write?

One walk (``_first_reference``) follows what a student's function can
reach by name, attribute, import, closure or default argument, through
the helpers defined next to it; ``assert_not_delegating`` looks there
for a forbidden reference kernel, ``assert_no_framework`` for an
automatic-differentiation framework.
"""
import builtins
import dis
import importlib
import inspect
import sys
import types

from .core import _fail, _require_function


def _public_module(module, qualname):
    """The package a course object is imported from: a function of
    course_utils/nn/layers.py is course_utils.nn.affine_forward to the
    student who wrote cun.affine_forward, so messages name that path."""
    head = qualname.split(".")[0]
    while module.startswith("course_utils.") and "." in module:
        parent = module.rpartition(".")[0]
        here = getattr(sys.modules.get(module), head, None)
        if here is None or getattr(sys.modules.get(parent), head,
                                   None) is not here:
            break
        module = parent
    return module


def _resolve(spec):
    """A forbidden spec (object or dotted name) as (object, qualified name)."""
    if isinstance(spec, str):
        module_name, _, attr = spec.rpartition(".")
        obj = getattr(importlib.import_module(module_name), attr)
        return obj, spec
    module = getattr(spec, "__module__", None)
    qualname = getattr(spec, "__qualname__", None) or getattr(
        spec, "__name__", repr(spec)
    )
    if not (isinstance(module, str) and isinstance(qualname, str)):
        return spec, qualname
    return spec, f"{_public_module(module, qualname)}.{qualname}"


def _qualified(obj):
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module is None or qualname is None:
        return None
    return f"{module}.{qualname}"


def _code_objects(code):
    """code and every code object nested in it (lambdas, inner functions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


_LOAD_BASE = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_FAST",
              "LOAD_CLASSDEREF", "LOAD_FAST_CHECK"}
_LOAD_ATTR = {"LOAD_ATTR", "LOAD_METHOD"}


def _referenced_objects(func):
    """Objects func's code can reach by name or attribute access.

    Follows `name`, `name.attr.attr` (module attributes such as
    cu.derivatives.central_difference) and imports inside the function.
    Yields (object, how it was written) pairs.
    """
    glb = getattr(func, "__globals__", {})
    closure = {}
    code = func.__code__
    if func.__closure__:
        for var, cell in zip(code.co_freevars, func.__closure__):
            try:
                closure[var] = cell.cell_contents
            except ValueError:  # empty cell
                pass
    for sub in _code_objects(code):
        local_imports = {}
        chain_obj, chain_text, pending_import = None, None, None
        for ins in dis.get_instructions(sub):
            name = ins.argval if isinstance(ins.argval, str) else None
            if ins.opname == "IMPORT_NAME":
                try:
                    pending_import = importlib.import_module(name)
                except Exception:  # noqa: BLE001 - student code may be odd
                    pending_import = None
                chain_obj, chain_text = pending_import, name
                if pending_import is not None:
                    yield pending_import, name
                continue
            if ins.opname == "IMPORT_FROM" and pending_import is not None:
                obj = getattr(pending_import, name, None)
                if obj is None:
                    try:
                        obj = importlib.import_module(
                            f"{pending_import.__name__}.{name}"
                        )
                    except Exception:  # noqa: BLE001
                        obj = None
                if obj is not None:
                    yield obj, f"{pending_import.__name__}.{name}"
                chain_obj, chain_text = obj, name
                continue
            if ins.opname in {"STORE_FAST", "STORE_NAME", "STORE_DEREF"}:
                if chain_obj is not None and name:
                    local_imports[name] = chain_obj
                chain_obj, chain_text = None, None
                continue
            if ins.opname in _LOAD_BASE and name is not None:
                pending_import = None
                found = False
                if ins.opname in {"LOAD_FAST", "LOAD_FAST_CHECK"}:
                    scopes = (local_imports,)
                elif ins.opname in {"LOAD_DEREF", "LOAD_CLASSDEREF"}:
                    scopes = (local_imports, closure)
                else:
                    scopes = (local_imports, glb, vars(builtins))
                for scope in scopes:
                    if name in scope:
                        chain_obj, chain_text, found = scope[name], name, True
                        break
                if not found:
                    chain_obj, chain_text = None, None
                else:
                    yield chain_obj, chain_text
                continue
            if ins.opname in _LOAD_ATTR and name is not None:
                if chain_obj is not None:
                    chain_obj = getattr(chain_obj, name, None)
                    chain_text = f"{chain_text}.{name}"
                    if chain_obj is not None:
                        yield chain_obj, chain_text
                continue
            if ins.opname in {"PRECALL", "CACHE", "PUSH_NULL", "EXTENDED_ARG"}:
                continue
            if ins.opname != "POP_TOP":
                chain_obj, chain_text = None, None
    for var, value in closure.items():
        yield value, var
    for default in func.__defaults__ or ():
        yield default, "a default argument"


def _unwrap(obj):
    """The function behind functools.partial / bound methods / wrappers."""
    seen = 0
    while seen < 10:
        seen += 1
        if hasattr(obj, "func") and callable(getattr(obj, "func")):
            obj = obj.func
        elif inspect.ismethod(obj):
            obj = obj.__func__
        elif hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        else:
            break
    return obj


def _same_function(obj, bad_obj):
    """Is obj the forbidden function (or a wrapper of it, or a reload)?"""
    try:
        mine = {id(obj), id(_unwrap(obj))}
        theirs = {id(bad_obj), id(_unwrap(bad_obj))}
        if mine & theirs:
            return True
        names = {_qualified(obj), _qualified(_unwrap(obj))} - {None}
        bad_names = {_qualified(bad_obj), _qualified(_unwrap(bad_obj))}
        return bool(names & bad_names) and callable(obj)
    except Exception:  # noqa: BLE001 - odd objects compare badly
        return False


def _first_reference(func, match, seen):
    """(how it is written, what `match` named) for the first object that
    func's code reaches for which match(obj) is not None, or None.

    Helpers written in the same notebook (same globals) are followed, and
    the path through them is part of "how it is written".
    """
    func = _unwrap(func)
    if not isinstance(func, types.FunctionType) or func in seen:
        return None
    seen.add(func)
    for obj, text in _referenced_objects(func):
        found = match(obj)
        if found is not None:
            return text, found
        target = _unwrap(obj)
        if (isinstance(target, types.FunctionType)
                and target.__globals__ is func.__globals__):
            hit = _first_reference(target, match, seen)
            if hit is not None:
                return f"{text} -> {hit[0]}", hit[1]
    return None


def _refuse(func, match, why):
    """Fail, saying what func uses and how it is written, then `why`,
    when _first_reference finds something in func's reach."""
    hit = _first_reference(func, match, set())
    if hit is not None:
        written, what = hit
        fname = getattr(func, "__name__", "your function")
        _fail(f"{fname} uses {what} (written as `{written}`). {why}")


def _forbidden_match(forbidden):
    """match() for _first_reference: the qualified name of the forbidden
    function an object is (or wraps)."""
    def match(obj):
        for bad_obj, bad_name in forbidden:
            if _same_function(obj, bad_obj):
                return bad_name
        return None
    return match



def _may_reach(dotted, func):
    """Can func reach the function named `dotted` ("sklearn.a.f")?

    Not when its package was never imported in this process and neither
    func nor a function defined next to it imports it: then no object in
    reach can be it, and importing a large package (scipy, sklearn) only
    to compare against it would cost seconds in every graded cell.
    """
    package = dotted.split(".", 1)[0]
    if package in sys.modules:
        return True
    glb = getattr(func, "__globals__", {})
    funcs = [func] + [v for v in glb.values()
                      if isinstance(v, types.FunctionType)
                      and v.__globals__ is glb]
    for f in funcs:
        code = getattr(f, "__code__", None)
        if code is None:
            return True  # cannot look inside: resolve it to be safe
        for sub in _code_objects(code):
            for ins in dis.get_instructions(sub):
                if (ins.opname == "IMPORT_NAME"
                        and str(ins.argval).split(".", 1)[0] == package):
                    return True
    return False


def assert_not_delegating(func, *forbidden):
    """Assert that func does not call any of the forbidden functions.

    func: the student's function.
    forbidden: functions (e.g. course_utils.derivatives.central_difference,
      np.gradient) or their dotted names ("numpy.gradient").
    Looks through func's code, its inner functions and lambdas, its closure
    and default arguments, and helper functions defined next to it, for a
    reference to a forbidden function, however it was imported or renamed
    (`from ... import x as y`, `cu.derivatives.x`).  Raises
    AssertionError explaining that the exercise is to write it yourself.
    """
    _require_function(func)
    specs = [_resolve(spec) for spec in forbidden
             if not isinstance(spec, str) or _may_reach(spec, func)]
    _refuse(func, _forbidden_match(specs),
            "The point of this exercise is to compute the result yourself "
            "with NumPy arithmetic, so calling a ready-made version does "
            "not count. Remove that call and implement the formula from "
            "the text.")


def _framework_match(modules):
    """match() for _first_reference: the framework (top-level module name
    in `modules`) an object belongs to."""
    def match(obj):
        target = _unwrap(obj)
        owner = (getattr(target, "__name__", "")
                 if isinstance(target, types.ModuleType)
                 else getattr(target, "__module__", "")) or ""
        root = owner.split(".")[0] if isinstance(owner, str) else ""
        return root if root in modules else None
    return match


def assert_no_framework(func, modules=("torch", "jax", "tensorflow",
                                        "autograd")):
    """Assert that func uses no automatic-differentiation framework.

    func: the student's function.
    modules: top-level module names whose use is refused (anything from
      torch, torch.autograd, ... counts as torch).
    Looks through func's code and the helpers defined next to it, as
    assert_not_delegating does.
    """
    _require_function(func)
    _refuse(func, _framework_match(set(modules)),
            "Here the gradients are derived by hand with NumPy: a "
            "framework's automatic differentiation does not count.")
