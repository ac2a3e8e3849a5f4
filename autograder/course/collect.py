"""`collect`: import submitted notebooks into submitted/STUDENT/ASSIGNMENT.

Accepted layouts, inside a folder or a .zip:

- ``STUDENT/ASSIGNMENT/NOTEBOOK.ipynb`` (nbgrader's own layout, with its
  ``timestamp.txt`` when present)
- nbgrader's exchange: ``inbound/STUDENT+ASSIGNMENT+TIMESTAMP+RANDOM/``
  (one folder per `nbgrader submit`; give the exchange, its course folder
  or its ``inbound`` folder: only ``inbound`` is read).  The
  ``submission_secret.txt`` of the submission kept goes along, so that
  `nbgrader release_feedback` can hand the feedback back.
- ``ASSIGNMENT/STUDENT/NOTEBOOK.ipynb``
- ``STUDENT/NOTEBOOK.ipynb``
- Canvas: ``lastfirst_[LATE_]USERID_FILEID_NOTEBOOK.ipynb``
- Moodle: ``Full Name_ID_assignsubmission_file_/NOTEBOOK.ipynb`` (or the
  same as one flat file name)
- Blackboard: ``Assignment_USER_attempt_YYYY-MM-DD-HH-MM-SS_NOTEBOOK.ipynb``
- ``STUDENT_NOTEBOOK.ipynb`` or ``STUDENT__NOTEBOOK.ipynb`` (other exports)

Resubmission suffixes (``NOTEBOOK-1.ipynb``, ``NOTEBOOK (2).ipynb``) are
recognised; of several copies of one notebook by one student the latest
is kept.  A notebook name identifies its assignment.  The submission time
comes from nbgrader's ``timestamp.txt``, the export's file name
(Blackboard, the exchange's folder name), or the time stored in the zip (its UTC extra field when the
archiver wrote one, otherwise the entry's date taken as UTC), in that
order; for a plain folder, the file's modification time.  Collecting the
same archive twice changes nothing.  Anything that does not map to
exactly one student and assignment is reported, never guessed.
"""
import datetime as dt
import re
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

BAD_ID_CHARS = set('/\\:*?"<>|') | {"\0"}
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"

CANVAS = re.compile(r"^(?P<student>[^_]+)_(?:LATE_)?\d+_\d+_(?P<file>.+)$")
MOODLE_DIR = re.compile(
    r"^(?P<student>.+?)_\d+_assignsubmission_[a-z]+_?$")
MOODLE_FILE = re.compile(
    r"^(?P<student>.+?)_\d+_assignsubmission_[a-z]+_(?P<file>.+)$")
BLACKBOARD = re.compile(
    r"^.*?_(?P<student>[^_]+)_attempt_"
    r"(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)_(?P<file>.+)$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)(?:-(?P<n>\d+)| \((?P<p>\d+)\))$")
# nbgrader submit's inbound folder: student+assignment+timestamp[+random]
INBOUND = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+"
                     r"(?P<time>[^+]+)(?:\+(?P<random>[^+]*))?$")
SECRET = "submission_secret.txt"


@dataclass
class CollectResult:
    """What `collect` imported and what it could not place."""

    imported: list = field(default_factory=list)   # (student, assignment)
    problems: list = field(default_factory=list)   # sentences
    unchanged: list = field(default_factory=list)  # (student, assignment)
    superseded: list = field(default_factory=list)  # sentences


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
        not (set(name) & BAD_ID_CHARS) and not name.startswith(".") and \
        name == name.strip()


def _notebook(filename, index):
    """(notebook stem, resubmission number) of a file name, or None."""
    stem = PurePosixPath(filename).stem
    if PurePosixPath(filename).suffix != ".ipynb":
        return None
    if stem in index:
        return stem, 0
    found = RESUBMISSION.match(stem)
    if found and found["stem"] in index:
        return found["stem"], int(found["n"] or found["p"])
    return None


