"""`analytics status` and the table `make demo` ends with: every analytic view, by mart.

Both read the materialization's `mv_status` view (in the dbt var `mv_meta_schema`). One row per
view: its mart, rows, size, indexes, cadence (from the dbt manifest), the last refresh (action,
when, how long, outcome), whether it is stale for its cadence (see
`orchestration.defs.freshness`) and the last error. Models never built are listed as missing.
The health check, `analytics status --check`, is orchestration/cli/health.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from dagster_dbt import DbtProject
from psycopg2 import sql
from rich.table import Table

from orchestration.core.database import connect
from orchestration.core.project import ModelInfo, meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.core.units import human_bytes
from orchestration.defs.freshness import is_stale

_COLUMNS = (
    "schema_name", "relation_name", "model", "exists", "populated", "row_count", "total_bytes",
    "index_names", "unique_key", "last_action", "last_status", "last_started_at",
    "last_finished_at", "last_duration_seconds", "last_error", "last_success_at",
)


@dataclass(frozen=True)
class ViewStatus:
    relation: str
    model: str
    mart: str | None
    cadence: str | None
    exists: bool
    populated: bool
    rows: int | None
    total_bytes: int | None
    indexes: list[str]
    unique_key: str | None
    last_action: str | None
    last_status: str | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_duration_seconds: float | None
    last_success_at: datetime | None
    stale: bool | None
    last_error: str | None

    def figures(self) -> tuple[str, str, str]:
        """Rows, size and last duration as both tables show them."""
        return (f"{self.rows:,}" if self.rows is not None else "-",
                human_bytes(self.total_bytes) if self.total_bytes is not None else "-",
                f"{self.last_duration_seconds:.2f}" if self.last_duration_seconds is not None
                else "-")

    def as_json(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def read_status_rows(settings: ConnectionSettings, schema: str) -> list[dict[str, Any]]:
    """The rows of `<schema>.mv_status`; none if the materialization has not run yet."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (f"{schema}.mv_status",))
        row = cur.fetchone()
        if row is None or row[0] is None:
            return []
        query = sql.SQL("select {} from {}.mv_status order by schema_name, relation_name").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS), sql.Identifier(schema)
        )
        cur.execute(query)
        return [dict(zip(_COLUMNS, values, strict=True)) for values in cur.fetchall()]


def view_statuses(
    rows: Sequence[Mapping[str, Any]], models: Mapping[str, ModelInfo], now: datetime
) -> list[ViewStatus]:
    """Combine mv_status rows with the manifest; models never built come last, as missing."""
    statuses = []
    seen = set()
    for row in rows:
        model = models.get(str(row["model"]))
        cadence = model.cadence if model else None
        seen.add(str(row["model"]))
        live = bool(row["exists"]) and bool(row["populated"])
        stale = is_stale(cadence, row["last_success_at"] if live else None, now)
        statuses.append(ViewStatus(
            relation=f"{row['schema_name']}.{row['relation_name']}",
            model=str(row["model"]),
            mart=model.mart if model else None,
            cadence=cadence,
            exists=bool(row["exists"]),
            populated=bool(row["populated"]),
            rows=row["row_count"],
            total_bytes=row["total_bytes"],
            indexes=list(row["index_names"] or []),
            unique_key=row["unique_key"],
            last_action=row["last_action"],
            last_status=row["last_status"],
            last_started_at=row["last_started_at"],
            last_finished_at=row["last_finished_at"],
            last_duration_seconds=row["last_duration_seconds"],
            last_success_at=row["last_success_at"],
            stale=stale,
            last_error=row["last_error"],
        ))
    for model in models.values():
        if model.name in seen or model.materialized != "materialized_view":
            continue
        statuses.append(ViewStatus(
            relation=model.relation, model=model.name, mart=model.mart, cadence=model.cadence,
            exists=False,
            populated=False, rows=None, total_bytes=None, indexes=[],
            unique_key=", ".join(model.unique_key) or None, last_action=None, last_status=None,
            last_started_at=None, last_finished_at=None, last_duration_seconds=None,
            last_success_at=None, stale=is_stale(model.cadence, None, now), last_error=None,
        ))
    return statuses


def collect(
    settings: ConnectionSettings,
    project: DbtProject,
    models: Mapping[str, ModelInfo],
    marts: Sequence[str] | None = None,
) -> list[ViewStatus]:
    """The views of the project's models (of `marts` only, when given), mart by mart."""
    chosen = {n: m for n, m in models.items() if not marts or m.mart in marts}
    rows = read_status_rows(settings, meta_schema(project))
    if marts:
        rows = [row for row in rows if str(row["model"]) in chosen]
    statuses = view_statuses(rows, chosen, datetime.now(UTC))
    return sorted(statuses, key=lambda s: (s.mart or "", s.relation))


def to_json(statuses: Sequence[ViewStatus]) -> str:
    return json.dumps([s.as_json() for s in statuses], indent=2)


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    seconds = max(0.0, (now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _state(status: ViewStatus) -> str:
    if not status.exists:
        return "[red]missing[/red]"
    if not status.populated:
        return "[red]not populated[/red]"
    if status.stale is None:
        return "-"
    return "[yellow]stale[/yellow]" if status.stale else "[green]fresh[/green]"


def render(statuses: Sequence[ViewStatus], now: datetime | None = None) -> Table:
    now = now or datetime.now(UTC)
    table = Table(title="Analytic views")
    for column in ("mart", "view", "cadence", "rows", "size", "indexes", "last action", "when",
                   "seconds", "state", "last error"):
        right = column in ("rows", "size", "indexes", "seconds")
        table.add_column(column, justify="right" if right else "left",
                         overflow="fold" if column == "last error" else "ellipsis")
    for s in statuses:
        action = s.last_action or "-"
        if s.last_status and s.last_status != "success":
            action = f"{action} ([red]{s.last_status}[/red])"
        rows, size, seconds = s.figures()
        table.add_row(
            s.mart or "-",
            s.relation,
            s.cadence or "-",
            rows,
            size,
            str(len(s.indexes)),
            action,
            _ago(s.last_finished_at or s.last_started_at, now),
            seconds,
            _state(s),
            (s.last_error or "")[:200],
        )
    if not statuses:
        table.caption = "no materialized views built yet"
    return table


def render_summary(statuses: Sequence[ViewStatus], build_seconds: float) -> Table:
    """The table `make demo` ends with: per mart, each view's rows, size and last action."""
    table = Table(title=f"Analytic views by mart (dbt build took {build_seconds:.1f} s)")
    for column in ("mart", "view", "rows", "size", "last action", "seconds"):
        table.add_column(column, justify="left" if column in ("mart", "view", "last action")
                         else "right")
    previous = None
    for s in statuses:
        if previous is not None and s.mart != previous:
            table.add_section()
        rows, size, seconds = s.figures()
        table.add_row(s.mart or "-" if s.mart != previous else "", s.relation, rows, size,
                      s.last_action or "-", seconds)
        previous = s.mart
    if not statuses:
        table.caption = "no materialized views built yet"
    return table

