"""`export` (CSV) and `report` (per-student text) from the gradebook."""
import csv

from autograder.gradebook.status import StatusStore

CSV_FIELDS = ["assignment", "student", "score", "max_score",
              "awaiting_manual_grading", "status", "held_for_review",
              "isolation", "flags", "message"]


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


def export_csv(course, path, assignment=None):
    """Write one CSV row per graded submission; return the row count.

    ``status`` tells a real zero (graded) from a submission that could
    not be run (failed) or that needs a look (flagged).
    """
    rows = status_rows(course, assignment)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({
                "assignment": row["assignment"],
                "student": row["student"],
                "score": f"{row['score']:g}",
                "max_score": f"{row['max_score']:g}",
                "awaiting_manual_grading": f"{row['pending']:g}",
                "status": row["status"],
                "held_for_review": row["held"],
                "isolation": row["isolation"],
                "flags": " | ".join(row["flags"]),
                "message": row["message"] or "",
            })
    return len(rows)


# Flags shown for graded students too: they inform, they cost nothing.
NOTES = ("blank", "checked-in-kernel", "similar-to-reference")


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
                if status != "graded" or flag.startswith(NOTES):
                    lines.append(f"      - {flag}")
        lines.append("")
    return "\n".join(lines)
