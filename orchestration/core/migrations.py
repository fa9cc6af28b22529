"""The versioned source-schema DDL in `orchestration/sql/NNN_*.sql`, applied in order."""

from __future__ import annotations

from pathlib import Path

from orchestration.core.database import connect
from orchestration.core.paths import SQL_DIR
from orchestration.core.settings import ConnectionSettings

VERSION_TABLE = "public.analytics_schema_version"


def migration_files() -> list[Path]:
    return sorted(p for p in SQL_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def migrate(settings: ConnectionSettings) -> list[str]:
    """Apply every DDL file not yet recorded; returns the names applied. Safe to re-run."""
    applied: list[str] = []
    with connect(settings) as conn, conn.cursor() as cur:
        # Two processes migrating at once must not both run the same file.
        cur.execute("select pg_advisory_xact_lock(hashtext('analytics_schema_version'))")
        cur.execute(
            f"create table if not exists {VERSION_TABLE} ("
            " version text primary key, applied_at timestamptz not null default now())"
        )
        cur.execute(f"select version from {VERSION_TABLE}")
        done = {row[0] for row in cur.fetchall()}
        for path in migration_files():
            if path.stem in done:
                continue
            cur.execute(path.read_text())
            cur.execute(f"insert into {VERSION_TABLE} (version) values (%s)", (path.stem,))
            applied.append(path.stem)
    return applied
