"""Where the project lives on disk."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = Path(os.environ.get("ANALYTICS_PROJECT_DIR", PACKAGE_DIR.parent))
# The roles every mart shares, applied before any mart's own migrations.
SHARED_MIGRATIONS_DIR = PACKAGE_DIR / "core" / "sql"
DAGSTER_YAML = PACKAGE_DIR / "defs" / "dagster.yaml"


def marts_dir(project_dir: Path | None = None) -> Path:
    """The mart plug-ins of a project, one folder each: `<project>/orchestration/marts/`."""
    return Path(project_dir or PROJECT_DIR).resolve() / "orchestration" / "marts"


def pgdata_dir() -> Path:
    """The embedded server's data directory: `.pgdata/` unless ANALYTICS_PGDATA says otherwise."""
    return Path(os.environ.get("ANALYTICS_PGDATA", PROJECT_DIR / ".pgdata")).resolve()


def replica_pgdata_dir(pgdata: Path | None = None) -> Path:
    """The embedded replica's data directory, beside its primary's: `.pgdata-replica/`."""
    primary = (pgdata or pgdata_dir()).resolve()
    return primary.with_name(primary.name + "-replica")
