"""`analytics drop-mart` / `dbt run-operation drop_mart`: a whole mart goes, in one transaction,
or nothing does. On a copy of the project with the throwaway `kiosk` mart of test_plug_in.py,
given a second view (on the first) and a declared function by drop_mart_fixture/; the retail
mart's views, built beside it in the same schema, are the other mart that must survive."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.core.database import connect
from orchestration.core.dbt import dbt_executable
from orchestration.core.settings import ConnectionSettings
from tests.python.databases import create_database, drop_database
from tests.python.marts.test_plug_in import MART, Project, copy_project_with_kiosk

DATABASE = "analytics_drop_mart_tests"
OVERLAY = Path(__file__).resolve().parent / "drop_mart_fixture"
OTHER_MART = "retail"
DAILY = "analytics.mv_kiosk_daily_sales"
BEST = "analytics.mv_kiosk_best_days"
FUNCTION = "analytics.kiosk_best_day(integer)"


def dbt(project: Project, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([dbt_executable(), *args, "--project-dir", str(project.directory)],
                          env={**project.env(), "DBT_PROFILES_DIR": str(project.directory),
                               **(env or {})},
                          cwd=project.directory, capture_output=True, text=True, timeout=900,
                          check=False)


def exists(project: Project, relation: str) -> bool:
    return project.scalar(f"select to_regclass('{relation}') is not null") is True


def function_exists(project: Project, signature: str = FUNCTION) -> bool:
    return project.scalar(f"select to_regprocedure('{signature}') is not null") is True


def kiosk_objects(project: Project) -> tuple[bool, bool, bool]:
    return exists(project, DAILY), exists(project, BEST), function_exists(project)


def count(project: Project, query: str) -> int:
    value = project.scalar(query)
    assert isinstance(value, int)
    return value


def state_rows(project: Project, model_prefix: str) -> int:
    return count(project, "select count(*) from analytics_meta.mv_state"
                          f" where model like '{model_prefix}%'")


def other_mart_views(project: Project) -> list[str]:
    with connect(project.settings) as conn, conn.cursor() as cur:
        cur.execute("select schema_name || '.' || relation_name from analytics_meta.mv_state"
                    " where model not like 'mv_kiosk%' and to_regclass(schema_name || '.' ||"
                    " relation_name) is not null order by 1")
        return [row[0] for row in cur.fetchall()]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, pg_settings: ConnectionSettings
            ) -> Iterator[Project]:
    """The plug-in test's project copy, kiosk mart included, plus drop_mart_fixture/."""
    directory = copy_project_with_kiosk(tmp_path_factory.mktemp("drop_mart") / "project",
                                        OVERLAY)
    try:
        yield Project(directory, create_database(pg_settings, DATABASE))
    finally:
        drop_database(pg_settings, DATABASE)


@pytest.fixture(scope="module")
def built(project: Project) -> Project:
    """Sources migrated, kiosk data and dbt seeds loaded, the kiosk and retail marts' views built."""
    loaded = project.analytics("demo-data", "--mart", MART, "--scale", "S")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    seeded = dbt(project, "seed")
    assert seeded.returncode == 0, seeded.stdout[-4000:]
    run = dbt(project, "run", "--select", f"marts.{MART}", f"marts.{OTHER_MART}")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert kiosk_objects(project) == (True, True, True)
    assert project.scalar(f"select count(*) from {FUNCTION.split('(')[0]}(1)") == 1
    assert state_rows(project, "mv_kiosk") == 2
    assert other_mart_views(project), "the other mart's views are built"
    return project


