"""The search-performance mart on a small hand-written data set, built as `analytics_owner`:
hostile rows, the metadata function (results, types, grants, a rebuild), the API roles'
grants, refresh only when a source changed, the drift guard, empty sources and the rollback.

The tests run in file order on one database: the last ones drop the mart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.databases import drop_database
from tests.python.reliability.conftest import Mart, fresh_database

DATABASE = "analytics_search_performance_mart"
SELECTOR = "+path:models/marts/search_performance"
MART_ONLY = "path:models/marts/search_performance"
VIEWS = ("brand_product_segments", "brand_performance_enhanced")
FUNCTION = "public.get_product_segment_metadata(uuid, date, date)"
BRAND_1 = "00000000-0000-0000-0000-0000000000b1"
BRAND_2 = "00000000-0000-0000-0000-0000000000b2"
HOSTILE_QUERY = "café \"mug\" \\ 🌿 O'Brien'); drop table sqp.asin_performance_data; --"

# Week of Sunday 1 March 2026 (in the Monday week of 2 March); report 4 is empty (no query
# rows) and report 5 is the week after.
CORPUS = """
insert into public.brands (id, brand_name, display_name, is_active) values
    (%(b1)s, 'acme', 'Acme O''Brien 🌿', true),
    (%(b2)s, 'globex', null, true);
insert into public.asin_brand_mapping (asin, brand_id, is_active) values
    ('A1', %(b1)s, true), ('A2', %(b1)s, true), ('A3', %(b2)s, true);
insert into sqp.asin_performance_data (id, asin, start_date, end_date) values
    (1, 'A1', '2026-03-01', '2026-03-07'),
    (2, 'A2', '2026-03-01', '2026-03-07'),
    (3, 'A3', '2026-03-01', '2026-03-07'),
    (4, 'A1', '2026-03-08', '2026-03-14'),
    (5, 'A2', '2026-03-08', '2026-03-14');
insert into sqp.search_query_performance (
    asin_performance_id, search_query, total_query_impression_count, asin_impression_count,
    total_click_count, asin_click_count, total_cart_add_count, asin_cart_add_count,
    total_purchase_count, asin_purchase_count, asin_median_purchase_price) values
    -- A1: a normal row, and a row of NULL counts whose query text is hostile.
    (1, 'women''s shoes', 100, 40, 10, 4, 4, 2, 2, 1, 25.00),
    (1, %(hostile)s, null, null, null, null, null, null, null, null, null),
    -- A2: impressions above the market total, negative clicks, a negative price.
    (2, 'women''s shoes', 100, 150, 10, -5, 4, 2, 2, 1, -3.00),
    (3, 'women''s shoes', 100, 30, 10, 3, 4, 1, 2, 1, 30.00),
    (5, 'x', 50, 5, 0, 0, 0, 0, 0, 0, null);
