"""Unit tests of the trust boundary's data format (autograder.protocol)."""
import base64
import io
import pickle
import sys

import numpy as np
import pytest

from autograder import protocol as proxy
from autograder.trusted.verdicts import TrustedTests, _write_back, forbidden_in


def roundtrip(value):
    return proxy.decode(proxy.encode(value))


@pytest.mark.parametrize("value", [
    None, True, 3, -2**70, 0.1, float("inf"), 1 + 2j, "text",
    [1, [2.5, "x"]], (1, 2), {"a": 1, 2: [3]},
])
def test_plain_values_round_trip(value):
    """Do plain values come back equal and of the same type?"""
    got = roundtrip(value)
    assert got == value and type(got) is type(value)


def test_arrays_and_scalars_round_trip():
    """Do arrays keep dtype and shape, and NumPy scalars stay scalars?"""
    arr = np.arange(6.0).reshape(2, 3).T
    got = roundtrip(arr)
    assert type(got) is np.ndarray and got.dtype == arr.dtype
    assert np.array_equal(got, arr)
    scalar = roundtrip(np.float64(2.5))
    assert type(scalar) is np.float64 and scalar == 2.5
    assert isinstance(scalar, float)


def test_liars_cannot_cross():
    """Do float subclasses and object arrays get refused?"""
    class Yes(float):
        def __eq__(self, other):
            return True
    with pytest.raises(proxy.EncodeError):
        proxy.encode(Yes(1.0))
    with pytest.raises(proxy.EncodeError):
        proxy.encode(np.array([object()]))


def test_pickles_are_never_loaded():
    """Is a pickled object array in the data refused, not unpickled?"""
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    data = {"$a": base64.b64encode(buf.getvalue()).decode()}
    with pytest.raises(ValueError):
        proxy.decode(data)
    with pytest.raises(proxy.EncodeError):
        proxy.decode({"$pickle": base64.b64encode(
            pickle.dumps(1)).decode()})


def test_test_lambda_is_sent_as_source():
    """Is a lambda written in a test cell rebuilt from its source?"""
    source = "_A = np.eye(2) * 3\n_f = lambda v, c=2.0: c * v @ _A @ v\n"
    proxy.register_source("<test cell u1>", source)
    ns = {"np": np}
    exec(compile(source, "<test cell u1>", "exec"), ns)
    spec = proxy.encode(ns["_f"])
    import json
    spec = json.loads(json.dumps(spec))

    def build(tag, payload):
        if tag == "$m":
            return np
        if tag == "$fn":
            return proxy.build_function(
                payload, lambda v: proxy.decode(v, build))
        raise AssertionError(tag)
    rebuilt = proxy.decode(spec, build)
    v = np.array([1.0, 2.0])
    assert rebuilt(v) == ns["_f"](v) == 30.0
    assert proxy.encode(np.sin) == {"$ref": "numpy.sin"}


def test_write_back_reports_in_place_changes():
    """Are the student's in-place changes copied into the test's value?"""
    x = np.zeros(3)
    _write_back(x, np.array([1.0, 0.0, 0.0]))
    assert x[0] == 1.0
    lst = [1, 2]
    _write_back(lst, [1, 3])
    assert lst == [1, 3]


def test_forbidden_names_are_resolved_from_imports():
    """Are assert_not_delegating's references named with their module?"""
    src = ("from course_utils import derivatives as _ref\n"
           "assert_not_delegating(f, _ref.forward_difference, np.gradient,"
           " 'course_utils.derivatives.complex_step')\n")
    assert forbidden_in([src]) == [
        "course_utils.derivatives.complex_step",
        "course_utils.derivatives.forward_difference"]
    assert TrustedTests([], [src]).forbidden


def test_generators_cross_with_their_state_and_advance_back():
    """Does a Generator arrive in its state, and its draws come back?"""
    gen = np.random.default_rng(7)
    theirs = roundtrip(gen)
    assert theirs is not gen
    assert np.array_equal(theirs.random(3), np.random.default_rng(7).random(3))
    _write_back(gen, theirs)  # the student's function drew three numbers
    expected = np.random.default_rng(7)
    expected.random(3)
    assert gen.random() == expected.random()


def test_course_utils_objects_cross_as_their_attributes():
    """Does a course_utils object (an fma recorder) cross as plain data,
    and do its recorded calls come back; a foreign class does not?"""
    from course_utils.tensorcore_checks import TileRecorder
    rec = TileRecorder("ideal")
    data = proxy.encode(rec)
    assert set(data) == {"$obj"}
    theirs = proxy.decode(data)
    assert type(theirs) is TileRecorder and theirs.kind == "ideal"
    tile = np.ones((4, 4), np.float16)
    theirs(tile, tile, np.zeros((4, 4), np.float32))
    _write_back(rec, proxy.decode(proxy.encode(theirs)))
    assert len(rec.calls) == 1 and rec.results[0][0, 0] == 4
    with pytest.raises(proxy.EncodeError):
        proxy.decode({"$obj": {"cls": "collections.OrderedDict",
                               "state": {"$d": []}}})


def test_hidden_files_of_a_package_cover_its_modules():
    """A reference re-exported by a package (course_utils.tensorcore's
    tc_matmul, defined in its tile module) is hidden with the file that
    defines it, not only the package's __init__."""
    import pathlib
    import course_utils.tensorcore as tc
    from autograder.kernel import landlock
    files = {pathlib.Path(f) for f in landlock.module_files(tc)}
    defining = pathlib.Path(sys.modules[tc.tc_matmul.__module__].__file__)
    assert pathlib.Path(tc.__file__) in files and defining in files
    assert defining != pathlib.Path(tc.__file__)
    plain = landlock.module_files(proxy)
    assert plain[0] == proxy.__file__ and all(
        f.endswith(".pyc") for f in plain[1:])
