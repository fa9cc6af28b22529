"""`dbt build` of the retail mart on scale S data: the crawler's original six views, columns and indexes."""

from __future__ import annotations

import json
import re

from tests.python.databases import query
from tests.python.marts.retail.conftest import (
    INCREMENTAL_TABLES,
    MART_SELECTOR,
    MART_VIEWS,
    RetailMart,
    run_dbt_captured,
)
from tests.python.marts.retail.original_views import CADENCES, ORIGINAL_COLUMNS, ORIGINAL_INDEXES


def test_build_passes_every_model_and_test(retail_mart: RetailMart) -> None:
    summary = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)",
                        retail_mart.build.stdout)
    assert summary, retail_mart.build.stdout[-3000:]
    passed, warned, errors, skipped = map(int, summary.groups())
    assert (errors, skipped) == (0, 0)
    # 6 views, their data tests and unit tests, the source tests.
    assert passed >= 100, retail_mart.build.stdout[-3000:]
    assert warned == 0, retail_mart.build.stdout[-3000:]


def test_views_are_materialized_views_with_the_original_columns_in_order(
    retail_mart: RetailMart,
) -> None:
    for view, columns in ORIGINAL_COLUMNS.items():
        rows = query(retail_mart.settings, """
            select a.attname, c.relkind::text
            from pg_attribute a
            join pg_class c on c.oid = a.attrelid
            join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'analytics' and c.relname = %s
              and a.attnum > 0 and not a.attisdropped
            order by a.attnum
        """, (view,))
        assert [name for (name, _) in rows] == columns, view
        # Daily sales is deliberately a table (relkind 'r'), the others materialized views.
        assert {kind for (_, kind) in rows} == {"r" if view in INCREMENTAL_TABLES else "m"}, view


def test_views_have_the_original_indexes(retail_mart: RetailMart) -> None:
    for view, ((pk_name, pk_columns), others) in ORIGINAL_INDEXES.items():
        rows = query(retail_mart.settings, """
            select i.indexname, x.indisunique,
                   pg_get_indexdef(x.indexrelid)
            from pg_indexes i
            join pg_class c on c.relname = i.indexname
            join pg_namespace n on n.oid = c.relnamespace and n.nspname = i.schemaname
            join pg_index x on x.indexrelid = c.oid
            where i.schemaname = 'analytics' and i.tablename = %s
        """, (view,))
        indexes = {name: (unique, definition) for name, unique, definition in rows}
        assert set(indexes) == {pk_name, *others}, view
        unique, definition = indexes[pk_name]
        assert unique and definition.endswith(f"({pk_columns})"), definition


def test_views_have_rows(retail_mart: RetailMart) -> None:
    for view in MART_VIEWS:
        ((count,),) = query(retail_mart.settings, f"select count(*) from analytics.{view}")
        assert count > 0, view


def test_cadence_is_in_the_model_config(retail_mart: RetailMart) -> None:
    manifest = json.loads((retail_mart.target_path / "manifest.json").read_text())
    for view, cadence in CADENCES.items():
        node = manifest["nodes"][f"model.analytics.{view}"]
        assert node["config"]["meta"]["cadence"] == cadence, view
        assert node["config"]["materialized"] == "materialized_view", view
        assert (node["config"].get("refresh_strategy") == "incremental") \
            == (view in INCREMENTAL_TABLES), view
        assert node["schema"] == "analytics", view
    staging = [node for node in manifest["nodes"].values()
               if node["resource_type"] == "model" and node["name"].startswith("stg_retail__")]
    assert len(staging) == 4
    assert {node["config"]["materialized"] for node in staging} == {"ephemeral"}


def test_a_second_run_refreshes_every_view_without_blocking_its_readers(
    retail_mart: RetailMart,
) -> None:
    """Daily sales is refreshed incrementally (refresh_strategy='incremental': row locks only)
    and keeps its OID, so the views on it are not rebuilt; velocity is swapped
    (refresh_strategy='swap'), which rebuilds product intelligence on it, which then skips its
    own refresh; the other views are refreshed concurrently. No plain (blocking) REFRESH."""
    (last_id,), = query(retail_mart.settings, "select max(id) from analytics_meta.refresh_log")
    oids_before = _oids(retail_mart)
    rerun = run_dbt_captured(retail_mart.settings, ["run", "--select", MART_SELECTOR],
                             retail_mart.target_path)
    assert rerun.returncode == 0, rerun.stdout[-5000:]
    rows = query(retail_mart.settings, """
        select relation, action, status from analytics_meta.refresh_log
        where id > %s and action <> 'skip' order by id
    """, (last_id,))
    built = {relation.split(".")[1]: (action, status) for relation, action, status in rows}
    assert built == {
        "mv_daily_sales_estimates": ("refresh_incremental", "success"),
        "mv_sku_velocity": ("refresh_swap", "success"),
        "mv_product_intelligence": ("rebuild", "success"),
        "mv_category_weekly_trends": ("refresh_concurrently", "success"),
        "mv_store_performance": ("refresh_concurrently", "success"),
        "mv_brand_market_share": ("refresh_concurrently", "success"),
    }, rows
    assert len(rows) == len(MART_VIEWS)
    assert "refreshed incrementally" in rerun.stdout
    assert "refreshed by swap" in rerun.stdout
    oids_after = _oids(retail_mart)
    swapped = {"mv_sku_velocity", "mv_product_intelligence"}
    assert {view for view in MART_VIEWS if oids_after[view] != oids_before[view]} == swapped


def _oids(retail_mart: RetailMart) -> dict[str, int]:
    rows = query(retail_mart.settings, """
        select c.relname, c.oid::bigint from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'analytics' and c.relname = any(%s)
    """, (list(MART_VIEWS),))
    return dict(rows)
