"""`collect`: LMS export names, submission times, idempotence.

No kernel is started: these only look at what lands in submitted/.
"""
import json
import struct
import zipfile

import pytest

from autograder.cli import main
from autograder.course.collect import collect
from autograder.course import Course
from autograder.grading.worker import submission_checksum
from redteam.course import ASSIGNMENT, NOTEBOOK, make_course

BODY = json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                   "nbformat_minor": 5})


@pytest.fixture
def course(tmp_path):
    return Course(make_course(tmp_path / "course"))


def _zip(path, entries):
    """entries: [(name, date_time or UTC seconds, text)]."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, when, text in entries:
            if isinstance(when, int):  # an extended-timestamp field
                info = zipfile.ZipInfo(name, (1999, 1, 1, 0, 0, 0))
                info.extra = struct.pack("<HHBi", 0x5455, 5, 1, when)
            else:
                info = zipfile.ZipInfo(name, when)
            zf.writestr(info, text)
    return path


def _stamp(course, student):
    return (course.submission_dir(student, ASSIGNMENT) /
            "timestamp.txt").read_text()


def _text(course, student):
    return (course.submission_dir(student, ASSIGNMENT) / NOTEBOOK) \
        .read_text()


def test_canvas_names_resubmissions_and_times(course, tmp_path):
    """Canvas: name_[LATE_]uid_fileid_file, with -1 and ' (1)' copies."""
    archive = _zip(tmp_path / "submissions.zip", [
        ("annlee_12345_67890_fx01_basics.ipynb", (2026, 1, 5, 10, 0, 0),
         BODY),
        ("annlee_12345_67891_fx01_basics-1.ipynb", (2026, 1, 6, 11, 0, 0),
         BODY.replace("{}", '{"v": 2}')),
        ("boblee_LATE_23456_78901_fx01_basics (1).ipynb",
         (2026, 1, 7, 12, 30, 0), BODY),
        ("carlyu_34567_89012_homework.ipynb", (2026, 1, 5, 0, 0, 0), BODY),
    ])
    result = collect(course, archive)
    assert sorted(result.imported) == [("annlee", ASSIGNMENT),
                                       ("boblee", ASSIGNMENT)]
    assert '"v": 2' in _text(course, "annlee")  # the resubmission
    assert _stamp(course, "annlee") == "2026-01-06 11:00:00.000000 UTC"
    assert _stamp(course, "boblee") == "2026-01-07 12:30:00.000000 UTC"
    assert any("superseded" in s and "67890" in s
               for s in result.superseded)
    assert any(p.startswith("carlyu_34567_89012_homework.ipynb")
               for p in result.problems)


def test_moodle_folders(course, tmp_path):
    """Moodle: 'Full Name_ID_assignsubmission_file_/notebook'."""
    archive = _zip(tmp_path / "moodle.zip", [
        ("Ann Lee_111_assignsubmission_file_/fx01_basics.ipynb",
         (2026, 2, 1, 9, 0, 0), BODY),
        ("Bob Ray_222_assignsubmission_file_/fx01_basics (2).ipynb",
         (2026, 2, 1, 9, 5, 0), BODY),
        ("Cy Ng_333_assignsubmission_file_fx01_basics.ipynb",
         (2026, 2, 1, 9, 7, 0), BODY),
    ])
    result = collect(course, archive)
    assert result.problems == []
    assert course.students(ASSIGNMENT) == ["Ann Lee", "Bob Ray", "Cy Ng"]
    assert _stamp(course, "Bob Ray") == "2026-02-01 09:05:00.000000 UTC"


def test_blackboard_attempts(course, tmp_path):
    """Blackboard: the attempt time in the name; the latest is kept."""
    archive = _zip(tmp_path / "bb.zip", [
        ("Week 1_alee_attempt_2026-01-07-09-30-00_fx01_basics.ipynb",
         (2026, 3, 3, 0, 0, 0), BODY),
        ("Week 1_alee_attempt_2026-01-08-09-30-00_fx01_basics.ipynb",
         (2026, 3, 3, 0, 0, 0), BODY.replace("{}", '{"v": 2}')),
        ("Week 1_alee_attempt_2026-01-08-09-30-00.txt",
         (2026, 3, 3, 0, 0, 0), "Name: A Lee"),
    ])
    result = collect(course, archive)
    assert result.problems == [] and len(result.superseded) == 1
    assert course.students(ASSIGNMENT) == ["alee"]
    assert '"v": 2' in _text(course, "alee")
    assert _stamp(course, "alee") == "2026-01-08 09:30:00.000000 UTC"


def test_nbgrader_layout_keeps_its_timestamp(course, tmp_path):
    """nbgrader's own layout: timestamp.txt wins over the zip's time;
    the zip's UTC extra field is read when there is no timestamp.txt."""
    archive = _zip(tmp_path / "nbg.zip", [
        (f"dan/{ASSIGNMENT}/{NOTEBOOK}", (2026, 4, 4, 4, 4, 4), BODY),
        (f"dan/{ASSIGNMENT}/timestamp.txt", (2026, 4, 4, 4, 4, 4),
         "2026-01-09 08:00:00.000000 UTC"),
        (f"eve/{ASSIGNMENT}/{NOTEBOOK}", 1767258000, BODY),
    ])
    collect(course, archive)
    assert _stamp(course, "dan") == "2026-01-09 08:00:00.000000 UTC"
    assert _stamp(course, "eve") == "2026-01-01 09:00:00.000000 UTC"


