"""The source-change sensor: a change in a source table requests a refresh of the views that read
it; no change, too soon after the last request, or a run in progress over them requests none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import (
    AssetKey,
    AssetObservation,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    SensorDefinition,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from dagster._core.definitions.observe import observe
from dagster._core.utils import make_new_run_id

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.schedules import ALL_VIEWS_JOB, REFRESH_TAG
from orchestration.defs.sensors import (
    CHANGED_TAG,
    MIN_INTERVAL_ENV,
    min_interval_seconds,
)
from orchestration.defs.sources import read_markers
from tests.python.orchestration.conftest import Clock, tick, views_sensor, write_and_wait

MIN_INTERVAL = 300.0


def source_relation(catalog: AnalyticsCatalog, table: str) -> str:
    node = next(n for n in catalog.manifest["sources"].values() if n["name"] == table)
    return f"{node['schema']}.{node['identifier']}"


def downstream_keys(catalog: AnalyticsCatalog, table: str) -> set[AssetKey]:
    """Views with the source among their ancestors, from the manifest's parent map."""
    source_id = next(u for u, n in catalog.manifest["sources"].items() if n["name"] == table)
    parents = catalog.manifest["parent_map"]

    def ancestors(unique_id: str) -> set[str]:
        found: set[str] = set()
        for parent in parents.get(unique_id, []):
            found |= {parent, *ancestors(parent)}
        return found

    return {catalog.keys[m.name] for m in catalog.models.values()
            if source_id in ancestors(m.unique_id)}


def write_to(settings: ConnectionSettings, relation: str) -> None:
    """Insert a snapshot row and wait until the statistics show it (the marker changes)."""
    write_and_wait(settings, relation,
                   f"insert into {relation} (id, dispensary_id, product_id, captured_at)"
                   f" select coalesce(max(id), 0) + 1, 1, 'p1', now() from {relation}")


@pytest.fixture
def sensor(catalog: AnalyticsCatalog, defs: Definitions, clock: Clock) -> SensorDefinition:
    return views_sensor(catalog, defs, clock, MIN_INTERVAL)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as instance:
        yield instance


def baseline(sensor: SensorDefinition, instance: DagsterInstance) -> str:
    first = tick(sensor, instance, None)
    assert not first.run_requests
    assert first.cursor
    return first.cursor


def test_a_source_change_requests_the_views_downstream_of_it_and_only_once(
    sensor: SensorDefinition, instance: DagsterInstance, catalog: AnalyticsCatalog,
    fixture_sources: ConnectionSettings, clock: Clock,
) -> None:
    cursor = baseline(sensor, instance)
    quiet = tick(sensor, instance, cursor)
    assert not quiet.run_requests
    assert quiet.skip_message and "no source table changed" in quiet.skip_message

    relation = source_relation(catalog, "inventory_snapshots")
    write_to(fixture_sources, relation)
    clock.now += 1
    changed = tick(sensor, instance, cursor)
    assert changed.run_requests and len(changed.run_requests) == 1
    request = changed.run_requests[0]
    expected = downstream_keys(catalog, "inventory_snapshots")
    assert expected and expected != set(catalog.keys.values())
    assert set(request.asset_selection or []) == expected
    checked = {check.asset_key for check in request.asset_check_keys or []}
    assert checked & expected, "the views' dbt tests are selected with them"
    assert request.tags[REFRESH_TAG] == "true"
    assert request.tags[CHANGED_TAG] == relation

    # The change is also the source asset's new data version: its marker, observed.
    with connect(fixture_sources) as conn:
        marker = read_markers(conn, [relation])[relation]
    observed = {event.asset_key: event.tags.get(DATA_VERSION_TAG)
                for event in changed.asset_events if isinstance(event, AssetObservation)}
    source_key = next(s.key for found in catalog.sources.values() for s in found
                      if s.relation == relation)
    assert observed == {source_key: marker}

    assert changed.cursor
    again = tick(sensor, instance, changed.cursor)
    assert not again.run_requests
    assert not again.asset_events, "an unchanged marker is not observed again"


