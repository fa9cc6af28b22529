"""Reading the materialization's refresh log: the rows a run wrote and their SQL time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart

# The refresh log's action of an incremental model's run (slices recomputed).
INCREMENTAL_ACTION = "refresh_incremental"


def max_id(ctx: BenchContext, mart: Mart) -> int:
    """The last id of the refresh log (0 when it does not exist yet)."""
    exists = ctx.scalar("select to_regclass(%s) is not null", (f"{mart.meta_schema}.refresh_log",))
    if not exists:
        return 0
    return int(ctx.scalar(f"select coalesce(max(id), 0) from {mart.meta_schema}.refresh_log") or 0)


def rows_since(ctx: BenchContext, mart: Mart, after_id: int) -> list[dict[str, Any]]:
    """Rows the materialization wrote to the refresh log after `after_id`, in order. A
    `refresh_incremental` row also has its slices and rows deleted and inserted (columns read
    through `to_jsonb`, so a log from before they existed reads as None)."""
    with ctx.cursor() as cur:
        cur.execute(f"select id, model, action, status, duration_seconds, rows_after, error,"
                    f" started_at, finished_at, skip_reason, (to_jsonb(l) ->> 'slices')::bigint,"
                    f" (to_jsonb(l) ->> 'rows_deleted')::bigint,"
                    f" (to_jsonb(l) ->> 'rows_inserted')::bigint, to_jsonb(l) ->> 'note'"
                    f" from {mart.meta_schema}.refresh_log as l where id > %s order by id",
                    (after_id,))
        return [{"id": r[0], "model": r[1], "action": r[2], "status": r[3],
                 "duration_seconds": float(r[4]) if r[4] is not None else None,
                 "rows_after": r[5], "error": r[6], "started_at": r[7], "finished_at": r[8],
                 "skip_reason": r[9],
                 **({"slices": r[10], "rows_deleted": r[11], "rows_inserted": r[12]}
                    if r[2] == INCREMENTAL_ACTION else {}),
                 **({"note": r[13]} if r[13] else {})}
                for r in cur.fetchall()]


def with_offsets(rows: list[dict[str, Any]], origin: datetime) -> list[dict[str, Any]]:
    """The rows with started/finished as seconds after `origin` (the server's clock)."""

    def offset(moment: datetime | None) -> float | None:
        return round((moment - origin).total_seconds(), 3) if moment is not None else None

    return [{**row, "started_at_seconds": offset(row.get("started_at")),
             "finished_at_seconds": offset(row.get("finished_at"))} for row in rows]


def sql_seconds(rows: list[dict[str, Any]]) -> float:
    return round(sum(row["duration_seconds"] or 0.0 for row in rows), 3)


def span_seconds(rows: list[dict[str, Any]]) -> float:
    """From the first row's start to the last row's end (0 without timed rows)."""
    starts = [row["started_at"] for row in rows if row.get("started_at") is not None]
    ends = [row["finished_at"] for row in rows if row.get("finished_at") is not None]
    if not starts or not ends:
        return 0.0
    return round((max(ends) - min(starts)).total_seconds(), 3)
