"""Instructor command line: release, check, collect, grade, feedback,
export and report, built on nbgrader's Python API.

Exit codes: 0 done; 1 done, but some submissions failed or checks did
not pass; 2 a usage or course problem (the message says what to fix);
3 the gradebook's tests differ from the source notebooks, or scores
were computed with other tests than today's (export refused).
"""
import argparse
import os
import sys

from autograder.course import Course, CourseError

OK, SOME_FAILED, USAGE, INTEGRITY = 0, 1, 2, 3

EPILOG = """\
typical session (from the course root):
  course-autograder release                 # notebooks/ from solutions/
  course-autograder check                   # solutions pass, releases fail
  course-autograder collect ~/Downloads/ps1.zip
  course-autograder grade 01_numerical_derivatives --jobs 4
  course-autograder report 01_numerical_derivatives
  course-autograder feedback 01_numerical_derivatives
  course-autograder export --output grades.csv
  course-autograder report --class 01_numerical_derivatives  # HTML, figures
  course-autograder bundle --out /srv/class-bundle  # what students get

exit codes: 0 done; 1 some submissions failed or checks did not pass;
2 usage or course problem (the message says what to fix); 3 the
gradebook's tests differ from solutions/, or scores were computed with
other tests (export refused).

Limits (timeouts, memory, output size) are set in nbgrader_config.py,
section c.Sandbox; see docs/instructors.md.
"""


def _assignments(course, names):
    for name in names:
        course.require(name)
    return names or course.assignments()


def cmd_release(course, args):
    """Generate notebooks/ from solutions/ with nbgrader."""
    api = course.api()
    status = OK
    for name in _assignments(course, args.assignments):
        result = api.generate_assignment(name, force=True, create=True)
        if result["success"]:
            print(f"released {name} -> "
                  f"{course.rel(course.release_dir(name))}")
        else:
            print(f"release of {name} FAILED:\n{result['error']}"
                  f"\n{result['log']}", file=sys.stderr)
            status = SOME_FAILED
    return status


def cmd_check(course, args):
    """Run solutions and releases in the grading sandbox."""
    from autograder.grading.check import check_assignment
    from autograder.grading import require_sandbox
    names = _assignments(course, args.assignments)
    require_sandbox(course)
    status = OK
    for name in names:
        problems = check_assignment(course, name)
        for problem in problems:
            print(f"FAIL {problem}")
        if problems:
            status = SOME_FAILED
        else:
            print(f"ok   {name}: solutions pass, releases fail")
    return status


def cmd_collect(course, args):
    """Import submissions into submitted/."""
    from autograder.course.collect import collect
    try:
        result = collect(course, args.source)
    except FileNotFoundError as err:
        raise CourseError(str(err)) from None
    for student, assignment in result.imported:
        print(f"imported {assignment} for {student}")
    for line in result.superseded:
        print(f"superseded {line}")
    for problem in result.problems:
        print(f"NOT IMPORTED {problem}", file=sys.stderr)
    print(f"{len(result.imported)} imported, {len(result.unchanged)} "
          f"unchanged, {len(result.problems)} not imported")
    return SOME_FAILED if result.problems else OK


def cmd_grade(course, args):
    """Grade one assignment in parallel sandboxes."""
    from autograder.grading import grade
    from autograder.gradebook.integrity import gradebook_mismatches
    from autograder.gradebook.reports import render_report
    summary = grade(course, args.assignment, students=args.students,
                    jobs=args.jobs, force=args.force,
                    progress=not args.quiet)
    if not summary.rows and not summary.skipped:
        print(f"no submissions of {args.assignment} in "
              f"{course.rel(course.step_dir('submitted'))}: run "
              "`course-autograder collect FOLDER_OR_ZIP` first")
        return OK
    if summary.retested:
        print(f"{len(summary.retested)} submission(s) regraded because "
              "the tests changed since they were graded")
    if summary.skipped:
        print(f"{len(summary.skipped)} unchanged submission(s) already "
              "graded (use --force to regrade them)")
    print(render_report(summary.rows))
    if summary.unrecorded:
        print(f"{len(summary.unrecorded)} result(s) could not be saved: "
              "rerun the same command", file=sys.stderr)
        return SOME_FAILED
    problems = gradebook_mismatches(course, args.assignment)
    for problem in problems:
        print(f"INTEGRITY {problem}", file=sys.stderr)
    if problems:
        print("The gradebook's tests differ from solutions/: run "
              "`course-autograder release` and regrade with --force.",
              file=sys.stderr)
        return INTEGRITY
    return SOME_FAILED if summary.count("failed") else OK


