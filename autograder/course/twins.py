"""Text twins of the solution notebooks, for review and diffs.

Every notebook ``solutions/NN_topic/NAME.ipynb`` has a twin
``solutions/NN_topic/NAME.py`` in Jupytext's percent format: one ``# %%``
block per cell, its type and the metadata nbgrader reads (``grade_id``,
``points``, ``solution``, ``locked``, ...) in the block's header line, the
code as it is and markdown as comments.  A review reads and diffs the
twin; the notebook stays the one source that is edited (nbgrader and the
lab read it), and ``make twins`` (part of ``make release``) rewrites the
twins from it, after the shared cells (``shared_text``) are synced.

Twins never reach students: nbgrader's ``CourseDirectory.ignore`` leaves
``*.py`` out of every release, and the lab copies only the release.

    python -m autograder.course.twins [--check] [COURSE_ROOT]
"""
import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

# Percent format, without the notebook-level header: the kernelspec and
# Jupytext's own version are noise in a review, and a Jupytext release
# that changes its version would otherwise make every twin stale.
FORMAT = {"extension": ".py", "format_name": "percent",
          "notebook_metadata_filter": "-all"}
COMMAND = "make twins"


def notebooks(root):
    """Every solution notebook of the course at ``root``."""
    return sorted((Path(root) / "solutions").glob("*/*.ipynb"))


def twin_of(notebook):
    """The twin's path: the notebook's, ending in .py."""
    return Path(notebook).with_suffix(".py")


def twin_text(notebook):
    """What the twin of ``notebook`` must hold."""
    nb = nbformat.read(notebook, as_version=4)
    return jupytext.writes(nb, fmt=FORMAT)


def _first_difference(have, want):
    """(line number, the twin's text, the notebook's text) where the two
    first differ: line numbers 1-based, each text cut to the part around
    the first differing character."""
    have, want = have.splitlines(), want.splitlines()
    n = next((i for i, (a, b) in enumerate(zip(have, want)) if a != b),
             min(len(have), len(want)))
    a = have[n] if n < len(have) else "<end of file>"
    b = want[n] if n < len(want) else "<end of file>"
    col = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y),
               min(len(a), len(b)))
    start = max(0, col - 30)

    def cut(text):
        part = text[start:col + 30]
        return ("..." if start else "") + part + (
            "..." if len(text) > col + 30 else "")
    return n + 1, cut(a), cut(b)


def stale(root):
    """[why] for each twin that is missing or says other than its notebook;
    each reason names the file and the first line that differs."""
    root = Path(root)
    problems = []
    for notebook in notebooks(root):
        twin = twin_of(notebook)
        rel = twin.relative_to(root)
        if not twin.is_file():
            problems.append(f"{rel} is missing")
            continue
        have, want = twin.read_text(encoding="utf-8"), twin_text(notebook)
        if have != want:
            line, a, b = _first_difference(have, want)
            problems.append(f"{rel} differs from its notebook at line "
                            f"{line}: the twin has {a!r}, the notebook "
                            f"{b!r}")
    for twin in sorted((root / "solutions").glob("*/*.py")):
        if not twin.with_suffix(".ipynb").is_file():
            problems.append(f"{twin.relative_to(root)} has no notebook "
                            f"beside it: delete it, or rename it with its "
                            f"notebook")
    return problems


def write(root):
    """Write every missing or stale twin; return the paths written."""
    written = []
    for notebook in notebooks(root):
        twin, text = twin_of(notebook), twin_text(notebook)
        if not twin.is_file() or twin.read_text(encoding="utf-8") != text:
            twin.write_text(text, encoding="utf-8")
            written.append(twin)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.twins",
        description="Write (or --check) the percent-format .py twin of "
                    "every solution notebook.")
    parser.add_argument("root", nargs="?", default=".",
                        help="course root (default: the current folder)")
    parser.add_argument("--check", action="store_true",
                        help="only report missing or stale twins; exit 1 "
                             "if there are any")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if args.check:
        problems = stale(root)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"Run `{COMMAND}` and commit the twins.", file=sys.stderr)
        return 1 if problems else 0
    for path in write(root):
        print(f"twin written: {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
