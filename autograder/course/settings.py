"""Grading limits: one dataclass, defaults, and where overrides come from.

Every limit can be set in nbgrader_config.py under the ``Sandbox``
section, e.g. ``c.Sandbox.cell_timeout = 30``.  Without one, the per-cell
timeout is the one nbgrader's autograde uses (``c.Execute.timeout`` or
``c.ExecutePreprocessor.timeout``).  The defaults suit a
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
        values = {k: section[k] for k in section}
        if "cell_timeout" not in values:
            values["cell_timeout"] = _nbgrader_timeout(config)
        return replace(limits, **values)


def _nbgrader_timeout(config):
    """The per-cell timeout nbgrader's own autograde would use: its
    ``Execute.timeout`` (30 s by default), else the general
    ``ExecutePreprocessor.timeout``, else nbgrader's default of 30 s;
    None or a negative value there
    means no per-cell limit (the notebook's limit still holds)."""
    for section in ("Execute", "ExecutePreprocessor"):
        part = config.get(section, {}) if config else {}
        if "timeout" in part:
            value = part["timeout"]
            if value is None or value < 0:
                return float(Limits.notebook_timeout)
            return float(value)
    return 30.0  # nbgrader's Execute.timeout default