def test_dry_run_lists_in_drop_order_and_drops_nothing(built: Project) -> None:
    result = built.analytics("drop-mart", MART, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    lines = [f"would drop function {FUNCTION}", f"would drop materialized view {BEST}",
             f"would drop materialized view {DAILY}"]
    positions = [out.find(line) for line in lines]
    assert -1 not in positions, out
    assert positions == sorted(positions), f"dependants first:\n{out}"
    assert "would delete 2 row(s) of analytics_meta.mv_state" in out
    assert kiosk_objects(built) == (True, True, True)
    assert state_rows(built, "mv_kiosk") == 2


def test_an_outside_dependant_refuses_the_drop(built: Project) -> None:
    outside = ["create view public.kiosk_watch as select kiosk_id, best_day"
               f" from {BEST}",
               "create function public.kiosk_first_best_day(p integer) returns date"
               f" language sql begin atomic select min(d) from {FUNCTION.split('(')[0]}(p) d; end"]
    with connect(built.settings) as conn, conn.cursor() as cur:
        for statement in outside:
            cur.execute(statement)
    try:
        # The documented dbt command itself, as the CLI runs it.
        result = dbt(built, "run-operation", "drop_mart", "--args", f"{{mart: {MART}}}")
        assert result.returncode != 0, result.stdout
        assert "was not dropped" in result.stdout, result.stdout
        assert f"view public.kiosk_watch depends on materialized view {BEST}" in result.stdout
        assert (f"function public.kiosk_first_best_day(integer) depends on function {FUNCTION}"
                in result.stdout)
        assert kiosk_objects(built) == (True, True, True)
        assert state_rows(built, "mv_kiosk") == 2
        dry = built.analytics("drop-mart", MART, "--dry-run")
        assert dry.returncode != 0 and "public.kiosk_watch" in dry.stdout, dry.stdout
    finally:
        with connect(built.settings) as conn, conn.cursor() as cur:
            cur.execute("drop view if exists public.kiosk_watch;"
                        " drop function if exists public.kiosk_first_best_day(integer)")


def test_a_failure_midway_drops_nothing(built: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first objects are dropped, the last cannot be (a reader holds it past dbt's lock
    timeout): the transaction rolls back, the mart is whole."""
    monkeypatch.setenv("PGOPTIONS", f"{os.environ.get('PGOPTIONS', '')} -c lock_timeout=3s".strip())
    with connect(built.settings) as reader, reader.cursor() as cur:
        cur.execute(f"select count(*) from {DAILY}")  # holds its lock until rollback
        result = built.analytics("drop-mart", MART)
        reader.rollback()
    assert result.returncode != 0, result.stdout
    assert "lock timeout" in result.stdout, result.stdout
    assert kiosk_objects(built) == (True, True, True)
    assert state_rows(built, "mv_kiosk") == 2


def test_drop_mart_drops_the_whole_mart_and_nothing_else(built: Project) -> None:
    others = other_mart_views(built)
    other_state = count(built, "select count(*) from analytics_meta.mv_state"
                               " where model not like 'mv_kiosk%'")
    logged = count(built, "select count(*) from analytics_meta.refresh_log"
                          " where model like 'mv_kiosk%'")
    sales = count(built, "select count(*) from kiosk_raw.sales")
    result = built.analytics("drop-mart", MART)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"drop materialized view {DAILY}" in result.stdout
    assert kiosk_objects(built) == (False, False, False)
    assert state_rows(built, "mv_kiosk") == 0
    # The other mart's views (in the same schema), the sources, the schema, the log: kept.
    assert other_mart_views(built) == others
    assert count(built, "select count(*) from analytics_meta.mv_state"
                        " where model not like 'mv_kiosk%'") == other_state
    assert count(built, "select count(*) from kiosk_raw.sales") == sales
    assert built.scalar("select count(*) from pg_namespace where nspname = 'analytics'") == 1
    assert count(built, "select count(*) from analytics_meta.refresh_log"
                        " where model like 'mv_kiosk%'") == logged


def test_a_second_run_is_a_no_op(built: Project) -> None:
    result = built.analytics("drop-mart", MART)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"skip {DAILY} (model mv_kiosk_daily_sales): not in the database" in result.stdout
    assert "nothing to drop" in result.stdout
    assert other_mart_views(built)


def test_an_unknown_mart_exits_2(project: Project) -> None:
    result = project.analytics("drop-mart", "nope")
    assert result.returncode == 2
    assert "unknown mart 'nope'" in result.stdout and MART in result.stdout