"""


@pytest.fixture(scope="module")
def mart(pg_settings: ConnectionSettings, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Mart]:
    created: list[ConnectionSettings] = []
    settings = fresh_database(pg_settings, created, DATABASE)
    mart = Mart(settings=settings, work_dir=tmp_path_factory.mktemp("search_performance_dbt"))
    with mart.connect() as conn, conn.cursor() as cur:
        cur.execute(CORPUS, {"b1": BRAND_1, "b2": BRAND_2, "hostile": HOSTILE_QUERY})
    mart.build = mart.dbt(["build", "--select", SELECTOR])  # type: ignore[attr-defined]
    try:
        yield mart
    finally:
        drop_database(pg_settings, DATABASE)


def segment(mart: Mart, asin: str, period_start: str) -> dict[str, object]:
    with mart.connect() as conn, conn.cursor() as cur:
        cur.execute("select * from public.brand_product_segments where asin = %s"
                    " and segment_type = 'weekly' and period_start = %s", (asin, period_start))
        row = cur.fetchone()
        assert row is not None, f"no weekly segment of {asin} from {period_start}"
        return {column.name: value for column, value in zip(cur.description, row, strict=True)}


def test_missing_api_roles_are_skipped_with_a_warning(mart: Mart) -> None:
    output = mart.build.stdout  # type: ignore[attr-defined]
    assert "role authenticated does not exist, so select is not granted" in output
    assert "role service_role does not exist, so execute is not granted" in output


def test_hostile_counts_are_cleaned(mart: Mart) -> None:
    a1 = segment(mart, "A1", "2026-03-02")
    # The NULL row counts 0; the empty report of the next week adds no segment.
    assert (a1["total_impressions"], a1["asin_impressions"], a1["data_points_count"]) == (100, 40, 1)
    assert a1["avg_purchase_price"] == Decimal("25.00")
    assert mart.scalar("select count(*) from public.brand_product_segments"
                       " where asin = 'A1' and period_start = '2026-03-09'") == 0
    a2 = segment(mart, "A2", "2026-03-02")
    # 150 impressions on a market of 100: the market is raised to 150, a share of 100 %.
    assert (a2["total_impressions"], a2["asin_impressions"]) == (150, 150)
    assert a2["impression_share_pct"] == Decimal("100.00")
    # Negative clicks count 0; a negative price is no price.
    assert (a2["asin_clicks"], a2["ctr_pct"]) == (0, Decimal("0.00"))
    assert a2["avg_purchase_price"] is None


def test_brand_summary_counts_the_market_once(mart: Mart) -> None:
    row = mart.sql("select display_name, total_asins, total_impressions, avg_impression_share"
                   " from public.brand_performance_enhanced where brand_id = %s", (BRAND_1,))
    # A1 40 + A2 150 on a shared market of 150 (capped at 150), and A2's 5 of 50 the next week.
    assert row == [("Acme O'Brien 🌿", 2, 195, Decimal("77.50"))]


def test_function_matches_the_view_and_its_declared_types(mart: Mart) -> None:
    got = mart.sql(f"select * from {FUNCTION.split('(')[0]}(%s, '2026-03-01', '2026-03-31')",
                   (BRAND_1,))
    # A2: the weeks of 2 and 9 March (150 and 5) and March; A1: one week (40) and March. The
    # impressions are the weeks' (the original added the month's too: 310 and 80).
    assert got == [
        ("A2", True, True, 2, 1, date(2026, 3, 1), date(2026, 3, 14), 155),
        ("A1", True, True, 1, 1, date(2026, 3, 1), date(2026, 3, 7), 40),
    ]
    result = mart.scalar("select pg_get_function_result(%s::regprocedure)", (FUNCTION,))
    assert "total_segment_impressions bigint" in str(result)
    assert "asin character varying," in str(result)


def test_function_grants(mart: Mart) -> None:
    assert mart.scalar("select has_function_privilege('analytics_reader', %s, 'execute')",
                       (FUNCTION,)) is True
    assert mart.scalar("select count(*) from pg_proc, aclexplode(proacl) as acl"
                       " where pg_proc.oid = %s::regprocedure and acl.grantee = 0",
                       (FUNCTION,)) == 0, "PUBLIC may execute the function"
    assert "Segment availability" in str(mart.scalar(
        "select obj_description(%s::regprocedure, 'pg_proc')", (FUNCTION,)))


def test_function_survives_a_rebuild_of_the_view(mart: Mart) -> None:
    call = f"select * from {FUNCTION.split('(')[0]}(%s, '2026-03-01', '2026-03-31')"
    conn = mart.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(call, (BRAND_1,))
            before = cur.fetchall()
            oid = mart.scalar("select 'public.brand_product_segments'::regclass::oid")
            mart.dbt(["run", "--select", "brand_product_segments", "--full-refresh"])
            assert mart.scalar("select 'public.brand_product_segments'::regclass::oid") != oid
            # The same session, whose cached plan read the old relation.
            cur.execute(call, (BRAND_1,))
            assert cur.fetchall() == before
    finally:
        conn.close()


def run_mart(mart: Mart) -> list[tuple[object, ...]]:
    """Run the mart's views; (model, action, note) of each refresh-log row it wrote."""
    since = mart.last_log_id()
    mart.dbt(["run", "--select", MART_ONLY])
    return mart.sql("select model, action, note from analytics_meta.refresh_log"
                    " where id > %s order by id", (since,))