def test_collecting_the_same_archive_twice_changes_nothing(course,
                                                           tmp_path):
    """Is a second collect of an unchanged zip a no-op (no regrade)?"""
    archive = _zip(tmp_path / "s.zip", [
        ("annlee_1_2_fx01_basics.ipynb", (2026, 1, 5, 10, 0, 0), BODY)])
    assert collect(course, archive).imported == [("annlee", ASSIGNMENT)]
    folder = course.submission_dir("annlee", ASSIGNMENT)
    before = submission_checksum(folder)
    again = collect(course, archive)
    assert again.imported == [] and again.unchanged == [
        ("annlee", ASSIGNMENT)]
    assert submission_checksum(folder) == before


def test_cli_lists_what_it_cannot_place(course, tmp_path, capsys):
    archive = _zip(tmp_path / "s.zip", [
        ("annlee_1_2_fx01_basics.ipynb", (2026, 1, 5, 10, 0, 0), BODY),
        ("stray.ipynb", (2026, 1, 5, 10, 0, 0), BODY)])
    assert main(["--course-root", str(course.root), "collect",
                 str(archive)]) == 1
    out = capsys.readouterr()
    assert "NOT IMPORTED stray.ipynb" in out.err
    assert "1 imported, 0 unchanged, 1 not imported" in out.out


def _inbound(base, name, notebook_text, stamp=None, secret=None):
    folder = base / name
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text(notebook_text)
    if stamp:
        (folder / "timestamp.txt").write_text(stamp)
    if secret:
        (folder / "submission_secret.txt").write_text(secret)
    return folder


def test_exchange_inbound_folders(course, tmp_path):
    """nbgrader's exchange: student+assignment+timestamp+random folders,
    several per student (the latest wins, with its time and secret);
    given the exchange root, only inbound is read."""
    exchange = tmp_path / "exchange"
    inbound = exchange / course.coursedir.course_id / "inbound"
    early = "2026-05-01 10:00:00.000000 UTC"
    later = "2026-05-02 11:30:00.250000 UTC"
    _inbound(inbound, f"ann+{ASSIGNMENT}+{later}+ffff", BODY.replace(
        "{}", '{"v": 2}'), later, "second")
    _inbound(inbound, f"ann+{ASSIGNMENT}+{early}+aaaa", BODY, early,
             "first")
    # The older name without a random part, and no timestamp.txt: the
    # folder name gives the time.
    _inbound(inbound, f"bob+{ASSIGNMENT}+{early}", BODY)
    # Released notebooks and feedback are not submissions.
    outbound = exchange / course.coursedir.course_id / "outbound" / \
        ASSIGNMENT
    outbound.mkdir(parents=True)
    (outbound / NOTEBOOK).write_text(BODY)
    result = collect(course, exchange)
    assert result.problems == []
    assert sorted(result.imported) == [("ann", ASSIGNMENT),
                                       ("bob", ASSIGNMENT)]
    assert course.students(ASSIGNMENT) == ["ann", "bob"]
    assert '"v": 2' in _text(course, "ann")
    assert _stamp(course, "ann") == later
    assert _stamp(course, "bob") == early
    folder = course.submission_dir("ann", ASSIGNMENT)
    assert (folder / "submission_secret.txt").read_text() == "second"
    assert not (course.submission_dir("bob", ASSIGNMENT) /
                "submission_secret.txt").exists()
    assert len(result.superseded) == 1 and "aaaa" in result.superseded[0]
    # The inbound folder itself, or the course's folder, reads the same.
    for source in (inbound, inbound.parent):
        again = collect(course, source)
        assert again.imported == [] and again.problems == []
        assert sorted(again.unchanged) == [("ann", ASSIGNMENT),
                                           ("bob", ASSIGNMENT)]


def test_inbound_folder_of_another_assignment_is_not_guessed(course,
                                                             tmp_path):
    """A notebook in a folder naming another assignment is reported."""
    inbound = tmp_path / "inbound"
    _inbound(inbound, "ann+ps9+2026-05-01 10:00:00.000000 UTC+ab", BODY)
    result = collect(course, inbound)
    assert result.imported == []
    assert len(result.problems) == 1
