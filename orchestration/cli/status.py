"""`analytics status` and the table `make demo` ends with: every analytic view, by mart.

Both read the materialization's `mv_status` view (in the dbt var `mv_meta_schema`). One row per
view: its mart, rows, size, indexes, cadence (from the dbt manifest), the last refresh (action,
when, how long, outcome), whether it is stale for its cadence (see
`orchestration.defs.freshness`) and the last error. A materialized_view model whose relation
does not exist is listed as missing, with the command that builds it. Unless the status is
narrowed to marts or views, the orphaned materialized views (in the project's schemas, declared
by no model: orchestration/cli/orphans.py) are listed too, with mart "-". The summary counts
the views expected (the models), existing, missing and orphaned, and their rows.
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

from orchestration.cli.orphans import Orphan, find_orphans
from orchestration.core.database import connect
from orchestration.core.project import ModelInfo, SourceTable, meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.core.units import human_bytes
from orchestration.defs.freshness import is_stale

_COLUMNS = (
    "schema_name", "relation_name", "model", "exists", "populated", "row_count", "total_bytes",
    "index_names", "unique_key", "last_action", "last_status", "last_started_at",
    "last_finished_at", "last_duration_seconds", "last_error", "last_success_at", "kind",
    "last_slices",
)


@dataclass(frozen=True)
class ViewStatus:
    relation: str
    # An orphan's is the model that built it, as mv_state recorded it (None if none did).
    model: str | None
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
    orphaned: bool = False
    # "materialized view", or "incremental table" (refresh_strategy incremental: a table the
    # materialization keeps up to date, with the slices its last incremental run recomputed).
    kind: str | None = None
    last_slices: int | None = None

    @property
    def state(self) -> str:
        """orphaned, missing, not populated, stale, fresh, or "-" (no cadence to judge by)."""
        if self.orphaned:
            return "orphaned"
        if not self.exists:
            return "missing"
        if not self.populated:
            return "not populated"
        if self.stale is None:
            return "-"
        return "stale" if self.stale else "fresh"

    @property
    def build_command(self) -> str | None:
        """What builds a missing view."""
        if self.orphaned or self.exists or self.model is None:
            return None
        return f"analytics refresh --select {self.model}"

    def figures(self) -> tuple[str, str, str]:
        """Rows, size and last duration as both tables show them."""
        return (f"{self.rows:,}" if self.rows is not None else "-",
                human_bytes(self.total_bytes) if self.total_bytes is not None else "-",
                f"{self.last_duration_seconds:.2f}" if self.last_duration_seconds is not None
                else "-")

    def as_json(self) -> dict[str, Any]:
        fields = {k: v.isoformat() if isinstance(v, datetime) else v
                  for k, v in asdict(self).items()}
        return {**fields, "state": self.state, "build_command": self.build_command}


@dataclass(frozen=True)
class Summary:
    """Like the sync status of the API the views replace: how many views the models expect,
    how many exist, are missing and are orphaned (None when orphans were not looked for), and
    the rows of the existing ones (their last refresh's count)."""

    expected: int
    existing: int
    missing: int
    orphaned: int | None
    total_rows: int

    def caption(self) -> str:
        orphaned = "" if self.orphaned is None else f", {self.orphaned} orphaned"
        return (f"{self.expected} views expected: {self.existing} exist, {self.missing} missing"
                f"{orphaned}; {self.total_rows:,} rows")


def summarize(statuses: Sequence[ViewStatus], orphans_checked: bool = True) -> Summary:
    declared = [s for s in statuses if not s.orphaned]
    return Summary(
        expected=len(declared),
        existing=sum(1 for s in declared if s.exists),
        missing=sum(1 for s in declared if not s.exists),
        orphaned=sum(1 for s in statuses if s.orphaned) if orphans_checked else None,
        total_rows=sum(s.rows or 0 for s in declared if s.exists),
    )


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
    """Combine mv_status rows with the materialized_view models of the manifest (by relation:
    rows of relations no model declares are left out); models never built come last, as
    missing."""
    statuses = []
    seen = set()
    declared = {(m.schema, m.alias): m for m in models.values()
                if m.materialized == "materialized_view"}
    for row in rows:
        model = declared.get((str(row["schema_name"]), str(row["relation_name"])))
        if model is None:
            continue
        cadence = model.cadence
        seen.add(model.name)
        live = bool(row["exists"]) and bool(row["populated"])
        stale = is_stale(cadence, row["last_success_at"] if live else None, now)
        statuses.append(ViewStatus(
            relation=f"{row['schema_name']}.{row['relation_name']}",
            model=model.name,
            mart=model.mart,
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
            kind=row.get("kind"),
            last_slices=row.get("last_slices"),
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
    views: Sequence[str] | None = None,
) -> list[ViewStatus]:
    """The views of the project's models (of `marts` only, and named `views` only, when
    given), mart by mart."""
    chosen = {n: m for n, m in models.items()
              if (not marts or m.mart in marts) and (not views or n in views)}
    rows = read_status_rows(settings, meta_schema(project))
    statuses = view_statuses(rows, chosen, datetime.now(UTC))
    return sorted(statuses, key=lambda s: (s.mart or "", s.relation))


def orphan_status(orphan: Orphan, row: Mapping[str, Any] | None) -> ViewStatus:
    """An orphan as a status line: what the database says, and its last refresh if the
    materialization logged one."""
    return ViewStatus(
        relation=orphan.relation, model=orphan.recorded_model, mart=None, cadence=None,
        exists=True, populated=orphan.populated,
        rows=row["row_count"] if row else None, total_bytes=orphan.total_bytes,
        indexes=list(row["index_names"] or []) if row else [],
        unique_key=row["unique_key"] if row else None,
        last_action=row["last_action"] if row else None,
        last_status=row["last_status"] if row else None,
        last_started_at=row["last_started_at"] if row else None,
        last_finished_at=row["last_finished_at"] if row else None,
        last_duration_seconds=row["last_duration_seconds"] if row else None,
        last_success_at=row["last_success_at"] if row else None,
        stale=None, last_error=row["last_error"] if row else None, orphaned=True,
        kind=row["kind"] if row else orphan.kind,
        last_slices=row["last_slices"] if row else None,
    )


def collect_orphans(
    settings: ConnectionSettings,
    project: DbtProject,
    models: Mapping[str, ModelInfo],
    sources: Mapping[str, SourceTable],
) -> list[ViewStatus]:
    """The orphaned materialized views (orchestration/cli/orphans.py), by relation."""
    schema = meta_schema(project)
    with connect(settings) as conn:
        orphans = find_orphans(conn, models, sources, schema)
    if not orphans:
        return []
    rows = {f"{r['schema_name']}.{r['relation_name']}": r
            for r in read_status_rows(settings, schema)}
    return [orphan_status(o, rows.get(o.relation)) for o in orphans]


def to_json(statuses: Sequence[ViewStatus], orphans_checked: bool = True) -> str:
    """`{"summary": {...}, "views": [...]}`: the declared views, then any orphans."""
    return json.dumps({"summary": asdict(summarize(statuses, orphans_checked)),
                       "views": [s.as_json() for s in statuses]}, indent=2)


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    seconds = max(0.0, (now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


_STATE_STYLES = {"orphaned": "magenta", "missing": "red", "not populated": "red",
                 "stale": "yellow", "fresh": "green"}


def _state(status: ViewStatus) -> str:
    state = status.state
    style = _STATE_STYLES.get(state)
    shown = f"[{style}]{state}[/{style}]" if style else state
    if status.build_command:
        shown += f": {status.build_command}"
    return shown


def render(statuses: Sequence[ViewStatus], now: datetime | None = None,
           orphans_checked: bool = True) -> Table:
    """One line per view (declared ones, then orphans); the summary as caption."""
    now = now or datetime.now(UTC)
    table = Table(title="Analytic views")
    for column in ("mart", "view", "cadence", "rows", "size", "indexes", "last action", "when",
                   "seconds", "state", "last error"):
        right = column in ("rows", "size", "indexes", "seconds")
        table.add_column(column, justify="right" if right else "left",
                         overflow="fold" if column in ("last error", "state") else "ellipsis")
    for s in statuses:
        action = s.last_action or "-"
        if s.last_status and s.last_status != "success":
            action = f"{action} ([red]{s.last_status}[/red])"
        elif s.last_action == "refresh_incremental" and s.last_slices is not None:
            action = f"{action} ({s.last_slices:,} slices)"
        rows, size, seconds = s.figures()
        table.add_row(
            s.mart or "-",
            # Only the exception is named: an incremental table (the others are views).
            f"{s.relation} (incremental table)" if s.kind == "incremental table" else s.relation,
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
    table.caption = summarize(statuses, orphans_checked).caption()
    if not any(s.exists for s in statuses):
        table.caption += "; no materialized views built yet"
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