def test_refresh_only_when_a_source_changed(mart: Mart) -> None:
    # The segments were rebuilt by the test before: the summary reading them refreshes.
    after_rebuild = run_mart(mart)
    assert [row[:2] for row in after_rebuild] == [
        ("brand_product_segments", "skip"), ("brand_performance_enhanced", "refresh_concurrently")]
    # Its note names what changed.
    assert "public.brand_product_segments" in str(after_rebuild[1][2])
    assert [row[:2] for row in run_mart(mart)] == [
        ("brand_product_segments", "skip"), ("brand_performance_enhanced", "skip")]
    mart.sql("update public.asin_brand_mapping set updated_at = now() where asin = 'A3'")
    changed = run_mart(mart)
    # The segments are refreshed by swap: the summary is rebuilt on the new view with it.
    assert [row[:2] for row in changed] == [
        ("brand_product_segments", "refresh_swap"),
        ("brand_performance_enhanced", "rebuild"),
        ("brand_performance_enhanced", "skip")]
    assert "public.asin_brand_mapping" in str(changed[0][2])


def test_existing_api_roles_get_select_and_execute(mart: Mart) -> None:
    roles = [f"sp_api_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for role in roles:
        mart.sql(f'create role "{role}" nologin')
    try:
        mart.dbt(["run", "--select", MART_ONLY, "--vars",
                  "{search_performance_api_roles: [" + ", ".join(roles) + "]}"])
        for role in roles:
            for view in VIEWS:
                assert mart.scalar("select has_table_privilege(%s, %s, 'select')",
                                   (role, f"public.{view}")) is True
            assert mart.scalar("select has_function_privilege(%s, %s, 'execute')",
                               (role, FUNCTION)) is True
    finally:
        for role in roles:
            mart.sql(f'drop owned by "{role}"')
            mart.sql(f'drop role "{role}"')


def test_drift_guard_names_a_renamed_source_column(mart: Mart) -> None:
    mart.sql("alter table sqp.search_query_performance"
             " rename column asin_click_count to asin_clicks_count")
    try:
        since = mart.last_log_id()
        failed = mart.dbt(["build", "--select", SELECTOR], expect_ok=False)
        assert "search_query_performance" in failed.stdout
        assert "asin_click_count" in failed.stdout
        assert mart.last_log_id() == since, "a view was touched before the guard stopped"
    finally:
        mart.sql("alter table sqp.search_query_performance"
                 " rename column asin_clicks_count to asin_click_count")


def test_empty_sources_build_empty_views_with_a_warning(mart: Mart) -> None:
    mart.sql("truncate sqp.search_query_performance, sqp.asin_performance_data,"
             " public.asin_brand_mapping, public.brands")
    build = mart.dbt(["build", "--select", SELECTOR])
    for view in VIEWS:
        assert mart.scalar(f"select count(*) from public.{view}") == 0
        assert f"{view}_not_empty" in build.stdout
    assert "WARN" in build.stdout


def test_rollback_refuses_while_an_outside_view_depends_on_the_mart(mart: Mart) -> None:
    mart.sql("create schema if not exists reporting")
    mart.sql("create view reporting.brand_list as"
             " select brand_id from public.brand_performance_enhanced")
    try:
        refused = mart.dbt(["run-operation", "drop_mart", "--args", "{mart: search_performance}"],
                           expect_ok=False)
        assert "reporting.brand_list" in refused.stdout
        assert mart.scalar("select to_regclass('public.brand_product_segments') is not null")
    finally:
        mart.sql("drop schema reporting cascade")


def test_rollback_drops_the_mart_and_nothing_else(mart: Mart) -> None:
    mart.dbt(["run-operation", "drop_mart", "--args", "{mart: search_performance}"])
    for view in VIEWS:
        assert mart.scalar("select to_regclass(%s)", (f"public.{view}",)) is None
    assert mart.scalar("select to_regprocedure(%s)", (FUNCTION,)) is None
    for table in ("sqp.asin_performance_data", "sqp.search_query_performance",
                  "public.brands", "public.asin_brand_mapping"):
        assert mart.scalar("select to_regclass(%s)", (table,)) is not None, table
    assert mart.scalar("select count(*) from analytics_meta.mv_state"
                       " where relation_name = any(%s)", (list(VIEWS),)) == 0
