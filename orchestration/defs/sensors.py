"""Refresh on source change: a sensor that watches each mart's sources and refreshes what reads
them, with a cursor per mart.

Each tick (every 30 s) reads every watched table's change marker (`orchestration.defs.sources`)
and, mart by mart, compares them with the markers kept in that mart's cursor when its last
refresh was requested:

* first tick of a mart: its markers become the baseline, no run;
* nothing of the mart changed: no run;
* some of its sources changed: one run of `refresh_views` selecting the mart's views downstream
  of them, unless the mart's last request was less than
  ANALYTICS_SOURCE_SENSOR_MIN_INTERVAL_SECONDS (default 300) ago or a run building any of those
  views is queued or in progress. A deferred change stays pending: a mart's cursor moves only
  when a run is requested for it.

Every changed marker is also recorded as an observation of its source asset (its data version),
so the UI shows when each source last changed. Design notes: docs/orchestration.md.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dagster import (
    AssetKey,
    AssetObservation,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES, DagsterRun

from orchestration.defs.resources import PostgresResource
from orchestration.defs.schedules import ChecksFor, refresh_tags
from orchestration.defs.sources import read_markers

SENSOR_NAME = "source_change_sensor"
MIN_INTERVAL_ENV = "ANALYTICS_SOURCE_SENSOR_MIN_INTERVAL_SECONDS"
DEFAULT_MIN_INTERVAL_SECONDS = 300.0
TICK_SECONDS = 30
CHANGED_TAG = "analytics/changed_sources"
IMPLICIT_ASSET_JOB = "__ASSET_JOB"


@dataclass(frozen=True)
class MartWatch:
    """One mart's watched sources: each relation's downstream views of the mart."""

    downstream: Mapping[str, frozenset[AssetKey]]


@dataclass(frozen=True)
class SourceWatch:
    """What the sensor needs from the manifest."""

    marts: Mapping[str, MartWatch]
    # Each source relation's asset key, for its observations.
    source_keys: Mapping[str, AssetKey] = field(default_factory=dict)
    job_keys: Mapping[str, frozenset[AssetKey]] = field(default_factory=dict)
    all_keys: frozenset[AssetKey] = frozenset()
    # The checks a build of some views runs (see orchestration.defs.dbt_assets.checks_for).
    checks_for: ChecksFor | None = None

    @property
    def relations(self) -> list[str]:
        return sorted({r for mart in self.marts.values() for r in mart.downstream})


@dataclass
class MartCursor:
    markers: dict[str, str] | None
    requested_at: float = 0.0


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


def load_cursor(text: str | None) -> dict[str, MartCursor]:
    data = json.loads(text) if text else {}
    return {mart: MartCursor(dict(entry.get("markers") or {}), float(entry.get("requested_at") or 0))
            for mart, entry in (data.get("marts") or {}).items()}


def dump_cursor(cursors: Mapping[str, MartCursor]) -> str:
    return json.dumps({"marts": {
        mart: {"markers": dict(sorted((c.markers or {}).items())), "requested_at": c.requested_at}
        for mart, c in sorted(cursors.items()) if c.markers is not None}})


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


def evaluate_mart(
    context: SensorEvaluationContext,
    mart: str,
    cursor: MartCursor,
    markers: Mapping[str, str],
    watch: SourceWatch,
    min_interval: float,
    now: float,
) -> RunRequest | str:
    """One mart's part of a tick: a run request, or why there is none (updates `cursor`)."""
    if cursor.markers is None:
        cursor.markers = dict(markers)
        return f"{mart}: recorded the change markers of {len(markers)} source tables"
    changed = sorted(r for r, marker in markers.items() if cursor.markers.get(r) != marker)
    if not changed:
        return f"{mart}: no source table changed since the last refresh"
    downstream = watch.marts[mart].downstream
    keys = frozenset().union(*(downstream.get(r, frozenset()) for r in changed))
    wait = cursor.requested_at + min_interval - now
    if wait > 0:
        return f"{mart}: {', '.join(changed)} changed; next refresh allowed in {wait:.0f} s"
    busy = busy_runs(context, watch, keys)
    if busy:
        return f"{mart}: {', '.join(changed)} changed; waiting for run {', '.join(busy)}"
    cursor.markers, cursor.requested_at = dict(markers), now
    checks = watch.checks_for(keys) if watch.checks_for else None
    return RunRequest(
        asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
        asset_check_keys=sorted(checks, key=lambda c: c.to_user_string()) if checks else None,
        tags={**refresh_tags("source_change", mart=mart), CHANGED_TAG: ",".join(changed)[:1000]},
    )


def observations(
    watch: SourceWatch, previous: Mapping[str, MartCursor], markers: Mapping[str, str]
) -> list[AssetObservation]:
    """A data-version observation of each source whose marker differs from every cursor's."""
    known: dict[str, set[str]] = {}
    for cursor in previous.values():
        for relation, marker in (cursor.markers or {}).items():
            known.setdefault(relation, set()).add(marker)
    return [AssetObservation(asset_key=watch.source_keys[relation],
                             tags={DATA_VERSION_TAG: marker},
                             metadata={"analytics/change_marker": marker})
            for relation, marker in sorted(markers.items())
            if relation in watch.source_keys and known.get(relation) != {marker}]


def evaluate(
    context: SensorEvaluationContext,
    markers: Mapping[str, str],
    watch: SourceWatch,
    min_interval: float,
    now: float,
) -> SensorResult:
    """One tick over every mart, given the current markers."""
    cursors = load_cursor(context.cursor)
    events = observations(watch, cursors, markers)
    requests: list[RunRequest] = []
    reasons: list[str] = []
    for mart, mart_watch in sorted(watch.marts.items()):
        cursor = cursors.setdefault(mart, MartCursor(None))
        mine = {r: markers[r] for r in mart_watch.downstream if r in markers}
        outcome = evaluate_mart(context, mart, cursor, mine, watch, min_interval, now)
        if isinstance(outcome, RunRequest):
            requests.append(outcome)
        else:
            reasons.append(outcome)
    return SensorResult(
        run_requests=requests,
        skip_reason=None if requests else SkipReason("; ".join(reasons) or "no mart to watch"),
        cursor=dump_cursor(cursors),
        asset_events=events,
    )


def build_source_sensor(
    job: UnresolvedAssetJobDefinition,
    watch: SourceWatch,
    min_interval: float | None = None,
    clock: Callable[[], float] = time.time,
) -> SensorDefinition:
    relations = watch.relations
    interval = min_interval_seconds() if min_interval is None else min_interval

    @sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Per mart ({', '.join(sorted(watch.marts))}): refreshes the views downstream of a "
            f"changed source table, at most every {interval:.0f} s, never beside a run building "
            "the same views; records each source's change as an observation."
        ),
    )
    def source_change_sensor(
        context: SensorEvaluationContext, postgres: PostgresResource
    ) -> SensorResult | SkipReason:
        if not relations:
            return SkipReason("the project has no source tables read by a view")
        with postgres.connect() as conn:
            markers = read_markers(conn, relations)
        return evaluate(context, markers, watch, interval, clock())

    return source_change_sensor