@dataclass
class Mapped:
    student: str
    assignment: str
    stem: str
    attempt: int = 0
    time: dt.datetime = None


def _lms(rel, index):
    """Map an LMS export name; return Mapped or None."""
    name = rel.parts[-1]
    for folder in rel.parts[:-1]:
        found = MOODLE_DIR.match(folder)
        nb = _notebook(name, index)
        if found and nb:
            return Mapped(found["student"], index[nb[0]], nb[0], nb[1])
    found = BLACKBOARD.match(name)
    if found and _notebook(found["file"], index):
        stem, attempt = _notebook(found["file"], index)
        when = dt.datetime.strptime(found["time"], "%Y-%m-%d-%H-%M-%S")
        return Mapped(found["student"], index[stem], stem, attempt,
                      when.replace(tzinfo=dt.timezone.utc))
    for pattern in (MOODLE_FILE, CANVAS):
        found = pattern.match(name)
        if found and _notebook(found["file"], index):
            stem, attempt = _notebook(found["file"], index)
            return Mapped(found["student"], index[stem], stem, attempt)
    return None


def _parse_utc(text):
    """nbgrader's timestamp text as an aware UTC datetime, or None."""
    from nbgrader.utils import parse_utc
    try:
        return parse_utc(text.strip()).replace(tzinfo=dt.timezone.utc)
    except Exception:  # unreadable: the caller falls back to another time
        return None


def _inbound(rel, index):
    """Map a file inside an exchange inbound folder; Mapped or None."""
    nb = _notebook(rel.parts[-1], index)
    if not nb:
        return None
    for folder in rel.parts[:-1]:
        found = INBOUND.match(folder)
        if found and found["assignment"] == index[nb[0]]:
            return Mapped(found["student"], index[nb[0]], nb[0], nb[1],
                          _parse_utc(found["time"]))
    return None


def _map(rel, index):
    """Return a Mapped or a reason string."""
    mapped = _inbound(rel, index) or _lms(rel, index)
    if mapped is not None:
        return mapped
    parts = list(rel.parts)
    dirs = parts[:-1]
    nb = _notebook(parts[-1], index)
    if nb:
        stem, attempt = nb
        assignment = index[stem]
        others = [d for d in dirs if d != assignment]
        if len(others) == 1:
            return Mapped(others[0], assignment, stem, attempt)
        if not others:
            return "no student id in the path"
        return "more than one candidate student folder"
    stem = PurePosixPath(parts[-1]).stem
    for sep in ("__", "_", "-"):
        for known in sorted(index, key=len, reverse=True):
            suffix = sep + known
            if stem.endswith(suffix) and len(stem) > len(suffix):
                return Mapped(stem[:-len(suffix)], index[known], known)
    return "the file name matches no notebook of the course"


def _zip_time(info):
    """The UTC time of a zip entry: its extended-timestamp extra field
    (Info-ZIP, 7-Zip, most LMS exports) or else its DOS date as UTC."""
    extra = info.extra
    while len(extra) >= 4:
        tag, size = struct.unpack("<HH", extra[:4])
        body = extra[4:4 + size]
        if tag == 0x5455 and size >= 5 and body[0] & 1:
            seconds = struct.unpack("<i", body[1:5])[0]
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        extra = extra[4 + size:]
    return dt.datetime(*info.date_time, tzinfo=dt.timezone.utc)


def _entries(source, tmp):
    """Yield (relative path, local file, time) for every file."""
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.is_symlink():
                when = dt.datetime.fromtimestamp(path.stat().st_mtime,
                                                 dt.timezone.utc)
                yield PurePosixPath(*path.relative_to(source).parts), \
                    path, when
        return
    if not zipfile.is_zipfile(source):
        raise FileNotFoundError(
            f"{source} is neither a folder nor a zip file")
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = (tmp / info.filename).resolve()
            if not str(target).startswith(str(tmp.resolve()) + "/"):
                continue  # zip slip: a path escaping the folder
            archive.extract(info, tmp)
            yield PurePosixPath(info.filename), target, _zip_time(info)