def cmd_feedback(course, args):
    """Generate HTML feedback with nbgrader for graded students."""
    from autograder.gradebook.reports import status_rows
    course.require(args.assignment)
    rows = status_rows(course, args.assignment)
    _known_students(args.students, [r["student"] for r in rows],
                    f"graded submission of {args.assignment}")
    api = course.api()
    status = OK
    for row in rows:
        if row["status"] == "failed" or (
                args.students and row["student"] not in args.students):
            continue
        result = api.generate_feedback(args.assignment, row["student"])
        if result["success"]:
            print(f"feedback for {row['student']}")
        else:
            print(f"feedback for {row['student']} FAILED: "
                  f"{result['error']}", file=sys.stderr)
            status = SOME_FAILED
    return status


def _known_students(wanted, known, what):
    """Refuse student ids that match nothing (a typo would do nothing)."""
    missing = sorted(set(wanted or ()) - set(known))
    if missing:
        raise CourseError(f"no {what} for: {', '.join(missing)}; known: "
                          f"{', '.join(sorted(known)[:20]) or 'none'}")


def cmd_export(course, args):
    """Write grades.csv for the released assignments after checking the
    gradebook's integrity; name the assignments not released yet."""
    from autograder.gradebook.integrity import gradebook_mismatches
    from autograder.gradebook.reports import (export_csv,
                                              released_assignments)
    if args.assignment:
        course.require(args.assignment)
    names, not_released = released_assignments(
        course, [args.assignment] if args.assignment else None)
    if args.assignment and not names:
        raise CourseError(
            f"{args.assignment} is not released yet: run "
            f"`course-autograder release {args.assignment}` and grade it "
            "before exporting its grades")
    problems = []
    for name in names:
        problems += gradebook_mismatches(course, name)
    if problems:
        for problem in problems:
            print(f"INTEGRITY {problem}", file=sys.stderr)
        print("Export refused: the gradebook's tests differ from "
              "the source notebooks. Run `course-autograder release` and "
              "regrade with --force.", file=sys.stderr)
        return INTEGRITY
    from autograder.grading import stale_rows
    from autograder.gradebook.status import StatusStore
    store = StatusStore(course.db_url)
    try:
        stale = {name: stale_rows(course, name, store) for name in names}
    finally:
        store.close()
    for name, rows in stale.items():
        if rows:
            who = ", ".join(r["student"] for r in rows[:10])
            more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
            print(f"STALE {name}: {len(rows)} score(s) were computed with "
                  f"other tests than today's ({who}{more})",
                  file=sys.stderr)
    if any(stale.values()):
        print("Export refused: run `course-autograder grade ASSIGNMENT` "
              "to regrade them with the current tests.", file=sys.stderr)
        return INTEGRITY
    count = export_csv(course, args.output, names)
    if not_released:
        print(f"not released yet, so not in {args.output}: "
              f"{', '.join(not_released)}", file=sys.stderr)
    print(f"wrote {count} row(s) for {len(names)} released assignment(s) "
          f"to {args.output}")
    return OK


def cmd_report(course, args):
    """Print graded, flagged and failed submissions; with --class, write
    the class's HTML page and figures instead."""
    from autograder.gradebook.reports import render_report, status_rows
    if args.class_assignment:
        return _class_report(course, args)
    if args.out:
        raise CourseError("--out goes with --class ASSIGNMENT (the text "
                          "report prints to the terminal)")
    rows = status_rows(course, args.assignment)
    if not rows:
        print("nothing graded yet: run `course-autograder grade "
              "ASSIGNMENT`")
        return OK
    print(render_report(rows))
    return SOME_FAILED if any(r["status"] == "failed" for r in rows) \
        else OK


