"""`export` (CSV) and `report` (per-student text) from the gradebook."""
import csv

from autograder.grading.flags import NOTES, code
from autograder.gradebook.status import StatusStore

# nbgrader's CSV export columns, in its order (nbgrader.plugins.export.
# CsvExportPlugin), so scripts written for `nbgrader export` read ours;
# the course's own columns follow.
NBGRADER_CSV_FIELDS = ["assignment", "duedate", "timestamp", "student_id",
                       "last_name", "first_name", "email", "raw_score",
                       "late_submission_penalty", "score", "max_score"]
COURSE_CSV_FIELDS = ["seconds_late", "awaiting_manual_grading", "status",
                     "held_for_review", "isolation", "flags", "message"]
CSV_FIELDS = NBGRADER_CSV_FIELDS + COURSE_CSV_FIELDS


def status_rows(course, assignment=None):
    """Status rows with today's scores from the gradebook (manual
    grades entered in formgrader included) and ``pending``: the points
    still waiting for a manual grade."""
    from autograder.gradebook.record import pending_points
    store = StatusStore(course.db_url)
    try:
        rows = store.rows(assignment)
    finally:
        store.close()
    if not rows:
        return rows
    with course.gradebook() as gb:
        for row in rows:
            try:
                sub = gb.find_submission(row["assignment"], row["student"])
            except Exception:  # no gradebook entry: keep the stored score
                row["pending"] = 0.0
                continue
            row.update(score=sub.score, max_score=sub.max_score,
                       pending=pending_points(sub))
    return rows


def _text(value):
    """A value as nbgrader's CSV export writes it (None is empty)."""
    return "" if value is None else str(value)


def released_assignments(course, names=None):
    """(released, not released) among ``names`` (default: every source
    assignment): released means `course-autograder release` (nbgrader's
    generate_assignment) put the assignment in the gradebook."""
    from nbgrader.api import MissingEntry
    names = list(names) if names else course.assignments()
    released, not_released = [], []
    with course.gradebook() as gb:
        for name in names:
            try:
                gb.find_assignment(name)
            except MissingEntry:
                not_released.append(name)
            else:
                released.append(name)
    return released, not_released


def export_csv(course, path, assignments):
    """Write the grades of ``assignments``; return the row count.

    One row per assignment and student in the gradebook, as nbgrader's
    CSV export writes it (a student without a submission gets 0 and the
    status ``not submitted``); ``score`` is the raw score less the late
    penalty.  ``status`` tells a real zero (graded) from a submission
    that could not be run (failed) or that needs a look (flagged).
    """
    from nbgrader.api import MissingEntry
    ours = {(r["assignment"], r["student"]): r
            for name in assignments for r in status_rows(course, name)}
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle, \
            course.gradebook() as gb:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for name in assignments:
            assignment = gb.find_assignment(name)
            for student in gb.students:
                row = {"assignment": name,
                       "duedate": _text(assignment.duedate),
                       "student_id": student.id,
                       "last_name": _text(student.last_name),
                       "first_name": _text(student.first_name),
                       "email": _text(student.email),
                       "max_score": _text(assignment.max_score)}
                try:
                    sub = gb.find_submission(name, student.id)
                except MissingEntry:
                    row.update(timestamp="", raw_score="0.0",
                               late_submission_penalty="0.0",
                               score="0.0", status="not submitted",
                               seconds_late="0")
                else:
                    penalty = sub.late_submission_penalty or 0.0
                    row.update(
                        timestamp=_text(sub.timestamp),
                        raw_score=_text(sub.score),
                        late_submission_penalty=_text(penalty),
                        score=_text(max(0.0, sub.score - penalty)),
                        seconds_late=f"{sub.total_seconds_late:g}")
                status = ours.get((name, student.id))
                if status is not None:
                    row.update({
                        "awaiting_manual_grading": f"{status['pending']:g}",
                        "status": status["status"],
                        "held_for_review": status["held"],
                        "isolation": status["isolation"],
                        "flags": " | ".join(status["flags"]),
                        "message": status["message"] or "",
                    })
                writer.writerow(row)
                count += 1
            # A submission that never reached the gradebook (it could not
            # be run) still gets its row, with the course's status.
            known = {student.id for student in gb.students}
            for (aname, student), status in sorted(ours.items()):
                if aname != name or student in known:
                    continue
                writer.writerow({
                    "assignment": name, "student_id": student,
                    "duedate": _text(assignment.duedate),
                    "raw_score": f"{float(status['score'])}",
                    "late_submission_penalty": "0.0",
                    "score": f"{float(status['score'])}",
                    "max_score": _text(assignment.max_score),
                    "awaiting_manual_grading": f"{status['pending']:g}",
                    "status": status["status"],
                    "held_for_review": status["held"],
                    "isolation": status["isolation"],
                    "flags": " | ".join(status["flags"]),
                    "message": status["message"] or ""})
                count += 1
    return count


def render_report(rows):
    """Return the per-student report as text, grouped by status."""
    lines = []
    titles = (("graded", "Graded"),
              ("flagged", "Flagged for review"),
              ("failed", "Failed (not graded; fix and regrade)"))
    for status, title in titles:
        group = [r for r in rows if r["status"] == status]
        lines.append(f"{title}: {len(group)}")
        for r in group:
            notes = ["held at 0 for review"] if r["held"] == "yes" else []
            if r.get("pending"):
                notes.append(f"{r['pending']:g} point(s) await manual "
                             "grading")
            held = f" ({'; '.join(notes)})" if notes else ""
            lines.append(f"  {r['assignment']}  {r['student']}: "
                         f"{r['score']:g}/{r['max_score']:g}{held}  "
                         f"[{r['isolation']}]")
            if status == "failed" and r["message"]:
                lines.append(f"      why: {r['message']}")
            for flag in r["flags"]:
                if status != "graded" or code(flag) in NOTES:
                    lines.append(f"      - {flag}")
        lines.append("")
    return "\n".join(lines)