def _nbgrader_stamp(files, rel):
    """The content of a timestamp.txt beside ``rel``, if any."""
    path = files.get(rel.parent / "timestamp.txt")
    if path is None:
        return None
    return _parse_utc(Path(path).read_text(errors="replace"))


def exchange_inbound(course, source):
    """The ``inbound`` folder when ``source`` is an nbgrader exchange (its
    root or its course folder), else ``source``: the exchange's outbound
    and feedback folders hold no submissions."""
    source = Path(source)
    if not source.is_dir():
        return source
    for folder in (source / course.coursedir.course_id / "inbound",
                   source / "inbound"):
        if folder.is_dir():
            return folder
    return source


def _write_if_changed(path, data):
    """Write ``data`` unless the file already holds it; True if written."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def collect(course, source, overwrite=True):
    """Import every notebook under ``source``; return a CollectResult."""
    result = CollectResult()
    index = notebook_index(course)
    source = exchange_inbound(course, source)
    with tempfile.TemporaryDirectory() as tmp:
        entries = list(_entries(Path(source), Path(tmp)))
        files = {rel: path for rel, path, _ in entries}
        chosen = {}
        for rel, path, when in entries:
            if ".ipynb_checkpoints" in rel.parts or \
                    rel.parts[0] == "__MACOSX" or rel.suffix != ".ipynb":
                continue
            mapped = _map(rel, index)
            if isinstance(mapped, str):
                result.problems.append(f"{rel}: not imported, {mapped}")
                continue
            if not valid_student_id(mapped.student):
                result.problems.append(
                    f"{rel}: not imported, {mapped.student!r} is not a "
                    "usable student id")
                continue
            mapped.time = _nbgrader_stamp(files, rel) or mapped.time or when
            key = (mapped.student, mapped.assignment, mapped.stem)
            rank = (mapped.time, mapped.attempt)
            if key in chosen:
                old_rank, old_rel = chosen[key][0], chosen[key][1]
                newer, older = ((rank, rel), (old_rank, old_rel)) \
                    if rank > old_rank else ((old_rank, old_rel),
                                             (rank, rel))
                result.superseded.append(f"{older[1]}: superseded by the "
                                         f"later {newer[1]}")
                if rank <= old_rank:
                    continue
            chosen[key] = (rank, rel, path, mapped)
        stamps = {}
        secrets = {}  # (student, assignment) -> (time, secret file)
        for (student, assignment, stem), (_, rel, path, mapped) in \
                sorted(chosen.items()):
            dest = course.submission_dir(student, assignment)
            target = dest / f"{stem}.ipynb"
            data = Path(path).read_bytes()
            if target.exists() and not overwrite and \
                    target.read_bytes() != data:
                result.problems.append(f"{rel}: kept the existing {target}")
                continue
            dest.mkdir(parents=True, exist_ok=True)
            changed = _write_if_changed(target, data)
            key = (student, assignment)
            stamps[key] = max(stamps.get(key, mapped.time), mapped.time)
            secret = files.get(rel.parent / SECRET)
            if secret is not None and (key not in secrets or
                                       secrets[key][0] < mapped.time):
                secrets[key] = (mapped.time, secret)
            stamps.setdefault(("changed",) + key, False)
            if changed:
                stamps[("changed",) + key] = True
        for key, when in stamps.items():
            if key[0] == "changed":
                continue
            dest = course.submission_dir(*key)
            text = when.astimezone(dt.timezone.utc).strftime(
                STAMP_FORMAT).encode()
            changed = _write_if_changed(dest / "timestamp.txt", text)
            if key in secrets:
                changed |= _write_if_changed(
                    dest / SECRET, Path(secrets[key][1]).read_bytes())
            if changed or stamps[("changed",) + key]:
                result.imported.append(key)
            else:
                result.unchanged.append(key)
    return result
