"""The protocol between the grader and the student's kernel: message types,
and plain data across the trust boundary.

The only module both sides import; it imports nothing else of ours.

Graded test cells run in the grader's own (trusted) process; the names
in a test cell that mean the student's answers become proxies.  A call
sends plain data to the student's kernel and gets plain data back:

* ``None``, bools, ints, floats, complex numbers and strings;
* NumPy arrays and scalars of any dtype without Python objects in it
  (numbers, strings, dates, structured records: ``np.save`` bytes,
  loaded with ``allow_pickle=False``, so object arrays never cross);
* lists, tuples, dicts, sets and frozensets of those (exactly these
  types: a subclass such as a namedtuple is not plain data);
* pandas Series, DataFrames and Indexes whose values are such arrays or
  plain values (rebuilt from those, when the grader has pandas);
* NumPy random Generators (bit generator name and state; a call sends
  the state back, so the test's generator advances as the answer drew);
* instances of ``course_utils`` classes (class name and plain-data
  attributes; rebuilt from each side's own ``course_utils``, attributes
  sent back after a call), such as an fma that records its tiles;
* callables the test passes: NumPy and ``course_utils`` functions by
  dotted name, functions and lambdas written in the test cell by their
  source (taken from the test cell's syntax tree) plus the plain values
  they use, other proxies by name.

Nothing is ever unpickled, and decoding builds only the types above, so
an object with a lying ``__eq__`` or ``__array__`` cannot reach a
check.  A value that is not plain data comes back as an ``Opaque``
stand-in (a callable one as a proxy of its own); a test cell that meets
one cannot be reproduced outside the student's kernel, and the grader
keeps the verdict the cell had there (autograder.trusted.verdicts).

The same module is imported by the student's kernel (autograder.
studentside) for the other direction; there, decoding also rebuilds the
test's functions from their source.
"""
import ast
import base64
import builtins
import dis
import importlib
import inspect
import io
import linecache
import sys
import textwrap
import types

import numpy as np

# Message types of the grader's requests to the student's kernel (a
# message of their own on the shell channel: no cell is executed for
# them), and the marks of a test cell run in the kernel.
REQUEST = "autograder_request"
REPLY = "autograder_reply"
# A test cell's source starts with this when the grader runs it in the
# kernel: the kernel restores a clean state first.
GUARD = "#%autograder:test-cell\n"
# The kernel's report of what it restored, as a display in that cell.
TAMPER_MIME = "application/x-autograder-tamper+json"

SAFE_KINDS = "biufcUSVMm"


class EncodeError(TypeError):
    """A value cannot be sent across the boundary."""


class Opaque:
    """Stand-in for a student value that is not plain data."""

    def __init__(self, type_name, text=""):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return f"<{self.type_name} from your notebook (not plain data)>"


# ---------------------------------------------------------------------------
# arrays
# ---------------------------------------------------------------------------
def _plain_dtype(dtype):
    return dtype.kind in SAFE_KINDS and not dtype.hasobject


def _array_bytes(arr):
    arr = np.asarray(arr)
    if not _plain_dtype(arr.dtype):
        raise EncodeError(f"an array of dtype {arr.dtype} cannot be sent")
    buf = io.BytesIO()
    try:
        np.save(buf, arr, allow_pickle=False)
    except ValueError as err:
        raise EncodeError(f"an array of dtype {arr.dtype} cannot be "
                          f"sent") from err
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _load_array(text):
    arr = np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)
    if type(arr) is not np.ndarray or not _plain_dtype(arr.dtype):
        raise EncodeError("not a plain array")
    return arr


