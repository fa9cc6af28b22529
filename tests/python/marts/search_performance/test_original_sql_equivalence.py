"""The search-performance mart gives the original system's results: each view equals the
original SQL (the seed's document) with only the fixes and decisions the mart documents
applied (original_sql_with_fixes.sql, every change marked).

The original's SQL is evaluated as temporary views on the scale S data, in a transaction
that is rolled back, and compared with the materialized views `dbt build` made of the same
data: as multisets of rows, every column included, in both directions, after checking that
both have the same columns in the same order.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.core.database import connect
from tests.python.marts.search_performance.conftest import MART_VIEWS, BuiltMart

ORIGINAL_SQL_WITH_FIXES = Path(__file__).with_name("original_sql_with_fixes.sql")


def _relations(mart: BuiltMart) -> dict[str, str]:
    """Each view's relation as dbt built it (`"db"."schema"."name"`)."""
    manifest = json.loads((mart.target_path / "manifest.json").read_text())
    return {name: manifest["nodes"][f"model.analytics.{name}"]["relation_name"]
            for name in MART_VIEWS}


def test_every_view_equals_the_original_sql_with_its_documented_fixes(
        search_performance_mart: BuiltMart) -> None:
    relations = _relations(search_performance_mart)
    differences = {}
    with connect(search_performance_mart.settings) as conn, conn.cursor() as cur:
        cur.execute("set local timezone = 'UTC'")
        cur.execute(ORIGINAL_SQL_WITH_FIXES.read_text())
        for name, relation in relations.items():
            columns = {}
            for side, source in (("mart", relation), ("original", f"pg_temp.original_{name}")):
                cur.execute(f"select * from {source} limit 0")
                columns[side] = [column.name for column in cur.description]
            assert columns["mart"] == columns["original"], name
            cur.execute(f"select count(*) from {relation}")
            (rows,) = cur.fetchone()
            cur.execute(f"""
                select
                    (select count(*) from (select * from {relation}
                                           except all select * from pg_temp.original_{name}) as m),
                    (select count(*) from (select * from pg_temp.original_{name}
                                           except all select * from {relation}) as o)
            """)
            only_mart, only_original = cur.fetchone()
            assert rows > 0, name
            if only_mart or only_original:
                differences[name] = (f"of {rows} rows, {only_mart} only in the mart's view, "
                                     f"{only_original} only in the original with fixes")
        conn.rollback()
    assert not differences, differences
