"""Versioned source DDL: the shared roles, then each mart's `migrations/NNN_*.sql`, in order.

Each file is recorded as `<mart>/<file stem>` (`shared/<stem>` for the roles) in
`public.analytics_schema_version` once applied, so a file runs once per database.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.core.database import connect
from orchestration.core.marts import MartPlugin, discover
from orchestration.core.paths import SHARED_MIGRATIONS_DIR
from orchestration.core.settings import ConnectionSettings

VERSION_TABLE = "public.analytics_schema_version"
SHARED = "shared"


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("[0-9][0-9][0-9]_*.sql")) if directory.is_dir() else []


def migration_files(marts: list[MartPlugin] | None = None) -> list[tuple[str, Path]]:
    """(version, file) of the shared files and then each mart's, in the order they apply."""
    plugins = discover().values() if marts is None else marts
    found = [(f"{SHARED}/{p.stem}", p) for p in _files(SHARED_MIGRATIONS_DIR)]
    for plugin in plugins:
        found += [(f"{plugin.name}/{p.stem}", p) for p in _files(plugin.migrations_dir)]
    return found


def migrate(settings: ConnectionSettings, marts: list[MartPlugin] | None = None) -> list[str]:
    """Apply every DDL file not yet recorded; returns the versions applied. Safe to re-run."""
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
        for version, path in migration_files(marts):
            if version in done:
                continue
            cur.execute(path.read_text())
            cur.execute(f"insert into {VERSION_TABLE} (version) values (%s)", (version,))
            applied.append(version)
    return applied