# ---------------------------------------------------------------------------
# encoding (both sides)
# ---------------------------------------------------------------------------
def encode(obj, refs=None, depth=0):
    """Return a JSON-able description of ``obj``.

    ``refs(obj)`` may return a description for objects this side knows
    how to name (proxies, handles); it returns None otherwise.
    """
    if depth > 50:
        raise EncodeError("nested too deeply")
    if refs is not None:
        known = refs(obj)
        if known is not None:
            return known
    kind = type(obj)
    if obj is None or kind in (bool, str):
        return obj
    if kind is int:
        return obj if abs(obj) < 2 ** 63 else {"$bigint": str(obj)}
    if kind is float:
        return {"$f": float.hex(obj)}
    if kind is complex:
        return {"$c": [float.hex(obj.real), float.hex(obj.imag)]}
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        tag = "$a" if isinstance(obj, np.ndarray) else "$s"
        return {tag: _array_bytes(obj)}
    if kind in (list, tuple):
        items = [encode(x, refs, depth + 1) for x in obj]
        return items if kind is list else {"$t": items}
    if kind is dict:
        return {"$d": [[encode(k, refs, depth + 1), encode(v, refs, depth + 1)]
                       for k, v in obj.items()]}
    if kind in (set, frozenset):
        tag = "$set" if kind is set else "$fset"
        return {tag: [encode(x, refs, depth + 1) for x in obj]}
    if _is_pandas(kind):
        return {"$pd": _encode_pandas(obj, refs, depth)}
    if isinstance(obj, types.ModuleType):
        return {"$m": obj.__name__}
    if isinstance(obj, np.random.Generator):
        return encode_generator(obj)
    if kind is CourseObject:
        obj = obj._obj
        kind = type(obj)
    course_class = course_class_name(kind)
    if course_class is not None and isinstance(
            getattr(obj, "__dict__", None), dict):
        return {"$obj": {"cls": course_class,
                         "state": encode(dict(vars(obj)), refs, depth + 1)}}
    if callable(obj):
        return encode_callable(obj, refs, depth)
    raise EncodeError(f"a {kind.__name__} is not plain data")


# ---------------------------------------------------------------------------
# random generators and course_utils objects (rules for the chapters' tests)
# ---------------------------------------------------------------------------
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def encode_generator(gen):
    """A NumPy Generator crosses as its bit generator's name and state
    (plain data); the other side builds a fresh one in that state, and
    a call sends the state the student's function left it in back, so a
    test that draws from it again continues where the answer stopped."""
    bitgen = gen.bit_generator
    name = type(bitgen).__name__
    if name not in BIT_GENERATORS or type(bitgen) is not getattr(
            np.random, name):
        raise EncodeError(f"a {name} generator is not plain data")
    return {"$rng": {"bitgen": name, "state": encode(bitgen.state)}}


def decode_generator(payload):
    name = str(payload.get("bitgen"))
    if name not in BIT_GENERATORS:
        raise EncodeError("unknown bit generator")
    state = decode(payload.get("state"))
    if not isinstance(state, dict):
        raise EncodeError("malformed generator state")
    bitgen = getattr(np.random, name)()
    try:
        bitgen.state = state
    except (TypeError, ValueError, KeyError) as err:
        raise EncodeError(f"malformed generator state ({err})") from None
    return np.random.Generator(bitgen)


def course_class_name(cls):
    """``module.qualname`` of a class defined in ``course_utils``, or None.

    An instance of such a class (``tensorcore_checks.TileRecorder``, an
    fma the test hands to the answer) crosses as its class's name and
    its attributes (plain data only); each side rebuilds it from its own
    ``course_utils``, and a call sends the attributes back, so what it
    recorded in the student's kernel reaches the test's copy."""
    module = getattr(cls, "__module__", None)
    qual = getattr(cls, "__qualname__", None)
    if not (isinstance(module, str) and isinstance(qual, str)) or \
            not (module == "course_utils" or
                 module.startswith("course_utils.")) or "<" in qual:
        return None
    try:
        target = importlib.import_module(module)
        for part in qual.split("."):
            target = getattr(target, part)
    except Exception:  # not importable under that name
        return None
    return f"{module}.{qual}" if target is cls else None


# Names from the other side that were refused (the grader flags them).
REFUSED = []


def take_refused():
    """The refusals recorded since the last call."""
    found = list(dict.fromkeys(REFUSED))
    REFUSED.clear()
    return found


# Set by the student's kernel (autograder.kernel.studentside), where the names
# come from the grader: a course_utils module named there may be loaded.
IMPORT_COURSE_MODULES = False
# Set by the student's kernel (autograder.kernel.studentside): wraps a rebuilt
# course_utils object so its own calls may use the reference kernels.
OBJECT_WRAPPER = None


