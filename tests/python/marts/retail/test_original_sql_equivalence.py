"""The retail mart gives the crawler's original results: each view equals the original SQL with
only F1-F5 applied.

Both are evaluated as temporary views in one transaction on the scale S data, so now() and
current_date are the same instant for both; the mart's views are its compiled SQL (from the
manifest) with each upstream view replaced by its temporary twin, so nothing depends on when
the materialized views were refreshed. Rows are compared as multisets, every column included.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.core.database import connect
from tests.python.marts.retail.conftest import MART_VIEWS, RetailMart

ORIGINAL_SQL_WITH_FIXES = Path(__file__).with_name("original_sql_with_fixes.sql")


def _compiled_views(retail_mart: RetailMart) -> dict[str, str]:
    """Each view's compiled SQL, upstream views renamed to their temporary twins."""
    manifest = json.loads((retail_mart.target_path / "manifest.json").read_text())
    nodes = {name: manifest["nodes"][f"model.analytics.{name}"] for name in MART_VIEWS}
    compiled = {}
    for name, node in nodes.items():
        sql = node["compiled_code"]
        for other, other_node in nodes.items():
            sql = sql.replace(other_node["relation_name"], f"pg_temp.mart_{other}")
        compiled[name] = sql
    return compiled


def test_every_view_equals_the_original_sql_with_the_five_fixes(retail_mart: RetailMart) -> None:
    compiled = _compiled_views(retail_mart)
    # The original's order is a valid dependency order for both sets of views.
    order = ["mv_daily_sales_estimates", "mv_brand_market_share", "mv_sku_velocity",
             "mv_store_performance", "mv_category_weekly_trends", "mv_product_intelligence"]
    assert sorted(order) == sorted(MART_VIEWS)
    differences = {}
    with connect(retail_mart.settings) as conn, conn.cursor() as cur:
        cur.execute("set local timezone = 'UTC'")
        cur.execute("set local search_path = retail_raw")
        cur.execute(ORIGINAL_SQL_WITH_FIXES.read_text())
        for name in order:
            cur.execute(f"create temp view mart_{name} as {compiled[name]}")
        for name in order:
            cur.execute(f"select count(*) from pg_temp.mart_{name}")
            (rows,) = cur.fetchone()
            cur.execute(f"""
                select count(*) from (
                    (select * from pg_temp.mart_{name}
                     except all select * from pg_temp.original_{name})
                    union all
                    (select * from pg_temp.original_{name}
                     except all select * from pg_temp.mart_{name})
                ) as differing
            """)
            (differing,) = cur.fetchone()
            assert rows > 0, name
            if differing:
                differences[name] = f"{differing} of {rows} rows differ"
        conn.rollback()
    assert not differences, differences
