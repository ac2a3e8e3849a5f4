"""Instructor tooling for the course: release, collect, grade, report."""
