"""What the workers share for the re-runs: trusted tests, files, scans.

* ``tests_for(master)``: the trusted test runner the worker gives to
  ``grading.execute.Runner`` (autograder.trusted.verdicts);
* ``declared_files(course, assignment)`` / ``kernel_files(job)``: the
  files the kernel's working copy gets: the release and source folders'
  only, so a file shipped beside the notebook (a fake
  ``autograder/kernel/__main__.py``, a ``numpy.py``) is ignored there
  (it still lands in autograded/ and feedback/, as nbgrader puts it);
* ``review_findings(nb, master)``: tampering with the kernel's
  messaging, hooks, tracing, threads, signals or ``__builtins__`` seen
  in the code (these hold points for review);
* ``similar_to_reference(nb, master)``: answers that read like a
  forbidden reference kernel's code (a note; never holds points).
"""
import ast
import difflib
import importlib
import inspect
import io
import textwrap
import tokenize
from pathlib import Path

from autograder.course.notebooks import is_test_cell
from autograder.trusted.verdicts import TrustedTests, forbidden_in, to_python

# Attribute or function names whose use in student code is reported.
WATCHED_CALLS = {
    "settrace": "installs a trace function",
    "setprofile": "installs a profile function",
    "_getframe": "inspects the caller's frames",
    "currentframe": "inspects the caller's frames",
    "f_back": "inspects the caller's frames",
    "f_globals": "reads another frame's names",
    "f_locals": "reads another frame's names",
    "start_new_thread": "starts a thread",
    "Thread": "starts a thread",
    "Timer": "starts a timer thread",
    "setitimer": "sets an interval timer",
    "alarm": "sets an alarm signal",
    "session": "touches the kernel's messaging",
    "iopub_socket": "touches the kernel's messaging",
    "display_pub": "replaces IPython's display publisher",
    "InteractiveTB": "touches IPython's traceback display",
    "_showtraceback": "touches IPython's traceback display",
    "__code__": "uses a function's code object",
    "getsource": "reads reference source at run time",
    "__file__": "reads a module's file at run time",
    "__class__": "swaps an object's class",
    "meta_path": "installs an import hook",
    "path_hooks": "installs an import hook",
    "GuardedKernel": "touches the grading kernel",
    "studentside": "touches the grading kernel",
}
MIN_TOKENS = 40
SIMILAR = 0.85


def tests_for(master, files=()):
    """The TrustedTests for one notebook's master; ``files``
    are the assignment's declared files the tests may read."""
    return TrustedTests(getattr(master, "setup", []) or [],
                        [c.source for c in master.tests.values()],
                        files)


def warm(masters):
    """Import what the setup cells import, once, in the grading parent:
    the forked workers that run the tests then start with it loaded."""
    import os
    from autograder.sandbox import isolation as sandbox
    os.environ.setdefault("MPLBACKEND", "Agg")
    sandbox.font_list()  # the kernels' matplotlib font list, made once
    for master in masters:
        # What every worker would otherwise parse again per notebook.
        tests = [c.source for c in master.tests.values()]
        for source in tests:
            to_python(source)
        _reference_bodies(forbidden_in(
            tests + list(getattr(master, "setup", []) or [])))
        for source in getattr(master, "setup", []) or []:
            try:
                tree = ast.parse(to_python(source))
            except SyntaxError:
                continue
            imports = [n for n in tree.body
                       if isinstance(n, (ast.Import, ast.ImportFrom))]
            try:
                exec(compile(ast.Module(body=imports, type_ignores=[]),
                             "<setup imports>", "exec"), {})
            except Exception:  # the worker reports setup errors
                continue


def declared_files(course, assignment):
    """[(source path, relative name)] of the files the assignment
    declares: the non-notebook files of its release folder, then of its
    source folder over them (nbgrader's ``CourseDirectory.ignore``
    applied).  The kernel's working copy gets these and nothing a
    submission ships beside its notebooks; autograded/ and
    feedback/ still get nbgrader's set (``worker.extra_files``)."""
    return course.files_over([course.release_dir(assignment),
                              course.source_dir(assignment)])


