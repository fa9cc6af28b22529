"""The table `make demo` ends with: every analytic view, its rows, size and last build time."""

from __future__ import annotations

from rich.table import Table

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings

META_SCHEMA = "analytics_meta"

_STATUS_QUERY = f"""
select relation_name, coalesce(row_count, 0), pg_size_pretty(coalesce(total_bytes, 0)),
       last_action, last_duration_seconds
from {META_SCHEMA}.mv_status
order by relation_name
"""


def rows(settings: ConnectionSettings) -> list[tuple[object, ...]]:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (f"{META_SCHEMA}.mv_status",))
        row = cur.fetchone()
        if row is None or row[0] is None:
            return []
        cur.execute(_STATUS_QUERY)
        return list(cur.fetchall())


def render(settings: ConnectionSettings, build_seconds: float) -> Table:
    table = Table(title=f"Analytic views (dbt build took {build_seconds:.1f} s)")
    for column in ("view", "rows", "size", "last action", "build seconds"):
        table.add_column(column, justify="left" if column in ("view", "last action") else "right")
    for name, count, size, action, seconds in rows(settings):
        duration = f"{seconds:.2f}" if seconds is not None else "-"
        table.add_row(str(name), f"{count:,}", str(size), str(action or "-"), duration)
    if not table.rows:
        table.caption = "no materialized views built yet"
    return table


def next_steps() -> str:
    return (
        "Next: `make dev` (Dagster UI on http://127.0.0.1:3000), `make docs` (dbt docs site), "
        "`.venv/bin/analytics status`, `.venv/bin/analytics db psql`."
    )
