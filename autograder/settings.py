"""Grading limits: one dataclass, defaults, and where overrides come from.

Every limit can be set in nbgrader_config.py under the ``Sandbox``
section, e.g. ``c.Sandbox.cell_timeout = 30``.  The defaults suit a
course notebook that runs in seconds on a laptop.
"""
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to every grading kernel."""

    cell_timeout: float = 60.0        # seconds of wall time per cell
    notebook_timeout: float = 600.0   # seconds of wall time per notebook
    memory_mb: int = 2048             # address space of the kernel
    file_size_mb: int = 64            # largest file the kernel may write
    tmp_size_mb: int = 128            # size of the sandbox's private /tmp
    max_processes: int = 64           # processes and threads a kernel adds
    max_open_files: int = 256
    # Bytes of output kept, figures included: a course plot is ~50-150 KB.
    output_bytes_per_cell: int = 1_000_000
    output_bytes_per_notebook: int = 10_000_000
    max_restarts: int = 3             # kernel restarts after a death
    startup_timeout: float = 60.0     # seconds for a kernel to come up
    isolation: str = "auto"           # auto | bwrap | rlimits

    @classmethod
    def from_config(cls, config):
        """Build limits from a traitlets Config's ``Sandbox`` section."""
        section = config.get("Sandbox", {}) if config else {}
        names = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(section) - set(names))
        if unknown:
            raise ValueError(
                "unknown Sandbox setting(s) in nbgrader_config.py: "
                + ", ".join(unknown) + "; known: " + ", ".join(names))
        limits = cls()
        return replace(limits, **{k: section[k] for k in section})
