"""The dbt models as one Dagster multi-asset that runs `dbt build`.

Every model is an asset and every dbt data test an asset check. A run of any subset (a
cadence's job, the source sensor's request, `analytics refresh`) is a single `dbt build
--select ...` of the selected models, so dbt orders them by the DAG; unit tests are left to
development and CI. After dbt reports a model built, its
materialization gets what the materialized_view materialization logged for this very dbt
invocation (`analytics_meta.refresh_log` joined to `mv_status`): action, rows, seconds, size
and indexes.
"""

import logging
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from dagster import (
    AssetCheckKey,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    MetadataValue,
    Output,
)
from dagster_dbt import DbtProject, dbt_assets
from dagster_dbt.asset_utils import get_checks_on_sources_upstream_of_selected_assets
from psycopg2 import sql

from orchestration.core.project import load_manifest, meta_schema
from orchestration.defs.resources import AnalyticsDbtCliResource, PostgresResource
from orchestration.defs.translator import AnalyticsTranslator

ASSETS_NAME = "analytics_dbt_models"
PARTIAL_PARSE = "partial_parse.msgpack"
# Every run that builds views holds this pool; dagster.yaml limits it to one run at a time.
REFRESH_POOL = "analytics_refresh"
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


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


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

    dagster-dbt puts the dbt `unique_id` and `invocation_id` on each model's event, and the
    materialization logs the dbt model name with that invocation id, so the lookup is exact.
    A failing lookup never fails the run: the event is passed on as it is.
    """
    conn: psycopg2.extensions.connection | None = None
    try:
        for event in events:
            if isinstance(event, Output | AssetMaterialization):
                unique_id = _text(event.metadata, "unique_id")
                invocation_id = _text(event.metadata, "invocation_id")
                model = model_names.get(unique_id or "")
                if model and invocation_id:
                    try:
                        if conn is None:
                            conn = psycopg2.connect(
                                **postgres.settings().connect_kwargs(), connect_timeout=10
                            )
                            conn.autocommit = True
                        record = read_refresh_record(conn, schema, invocation_id, model)
                    except psycopg2.Error:
                        logger.warning("no refresh log for %s", model, exc_info=True)
                        record = None
                    if record is not None:
                        event = event.with_metadata({**event.metadata, **record.metadata()})
            yield event
    finally:
        if conn is not None:
            conn.close()


def checks_for(assets_def: AssetsDefinition, keys: Iterable[AssetKey]) -> frozenset[AssetCheckKey]:
    """The checks a `dbt build` of `keys` runs: their own tests and those of their sources.

    dagster-dbt always adds the tests of the sources upstream of the selected models to the
    dbt selection; selecting them in Dagster too records them as planned checks instead of
    warning that an unselected check ran.
    """
    selected = frozenset(keys)
    own = {spec.key for spec in assets_def.check_specs if spec.asset_key in selected}
    sources = get_checks_on_sources_upstream_of_selected_assets(assets_def, selected)
    return frozenset(own | set(sources))


def keep_partial_parse(run_target: Path) -> None:
    """Make this run's parse the one the next run starts from.

    dagster-dbt seeds each run's target directory (a child of the shared target/dagster/) with
    the shared `partial_parse.msgpack`. dbt parses the whole project again when the values of
    the environment variables profiles.yml reads differ from those of that file's parse (the
    parse made when the definitions loaded may have had other PG* values than the runs), so
    the run's own file, made with the runs' environment, is copied back (atomically).
    """
    source = run_target / PARTIAL_PARSE
    if not source.is_file():
        return
    staged = run_target.parent / f".{PARTIAL_PARSE}.{os.getpid()}"
    shutil.copyfile(source, staged)
    os.replace(staged, run_target.parent / PARTIAL_PARSE)


def build_dbt_assets(project: DbtProject, translator: AnalyticsTranslator) -> AssetsDefinition:
    """`@dbt_assets` over every model of `project` (its manifest must be prepared)."""
    manifest = load_manifest(project)
    schema = meta_schema(project)
    model_names = {
        unique_id: str(node["name"])
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
    }

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=translator,
        name=ASSETS_NAME,
        pool=REFRESH_POOL,
    )
    def analytics_dbt_models(
        context: AssetExecutionContext, dbt: AnalyticsDbtCliResource, postgres: PostgresResource
    ) -> Iterator[Any]:
        # Unit tests check the models' logic against fixed inputs: they belong to development
        # and CI (`make test`, `dbt build`), as dbt's docs advise, not to every refresh.
        invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context)
        yield from with_refresh_metadata(invocation.stream(), postgres, schema, model_names)
        keep_partial_parse(invocation.target_path)
        # Each run gets its own target/dagster/<op>-<run>-<id>/ (artifacts, logs); keep failed
        # ones only.
        shutil.rmtree(invocation.target_path, ignore_errors=True)

    return analytics_dbt_models