class CourseObject:
    """A course_utils object in the student's kernel, called with the
    reference kernels available (``around`` lifts their stubs)."""

    def __init__(self, obj, around):
        self._obj = obj
        self._around = around

    def __call__(self, *args, **kwargs):
        with self._around():
            return self._obj(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __repr__(self):
        return repr(self._obj)


def decode_course_object(payload, build):
    dotted = str(payload.get("cls"))
    found = None
    # The name comes from the other side: only a course_utils module
    # already loaded here is looked in (importing a module the student
    # names would run its code, ``unittest.__main__`` included), and
    # only plain attribute names are followed.
    parts = dotted.split(".")
    if parts[0] == "course_utils" and all(
            p.isidentifier() and not p.startswith("__") for p in parts):
        for cut in range(len(parts) - 1, 0, -1):
            name = ".".join(parts[:cut])
            target = sys.modules.get(name)
            if target is None and IMPORT_COURSE_MODULES:
                try:  # the student's kernel, reading the grader's names
                    target = importlib.import_module(name)
                except Exception:
                    target = None
            if target is None:
                continue
            try:
                for part in parts[cut:]:
                    target = inspect.getattr_static(target, part)
            except AttributeError:
                continue
            found = target
            break
    if not isinstance(found, type) or course_class_name(found) != dotted:
        if len(REFUSED) < 100:
            REFUSED.append(f"an object of class {dotted[:100]!r}, which "
                           "is not a course_utils class")
        raise EncodeError(f"{dotted[:100]} is not a course_utils class")
    state = decode(payload.get("state"), build)
    if not isinstance(state, dict) or not all(
            isinstance(k, str) for k in state):
        raise EncodeError("malformed object state")
    obj = found.__new__(found)
    obj.__dict__.update(state)
    if OBJECT_WRAPPER is not None:
        return OBJECT_WRAPPER(obj)
    return obj


def decode(data, build=None):
    """Rebuild a value from ``encode``'s description.

    ``build(tag, payload)`` handles the tags only one side understands
    (functions, modules, student names); without it they are refused.
    """
    if data is None or type(data) in (bool, str, int):
        return data
    if type(data) is float:
        return data
    if type(data) is list:
        return [decode(x, build) for x in data]
    if type(data) is not dict or len(data) != 1:
        raise EncodeError("malformed data")
    (tag, payload), = data.items()
    if tag == "$f":
        return float.fromhex(str(payload))
    if tag == "$bigint":
        return int(str(payload))
    if tag == "$c":
        return complex(float.fromhex(str(payload[0])),
                       float.fromhex(str(payload[1])))
    if tag == "$a":
        return _load_array(str(payload))
    if tag == "$s":
        arr = _load_array(str(payload))
        if arr.shape != ():
            raise EncodeError("malformed scalar")
        return arr[()]
    if tag == "$t":
        return tuple(decode(x, build) for x in payload)
    if tag == "$d":
        return {_hashable(decode(k, build)): decode(v, build)
                for k, v in payload}
    if tag in ("$set", "$fset") and isinstance(payload, list):
        items = [_hashable(decode(x, build)) for x in payload]
        return set(items) if tag == "$set" else frozenset(items)
    if tag == "$pd" and isinstance(payload, dict):
        return _decode_pandas(payload, build)
    if tag == "$rng" and isinstance(payload, dict):
        return decode_generator(payload)
    if tag == "$obj" and isinstance(payload, dict):
        return decode_course_object(payload, build)
    if tag == "$opaque":
        return Opaque(str(payload.get("type", "object")),
                      str(payload.get("text", ""))[:200])
    if build is not None:
        return build(tag, payload)
    raise EncodeError(f"unexpected {tag}")


def _hashable(key):
    if isinstance(key, (list, dict, set, np.ndarray)):
        raise EncodeError("unhashable key")
    return key


# ---------------------------------------------------------------------------
# pandas objects, rebuilt from plain arrays (never pickled)
# ---------------------------------------------------------------------------
PANDAS_KINDS = ("Series", "DataFrame", "Index", "RangeIndex")


def _is_pandas(kind):
    module = str(getattr(kind, "__module__", ""))
    return (module == "pandas" or module.startswith("pandas.")) and \
        kind.__name__ in PANDAS_KINDS


def _encode_values(values, refs, depth):
    """A pandas column: a plain NumPy array, or plain Python values."""
    arr = np.asarray(values)
    if _plain_dtype(arr.dtype):
        return {"array": _array_bytes(arr)}
    if arr.dtype.kind == "O":
        return {"items": [encode(x, refs, depth + 1) for x in arr.tolist()]}
    raise EncodeError(f"a pandas column of dtype {values.dtype} cannot be "
                      f"sent")


def _encode_index(index, refs, depth):
    import pandas as pd
    if type(index) is pd.RangeIndex:
        return {"range": [index.start, index.stop, index.step],
                "name": encode(index.name, refs, depth + 1)}
    if type(index) is not pd.Index:
        raise EncodeError(f"a pandas {type(index).__name__} cannot be sent")
    return {"values": _encode_values(index.array, refs, depth),
            "dtype": str(index.dtype),
            "name": encode(index.name, refs, depth + 1)}


def _encode_pandas(obj, refs, depth):
    import pandas as pd
    if depth > 50:
        raise EncodeError("nested too deeply")
    if isinstance(obj, pd.Index):
        return {"kind": "Index", "index": _encode_index(obj, refs, depth)}
    if type(obj) is pd.Series:
        return {"kind": "Series", "index": _encode_index(obj.index, refs,
                                                         depth),
                "values": _encode_values(obj.array, refs, depth),
                "dtype": str(obj.dtype),
                "name": encode(obj.name, refs, depth + 1)}
    if type(obj) is pd.DataFrame:
        return {"kind": "DataFrame",
                "index": _encode_index(obj.index, refs, depth),
                "columns": _encode_index(obj.columns, refs, depth),
                "data": [[_encode_values(obj.iloc[:, i].array, refs, depth),
                          str(obj.dtypes.iloc[i])]
                         for i in range(obj.shape[1])]}
    raise EncodeError(f"a pandas {type(obj).__name__} cannot be sent")


def _decode_values(data, dtype, build):
    if not isinstance(data, dict):
        raise EncodeError("malformed pandas column")
    if "array" in data:
        values = _load_array(str(data["array"]))
    else:
        items = [decode(x, build) for x in list(data.get("items", []))]
        values = np.empty(len(items), dtype=object)
        values[:] = items
    if dtype is not None and str(dtype) != str(values.dtype):
        import pandas as pd
        # Only pandas' own dtype names (category, string, Int64, ...)
        return pd.array(values, dtype=pd.api.types.pandas_dtype(
            str(dtype)))
    return values


def _decode_index(data, build):
    import pandas as pd
    if not isinstance(data, dict):
        raise EncodeError("malformed pandas index")
    name = decode(data.get("name"), build)
    if "range" in data:
        start, stop, step = (int(x) for x in data["range"])
        return pd.RangeIndex(start, stop, step, name=name)
    values = _decode_values(data.get("values"), data.get("dtype"), build)
    return pd.Index(values, name=name, dtype=data.get("dtype"))


def _decode_pandas(payload, build):
    try:
        import pandas as pd
    except ImportError:
        raise EncodeError("pandas is not installed for the grader") from None
    kind = payload.get("kind")
    try:
        if kind == "Index":
            return _decode_index(payload.get("index"), build)
        if kind == "Series":
            return pd.Series(
                _decode_values(payload.get("values"), payload.get("dtype"),
                               build),
                index=_decode_index(payload.get("index"), build),
                name=decode(payload.get("name"), build), copy=False)
        if kind == "DataFrame":
            columns = _decode_index(payload.get("columns"), build)
            data = [_decode_values(col, dtype, build)
                    for col, dtype in payload.get("data", [])]
            frame = pd.DataFrame(
                {i: col for i, col in enumerate(data)},
                index=_decode_index(payload.get("index"), build))
            frame.columns = columns
            return frame
    except EncodeError:
        raise
    except Exception as err:  # a description pandas cannot rebuild
        raise EncodeError(f"malformed pandas {kind}: {err}") from None
    raise EncodeError(f"malformed pandas {kind}")


# ---------------------------------------------------------------------------
# callables of the trusted side
# ---------------------------------------------------------------------------
def dotted_name(obj):
    """``module.qualname`` when importing it gives back ``obj``, or None."""
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__",
                                                        None)
    candidates = []
    if isinstance(module, str) and isinstance(qual, str):
        candidates.append((module, qual))
    name = getattr(obj, "__name__", None)
    if isinstance(obj, np.ufunc) or (isinstance(name, str) and
                                     getattr(np, name, None) is obj):
        candidates.append(("numpy", name))
    for module, qual in candidates:
        if "<" in qual:
            continue
        try:
            target = importlib.import_module(module)
            for part in qual.split("."):
                target = getattr(target, part)
        except Exception:  # not importable under that name
            continue
        if target is obj:
            return f"{module}.{qual}"
    return None


