"""The refresh log on dagster-dbt's events: a view skipped as unchanged is observed, not
materialized; one already rebuilt in this run with its upstream stays a materialization."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from dagster import AssetKey, AssetMaterialization, AssetObservation, Output

from orchestration.core.project import meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.refresh_log import with_refresh_metadata
from orchestration.defs.resources import PostgresResource
from tests.python.databases import query
from tests.python.orchestration.conftest import HourlyRun, run_sql

UNCHANGED_NOTE = "unchanged: no source changed since the last refresh (3 relations checked)"


@dataclass(frozen=True)
class LoggedRuns:
    """One invocation's log rows: a view skipped as unchanged, one skipped as fresh, one refreshed."""

    invocation_id: str
    unchanged: str
    fresh: str
    refreshed: str


@pytest.fixture
def logged_runs(
    hourly_run: HourlyRun, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings,
) -> Iterator[LoggedRuns]:
    """The rows the materialization writes for each kind of run, in the log its runs created
    (the hourly run's); deleted afterwards, since other tests read the log's latest rows."""
    assert hourly_run.result.success
    schema = meta_schema(catalog.project)
    runs = LoggedRuns(f"test-{uuid.uuid4()}", *sorted(catalog.models)[:3])
    for model, action, note, reason in (
        (runs.unchanged, "skip", UNCHANGED_NOTE, "unchanged"),
        (runs.fresh, "skip", "already rebuilt in this run on its refreshed upstream", "fresh"),
        (runs.refreshed, "refresh_concurrently",
         f"changed since the last refresh: {runs.unchanged}", None),
    ):
        run_sql(fixture_sources, f"""
            insert into {schema}.refresh_log
                (model, relation, action, status, finished_at, duration_seconds, rows_after,
                 invocation_id, note, skip_reason)
            values (%s, %s, %s, 'success', now(), 0, 7, %s, %s, %s)""",
                (model, catalog.models[model].relation, action, runs.invocation_id, note, reason))
    try:
        yield runs
    finally:
        run_sql(fixture_sources, f"delete from {schema}.refresh_log where invocation_id = %s",
                (runs.invocation_id,))


def test_a_view_skipped_as_unchanged_is_an_observation_and_a_fresh_skip_a_materialization(
    logged_runs: LoggedRuns, catalog: AnalyticsCatalog,
) -> None:
    runs = logged_runs

    def tags(model: str) -> dict[str, str]:
        return {"unique_id": catalog.models[model].unique_id, "invocation_id": runs.invocation_id}

    outputs = {f"{model}_output": model for model in (runs.unchanged, runs.fresh)}
    events = [
        Output(None, output_name=f"{runs.unchanged}_output", metadata=tags(runs.unchanged)),
        Output(None, output_name=f"{runs.fresh}_output", metadata=tags(runs.fresh)),
        AssetMaterialization(catalog.keys[runs.refreshed], metadata=tags(runs.refreshed)),
        AssetMaterialization(catalog.keys[runs.unchanged], metadata=tags(runs.unchanged)),
    ]

    def asset_key_for_output(output_name: str) -> AssetKey:
        return catalog.keys[outputs[output_name]]

    passed = list(with_refresh_metadata(
        events, PostgresResource(), meta_schema(catalog.project),
        {model.unique_id: name for name, model in catalog.models.items()}, asset_key_for_output))

    assert [type(event) for event in passed] == [
        AssetObservation, Output, AssetMaterialization, AssetObservation]
    for observation in (passed[0], passed[3]):
        assert observation.asset_key == catalog.keys[runs.unchanged]
        assert observation.description == UNCHANGED_NOTE
        assert observation.metadata["analytics/action"].value == "skip"
        assert observation.metadata["analytics/skip_reason"].value == "unchanged"
        assert observation.metadata["analytics/note"].value == UNCHANGED_NOTE
        assert observation.metadata["dagster/row_count"].value == 7
        assert observation.metadata["invocation_id"].value == runs.invocation_id
    assert passed[1].metadata["analytics/action"].value == "skip"
    assert passed[1].metadata["analytics/skip_reason"].value == "fresh"
    assert passed[2].metadata["analytics/action"].value == "refresh_concurrently"
    assert passed[2].metadata["analytics/note"].value == \
        f"changed since the last refresh: {runs.unchanged}"


def test_an_incremental_run_carries_its_slices_and_the_relation_its_kind(
    hourly_run: HourlyRun, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings,
) -> None:
    assert hourly_run.result.success
    schema = meta_schema(catalog.project)
    built = {row[0] for row in query(fixture_sources, f"select model from {schema}.mv_status"
                                     " where exists")}
    model = min(name for name in catalog.models if name in built)
    invocation_id = f"test-{uuid.uuid4()}"
    run_sql(fixture_sources, f"""
        insert into {schema}.refresh_log
            (model, relation, action, status, finished_at, duration_seconds, rows_after,
             invocation_id, slices, rows_deleted, rows_inserted)
        values (%s, %s, 'refresh_incremental', 'success', now(), 0.5, 40, %s, 3, 5, 6)""",
            (model, catalog.models[model].relation, invocation_id))
    try:
        tags = {"unique_id": catalog.models[model].unique_id, "invocation_id": invocation_id}
        [event] = list(with_refresh_metadata(
            [AssetMaterialization(catalog.keys[model], metadata=tags)], PostgresResource(),
            schema, {m.unique_id: name for name, m in catalog.models.items()}))
    finally:
        run_sql(fixture_sources, f"delete from {schema}.refresh_log where invocation_id = %s",
                (invocation_id,))
    metadata = {key: value.value for key, value in event.metadata.items()}
    assert metadata["analytics/action"] == "refresh_incremental"
    assert (metadata["analytics/slices"], metadata["analytics/rows_deleted"],
            metadata["analytics/rows_inserted"]) == (3, 5, 6)
    # The fixture's views are materialized views (an incremental table says so the same way).
    assert metadata["analytics/kind"] == "materialized view"
