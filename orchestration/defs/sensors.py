"""Refresh on source change: a sensor that watches the dbt sources and refreshes what reads them.

The change marker of a source table is read from Postgres's statistics, not from the table:

    pg_relation_filenode(relid) : n_tup_ins : n_tup_upd : n_tup_del   (pg_stat_user_tables)

The three counters grow with every committed (or aborted) insert, update and delete, and the
file node changes on TRUNCATE (which the counters do not count), so any write changes the
marker. Reading it is one catalog lookup per table whatever its size: no scan, no index, no
lock on the table. Caveats: statistics reach the view when a writing backend flushes them (at
commit once idle, within about a second, or when it disconnects); a statistics reset
(`pg_stat_reset()`, a crash) or VACUUM FULL changes the marker too, which costs one spare
refresh, never a missed one.

Each tick (every 30 s) compares the markers with the ones kept in the sensor cursor when the
last refresh was requested. Then:

* first tick: the markers become the baseline, no run;
* nothing changed: no run;
* some sources changed: one run of `refresh_views` selecting the views downstream of them
  (from the manifest's DAG), unless the last request was less than
  ANALYTICS_SOURCE_SENSOR_MIN_INTERVAL_SECONDS (default 300) ago or a run that builds any of
  those views is queued or in progress. A deferred change stays pending: the cursor moves only
  when a run is requested.
"""

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import psycopg2.extensions
from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES, DagsterRun

from orchestration.defs.resources import PostgresResource
from orchestration.defs.schedules import ChecksFor, refresh_tags

SENSOR_NAME = "source_change_sensor"
MIN_INTERVAL_ENV = "ANALYTICS_SOURCE_SENSOR_MIN_INTERVAL_SECONDS"
DEFAULT_MIN_INTERVAL_SECONDS = 300.0
TICK_SECONDS = 30
CHANGED_TAG = "analytics/changed_sources"
IMPLICIT_ASSET_JOB = "__ASSET_JOB"
MISSING = "missing"

_MARKER_QUERY = """
select s.schemaname || '.' || s.relname,
       concat_ws(':', pg_relation_filenode(s.relid), s.n_tup_ins, s.n_tup_upd, s.n_tup_del)
from pg_stat_user_tables s
where s.schemaname || '.' || s.relname = any(%s)
"""


@dataclass(frozen=True)
class SourceWatch:
    """What the sensor needs from the manifest: each watched relation's downstream views."""

    downstream: Mapping[str, frozenset[AssetKey]]
    job_keys: Mapping[str, frozenset[AssetKey]] = field(default_factory=dict)
    all_keys: frozenset[AssetKey] = frozenset()
    # The checks a build of some views runs (see orchestration.assets.checks_for).
    checks_for: ChecksFor | None = None


def min_interval_seconds() -> float:
    text = os.environ.get(MIN_INTERVAL_ENV)
    if not text:
        return DEFAULT_MIN_INTERVAL_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{MIN_INTERVAL_ENV} must be a number of seconds, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{MIN_INTERVAL_ENV} must not be negative, got {value}")
    return value


def read_markers(conn: psycopg2.extensions.connection, relations: Sequence[str]) -> dict[str, str]:
    """The change marker of each `schema.table` (MISSING for a table that does not exist)."""
    with conn.cursor() as cur:
        cur.execute(_MARKER_QUERY, (list(relations),))
        found = {str(name): str(marker) for name, marker in cur.fetchall()}
    return {relation: found.get(relation, MISSING) for relation in relations}


def _load_cursor(text: str | None) -> tuple[dict[str, str] | None, float]:
    if not text:
        return None, 0.0
    data = json.loads(text)
    return dict(data.get("markers") or {}), float(data.get("requested_at") or 0.0)


def _dump_cursor(markers: Mapping[str, str], requested_at: float) -> str:
    return json.dumps({"markers": dict(sorted(markers.items())), "requested_at": requested_at})


def _run_keys(run: DagsterRun, watch: SourceWatch) -> frozenset[AssetKey]:
    if run.asset_selection:
        return frozenset(run.asset_selection)
    if run.job_name == IMPLICIT_ASSET_JOB:
        return watch.all_keys
    return watch.job_keys.get(run.job_name, frozenset())


def busy_runs(
    context: SensorEvaluationContext, watch: SourceWatch, keys: frozenset[AssetKey]
) -> list[str]:
    """Ids of the queued or running runs that build any of `keys`."""
    runs = context.instance.get_runs(filters=RunsFilter(statuses=NOT_FINISHED_STATUSES))
    return [run.run_id for run in runs if _run_keys(run, watch) & keys]


def evaluate(
    context: SensorEvaluationContext,
    markers: Mapping[str, str],
    watch: SourceWatch,
    min_interval: float,
    now: float,
) -> RunRequest | SkipReason:
    """One tick, given the current markers; updates the cursor when it requests a run."""
    previous, requested_at = _load_cursor(context.cursor)
    if previous is None:
        context.update_cursor(_dump_cursor(markers, requested_at))
        return SkipReason(f"recorded the change markers of {len(markers)} source tables")
    changed = sorted(r for r, marker in markers.items() if previous.get(r) != marker)
    if not changed:
        return SkipReason("no source table changed since the last refresh")
    keys = frozenset().union(*(watch.downstream.get(r, frozenset()) for r in changed))
    if not keys:
        context.update_cursor(_dump_cursor(markers, requested_at))
        return SkipReason(f"{', '.join(changed)} changed; no view reads them")
    wait = requested_at + min_interval - now
    if wait > 0:
        return SkipReason(f"{', '.join(changed)} changed; next refresh allowed in {wait:.0f} s")
    busy = busy_runs(context, watch, keys)
    if busy:
        return SkipReason(f"{', '.join(changed)} changed; waiting for run {', '.join(busy)}")
    context.update_cursor(_dump_cursor(markers, now))
    checks = watch.checks_for(keys) if watch.checks_for else None
    return RunRequest(
        asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
        asset_check_keys=sorted(checks, key=lambda c: c.to_user_string()) if checks else None,
        tags={**refresh_tags("source_change"), CHANGED_TAG: ",".join(changed)[:1000]},
    )


def build_source_sensor(
    job: UnresolvedAssetJobDefinition,
    watch: SourceWatch,
    min_interval: float | None = None,
    clock: Callable[[], float] = time.time,
) -> SensorDefinition:
    relations = sorted(watch.downstream)
    interval = min_interval_seconds() if min_interval is None else min_interval

    @sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Refreshes the views downstream of a changed source table ({', '.join(relations)}),"
            f" at most every {interval:.0f} s, never beside a run building the same views."
        ),
    )
    def source_change_sensor(
        context: SensorEvaluationContext, postgres: PostgresResource
    ) -> RunRequest | SkipReason:
        if not relations:
            return SkipReason("the project has no source tables read by a view")
        with postgres.connect() as conn:
            markers = read_markers(conn, relations)
        return evaluate(context, markers, watch, interval, clock())

    return source_change_sensor