def cmd_bundle(course, args):
    """Write the student bundle of a graded class."""
    from autograder.bundle import build_bundle
    for name in args.assignments:
        course.require(name)
    made = build_bundle(course, args.assignments, args.out)
    print(f"wrote the student bundle of {', '.join(made.assignments)} "
          f"to {made.out} ({len(made.files)} files)")
    for dotted, why in made.left_out.items():
        print(f"  left out {dotted} ({why})")
    for dotted, why in made.kept.items():
        print(f"  kept     {dotted}: an exercise's answer, but {why} "
              "needs it")
    return OK


def _class_report(course, args):
    from autograder.gradebook.classreport import write_class_report
    name = args.class_assignment
    if args.assignment:
        raise CourseError(f"give the assignment once: `report --class "
                          f"{name}`, not also {args.assignment!r}")
    course.require(name)
    out = args.out or os.path.join(course.root, "reports", name)
    data = write_class_report(course, name, out)
    print(f"wrote the class report of {name} ({data['students']} "
          f"students) to {os.path.join(out, 'index.html')}")
    return OK


def build_parser():
    parser = argparse.ArgumentParser(
        prog="course-autograder", description=__doc__.split("\n\n")[0],
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course-root", default=None,
                        help="course folder holding nbgrader_config.py "
                        "and the source notebooks (default: the current "
                        "directory)")
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="COMMAND")

    def add(name, func, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("release", cmd_release,
            "generate notebooks/ (student version) from solutions/")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="default: all assignments")
    p = add("check", cmd_check, "check that every solution passes its "
            "tests and every release fails them")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p = add("collect", cmd_collect, "import a folder or .zip of "
            "submitted notebooks into submitted/")
    p.add_argument("source", help="folder or .zip file")
    p = add("grade", cmd_grade, "autograde one assignment in sandboxed, "
            "parallel kernels")
    p.add_argument("assignment")
    p.add_argument("--students", nargs="+", metavar="ID",
                   help="grade only these students (always regraded)")
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel workers (default: two per core, as "
                        "many as the free memory holds at 512 MB each)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions that are already graded")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar")
    p = add("feedback", cmd_feedback,
            "write HTML feedback for graded submissions (feedback/)")
    p.add_argument("assignment")
    p.add_argument("--students", nargs="+", metavar="ID")
    p = add("export", cmd_export, "write the released assignments' "
            "grades as CSV, nbgrader's columns first (refused if the "
            "gradebook's tests were altered)")
    p.add_argument("--assignment", default=None)
    p.add_argument("--output", default="grades.csv")
    p = add("bundle", cmd_bundle, "write the student bundle of a graded "
            "class: released notebooks, their data, course_utils without "
            "the exercises' answers, a README")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="default: every released assignment")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="a new (or empty) folder for the bundle")
    p = add("report", cmd_report, "list graded, flagged (and why) and "
            "failed (and why) submissions; --class: the class's HTML "
            "page with figures")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--class", dest="class_assignment", metavar="ASSIGNMENT",
                   help="write an HTML page and PNG figures for the class: "
                        "points per exercise, most frequent diagnoses, "
                        "time from release to submission, exercises given "
                        "up")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="folder of the class report (default: "
                        "reports/ASSIGNMENT in the course root)")
    return parser


def _put_environment_on_path():
    """nbgrader runs the `alembic` program that sits beside this Python;
    an instructor who did not activate the virtual environment would
    otherwise get "No such file or directory: 'alembic'"."""
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def main(argv=None):
    """Entry point of `course-autograder` and `python -m autograder`."""
    args = build_parser().parse_args(argv)
    _put_environment_on_path()
    try:
        course = Course(args.course_root)
        return args.func(course, args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to grade what is "
              "left", file=sys.stderr)
        return 130
