"""The grader's own record of each submission, next to the gradebook.

nbgrader's gradebook stores scores; it cannot say that a submission
failed to run, was repaired, or is held for review.  This one table, in
the same database (SQLite or PostgreSQL), keeps that per (assignment,
student) and is written by the parent process only.
"""
import datetime as dt
import hashlib
import json

from sqlalchemy.exc import DBAPIError
from sqlalchemy import (Column, DateTime, Float, MetaData, String, Table,
                        Text, create_engine, inspect, select, text)

metadata = MetaData()
status_table = Table(
    "autograder_status", metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("status", String(16), nullable=False),  # graded|flagged|failed
    Column("isolation", String(16)),
    Column("score", Float),
    Column("max_score", Float),
    Column("flags", Text),       # JSON list of "code: detail"
    Column("message", Text),
    Column("checksum", String(64)),
    Column("held", String(8)),   # "yes" when points are held for review
    # JSON {notebook: {grade_id: manual score before the hold}}
    Column("held_cells", Text),
    # Digest of the tests (and source files) the score was computed with.
    Column("tests", String(64)),
    Column("updated", DateTime),
)


class StatusStore:
    """Read and write submission status rows."""

    def __init__(self, db_url):
        self.engine = create_engine(db_url)
        try:
            metadata.create_all(self.engine)
        except DBAPIError:  # another grader created it at the same time
            metadata.create_all(self.engine)
        self._add_new_columns()

    def _add_new_columns(self):
        """Bring a table made by an older grader up to date."""
        have = {c["name"] for c in
                inspect(self.engine).get_columns(status_table.name)}
        for column in status_table.columns:
            if column.name in have:
                continue
            kind = column.type.compile(self.engine.dialect)
            try:
                with self.engine.begin() as conn:
                    conn.execute(text(
                        f"ALTER TABLE {status_table.name} "
                        f"ADD COLUMN {column.name} {kind}"))
            except DBAPIError:  # another grader added it just now
                pass

    def put(self, row):
        """Insert or replace one row (a dict of the table's columns)."""
        row = {k: v for k, v in row.items() if k in status_table.c}
        row = dict(row, flags=json.dumps(row.get("flags", []),
                                         ensure_ascii=False),
                   held_cells=json.dumps(row.get("held_cells") or {}),
                   updated=dt.datetime.now(dt.timezone.utc)
                   .replace(tzinfo=None))
        key = (status_table.c.assignment == row["assignment"]) & \
            (status_table.c.student == row["student"])
        with self.engine.begin() as conn:
            conn.execute(status_table.delete().where(key))
            conn.execute(status_table.insert().values(**row))

    def rows(self, assignment=None):
        """Return all rows (dicts), optionally for one assignment."""
        query = select(status_table)
        if assignment:
            query = query.where(status_table.c.assignment == assignment)
        query = query.order_by(status_table.c.assignment,
                               status_table.c.student)
        with self.engine.connect() as conn:
            out = [dict(r._mapping) for r in conn.execute(query)]
        return [_decode(row) for row in out]

    def get(self, assignment, student):
        """Return one row, or None if the submission was never graded."""
        query = select(status_table).where(
            (status_table.c.assignment == assignment) &
            (status_table.c.student == student))
        with self.engine.connect() as conn:
            found = conn.execute(query).first()
        if found is None:
            return None
        return _decode(dict(found._mapping))

    def mark_for_regrade(self, assignment, students):
        """Make the rows of ``students`` stale (their checksum no longer
        matches any submission), so that every run grades them again
        and a rerun skips them once one has."""
        if not students:
            return
        with self.engine.begin() as conn:
            conn.execute(status_table.update().where(
                (status_table.c.assignment == assignment) &
                status_table.c.student.in_(list(students)))
                .values(checksum=""))

    def claims(self):
        """A Claims object on this database (see Claims)."""
        return Claims(self.engine)

    def close(self):
        self.engine.dispose()


class Claims:
    """Which grading run grades a submission right now.

    On PostgreSQL, a run takes a session advisory lock per (assignment,
    student) before grading it: a second run (another instructor,
    another Slurm task) finds the lock taken and leaves that submission
    alone.  The server drops the locks of a run whose connection dies (a
    killed task, a lost node), so nothing stays claimed forever.
    SQLite serves one machine: every claim succeeds there.
    """

    def __init__(self, engine):
        self.conn = engine.connect() \
            if engine.dialect.name == "postgresql" else None

    @staticmethod
    def _key(assignment, student):
        digest = hashlib.sha256(
            f"autograder\0{assignment}\0{student}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def _lock(self, function, assignment, student):
        if self.conn is None:
            return True
        taken = self.conn.execute(
            text(f"SELECT {function}(:key)"),
            {"key": self._key(assignment, student)}).scalar()
        self.conn.commit()  # session locks outlive the transaction
        return bool(taken)

    def take(self, assignment, student):
        """True if this run may grade the submission now."""
        return self._lock("pg_try_advisory_lock", assignment, student)

    def release(self, assignment, student):
        self._lock("pg_advisory_unlock", assignment, student)

    def held(self, assignment, students):
        """The ``students`` whose submission a run holds now (on
        PostgreSQL; none on SQLite).  Read from pg_locks: trying the lock
        to see would make a run that asks at that moment skip it."""
        if self.conn is None or not students:
            return set()
        keys = {}
        for student in students:
            key = self._key(assignment, student) & 0xFFFFFFFFFFFFFFFF
            keys[(key >> 32, key & 0xFFFFFFFF)] = student
        rows = self.conn.execute(text(
            "SELECT classid::bigint, objid::bigint FROM pg_locks "
            "WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
            "AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())")).fetchall()
        self.conn.commit()
        return {keys[(hi, lo)] for hi, lo in rows if (hi, lo) in keys}

    def close(self):
        """Give back every claim: the connection only returns to the
        engine's pool, where its session (and its locks) would live on."""
        if self.conn is not None:
            self.conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self.conn.commit()
            self.conn.close()


def _decode(row):
    row["flags"] = json.loads(row["flags"] or "[]")
    row["held_cells"] = json.loads(row.get("held_cells") or "{}")
    return row
