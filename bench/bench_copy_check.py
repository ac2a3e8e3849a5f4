"""How often does the copy check flag correct work written independently?

The grader notes an answer whose code reads like a reference kernel's
(autograder.trusted.findings.copied_reference; a note for the instructor,
never a reason to hold points).  This measures its false-positive rate
on correct answers: each chapter's solution cells and the right answers
in other styles that the chapter's grading test keeps at full marks (the
``ALT``/``RIGHT*`` string constants of tests/chapters/chNN.py), each
checked against the reference kernels that chapter's tests forbid.

    python bench/bench_copy_check.py
"""
import ast
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.trusted.findings import SIMILAR, copied_reference
from autograder.trusted.verdicts import forbidden_in

REPO = Path(__file__).resolve().parents[1]


def right_answers(chapter):
    """[(where, source)] of correct answers of one chapter."""
    folder = next((REPO / "solutions").glob(f"{chapter}_*"))
    source = nbformat.read(next(folder.glob("*.ipynb")), as_version=4)
    out = []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            out.append((f"solution {meta['grade_id']}", cell.source))
    test = REPO / "tests" / "chapters" / f"ch{chapter}.py"
    tree = ast.parse(test.read_text())
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if not any(n == "ALT" or n.startswith("RIGHT") for n in names):
            continue
        for const in ast.walk(node.value):
            if isinstance(const, ast.Constant) and isinstance(
                    const.value, str) and "def " in const.value:
                out.append((f"{names[0]} line {const.lineno}", const.value))
    return source, out


def main():
    total = flagged = 0
    for chapter in ("01", "02", "03", "04", "05", "06"):
        source, answers = right_answers(chapter)
        tests = [c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("grade")]
        forbidden = forbidden_in(tests)
        hits = []
        for where, code in answers:
            nb = new_notebook(cells=[new_code_cell(
                code.replace("### BEGIN SOLUTION", "")
                .replace("### END SOLUTION", ""))])
            found = copied_reference(nb, forbidden)
            if found:
                hits.append(f"{where}: {'; '.join(found)}")
        total += len(answers)
        flagged += len(hits)
        print(f"chapter {chapter}: {len(answers)} correct answers, "
              f"{len(hits)} noted as similar to a reference "
              f"({len(forbidden)} forbidden references)")
        for hit in hits:
            print(f"    {hit}")
    rate = flagged / total if total else 0.0
    print(f"all chapters: {flagged} of {total} correct answers noted "
          f"(false-positive rate {rate:.1%} at similarity >= {SIMILAR})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