_SOURCES = {}


def register_source(filename, source):
    """Make a test cell's source findable for the functions it defines."""
    lines = source.splitlines(True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    if _SOURCES.get(filename) != source:
        for key in [k for k in _FUNCTION_SOURCES if k[0] == filename]:
            del _FUNCTION_SOURCES[key]
    _SOURCES[filename] = source


def _strip(node):
    """A copy of a lambda/def node without defaults or decorators."""
    node = ast.parse(ast.unparse(node), mode="exec").body[0]
    target = node.value if isinstance(node, ast.Expr) else node
    args = target.args
    args.defaults = [ast.Constant(None) for _ in args.defaults]
    args.kw_defaults = [None if d is None else ast.Constant(None)
                        for d in args.kw_defaults]
    if isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)):
        target.decorator_list = []
        target.returns = None
    return ast.unparse(node)


def _same_code(a, b):
    return a.co_code == b.co_code and a.co_names == b.co_names and \
        a.co_argcount == b.co_argcount and a.co_varnames == b.co_varnames


def _code_in(consts, code):
    for const in consts:
        if isinstance(const, types.CodeType):
            if _same_code(const, code):
                return True
            if _code_in(const.co_consts, code):
                return True
    return False


_FUNCTION_SOURCES = {}


def function_source(func):
    """Source of a function or lambda written in a test cell, or None
    (memoised per code object: a test calls in loops)."""
    code = func.__code__
    key = (code.co_filename, code)
    if key not in _FUNCTION_SOURCES:
        _FUNCTION_SOURCES[key] = _function_source(code)
    return _FUNCTION_SOURCES[key]


