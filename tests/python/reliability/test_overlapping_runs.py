"""The hourly and the daily refresh started at the same moment, three times over.

Each refresh (a swap's build, an incremental refresh) is one transaction, so a view is always
its definition evaluated over one state of what it reads, and the incremental table
mv_daily_sales_estimates the same rows as a full recomputation. The daily mv_store_performance
reads it: when the two runs overlap it may read it before or after the hourly run refreshes it
(never a mix of old and new slices), and then catches up at its next refresh, as it would with
the runs one after the other.
"""

from __future__ import annotations

from tests.python.reliability.conftest import (
    DAILY,
    HOURLY,
    Mart,
    add_sales,
    differences_from_definition,
)

UPSTREAM = "analytics.mv_daily_sales_estimates"
BEFORE = "public.reliability_daily_sales_before"


def test_hourly_and_daily_builds_at_once_never_deadlock_and_leave_consistent_views(
    owner_mart: Mart,
) -> None:
    mart = owner_mart
    for _ in range(3):
        add_sales(mart)
        mart.sql(f"drop table if exists {BEFORE}")
        mart.sql(f"create table {BEFORE} as select * from {UPSTREAM}")
        first = mart.last_log_id()
        runs = [mart.popen(["build", "--select", *HOURLY], lane="a"),
                mart.popen(["build", "--select", *DAILY], lane="b")]
        outputs = [(run.wait(timeout=600), run.stdout.read() if run.stdout else "")
                   for run in runs]
        for code, output in outputs:
            assert code == 0, output[-4000:]
            assert "deadlock" not in output.lower(), output[-4000:]
            assert "ERROR=0" in output and "SKIP=0" in output, output[-4000:]
        logged = mart.log_since(first)
        # The incremental refresh of mv_daily_sales_estimates rebuilds nothing on it (the
        # weekly view is not touched); swapping mv_sku_velocity rebuilds
        # mv_product_intelligence, which then skips its own refresh in that run.
        assert {str(row[0]) for row in logged} == {*HOURLY, *DAILY}
        assert ("mv_daily_sales_estimates", "refresh_incremental") in {row[:2] for row in logged}
        assert all(row[2] == "success" for row in logged), logged

        for view in (*HOURLY, "mv_brand_market_share"):
            assert differences_from_definition(mart, view) == 0, view
        # The hourly run's new sales changed the upstream, so exactly one state matches.
        assert mart.scalar(f"select count(*) from (table {UPSTREAM} except all table {BEFORE})"
                           " as new_rows") != 0
        matches = [differences_from_definition(mart, "mv_store_performance", reading) == 0
                   for reading in ({}, {UPSTREAM: BEFORE})]
        assert any(matches), "mv_store_performance is one state of its upstream"
    mart.sql(f"drop table if exists {BEFORE}")
