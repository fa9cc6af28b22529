"""A source column renamed or dropped while the views read it.

Renamed: Postgres lets the views follow the rename, but the models still name the old column,
so the on-run-start guard (macros/check_source_columns.sql) stops the run before any view is
touched, naming the source table and the column. Dropped: Postgres refuses to drop a column that
a materialized view reads (only CASCADE would, dropping the views with it).
"""

from __future__ import annotations

import psycopg2.errors
import pytest

from tests.python.reliability.conftest import MART_SELECTOR, Mart


def test_a_renamed_source_column_fails_fast_and_keeps_every_view(owner_mart: Mart) -> None:
    mart = owner_mart
    before = mart.fingerprints()
    first = mart.last_log_id()
    mart.sql("alter table retail_raw.inventory_snapshots"
             " rename column quantity_available to quantity_shown")
    try:
        result = mart.dbt(["build", "--select", MART_SELECTOR], expect_ok=False)
    finally:
        mart.sql("alter table retail_raw.inventory_snapshots"
                 " rename column quantity_shown to quantity_available")
    output = result.stdout
    assert "Source schema drift; nothing was built" in output, output[-3000:]
    assert ("source retail_raw.inventory_snapshots: column quantity_available does not exist"
            " (renamed or dropped?)") in output, output[-3000:]
    assert mart.log_since(first) == [], "no view was touched"
    assert mart.fingerprints() == before


def test_a_source_column_read_by_the_views_cannot_be_dropped(owner_mart: Mart) -> None:
    before = owner_mart.fingerprints()
    with pytest.raises(psycopg2.errors.DependentObjectsStillExist, match="mv_store_performance"):
        owner_mart.sql("alter table retail_raw.dispensaries drop column city")
    assert owner_mart.fingerprints() == before
