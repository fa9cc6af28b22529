"""The fixture dbt project (fixture_project/) with its sources, definitions and one hourly run.

The fixture stands in for the analytics project: its five views have the three cadences and one
schedule override, read `retail_raw` sources (kept in schema `orch_fixture_raw` of the test
server) and are built by the repository's own materialized_view materialization, which logs to
`orch_fixture_meta`. Tests derive every expectation from its manifest, never from model names.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    SensorDefinition,
    build_sensor_context,
)
from dagster._core.definitions.sensor_definition import SensorExecutionData

from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.project import meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.dbt_assets import checks_for
from orchestration.defs.definitions import definitions_for, source_watch
from orchestration.defs.resources import PostgresResource
from orchestration.defs.schedules import all_views_job
from orchestration.defs.sensors import build_source_sensor
from orchestration.defs.sources import read_markers

REPO = Path(__file__).resolve().parents[3]
FIXTURE = Path(__file__).resolve().parent / "fixture_project"
SOURCE_SCHEMA = "orch_fixture_raw"
# The fixture's views are in models/marts/retail/, so they are the `retail` mart's.
HOURLY_JOB = "refresh_retail_hourly"


@pytest.fixture(scope="session")
def fixture_project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("orchestration") / "project"
    shutil.copytree(FIXTURE, directory)
    shutil.copytree(REPO / "macros", directory / "macros")
    shutil.copy(REPO / "profiles.yml", directory / "profiles.yml")
    return directory


@pytest.fixture(scope="session")
def catalog(fixture_project_dir: Path) -> AnalyticsCatalog:
    return load_catalog(fixture_project_dir)


@pytest.fixture(scope="session")
def defs(catalog: AnalyticsCatalog) -> Definitions:
    return definitions_for(catalog)


def pids_with_env(name: str, value: str) -> list[int]:
    """The live processes, other than this one, whose environment sets `name` to `value`."""
    found = []
    needle = f"{name}={value}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def run_sql(settings: ConnectionSettings, query: str, params: tuple[object, ...] = ()) -> list[
        tuple[object, ...]]:
    with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(query, params or None)
        return list(cur.fetchall()) if cur.description else []


@pytest.fixture(scope="session")
def fixture_sources(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """The retail_raw tables (the project's own DDL) in SOURCE_SCHEMA, with a few rows."""
    ddl = (discover()["retail"].migrations_dir / "001_retail_raw.sql").read_text()
    run_sql(pg_settings, f"drop schema if exists {SOURCE_SCHEMA} cascade")
    run_sql(pg_settings, ddl.replace("retail_raw", SOURCE_SCHEMA))
    run_sql(pg_settings, f"""
        insert into {SOURCE_SCHEMA}.dispensaries (id, name, city, state)
        values (1, 'North', 'Denver', 'CO'), (2, 'South', 'Pueblo', 'CO');
        insert into {SOURCE_SCHEMA}.store_products (id, dispensary_id, provider_product_id, brand)
        values (1, 1, 'p1', 'Acme'), (2, 1, 'p2', 'Bolt'), (3, 2, 'p1', null);
        insert into {SOURCE_SCHEMA}.inventory_snapshots
            (id, dispensary_id, product_id, captured_at, quantity_available)
        values (1, 1, 'p1', now() - interval '2 hours', 9), (2, 1, 'p1', now(), 7),
               (3, 2, 'p1', now(), 3);
    """)
    try:
        yield pg_settings
    finally:
        run_sql(pg_settings, f"drop schema if exists {SOURCE_SCHEMA} cascade")


@pytest.fixture(scope="session")
def fixture_views(catalog: AnalyticsCatalog, pg_settings: ConnectionSettings) -> Iterator[None]:
    """Drop what the fixture's views and refresh log leave behind at the end of the session."""
    yield
    schemas = {m.schema for m in catalog.models.values()} | {meta_schema(catalog.project)}
    for schema in sorted(schemas):
        run_sql(pg_settings, f"drop schema if exists {schema} cascade")


def last_log_id(settings: ConnectionSettings, schema: str) -> int:
    try:
        rows = run_sql(settings, f"select coalesce(max(id), 0) from {schema}.refresh_log")
    except psycopg2.errors.UndefinedTable:
        return 0
    return int(rows[0][0])  # type: ignore[call-overload]


@dataclass(frozen=True)
class HourlyRun:
    result: ExecuteInProcessResult
    log_rows: list[tuple[object, ...]]  # (model, action, status, rows_after, invocation_id)


@pytest.fixture(scope="session")
def hourly_run(
    defs: Definitions, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings,
    fixture_views: None,
) -> HourlyRun:
    """The fixture mart's hourly job executed once in-process, with the refresh log rows it wrote."""
    schema = meta_schema(catalog.project)
    before = last_log_id(fixture_sources, schema)
    result = defs.resolve_job_def(HOURLY_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral()
    )
    rows = run_sql(
        fixture_sources,
        f"select model, action, status, rows_after, invocation_id from {schema}.refresh_log"
        " where id > %s order by id", (before,),
    )
    return HourlyRun(result, rows)


def write_and_wait(settings: ConnectionSettings, relation: str, statement: str) -> None:
    """Run `statement` (a write to `relation`) and wait until the statistics show it: the
    relation's change marker moves."""
    with connect(settings) as conn:
        before = read_markers(conn, [relation])
    with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(statement)
        cur.execute("select pg_stat_force_next_flush()")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connect(settings) as conn:
            if read_markers(conn, [relation]) != before:
                return
        time.sleep(0.1)
    raise AssertionError(f"the change marker of {relation} did not move")


class Clock:
    """The sensor's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def views_sensor(catalog: AnalyticsCatalog, defs: Definitions, clock: Clock,
                 min_interval: float) -> SensorDefinition:
    """The source sensor over `catalog`'s views, with its checks, on `clock`."""
    assets_defs = list({defs.resolve_assets_def(key) for key in catalog.keys.values()})

    def checks(keys: Iterable[AssetKey], cadence: str | None = None) -> frozenset[AssetCheckKey]:
        return checks_for(assets_defs, keys, cadence)

    job = all_views_job(list(catalog.keys.values()), checks)
    return build_source_sensor(job, source_watch(catalog, checks), min_interval=min_interval,
                               clock=clock)


def tick(sensor: SensorDefinition, instance: DagsterInstance, cursor: str | None
         ) -> SensorExecutionData:
    """One evaluation of `sensor` from `cursor`, connecting through PostgresResource."""
    context = build_sensor_context(instance=instance, cursor=cursor,
                                   resources={"postgres": PostgresResource()})
    return sensor.evaluate_tick(context)
