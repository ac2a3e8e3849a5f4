"""`course-autograder report --class`: a class of 200, from five graded
chapter-01 students.

Grading 200 notebooks would cost minutes, so five distinct students are
graded once through `course-autograder grade` (one module fixture) and
the class is synthesised from them: each of the 200 gets a copy of one
graded student's submitted and autograded folders and, through
nbgrader's Gradebook API, that student's cell scores with a submission
time of its own.  The copies are planted in known numbers (the sign
mistake most often), so every figure's numbers are known in advance.
"""
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import ROOT, fill, make_course, solution_sources, submit

ASSIGNMENT = "01_numerical_derivatives"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# Chapter 01's exercises and their graded cells (the solution notebook's
# order: each exercise's answer cell, then its tests).
EXERCISES = {
    "forward_difference": ["test_forward_difference_values",
                           "test_forward_difference_arrays"],
    "central_difference": ["test_central_difference_values",
                           "test_central_difference_order"],
    "choose_h": ["test_best_h_forward", "test_best_h_central"],
    "numerical_gradient": ["test_numerical_gradient_vector",
                           "test_numerical_gradient_any_shape"],
    "directional_derivative": ["test_directional_derivative_values",
                               "test_directional_derivative_linear"],
}

# Mistakes from chapter 01's list of wrong students.
SIGN_FLIPPED = '''
def forward_difference(f, x, h=1e-5):
    return (f(x) - f(x + h)) / h
'''
# The sign student finds the best steps with a difference of its own, so
# that the sign mistake costs forward_difference's points only.
OWN_STEPS = '''
steps = np.logspace(-16, 0, 161)
errors_forward = [abs((np.exp(1.0 + h) - np.e) / h - np.e) for h in steps]
errors_central = [abs(central_difference(np.exp, 1.0, h) - np.e)
                  for h in steps]
best_h_forward = float(steps[np.argmin(errors_forward)])
best_h_central = float(steps[np.argmin(errors_central)])
'''
MISSING_HALF = '''
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h
'''

# graded student -> how many of the class hand in what they handed in.
COPIES = {"sign": 90, "half": 40, "partial": 30, "stub": 25,
          "solution": 15}
RELEASED = dt.datetime(2026, 3, 2, 9, 0, 0)


def hours_after_release(i):
    """The i-th student's submission time, in hours after the release:
    over a week, more of them as the week ends, no two alike."""
    return 1.0 + 159.0 * (((i * 37) % 200 + 0.5) / 200) ** 0.5


def template_students(release, right):
    return {
        "sign": fill(release, dict(right, forward_difference=SIGN_FLIPPED,
                                         choose_h=OWN_STEPS),
                     drop_ungraded_code=True),
        "half": fill(release, dict(right, central_difference=MISSING_HALF),
                     drop_ungraded_code=True),
        # Two exercises left as released: given up.
        "partial": fill(release, {k: v for k, v in right.items() if k not in
                                  ("numerical_gradient",
                                   "directional_derivative")},
                        drop_ungraded_code=True),
        "stub": fill(release, {}, drop_ungraded_code=True),
        "solution": fill(release, right, drop_ungraded_code=True),
    }


def cli(root, *args, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "autograder", "--course-root", str(root),
         *args], capture_output=True, text=True, timeout=timeout)