def _function_source(code):
    source = _SOURCES.get(code.co_filename)
    if source is None:
        return None
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Lambda, ast.FunctionDef)):
            continue
        first = node.lineno
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            first = node.decorator_list[0].lineno
        if first != code.co_firstlineno and node.lineno != \
                code.co_firstlineno:
            continue
        text = _strip(node)
        try:
            compiled = compile(text, "<check>", "exec")
        except SyntaxError:
            continue
        if _code_in(compiled.co_consts, code):
            return text
    return None


_GLOBAL_NAMES = {}


def _global_names(code):
    if code not in _GLOBAL_NAMES:
        _GLOBAL_NAMES[code] = frozenset(_read_global_names(code))
    return _GLOBAL_NAMES[code]


def _read_global_names(code):
    names = set()
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and \
                isinstance(ins.argval, str):
            names.add(ins.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _read_global_names(const)
    return names


def encode_callable(obj, refs=None, depth=0):
    """Describe a trusted callable so the student's kernel can call it."""
    name = dotted_name(obj)
    if name is not None and not name.startswith("__main__."):
        return {"$ref": name}
    if not isinstance(obj, types.FunctionType):
        raise EncodeError(f"the function {obj!r} cannot be sent")
    source = function_source(obj)
    if source is None:
        raise EncodeError(f"the source of {obj.__name__} was not found")
    code = obj.__code__
    glb = {}
    for gname in sorted(_global_names(code)):
        if gname in obj.__globals__:
            value = obj.__globals__[gname]
            if value is obj:
                glb[gname] = {"$self": True}
                continue
            glb[gname] = encode(value, refs, depth + 1)
    closure = {}
    for var, cell in zip(code.co_freevars, obj.__closure__ or ()):
        closure[var] = encode(cell.cell_contents, refs, depth + 1)
    return {"$fn": {
        "source": source, "name": obj.__name__, "globals": glb,
        "closure": closure,
        "defaults": encode(tuple(obj.__defaults__ or ()), refs, depth + 1),
        "kwdefaults": encode(dict(obj.__kwdefaults__ or {}), refs,
                             depth + 1)}}


def build_function(spec, decode_value):
    """Rebuild a function sent by ``encode_callable`` (student side)."""
    glb = {"__builtins__": builtins}
    self_names = []
    for gname, value in spec["globals"].items():
        if isinstance(value, dict) and value.get("$self"):
            self_names.append(gname)
            continue
        glb[gname] = decode_value(value)
    closure = {k: decode_value(v) for k, v in spec["closure"].items()}
    source = spec["source"]
    name = spec["name"]
    params = ", ".join(closure)
    if name == "<lambda>":
        body = f"    return {source}\n"
    else:
        body = textwrap.indent(source, "    ") + f"\n    return {name}\n"
    maker = f"def __autograder_make__({params}):\n{body}"
    exec(compile(maker, f"<test function {name}>", "exec"), glb)
    func = glb.pop("__autograder_make__")(**closure)
    defaults = decode_value(spec["defaults"])
    func.__defaults__ = tuple(defaults) or None
    func.__kwdefaults__ = decode_value(spec["kwdefaults"]) or None
    for gname in self_names:
        glb[gname] = func
    return func


def make_signature(params):
    """An inspect.Signature from [(name, kind, has_default)] sent back."""
    out = []
    for pname, kind, has_default in params or []:
        try:
            out.append(inspect.Parameter(
                str(pname), inspect._ParameterKind(int(kind)),
                default=None if has_default else inspect.Parameter.empty))
        except (ValueError, TypeError):
            return None
    try:
        return inspect.Signature(out)
    except (ValueError, TypeError):
        return None
