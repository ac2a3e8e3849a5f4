"""Static scan of student code for attempts to bend test verdicts.

The sandbox cannot stop code from changing its own interpreter, so the
grader looks at what the student wrote: IPython hooks (transformers,
custom exception handlers, event callbacks), monkeypatching of numpy,
math, builtins, sys or the course package, and objects whose equality
always holds.  Each finding is a short sentence for the report.
"""
import ast

from IPython.core.inputtransformer2 import TransformerManager

from autograder.course.notebooks import is_test_cell

HOOK_ATTRS = {
    "ast_transformers", "input_transformers_post",
    "input_transformers_cleanup", "input_transformer_manager",
    "set_custom_exc", "CustomTB", "custom_exceptions", "excepthook",
    "displayhook", "showtraceback", "run_cell", "run_ast_nodes",
    "run_code", "transform_cell", "do_execute", "register_transformer",
}
PROTECTED_MODULES = {"numpy", "math", "builtins", "sys", "course_utils",
                     "unittest", "IPython", "ipykernel"}
ALLOWED_TARGETS = {"sys.stdout", "sys.stderr", "sys.path", "sys.argv"}
COMPARISONS = {"__eq__", "__ne__", "__bool__", "__lt__", "__le__",
               "__gt__", "__ge__", "__array_ufunc__", "__array_function__"}


def _root_name(node):
    """Return the leftmost name of ``a.b.c`` (or None)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node):
    """Return ``a.b.c`` for an attribute chain, best effort."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _constant_body(body):
    """Does this function body just return a constant?"""
    stmts = [s for s in body if not (isinstance(s, ast.Expr) and
                                     isinstance(s.value, ast.Constant))]
    return len(stmts) == 1 and isinstance(stmts[0], ast.Return) and \
        isinstance(stmts[0].value, ast.Constant)


class Scanner(ast.NodeVisitor):
    """Collect tamper findings from one module's AST."""

    def __init__(self, findings):
        self.findings = findings
        self.modules = {m.split(".")[0]: m for m in PROTECTED_MODULES}
        self.modules.update({"np": "numpy", "__builtins__": "builtins"})

    def visit_Import(self, node):
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top in PROTECTED_MODULES:
                self.modules[alias.asname or top] = alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        top = (node.module or "").split(".")[0]
        if top in PROTECTED_MODULES:
            for alias in node.names:
                self.modules[alias.asname or alias.name] = node.module
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in HOOK_ATTRS:
            self.findings.append(f"uses IPython/sys hook {node.attr!r}")
        self.generic_visit(node)

    def _check_target(self, target):
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root_name(target)
            if root in self.modules and \
                    _dotted(target) not in ALLOWED_TARGETS:
                self.findings.append(
                    f"monkeypatches {_dotted(target) or root}")

    def visit_Assign(self, node):
        for target in node.targets:
            self._check_target(target)
            if isinstance(target, ast.Name) and target.id in COMPARISONS \
                    and isinstance(node.value, ast.Lambda) and \
                    isinstance(node.value.body, ast.Constant):
                self.findings.append(f"{target.id} always returns "
                                     f"{node.value.body.value!r}")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_Call(self, node):
        name = _dotted(node.func)
        if name in ("setattr", "delattr") and node.args and \
                _root_name(node.args[0]) in self.modules:
            self.findings.append(f"{name} on module "
                                 f"{_root_name(node.args[0])}")
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name in COMPARISONS and _constant_body(node.body):
            self.findings.append(f"{node.name} always returns a constant")
        self.generic_visit(node)


def scan_source(source):
    """Return tamper findings for one cell's source."""
    findings = []
    try:
        code = TransformerManager().transform_cell(source)
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return findings
    Scanner(findings).visit(tree)
    return findings


def scan_notebook(nb):
    """Return the de-duplicated findings over all student code cells."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_test_cell(cell):
            for item in scan_source(cell.source):
                if item not in found:
                    found.append(item)
    return found
