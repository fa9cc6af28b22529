"""The commerce mart's eight views on scale S (the original's seven and the inventory summary):
each exists in schema `analytics` with its documented unique key (a unique index over exactly
those columns, what `REFRESH … CONCURRENTLY` needs and the original lacked) and every index the
original named; their row counts follow
from the data; a second refresh, concurrently, succeeds on every view refreshed that way; and
the views are refreshed on the original's three cadences (docs/commerce-mart.md, "The views").
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from dagster import Definitions

from orchestration.core.database import connect
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.definitions import definitions_for
from orchestration.defs.schedules import TIMEZONE_ENV
from tests.python.databases import query
from tests.python.marts.built_marts import view_indexes
from tests.python.marts.commerce.conftest import MART, MART_VIEWS, BuiltMart, one

SCHEMA = "analytics"


class View(NamedTuple):
    key: tuple[str, ...]  # the unique key's columns
    key_index: str  # its index (the yml's "Unique key")
    indexes: frozenset[str]  # the other indexes the docs list (the original's, kept)
    concurrently: bool  # refreshed concurrently (else by swap)


VIEWS = {
    "metabase_executive_metrics": View(
        ("sale_date", "platform_slug"), "idx_exec_metrics_day_platform",
        frozenset({"idx_exec_metrics_date", "idx_exec_metrics_month",
                   "idx_exec_metrics_platform"}), True),
    "metabase_platform_performance": View(
        ("platform_slug",), "idx_platform_perf_slug",
        frozenset({"idx_platform_perf_id", "idx_platform_perf_revenue",
                   "idx_platform_perf_orders"}), True),
    "metabase_inventory_status": View(
        ("inventory_id",), "idx_inv_status_id",
        frozenset({"idx_inv_status_product", "idx_inv_status_brand", "idx_inv_status_category",
                   "idx_inv_status_aging"}), False),
    "metabase_inventory_summary": View(
        ("status", "stock_category", "supplier_name"), "idx_inv_summary_key", frozenset(), True),
    "metabase_product_performance": View(
        ("product_id",), "idx_prod_perf_product",
        frozenset({"idx_prod_perf_brand", "idx_prod_perf_revenue", "idx_prod_perf_units"}), True),
    "metabase_brand_analytics": View(
        ("brand_id",), "idx_brand_analytics_id",
        frozenset({"idx_brand_analytics_revenue", "idx_brand_analytics_share"}), True),
    "metabase_customer_geography": View(
        ("country", "city"), "idx_cust_geo_country",
        frozenset({"idx_cust_geo_city", "idx_cust_geo_revenue"}), True),
    "metabase_supplier_performance": View(
        ("supplier_id",), "idx_supp_perf_id",
        frozenset({"idx_supp_perf_revenue", "idx_supp_perf_roi"}), True),
}
# The index names the original lists, every one of which must exist.
ORIGINAL_INDEXES = frozenset({
    "idx_exec_metrics_date", "idx_exec_metrics_month", "idx_exec_metrics_platform",
    "idx_prod_perf_product", "idx_prod_perf_brand", "idx_prod_perf_revenue", "idx_prod_perf_units",
    "idx_brand_analytics_id", "idx_brand_analytics_revenue", "idx_brand_analytics_share",
    "idx_platform_perf_id", "idx_platform_perf_revenue", "idx_platform_perf_orders",
    "idx_inv_status_id", "idx_inv_status_product", "idx_inv_status_brand",
    "idx_inv_status_category", "idx_inv_status_aging",
    "idx_cust_geo_country", "idx_cust_geo_city", "idx_cust_geo_revenue",
    "idx_supp_perf_id", "idx_supp_perf_revenue", "idx_supp_perf_roi",
})
PLATFORMS = {"stockx", "ebay", "goat", "alias", "restocks"}
SALE = "status in ('pending', 'shipped', 'completed')"
CADENCES = {  # job -> (cron, views)
    "refresh_commerce_hourly": ("0 * * * *", {"metabase_executive_metrics",
                                              "metabase_platform_performance",
                                              "metabase_inventory_status",
                                              "metabase_inventory_summary"}),
    "refresh_commerce_daily": ("0 2 * * *", {"metabase_product_performance",
                                             "metabase_brand_analytics",
                                             "metabase_customer_geography"}),
    "refresh_commerce_weekly": ("0 3 * * 1", {"metabase_supplier_performance"}),
}


def count(mart: BuiltMart, statement: str) -> int:
    return one(mart.settings, statement)[0]


def test_the_eight_views_exist_in_analytics(commerce_mart: BuiltMart) -> None:
    found = {name for (name,) in query(commerce_mart.settings,
             "select matviewname from pg_matviews where schemaname = %s", (SCHEMA,))}
    assert set(VIEWS) == set(MART_VIEWS)
    assert set(VIEWS) <= found, sorted(set(VIEWS) - found)
    on_views = {name for (name,) in query(commerce_mart.settings, """
        select indexname from pg_indexes where schemaname = %s and tablename = any(%s)""",
        (SCHEMA, list(VIEWS)))}
    assert not ORIGINAL_INDEXES - on_views, sorted(ORIGINAL_INDEXES - on_views)


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_unique_key_and_indexes(commerce_mart: BuiltMart, view: str) -> None:
    spec = VIEWS[view]
    found = view_indexes(commerce_mart.settings, SCHEMA, view)
    assert found, f"{view} has no index (or does not exist)"
    assert spec.key_index in found, sorted(found)
    unique, plain, columns = found[spec.key_index]
    assert unique and plain, f"{spec.key_index} is not a plain unique index: {found}"
    assert sorted(columns) == sorted(spec.key) and len(columns) == len(spec.key), columns
    assert not spec.indexes - set(found), sorted(spec.indexes - set(found))
    # The key holds: as many rows as distinct key values, none NULL.
    key = ", ".join(spec.key)
    rows, distinct, nulls = one(commerce_mart.settings, f"""
        select count(*), count(distinct ({key})),
               count(*) filter (where num_nulls({key}) > 0)
        from {SCHEMA}.{view}""")
    assert rows > 0 and (rows, nulls) == (distinct, 0), (rows, distinct, nulls)


# Row counts from the sources, by plain SELECTs of them: what one row per key means.
EXPECTED_ROWS = {
    "metabase_platform_performance": f"""
        select (select count(*) from transactions.platforms)
             + (select (count(*) > 0)::int from transactions.orders o
                where o.{SALE} and not exists (select from transactions.platforms p
                                               where p.id = o.platform_id))""",
    "metabase_product_performance": "select count(*) from products.products",
    "metabase_brand_analytics": "select count(*) from products.brands",
    "metabase_supplier_performance": "select count(*) from products.suppliers",
    "metabase_inventory_status": "select count(*) from products.inventory",
    # one row per (status, stock category, supplier) of the items: at most 5 x 5 x 20
    "metabase_inventory_summary": """
        select count(*) from (
            select distinct status, stock_category, supplier_name
            from analytics.metabase_inventory_status) as groups""",
    # distinct buyer (country, city) of the sales: trimmed, country upper-cased, blank unknown
    "metabase_customer_geography": f"""
        select count(*) from (
            select distinct coalesce(nullif(upper(trim(buyer_country)), ''), '?'),
                            coalesce(nullif(trim(buyer_city), ''), '?')
            from transactions.orders where {SALE}) as pairs""",
    # distinct (Berlin calendar day, platform) of all orders, sales or not
    "metabase_executive_metrics": """
        select count(*) from (
            select distinct (o.sold_at at time zone 'Europe/Berlin')::date,
                            coalesce(p.slug, '(none)')
            from transactions.orders o
            left join transactions.platforms p on p.id = o.platform_id) as days""",
}


@pytest.mark.parametrize("view", sorted(EXPECTED_ROWS))
def test_row_counts_follow_from_the_data(commerce_mart: BuiltMart, view: str) -> None:
    expected = count(commerce_mart, EXPECTED_ROWS[view])
    assert expected > 0
    assert count(commerce_mart, f"select count(*) from {SCHEMA}.{view}") == expected


def test_the_platform_view_has_the_five_platforms(commerce_mart: BuiltMart) -> None:
    slugs = {slug for (slug,) in query(
        commerce_mart.settings, f"select platform_slug from {SCHEMA}.metabase_platform_performance")}
    unknown = count(commerce_mart, f"""
        select count(*) from transactions.orders
        where {SALE} and (platform_id is null
                          or platform_id not in (select id from transactions.platforms))""")
    assert slugs == PLATFORMS | ({"(none)"} if unknown else set())


@pytest.mark.parametrize("view", sorted(v for v, spec in VIEWS.items() if spec.concurrently))
def test_a_second_refresh_concurrently_succeeds(commerce_mart: BuiltMart, view: str) -> None:
    relation = f"{SCHEMA}.{view}"
    before = count(commerce_mart, f"select count(*) from {relation}")
    with connect(commerce_mart.settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"refresh materialized view concurrently {relation}")
    assert count(commerce_mart, f"select count(*) from {relation}") == before


# --- cadences -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog() -> AnalyticsCatalog:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(TIMEZONE_ENV, raising=False)  # the default zone, UTC
        return load_catalog()


@pytest.fixture(scope="module")
def defs(catalog: AnalyticsCatalog) -> Definitions:
    return definitions_for(catalog)


def test_the_mart_has_exactly_the_three_cadence_jobs(catalog: AnalyticsCatalog) -> None:
    plans = {plan.job_name: (plan.cron, plan.timezone, set(plan.models))
             for plan in catalog.plans if plan.mart == MART}
    assert plans == {job: (cron, "UTC", views) for job, (cron, views) in CADENCES.items()}


@pytest.mark.parametrize("job", sorted(CADENCES))
def test_cadence_job_and_schedule(defs: Definitions, catalog: AnalyticsCatalog, job: str) -> None:
    cron, views = CADENCES[job]
    schedule = defs.resolve_schedule_def(f"{job}_schedule")
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        job, cron, "UTC")
    selected = defs.resolve_job_def(job).asset_layer.selected_asset_keys
    assert selected == {catalog.keys[view] for view in views}


def test_no_other_schedule_refreshes_the_mart(defs: Definitions, catalog: AnalyticsCatalog
                                              ) -> None:
    mart_keys = {catalog.keys[view] for view in VIEWS}
    others = [s for s in defs.schedules or [] if s.job_name not in CADENCES]
    assert others, "the other marts have schedules"
    for schedule in others:
        selected = defs.resolve_job_def(schedule.job_name).asset_layer.selected_asset_keys
        assert not selected & mart_keys, schedule.name
