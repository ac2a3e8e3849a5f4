"""`report --class`: one assignment's class as an HTML page with figures.

What an instructor wants to know after grading a chapter and what no
per-student list shows: how the points of each exercise are spread over
the class, which diagnoses of ``course_utils.checks`` students met most
often, how long after the release they handed in, and which exercises
most of them left unanswered.  Everything is read from what grading left
behind (nbgrader's gradebook, the autograded and submitted notebooks)
and the release; nothing is regraded.

Each figure is a PNG (matplotlib's Agg backend) that carries the numbers
it draws as JSON in its ``Description`` text chunk, and the page's data
is written as ``report.json`` beside it, so scripts and tests read the
same numbers the figures show.
"""
import datetime as dt
import html
import json
import re
from collections import Counter
from pathlib import Path

import nbformat

from autograder.course.notebooks import is_solution_cell, source_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A number in a message: the values differ from student to student (an
# error size, an entry count), the diagnosis does not.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
                    r"(?![\w])")
# A list or tuple of numbers is one value of the message, like a number.
NUMBERS = re.compile(r"[\[(]N(?:, N)+[\])]")
STUB = re.compile(r"^\s*raise\s+NotImplementedError\b", re.M)
# What course_utils.checks raises for a failed check; its traceback is
# the one block the student reads (the question, then the diagnosis).
CHECK_ERROR = "CheckFailed"
TOP_DIAGNOSES = 12


# --------------------------------------------------------------------------
# Exercises: graded cells grouped under the answer cells before them
# --------------------------------------------------------------------------
def exercises(master):
    """[(exercise, [answer grade ids], [graded grade ids])] of a notebook.

    An exercise is a run of answer cells and the graded cells after it
    (chapter 01: ``forward_difference`` and its two tests); answer cells
    that follow each other form one exercise (chapter 03's
    ``standardize`` and ``unscale``).  Graded cells before the first
    answer are their own exercise.
    """
    groups, answers_open = [], False
    for gid in master.order:
        if gid in master.solutions:
            if not answers_open:
                groups.append(([], []))
                answers_open = True
            groups[-1][0].append(gid)
            if gid not in master.tests and master.solutions[gid].metadata \
                    .get("nbgrader", {}).get("grade"):
                groups[-1][1].append(gid)   # a manually graded answer
        elif gid in master.tests:
            if not groups:
                groups.append(([], []))
            groups[-1][1].append(gid)
            answers_open = False
    return [(" + ".join(answers) or graded[0], answers, graded)
            for answers, graded in groups if graded]


def _label(notebook, exercise, several):
    return f"{notebook}: {exercise}" if several else exercise


# --------------------------------------------------------------------------
# What the notebooks show
# --------------------------------------------------------------------------
def normalise(message):
    """A diagnosis without the numbers that vary between students."""
    text = " ".join(ANSI.sub("", message).split())
    return NUMBERS.sub("N", NUMBER.sub("N", text))


def diagnoses(autograded_nb, graded_ids):
    """{graded grade id: [normalised diagnosis]} of one autograded
    notebook: the failed checks of ``course_utils.checks``."""
    found = {}
    for cell in autograded_nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid not in graded_ids:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and \
                    output.get("ename") == CHECK_ERROR:
                # The exception's text is the diagnosis alone; its
                # traceback adds the cell's question, wrapped.
                text = normalise(output.get("evalue", ""))
                if text:
                    found.setdefault(gid, []).append(text)
    return found


def gave_up(submitted_nb, answers, stubs):
    """Did the student leave every answer cell of an exercise as the
    release has it, or still raising NotImplementedError?"""
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell
             for cell in submitted_nb.cells if is_solution_cell(cell)}
    for gid in answers:
        cell = cells.get(gid)
        if cell is None:
            continue   # a deleted answer cell counts as not answered
        text = source_text(cell)
        stub = source_text(stubs[gid]) if gid in stubs else None
        if text.strip() != (stub or "").strip() and not (
                cell.cell_type == "code" and STUB.search(text)):
            return False
    return True


