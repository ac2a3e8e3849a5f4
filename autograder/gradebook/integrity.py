"""Check that the gradebook still holds the tests in solutions/."""
from nbgrader.api import MissingEntry


def gradebook_mismatches(course, assignment):
    """Return sentences naming every test cell that differs."""
    problems = []
    with course.gradebook() as gb:
        for master in course.masters(assignment):
            for gid, cell in master.tests.items():
                where = f"{assignment}/{master.name}.ipynb cell {gid}"
                try:
                    stored = gb.find_source_cell(gid, master.name,
                                                 assignment)
                    grade = gb.find_grade_cell(gid, master.name,
                                               assignment)
                except MissingEntry:
                    problems.append(f"{where} is not in the gradebook")
                    continue
                if stored.source != cell.source:
                    problems.append(f"{where}: stored test code differs "
                                    "from solutions/")
                points = float(cell.metadata.nbgrader.points)
                if float(grade.max_score) != points:
                    problems.append(f"{where}: stored points "
                                    f"{grade.max_score:g} != {points:g}")
    return problems
