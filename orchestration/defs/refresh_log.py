"""The refresh log's figures on each dbt materialization event.

The materialized_view materialization logs every model it builds to `<meta>.refresh_log` with
the dbt invocation id; dagster-dbt puts the model's `unique_id` and that `invocation_id` on its
event, so the lookup is exact: action, status, rows, seconds, size and indexes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
from dagster import AssetMaterialization, MetadataValue, Output
from psycopg2 import sql

from orchestration.core.units import human_bytes
from orchestration.defs.resources import PostgresResource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshRecord:
    """What the materialization logged about one model in one dbt invocation."""

    log_id: int
    action: str | None
    status: str
    rows: int | None
    seconds: float | None
    total_bytes: int | None
    index_names: tuple[str, ...]

    def metadata(self) -> dict[str, MetadataValue]:
        values: dict[str, MetadataValue] = {
            "analytics/action": MetadataValue.text(self.action or "unknown"),
            "analytics/refresh_status": MetadataValue.text(self.status),
            "analytics/refresh_log_id": MetadataValue.int(self.log_id),
            "analytics/indexes": MetadataValue.text(", ".join(self.index_names) or "none"),
        }
        if self.rows is not None:
            values["dagster/row_count"] = MetadataValue.int(self.rows)
        if self.seconds is not None:
            values["analytics/refresh_seconds"] = MetadataValue.float(round(self.seconds, 3))
        if self.total_bytes is not None:
            values["analytics/size_bytes"] = MetadataValue.int(self.total_bytes)
            values["analytics/size"] = MetadataValue.text(human_bytes(self.total_bytes))
        return values


def refresh_query(schema: str) -> sql.Composed:
    return sql.SQL(
        """
        select l.id, l.action, l.status, l.rows_after, l.duration_seconds,
               s.total_bytes, coalesce(s.index_names, '{{}}')
        from {meta}.refresh_log l
        left join {meta}.mv_status s on s.schema_name || '.' || s.relation_name = l.relation
        where l.invocation_id = %s and l.model = %s
        order by l.id desc
        limit 1
        """
    ).format(meta=sql.Identifier(schema))


def read_refresh_record(
    conn: psycopg2.extensions.connection, schema: str, invocation_id: str, model: str
) -> RefreshRecord | None:
    with conn.cursor() as cur:
        cur.execute("select to_regclass(%s), to_regclass(%s)",
                    (f"{schema}.refresh_log", f"{schema}.mv_status"))
        if None in (cur.fetchone() or (None,)):
            return None
        cur.execute(refresh_query(schema), (invocation_id, model))
        row = cur.fetchone()
    if row is None:
        return None
    log_id, action, status, rows, seconds, total_bytes, indexes = row
    return RefreshRecord(
        log_id=int(log_id),
        action=action,
        status=str(status),
        rows=None if rows is None else int(rows),
        seconds=None if seconds is None else float(seconds),
        total_bytes=None if total_bytes is None else int(total_bytes),
        index_names=tuple(indexes or ()),
    )


def _text(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    value = getattr(value, "value", value)
    return value if isinstance(value, str) else None


def with_refresh_metadata(
    events: Iterable[Any],
    postgres: PostgresResource,
    schema: str,
    model_names: Mapping[str, str],
) -> Iterator[Any]:
    """Pass dagster-dbt's events through, adding the refresh log's figures to materializations.

    A failing lookup never fails the run: the event is passed on as it is."""
    with ExitStack() as stack:
        conn: psycopg2.extensions.connection | None = None
        for event in events:
            if isinstance(event, Output | AssetMaterialization):
                model = model_names.get(_text(event.metadata, "unique_id") or "")
                invocation_id = _text(event.metadata, "invocation_id")
                if model and invocation_id:
                    try:
                        conn = conn or stack.enter_context(postgres.connect())
                        record = read_refresh_record(conn, schema, invocation_id, model)
                    except psycopg2.Error:
                        logger.warning("no refresh log for %s", model, exc_info=True)
                        record = None
                    if record is not None:
                        event = event.with_metadata({**event.metadata, **record.metadata()})
            yield event
