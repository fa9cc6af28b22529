"""The refresh log's figures on each dbt materialization event.

The materialized_view materialization logs every model it builds to `<meta>.refresh_log` with
the dbt invocation id; dagster-dbt puts the model's `unique_id` and that `invocation_id` on its
event, so the lookup is exact: action, status, rows, seconds, size and indexes, the relation's
kind, and an incremental run's slices and rows deleted and inserted.

A view skipped because none of its sources changed (`skip_refresh_when_unchanged`, the log
row's `skip_reason` 'unchanged') was not materialized: its event becomes an AssetObservation
carrying the same figures and the note, so the run shows the asset checked, not refreshed
(dagster-dbt's outputs are optional, so leaving the Output out is allowed). A view skipped as
already rebuilt in this run with its upstream (`skip_reason` 'fresh') has new rows and stays
a materialization.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
from dagster import AssetKey, AssetMaterialization, AssetObservation, MetadataValue, Output
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
    note: str | None = None
    skip_reason: str | None = None
    # "materialized view" or "incremental table" (mv_status.kind); an incremental run's figures.
    kind: str | None = None
    slices: int | None = None
    rows_deleted: int | None = None
    rows_inserted: int | None = None

    @property
    def unchanged(self) -> bool:
        """Skipped because no source changed since the last refresh: nothing was materialized."""
        return self.action == "skip" and self.skip_reason == "unchanged"

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
        if self.note:
            values["analytics/note"] = MetadataValue.text(self.note)
        if self.skip_reason:
            values["analytics/skip_reason"] = MetadataValue.text(self.skip_reason)
        if self.kind:
            values["analytics/kind"] = MetadataValue.text(self.kind)
        for key, figure in (("analytics/slices", self.slices),
                            ("analytics/rows_deleted", self.rows_deleted),
                            ("analytics/rows_inserted", self.rows_inserted)):
            if figure is not None:
                values[key] = MetadataValue.int(figure)
        return values


def refresh_query(schema: str) -> sql.Composed:
    return sql.SQL(
        """
        select l.id, l.action, l.status, l.rows_after, l.duration_seconds,
               s.total_bytes, coalesce(s.index_names, '{{}}'), l.note,
               to_jsonb(l) ->> 'skip_reason',  -- null in a log from before the column
               to_jsonb(s) ->> 'kind', (to_jsonb(l) ->> 'slices')::bigint,
               (to_jsonb(l) ->> 'rows_deleted')::bigint, (to_jsonb(l) ->> 'rows_inserted')::bigint
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
    (log_id, action, status, rows, seconds, total_bytes, indexes, note, skip_reason, kind,
     slices, rows_deleted, rows_inserted) = row
    return RefreshRecord(
        log_id=int(log_id),
        action=action,
        status=str(status),
        rows=None if rows is None else int(rows),
        seconds=None if seconds is None else float(seconds),
        total_bytes=None if total_bytes is None else int(total_bytes),
        index_names=tuple(indexes or ()),
        note=None if note is None else str(note),
        skip_reason=None if skip_reason is None else str(skip_reason),
        kind=None if kind is None else str(kind),
        slices=None if slices is None else int(slices),
        rows_deleted=None if rows_deleted is None else int(rows_deleted),
        rows_inserted=None if rows_inserted is None else int(rows_inserted),
    )


def _text(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    value = getattr(value, "value", value)
    return value if isinstance(value, str) else None


def _asset_key(event: Output | AssetMaterialization,
               asset_key_for_output: Callable[[str], AssetKey] | None) -> AssetKey | None:
    if isinstance(event, AssetMaterialization):
        return event.asset_key
    return None if asset_key_for_output is None else asset_key_for_output(event.output_name)


def with_refresh_metadata(
    events: Iterable[Any],
    postgres: PostgresResource,
    schema: str,
    model_names: Mapping[str, str],
    asset_key_for_output: Callable[[str], AssetKey] | None = None,
) -> Iterator[Any]:
    """Pass dagster-dbt's events through, adding the refresh log's figures to materializations.

    A view skipped as unchanged gets an AssetObservation instead of its materialization (the
    asset key of an Output comes from `asset_key_for_output`, the op context's). A failing
    lookup never fails the run: the event is passed on as it is."""
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
                        metadata = {**event.metadata, **record.metadata()}
                        key = _asset_key(event, asset_key_for_output) if record.unchanged else None
                        if key is not None:
                            yield AssetObservation(asset_key=key, metadata=metadata,
                                                   description=record.note)
                            continue
                        event = event.with_metadata(metadata)
            yield event