def test_observing_a_marts_sources_records_their_change_markers(
    catalog: AnalyticsCatalog, defs: Definitions, fixture_sources: ConnectionSettings,
    instance: DagsterInstance,
) -> None:
    sources = [s for found in catalog.sources.values() for s in found]
    assert sources, "the fixture's views read sources"
    source_defs = list({defs.resolve_assets_def(s.key) for s in sources})
    result = observe(source_defs, instance=instance)  # resources bound by the Definitions
    assert result.success
    with connect(fixture_sources) as conn:
        markers = read_markers(conn, [s.relation for s in sources])
    for source in sources:
        record = instance.get_latest_data_version_record(source.key, is_source=True)
        assert record is not None
        observation = record.asset_observation
        assert observation is not None
        assert observation.tags.get(DATA_VERSION_TAG) == markers[source.relation]


def test_changes_wait_for_the_minimum_interval(
    sensor: SensorDefinition, instance: DagsterInstance, catalog: AnalyticsCatalog,
    fixture_sources: ConnectionSettings, clock: Clock,
) -> None:
    relation = source_relation(catalog, "inventory_snapshots")
    cursor = baseline(sensor, instance)
    write_to(fixture_sources, relation)
    first = tick(sensor, instance, cursor)
    assert first.run_requests and first.cursor

    write_to(fixture_sources, relation)
    clock.now += MIN_INTERVAL / 2
    too_soon = tick(sensor, instance, first.cursor)
    assert not too_soon.run_requests
    assert too_soon.skip_message and "next refresh allowed" in too_soon.skip_message
    assert too_soon.cursor in (None, first.cursor)  # the change stays pending

    clock.now += MIN_INTERVAL
    later = tick(sensor, instance, first.cursor)
    assert later.run_requests


@pytest.mark.parametrize("status", [DagsterRunStatus.STARTED, DagsterRunStatus.NOT_STARTED])
def test_no_request_while_a_run_over_the_same_views_is_in_progress(
    sensor: SensorDefinition, instance: DagsterInstance, catalog: AnalyticsCatalog,
    fixture_sources: ConnectionSettings, status: DagsterRunStatus,
) -> None:
    relation = source_relation(catalog, "inventory_snapshots")
    expected = downstream_keys(catalog, "inventory_snapshots")
    cursor = baseline(sensor, instance)
    write_to(fixture_sources, relation)

    unrelated = set(catalog.keys.values()) - expected
    assert unrelated
    instance.add_run(DagsterRun(job_name=ALL_VIEWS_JOB, run_id=make_new_run_id(), status=status,
                                asset_selection=frozenset(unrelated),
                                tags={REFRESH_TAG: "true"}))
    assert tick(sensor, instance, cursor).run_requests, "a run over other views does not block"

    busy = DagsterRun(job_name=ALL_VIEWS_JOB, run_id=make_new_run_id(), status=status,
                      asset_selection=frozenset({sorted(expected)[0]}),
                      tags={REFRESH_TAG: "true"})
    instance.add_run(busy)
    blocked = tick(sensor, instance, cursor)
    assert not blocked.run_requests
    assert blocked.skip_message and busy.run_id in blocked.skip_message

    instance.delete_run(busy.run_id)
    assert tick(sensor, instance, cursor).run_requests


def test_a_scheduled_job_run_blocks_through_its_selection(
    sensor: SensorDefinition, instance: DagsterInstance, catalog: AnalyticsCatalog,
    fixture_sources: ConnectionSettings,
) -> None:
    relation = source_relation(catalog, "inventory_snapshots")
    cursor = baseline(sensor, instance)
    write_to(fixture_sources, relation)
    plan = next(p for p in catalog.plans
                if {catalog.keys[m] for m in p.models} & downstream_keys(catalog,
                                                                          "inventory_snapshots"))
    run = DagsterRun(job_name=plan.job_name, run_id=make_new_run_id(),
                     status=DagsterRunStatus.STARTED)
    instance.add_run(run)
    blocked = tick(sensor, instance, cursor)
    assert not blocked.run_requests
    assert blocked.skip_message and run.run_id in blocked.skip_message


def test_the_minimum_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MIN_INTERVAL_ENV, raising=False)
    assert min_interval_seconds() == 300
    monkeypatch.setenv(MIN_INTERVAL_ENV, "60")
    assert min_interval_seconds() == 60
    monkeypatch.setenv(MIN_INTERVAL_ENV, "soon")
    with pytest.raises(ValueError, match=MIN_INTERVAL_ENV):
        min_interval_seconds()