def synthesise_class(root):
    """200 students from the graded five, through nbgrader's Gradebook."""
    from autograder.course import Course
    course = Course(root)
    with course.gradebook() as gb:
        templates = {
            name: {g.name: (g.auto_score, g.manual_score)
                   for nb in gb.find_submission(ASSIGNMENT, name).notebooks
                   for g in nb.grades}
            for name in COPIES}
    plan = [name for name, n in COPIES.items() for _ in range(n)]
    students = {}
    with course.gradebook() as gb:
        for i, template in enumerate(plan):
            student = f"s{i:03d}"
            when = RELEASED + dt.timedelta(hours=hours_after_release(i))
            for step in ("submitted", "autograded"):
                shutil.copytree(course.path(step, template, ASSIGNMENT),
                                course.path(step, student, ASSIGNMENT))
            (course.submission_dir(student, ASSIGNMENT) /
             "timestamp.txt").write_text(f"{when} UTC")
            gb.update_or_create_student(student)
            with warnings.catch_warnings():
                # nbgrader's add_submission trips a harmless SQLAlchemy
                # warning (autograder/gradebook/record.py says the same).
                warnings.simplefilter("ignore")
                gb.add_submission(ASSIGNMENT, student, timestamp=when)
            for name, (auto, manual) in templates[template].items():
                grade = gb.find_grade(name, ASSIGNMENT, ASSIGNMENT, student)
                grade.auto_score, grade.manual_score = auto, manual
            gb.db.commit()
            students[student] = (template, when)
        for template in COPIES:   # only the 200 make the class
            gb.remove_submission(ASSIGNMENT, template)
            gb.remove_student(template)
    for template in COPIES:
        for step in ("submitted", "autograded"):
            shutil.rmtree(course.path(step, template, ASSIGNMENT).parent)
    return students, templates


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A chapter-01 course with the five graded, then the 200."""
    root = make_course(tmp_path_factory.mktemp("class") / "course",
                       ASSIGNMENT)
    done = cli(root, "release", ASSIGNMENT)
    assert done.returncode == 0, done.stderr
    release = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / NOTEBOOK, 4)
    right = solution_sources(nbformat.read(
        ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, 4))
    for name, nb in template_students(release, right).items():
        submit(root, ASSIGNMENT, name, {NOTEBOOK: nb})
    done = cli(root, "grade", ASSIGNMENT, "--jobs", "2", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    text_report = cli(root, "report", ASSIGNMENT)
    # The release time the report reads: the release notebook's.
    stamp = RELEASED.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(root / "notebooks" / ASSIGNMENT / NOTEBOOK, (stamp, stamp))
    students, templates = synthesise_class(root)
    out = root / "class-report"
    done = cli(root, "report", "--class", ASSIGNMENT, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return {"root": root, "out": out, "students": students,
            "templates": templates, "stdout": done.stdout,
            "text_report": text_report,
            "data": json.loads((out / "report.json").read_text())}


def drawn(path):
    """The numbers a figure draws (its PNG Description chunk)."""
    from PIL import Image
    with Image.open(path) as image:
        return json.loads(image.text["Description"])


def template_score(templates, template, exercise):
    return sum((templates[template][g][1] if templates[template][g][1]
                is not None else templates[template][g][0]) or 0.0
               for g in EXERCISES[exercise])


def test_scores_per_exercise(graded_class):
    """Does each exercise's histogram count all 200, at the scores the
    planted students got?"""
    data, templates = graded_class["data"], graded_class["templates"]
    assert data["students"] == 200
    assert data["exercises"] == list(EXERCISES)
    figure = drawn(graded_class["out"] / "scores.png")
    assert set(figure) == set(EXERCISES)
    for exercise in EXERCISES:
        expected = Counter()
        for template, n in COPIES.items():
            expected[template_score(templates, template, exercise)] += n
        got = {float(k): v for k, v in figure[exercise].items() if v}
        assert got == dict(expected), exercise
        assert sum(figure[exercise].values()) == 200
    # The planted mistakes cost their own exercises only.
    assert figure["forward_difference"]["0"] == 90 + 25
    assert figure["central_difference"]["0"] == 40 + 25
    assert figure["numerical_gradient"]["0"] == 30 + 25


def test_most_frequent_diagnosis_is_the_planted_one(graded_class):
    """Is the sign mistake (90 students) the top diagnosis, counted once
    per student, with the numbers of the message normalised away?"""
    data = graded_class["data"]
    top = data["diagnoses"][0]
    assert "wrong sign everywhere" in top["diagnosis"]
    # Both of its test cells, the second with a list in its message.
    assert top["students"] == 90
    assert top["cells"] == dict.fromkeys(EXERCISES["forward_difference"],
                                         90)
    assert all(d["students"] < 90 for d in data["diagnoses"][1:])
    # Every unwritten function of the 55 students who gave up on it.
    unwritten = {d["diagnosis"].split()[0]: d["students"]
                 for d in data["diagnoses"]
                 if "is not written yet" in d["diagnosis"]}
    assert unwritten == {"forward_difference": 25, "central_difference": 25,
                         "numerical_gradient": 55,
                         "directional_derivative": 55}
    # The factor-2 mistake is named as one (a constant or a power of h).
    half = [d for d in data["diagnoses"] if d["students"] == 40]
    assert half and all(set(d["cells"]) <= set(
        EXERCISES["central_difference"] + EXERCISES["choose_h"])
        for d in half)
    assert not any(ch.isdigit() for d in data["diagnoses"]
                   for ch in d["diagnosis"].replace("fp16", "")
                   .replace("x**", "")), "numbers left in a diagnosis"
    bars = drawn(graded_class["out"] / "diagnoses.png")
    assert bars[0] == [top["diagnosis"], 90]
    assert [b[1] for b in bars] == sorted((b[1] for b in bars),
                                          reverse=True)


def test_diagnoses_differing_only_in_numbers_are_one():
    """Two students' messages that differ in their numbers only are the
    same diagnosis; a different mistake is not."""
    from autograder.gradebook.classreport import diagnoses
    out = nbformat.v4.new_output(
        "error", ename="CheckFailed",
        evalue="f(x, 2.0) has the wrong value (relative error 0.13, more "
               "than the 1e-06 allowed).",
        traceback=["\u2717 Test failed: Does it?"])
    other = nbformat.v4.new_output(
        "error", ename="CheckFailed",
        evalue="f(x, [3.5, 1]) has the wrong value (relative error "
               "2.5e+02, more than the 1e-06 allowed).",
        traceback=["\u2717 Test failed: Does it?"])
    sign = nbformat.v4.new_output(
        "error", ename="CheckFailed",
        evalue="f(x, 3.5) has the wrong sign everywhere",
        traceback=["\u2717 Test failed: Does it?"])
    found = []
    for output in (out, other, sign):
        cell = nbformat.v4.new_code_cell(
            "", metadata={"nbgrader": {"grade_id": "t"}}, outputs=[output])
        nb = nbformat.v4.new_notebook(cells=[cell])
        found += diagnoses(nb, {"t"})["t"]
    assert found[0] == found[1] != found[2]
    assert "Test failed" not in found[0]


def test_time_from_release_to_submission(graded_class):
    """Are the hours the gradebook's times minus the release's, all 200
    in the histogram?"""
    data = graded_class["data"]
    expected = {student: (when - RELEASED).total_seconds() / 3600
                for student, (_, when) in graded_class["students"].items()}
    assert data["released"] == RELEASED.isoformat()
    assert data["hours_to_submit"] == pytest.approx(expected)
    figure = drawn(graded_class["out"] / "submission-times.png")
    assert sum(figure["counts"]) == 200
    assert figure["edges"][0] == pytest.approx(min(expected.values()))
    assert figure["edges"][-1] == pytest.approx(max(expected.values()))


def test_exercises_given_up(graded_class):
    """Are answer cells left as released counted per exercise?"""
    figure = drawn(graded_class["out"] / "gave-up.png")
    assert figure == {"forward_difference": 25, "central_difference": 25,
                      "choose_h": 25, "numerical_gradient": 55,
                      "directional_derivative": 55}
    assert graded_class["data"]["gave_up"] == figure


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


def test_page_and_images(graded_class):
    """Is every figure a valid PNG the page shows, and does the page
    name the top diagnosis?"""
    from PIL import Image
    out = graded_class["out"]
    page = (out / "index.html").read_text()
    parser = _Images()
    parser.feed(page)
    assert sorted(parser.sources) == sorted(
        ["scores.png", "diagnoses.png", "submission-times.png",
         "gave-up.png"])
    for name in parser.sources:
        with Image.open(out / name) as image:
            image.verify()
        with Image.open(out / name) as image:
            assert image.format == "PNG" and min(image.size) > 200
    assert "wrong sign everywhere" in page and "200 graded" in page
    assert str(out / "index.html") in graded_class["stdout"]


def test_text_report_is_unchanged(graded_class):
    """Does `report ASSIGNMENT` still print the per-student text, and
    --out without --class say what is missing?"""
    done = graded_class["text_report"]
    assert done.returncode == 0
    assert done.stdout.startswith("Graded: 5\n")
    assert "  01_numerical_derivatives  solution: 15/15  [" in done.stdout
    wrong = cli(graded_class["root"], "report", ASSIGNMENT, "--out", "x")
    assert wrong.returncode == 2 and "--class" in wrong.stderr
    assert not Path("x").exists()


def test_class_report_of_an_ungraded_assignment(graded_class, tmp_path):
    """An unknown assignment is a usage error naming the known ones."""
    done = cli(graded_class["root"], "report", "--class", "nope")
    assert done.returncode == 2 and "known: 01_numerical_derivatives" in \
        done.stderr
