"""Where the project lives on disk."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("ANALYTICS_PROJECT_DIR", Path(__file__).resolve().parents[1]))
SQL_DIR = Path(__file__).resolve().parent / "sql"


def pgdata_dir() -> Path:
    """The embedded server's data directory: `.pgdata/` unless ANALYTICS_PGDATA says otherwise."""
    return Path(os.environ.get("ANALYTICS_PGDATA", PROJECT_DIR / ".pgdata")).resolve()
