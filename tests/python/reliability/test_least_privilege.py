"""Least privilege, through real connections of login members of the two roles.

analytics_reader (dashboards) reads the analytic views (the incremental table
mv_daily_sales_estimates included: SELECT only) and analytics_meta.mv_status, nothing else;
analytics_owner (dbt, with ANALYTICS_DBT_ROLE=analytics_owner) owns and refreshes the
views and reads retail_raw, but not the simulation's truth. Passwords are never printed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.reliability.conftest import INCREMENTAL, MART_VIEWS, LoginMembers, Mart

ANALYTICS = str(Path(sys.executable).parent / "analytics")


def run_as(settings: ConnectionSettings, query: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(**settings.connect_kwargs(), connect_timeout=10)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return list(cur.fetchall()) if cur.description else []
    finally:
        conn.close()


def test_the_reader_reads_the_views_and_the_status_view(
    owner_mart: Mart, login_members: LoginMembers
) -> None:
    for view in MART_VIEWS:
        assert run_as(login_members.reader, f"select count(*) from analytics.{view}")[0][0] \
            == owner_mart.scalar(f"select count(*) from analytics.{view}")
    statuses = run_as(login_members.reader,
                      "select relation_name, last_status from analytics_meta.mv_status")
    assert {str(row[0]) for row in statuses} >= set(MART_VIEWS)


@pytest.mark.parametrize("query", [
    "select count(*) from retail_raw.dispensaries",
    "select count(*) from retail_raw.inventory_snapshots",
    "select count(*) from retail_truth.daily_product_truth",
    "select count(*) from analytics_meta.refresh_log",
    "refresh materialized view concurrently analytics.mv_store_performance",
    "refresh materialized view analytics.mv_store_performance",
    "drop materialized view analytics.mv_store_performance",
    "alter materialized view analytics.mv_store_performance rename to gone",
    "create table analytics.reader_was_here (id int)",
    "create materialized view analytics.reader_was_here as select 1 as id",
    "create schema reader_was_here",
    "insert into analytics_meta.refresh_log (model, relation) values ('x', 'y')",
    # The incremental table, its invalidation log and the seed it is built from.
    "insert into analytics.mv_daily_sales_estimates (dispensary_id, product_id, sale_date)"
    " values (1, 'x', current_date)",
    "update analytics.mv_daily_sales_estimates set units_sold = 0",
    "delete from analytics.mv_daily_sales_estimates",
    "truncate analytics.mv_daily_sales_estimates",
    "drop table analytics.mv_daily_sales_estimates",
    "alter table analytics.mv_daily_sales_estimates add column reader_was_here int",
    "create index on analytics.mv_daily_sales_estimates (units_sold)",
    "select count(*) from analytics_meta.mv_invalidations",
    "delete from analytics_meta.mv_invalidations",
    "select count(*) from analytics.retail_state_time_zones",
])
def test_the_reader_can_do_nothing_else(
    owner_mart: Mart, login_members: LoginMembers, query: str
) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        run_as(login_members.reader, query)
    assert owner_mart.scalar("select to_regclass('analytics.mv_store_performance') is not null")


def test_the_reader_has_select_only_on_every_view_and_the_incremental_table(
    owner_mart: Mart,
) -> None:
    granted = owner_mart.sql(
        "select c.relname, string_agg(a.privilege_type, ',' order by a.privilege_type)"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace,"
        " aclexplode(c.relacl) a"
        " where n.nspname = 'analytics' and a.grantee = 'analytics_reader'::regrole"
        " group by c.relname")
    assert dict(granted) == dict.fromkeys(MART_VIEWS, "SELECT")


def test_dbt_builds_as_the_owner_which_owns_every_view(owner_mart: Mart) -> None:
    owners = owner_mart.sql(
        "select c.relname, c.relkind::text, pg_get_userbyid(c.relowner) from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'analytics' and c.relkind in ('m', 'r')")
    # The views are materialized views but for the incremental tables; the seed is a table.
    assert {name: (kind, owner) for name, kind, owner in owners} == {
        **{view: ("r" if view in INCREMENTAL else "m", "analytics_owner") for view in MART_VIEWS},
        "retail_state_time_zones": ("r", "analytics_owner"),
    }
    assert owner_mart.env()["ANALYTICS_DBT_ROLE"] == "analytics_owner"


def test_the_owner_reads_the_sources_but_not_the_truth(login_members: LoginMembers) -> None:
    assert run_as(login_members.owner, "select count(*) from retail_raw.dispensaries")[0][0] > 0
    for table in ("daily_product_truth", "stock_events", "simulation"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            run_as(login_members.owner, f"select count(*) from retail_truth.{table}")


@pytest.mark.parametrize("command", [["db", "url"], ["db", "status"], ["db", "start"]])
@pytest.mark.parametrize("reachable", [True, False])
def test_the_cli_never_prints_the_password(
    login_members: LoginMembers, command: list[str], reachable: bool
) -> None:
    reader = login_members.reader
    port = reader.port if reachable else 1
    url = (f"postgresql://{reader.user}:{reader.password}@/{reader.dbname}"
           f"?host={reader.host}&port={port}")
    env = {"PATH": str(Path(sys.executable).parent), "HOME": "/nonexistent",
           "ANALYTICS_DATABASE_URL": url}
    result = subprocess.run([ANALYTICS, *command], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    output = result.stdout + result.stderr
    assert reader.password not in output
    assert reader.user in output or result.returncode != 0, output
    if command == ["db", "url"]:
        assert result.returncode == 0 and f"{reader.user}:***@" in output, output