def kernel_files(job):
    """The declared files for one grading job (computed by ``plan``;
    rebuilt from the course for a job that lacks them)."""
    if "kernel_files" in job:
        return job["kernel_files"]
    from autograder.course import Course  # imported here to avoid a cycle
    return declared_files(Course(job["course_root"]), job["assignment"])


def _tokens(source):
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER,
                            tokenize.STRING):
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _body_source(node, source):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(
            body[0].value, ast.Constant) and isinstance(body[0].value.value,
                                                        str):
        body = body[1:]
    return "\n".join(ast.get_source_segment(source, stmt) or ""
                     for stmt in body)


def _functions(source):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


_BODIES = {}


def _reference_bodies(names):
    """{dotted name: tokens of its body}, computed once per name set."""
    key = tuple(names)
    if key not in _BODIES:
        _BODIES[key] = _read_reference_bodies(names)
    return _BODIES[key]


def _read_reference_bodies(names):
    out = {}
    for dotted in names:
        module_name, _, attr = dotted.rpartition(".")
        try:
            func = getattr(importlib.import_module(module_name), attr)
            source = textwrap.dedent(inspect.getsource(func))
        except Exception:  # not found: nothing to compare with
            continue
        for node in _functions(source)[:1]:
            tokens = _tokens(_body_source(node, source))
            if len(tokens) >= MIN_TOKENS:
                out[dotted] = tokens
    return out


def copied_reference(nb, forbidden):
    """Findings for answer functions that look like a reference's code."""
    refs = _reference_bodies(forbidden)
    found = []
    if not refs:
        return found
    # One matcher per reference (its side is indexed once); the quick
    # upper bounds skip the full comparison when it cannot reach SIMILAR.
    matchers = {}
    for dotted, theirs in refs.items():
        matchers[dotted] = difflib.SequenceMatcher(None, autojunk=False)
        matchers[dotted].set_seq2(theirs)
    for cell in nb.cells:
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        try:
            source = to_python(cell.source)
        except Exception:
            continue
        for node in _functions(source):
            mine = _tokens(_body_source(node, source))
            if len(mine) < MIN_TOKENS // 2:
                continue
            for dotted, matcher in matchers.items():
                matcher.set_seq1(mine)
                if matcher.real_quick_ratio() < SIMILAR or \
                        matcher.quick_ratio() < SIMILAR:
                    continue
                ratio = matcher.ratio()
                if ratio >= SIMILAR:
                    found.append(f"{node.name} looks copied from {dotted} "
                                 f"(similarity {ratio:.2f})")
    return found


def watched_uses(nb):
    """Findings for kernel-level tricks written in the student's code."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        try:
            tree = ast.parse(to_python(cell.source))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call) and _is_signal_call(node):
                item = "sets a signal handler that runs code"
                if item not in found:
                    found.append(item)
                continue
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.Name):
                name = node.id
            elif isinstance(node, ast.alias):
                name = node.name.split(".")[-1]
            if name == "__builtins__" and isinstance(node, ast.Name) \
                    and isinstance(node.ctx, ast.Store):
                item = "replaces __builtins__"
            else:
                item = WATCHED_CALLS.get(name)
            if item and item not in found:
                found.append(item)
    return found


def _is_signal_call(node):
    """signal.signal(sig, handler) with a handler that runs code (not
    SIG_IGN or SIG_DFL, which only decide whether a signal is lost)."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(
        func, "id", None)
    if name != "signal" or len(node.args) < 2:
        return False
    handler = node.args[1]
    text = handler.attr if isinstance(handler, ast.Attribute) else \
        getattr(handler, "id", None)
    return text not in ("SIG_IGN", "SIG_DFL", "default_int_handler")


def _forbidden(master):
    return forbidden_in([c.source for c in master.tests.values()] +
                        list(getattr(master, "setup", []) or []))


def review_findings(nb, master):
    """Tamper findings of the static scan for one executed notebook."""
    return watched_uses(nb)


def similar_to_reference(nb, master):
    """Answers that read like the code of a reference kernel the tests
    forbid: a note for the instructor, never a reason to hold points."""
    return copied_reference(nb, _forbidden(master))