def _read(path):
    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, ValueError, nbformat.reader.NotJSONError):
        return None


def release_time(course, assignment):
    """When the assignment was released: the latest modification time of
    its release notebooks (`course-autograder release` writes them),
    as naive UTC like nbgrader's timestamps; None without a release."""
    times = [p.stat().st_mtime for p in
             course.release_dir(assignment).glob("*.ipynb")]
    if not times:
        return None
    return dt.datetime.fromtimestamp(max(times), dt.timezone.utc) \
        .replace(tzinfo=None)


# --------------------------------------------------------------------------
# The numbers
# --------------------------------------------------------------------------
def class_data(course, assignment):
    """Everything the page shows, as plain data (report.json)."""
    from nbgrader.api import MissingEntry

    from autograder.course import CourseError
    masters = course.masters(assignment)
    several = len(masters) > 1
    layout = []   # (notebook, label, answers, graded, stubs)
    for master in masters:
        for name, answers, graded in exercises(master):
            layout.append((master.name, _label(master.name, name, several),
                           answers, graded, master.solutions))
    with course.gradebook() as gb:
        try:
            duedate = gb.find_assignment(assignment).duedate
        except MissingEntry:
            raise CourseError(f"{assignment} is not in the gradebook: run "
                              f"`course-autograder release {assignment}` "
                              "and grade it first") from None
        subs = [(s.student_id, s.timestamp,
                 {nb.name: {g.name: (float(g.score or 0.0),
                                     float(g.max_score or 0.0))
                            for g in nb.grades} for nb in s.notebooks})
                for s in gb.assignment_submissions(assignment)]
    if not subs:
        raise CourseError(f"nothing of {assignment} is graded yet: run "
                          f"`course-autograder grade {assignment}` first")
    released = release_time(course, assignment)
    scores = {label: {} for _, label, *_ in layout}
    maxima = {}
    seen = {}        # diagnosis -> {"students": set, "cells": Counter}
    quit_count = Counter()
    hours = {}
    for student, timestamp, notebooks in sorted(subs):
        for nb_name, label, answers, graded, stubs in layout:
            cells = notebooks.get(nb_name, {})
            scores[label][student] = sum(cells.get(g, (0.0, 0.0))[0]
                                         for g in graded)
            maxima[label] = sum(cells.get(g, (0.0, 0.0))[1]
                                for g in graded) or maxima.get(label, 0.0)
        for master in masters:
            autograded = _read(course.autograded_dir(student, assignment)
                               / f"{master.name}.ipynb")
            submitted = _read(course.submission_dir(student, assignment)
                              / f"{master.name}.ipynb")
            for nb_name, label, answers, graded, stubs in layout:
                if nb_name != master.name:
                    continue
                if autograded is not None:
                    for gid, texts in diagnoses(autograded,
                                                set(graded)).items():
                        for text in texts:
                            entry = seen.setdefault(
                                text, {"students": set(), "cells": Counter()})
                            entry["students"].add(student)
                            entry["cells"][gid] += 1
                if submitted is not None and answers and \
                        gave_up(submitted, answers, stubs):
                    quit_count[label] += 1
        if timestamp is not None and released is not None:
            hours[student] = (timestamp - released).total_seconds() / 3600
    ranked = sorted(seen.items(),
                    key=lambda item: (-len(item[1]["students"]), item[0]))
    return {
        "assignment": assignment,
        "students": len(subs),
        "released": released.isoformat() if released else None,
        "duedate": duedate.isoformat() if duedate else None,
        "exercises": [label for _, label, *_ in layout],
        "max_scores": maxima,
        "scores": scores,
        "diagnoses": [{"diagnosis": text, "students": len(e["students"]),
                       "cells": dict(sorted(e["cells"].items()))}
                      for text, e in ranked],
        "hours_to_submit": hours,
        "gave_up": {label: quit_count.get(label, 0)
                    for _, label, *_ in layout},
    }


