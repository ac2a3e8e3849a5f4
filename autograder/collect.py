"""`collect`: import submitted notebooks into submitted/STUDENT/ASSIGNMENT.

Accepted layouts, inside a folder or a .zip:

- ``STUDENT/ASSIGNMENT/NOTEBOOK.ipynb`` (nbgrader's own layout)
- ``ASSIGNMENT/STUDENT/NOTEBOOK.ipynb``
- ``STUDENT/NOTEBOOK.ipynb``
- ``STUDENT_NOTEBOOK.ipynb`` or ``STUDENT__NOTEBOOK.ipynb`` (LMS export)

A notebook name identifies its assignment.  Anything that does not map
to exactly one student and assignment is reported, never guessed.
"""
import datetime as dt
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

BAD_ID_CHARS = set('/\\:*?"<>|') | {"\0"}


@dataclass
class CollectResult:
    """What `collect` imported and what it could not place."""

    imported: list = field(default_factory=list)   # (student, assignment)
    problems: list = field(default_factory=list)   # sentences


def notebook_index(course):
    """Map notebook stem -> assignment over the whole course."""
    index = {}
    for assignment in course.assignments():
        for nb in course.source_notebooks(assignment):
            index[nb.stem] = assignment
    return index


def valid_student_id(name):
    """Is ``name`` usable as a student id and a folder name?"""
    return bool(name) and name not in (".", "..") and \
        not (set(name) & BAD_ID_CHARS) and not name.startswith(".")


def _map(rel, index, assignments):
    """Return (student, assignment, notebook stem) or a reason string."""
    parts = list(rel.parts)
    stem = PurePosixPath(parts[-1]).stem
    dirs = parts[:-1]
    if stem in index:
        assignment = index[stem]
        others = [d for d in dirs if d != assignment]
        if len(others) == 1:
            return others[0], assignment, stem
        if not others:
            return "no student id in the path"
        return "more than one candidate student folder"
    for sep in ("__", "_", "-"):
        for known in sorted(index, key=len, reverse=True):
            suffix = sep + known
            if stem.endswith(suffix) and len(stem) > len(suffix):
                return stem[:-len(suffix)], index[known], known
    return "the file name matches no notebook of the course"


def _extract(source, tmp):
    """Return a folder holding the submissions (zip is unpacked safely)."""
    if source.is_dir():
        return source
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                target = (tmp / info.filename).resolve()
                if not str(target).startswith(str(tmp.resolve())):
                    continue  # zip slip: a path escaping the folder
                archive.extract(info, tmp)
        return tmp
    raise FileNotFoundError(f"{source} is neither a folder nor a zip file")


def collect(course, source, overwrite=True):
    """Import every notebook under ``source``; return a CollectResult."""
    result = CollectResult()
    index = notebook_index(course)
    with tempfile.TemporaryDirectory() as tmp:
        folder = _extract(Path(source), Path(tmp))
        for path in sorted(folder.rglob("*.ipynb")):
            rel = path.relative_to(folder)
            if ".ipynb_checkpoints" in rel.parts or \
                    rel.parts[0] == "__MACOSX":
                continue
            mapped = _map(rel, index, course.assignments())
            if isinstance(mapped, str):
                result.problems.append(f"{rel}: not imported, {mapped}")
                continue
            student, assignment, stem = mapped
            if not valid_student_id(student):
                result.problems.append(
                    f"{rel}: not imported, {student!r} is not a usable "
                    "student id")
                continue
            dest = course.submission_dir(student, assignment)
            target = dest / f"{stem}.ipynb"
            if target.exists() and not overwrite:
                result.problems.append(f"{rel}: kept the existing {target}")
                continue
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            stamp = dt.datetime.fromtimestamp(path.stat().st_mtime,
                                              dt.timezone.utc)
            (dest / "timestamp.txt").write_text(
                stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
            result.imported.append((student, assignment))
    return result
