"""The mart's bench (orchestration/marts/search_performance/bench.py) on the scale S mart: the
plug-in carries it, its parameters come from the built views, and every dashboard query gives
the same rows on the views as its raw variant over the source tables (for the product table,
the raw variant is the metadata function's body written out: the function itself reads the
view)."""

from __future__ import annotations

from orchestration.bench.mart import Mart, load_mart
from orchestration.bench.queries import normalise_rows, placeholders
from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.project import dbt_project, meta_schema
from orchestration.marts.search_performance.bench import BATCH_SIZE, BENCH, QUERIES
from tests.python.marts.built_marts import BuiltViews
from tests.python.marts.search_performance.conftest import MART, MART_VIEWS, BuiltMart


def _mart(built: BuiltMart) -> Mart:
    return load_mart(built.target_path / "manifest.json", MART, meta_schema(dbt_project()))


def test_the_plugin_carries_its_bench() -> None:
    assert discover()[MART].bench is BENCH
    assert BENCH.views == set(MART_VIEWS)
    function_queries = [q for q in QUERIES if "get_product_segment_metadata" in q.sql]
    assert function_queries and all(q.raw_sql for q in function_queries)


def test_every_dashboard_query_answers_as_over_the_raw_tables(
        search_performance_mart: BuiltMart) -> None:
    mart = _mart(search_performance_mart)
    assert {v.name for v in mart.skipping_unchanged()} == set(MART_VIEWS)
    params = BENCH.pick_parameters(BuiltViews(search_performance_mart, mart))
    assert {name for q in QUERIES for name in placeholders(q.sql) | placeholders(q.raw_template)
            } <= set(params)
    assert params["brand"] and params["median_brand"] and params["asin"]
    assert params["date_from"] < params["date_to"] and params["month"] <= params["date_to"]
    assert len(params["asins"]) == BATCH_SIZE
    with connect(search_performance_mart.settings) as conn, conn.cursor() as cur:
        for dashboard_query in QUERIES:
            cur.execute(dashboard_query.on_view(mart), params)
            on_view = cur.fetchall()
            cur.execute(dashboard_query.on_raw(mart), params)
            raw = cur.fetchall()
            assert on_view, dashboard_query.name
            assert normalise_rows(on_view) == normalise_rows(raw), dashboard_query.name
        conn.rollback()