# --------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------
def _figure_file(fig, path, drawn):
    """Save ``fig`` with the numbers it draws in its Description chunk."""
    import matplotlib.pyplot as plt
    fig.savefig(path, dpi=100, metadata={
        "Description": json.dumps(drawn, sort_keys=True)})
    plt.close(fig)


def score_figure(data, path):
    """Small multiples: per exercise, how many students got each score."""
    import matplotlib.pyplot as plt
    labels = data["exercises"]
    cols = min(3, len(labels))
    rows = -(-len(labels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.6 * rows),
                             squeeze=False)
    drawn = {}
    for ax, label in zip(axes.flat, labels):
        got = Counter(data["scores"][label].values())
        top = data["max_scores"][label]
        values = sorted(set(got) | {0.0, top})
        counts = [got.get(v, 0) for v in values]
        drawn[label] = {f"{v:g}": c for v, c in zip(values, counts)}
        bars = ax.bar([f"{v:g}" for v in values], counts, color="#4c72b0")
        ax.bar_label(bars, fontsize=8)
        ax.set_ylim(0, data["students"] * 1.15)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(f"points (of {top:g})")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[len(labels):]:
        ax.axis("off")
    fig.suptitle(f"{data['assignment']}: points per exercise "
                 f"({data['students']} students)")
    fig.subplots_adjust(hspace=0.75, wspace=0.35,
                        top=1 - 0.8 / (2.6 * rows))
    _figure_file(fig, path, drawn)
    return drawn


def diagnosis_figure(data, path):
    """The diagnoses most students met, as horizontal bars."""
    import textwrap

    import matplotlib.pyplot as plt
    top = data["diagnoses"][:TOP_DIAGNOSES]
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.55 * max(1, len(top))))
    labels = [textwrap.shorten(d["diagnosis"], 110) for d in top]
    counts = [d["students"] for d in top]
    bars = ax.barh(range(len(top)), counts, color="#dd8452")
    ax.bar_label(bars, fontsize=8, padding=2)
    ax.set_yticks(range(len(top)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("students who met it")
    fig.suptitle(f"{data['assignment']}: most frequent diagnoses "
                 f"(of {data['students']} students)")
    if not top:
        ax.text(0.5, 0.5, "no failed check", ha="center",
                transform=ax.transAxes)
    fig.subplots_adjust(left=0.62, right=0.98)
    drawn = [[d["diagnosis"], d["students"]] for d in top]
    _figure_file(fig, path, drawn)
    return drawn


def timing_figure(data, path):
    """Hours from the release to each submission, as a histogram."""
    import matplotlib.pyplot as plt
    import numpy as np
    hours = list(data["hours_to_submit"].values())
    fig, ax = plt.subplots(figsize=(8, 3.6))
    drawn = {"counts": [], "edges": []}
    if hours:
        counts, edges = np.histogram(hours, bins=min(24, max(5, len(hours)
                                                          // 8)))
        ax.hist(hours, bins=edges, color="#55a868")
        drawn = {"counts": counts.tolist(), "edges": edges.tolist()}
        if data["duedate"] and data["released"]:
            due = (dt.datetime.fromisoformat(data["duedate"]) -
                   dt.datetime.fromisoformat(data["released"])) \
                .total_seconds() / 3600
            ax.axvline(due, color="#c44e52", linestyle="--",
                       label="due date")
            ax.legend()
            drawn["due_hours"] = due
    else:
        ax.text(0.5, 0.5, "no submission times", ha="center",
                transform=ax.transAxes)
    ax.set_xlabel("hours from release to submission")
    ax.set_ylabel("students")
    ax.set_title(f"{data['assignment']}: when students handed in")
    fig.tight_layout()
    _figure_file(fig, path, drawn)
    return drawn


def gave_up_figure(data, path):
    """Per exercise, how many students left its answer unwritten."""
    import matplotlib.pyplot as plt
    labels = data["exercises"]
    counts = [data["gave_up"][label] for label in labels]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.45 * len(labels)))
    bars = ax.barh(range(len(labels)), counts, color="#8172b3")
    ax.bar_label(bars, fontsize=8, padding=2)
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, data["students"])
    ax.set_xlabel(f"students who left it unanswered (of "
                  f"{data['students']})")
    ax.set_title(f"{data['assignment']}: exercises given up")
    fig.tight_layout()
    drawn = dict(zip(labels, counts))
    _figure_file(fig, path, drawn)
    return drawn


FIGURES = (("scores.png", score_figure, "Points per exercise"),
           ("diagnoses.png", diagnosis_figure, "Most frequent diagnoses"),
           ("submission-times.png", timing_figure,
            "Time from release to submission"),
           ("gave-up.png", gave_up_figure, "Exercises given up"))


# --------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------
def _table(head, rows):
    esc = html.escape
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) +
           "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row)
                   + "</tr>")
    return "\n".join(out + ["</table>"])


def render_html(data):
    esc = html.escape
    n = data["students"]
    ex_rows = []
    for label in data["exercises"]:
        values = list(data["scores"][label].values())
        top = data["max_scores"][label]
        full = sum(1 for v in values if v >= top > 0)
        ex_rows.append((label, f"{sum(values) / len(values):.2f} / {top:g}",
                        f"{full} ({100 * full / n:.0f}%)",
                        data["gave_up"][label]))
    diag_rows = [(d["students"], d["diagnosis"], ", ".join(d["cells"]))
                 for d in data["diagnoses"][:TOP_DIAGNOSES]]
    hours = sorted(data["hours_to_submit"].values())
    when = (f"median {hours[len(hours) // 2]:.1f} h after the release "
            f"({len(hours)} submission times)" if hours else
            "no submission times in the gradebook")
    parts = [
        "<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>Class report: {esc(data['assignment'])}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em "
        "auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>Class report: {esc(data['assignment'])}</h1>",
        f"<p>{n} graded submissions; released "
        f"{esc(data['released'] or 'unknown')} UTC"
        + (f", due {esc(data['duedate'])} UTC" if data["duedate"] else "")
        + ".</p>",
        "<h2>Points per exercise</h2>",
        _table(("exercise", "mean", "full marks", "gave up"), ex_rows),
        "<img src=\"scores.png\" alt=\"points per exercise\">",
        "<h2>Most frequent diagnoses</h2>",
        "<p>Failed checks of <code>course_utils.checks</code> in the "
        "autograded notebooks; numbers replaced by N so that one mistake "
        "counts once per student.</p>",
        _table(("students", "diagnosis", "test cells"), diag_rows),
        "<img src=\"diagnoses.png\" alt=\"most frequent diagnoses\">",
        "<h2>Time from release to submission</h2>",
        f"<p>{esc(when)}.</p>",
        "<img src=\"submission-times.png\" alt=\"hours from release to "
        "submission\">",
        "<h2>Exercises given up</h2>",
        "<p>Answer cells left as released, or still raising "
        "NotImplementedError.</p>",
        "<img src=\"gave-up.png\" alt=\"exercises given up\">",
        "</body></html>", ""]
    return "\n".join(parts)


def write_class_report(course, assignment, out_dir):
    """Write index.html, the PNG figures and report.json into out_dir;
    return the data."""
    import matplotlib
    matplotlib.use("Agg")
    data = class_data(course, assignment)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data["figures"] = {}
    for name, draw, _ in FIGURES:
        data["figures"][name] = draw(data, out_dir / name)
    (out_dir / "report.json").write_text(json.dumps(data, indent=1,
                                                    sort_keys=True))
    (out_dir / "index.html").write_text(render_html(data), encoding="utf-8")
    return data
