"""A refresh or rebuild killed half-way (dbt SIGKILLed, or its backend terminated).

A transaction holding `ACCESS EXCLUSIVE` on a relation the view reads makes the statement block
at a known point, inside the materialization's transaction, so the kill always lands in the
middle of the work: the concurrent refresh of mv_daily_sales_estimates (four views downstream)
waits for `retail_raw.inventory_snapshots`; the rebuild (`--full-refresh`) of mv_sku_velocity
waits for mv_daily_sales_estimates while building `mv_sku_velocity__mv_new`, after it has
captured its dependant mv_product_intelligence (whose definition reads the sources, so locking
a source would stop the rebuild earlier, while it reads its dependants' definitions).
"""

from __future__ import annotations

import pytest

from tests.python.reliability.conftest import (
    Mart,
    kill_process,
    wait_for_backend,
    wait_for_backend_exit,
)

# action: (model, extra dbt arguments, relation locked, statement the kill interrupts). A
# materialized view cannot be LOCKed: a plain REFRESH (rolled back) takes the same lock.
CASES = {
    "refresh_concurrently": ("mv_daily_sales_estimates", [], "retail_raw.inventory_snapshots",
                             "refresh materialized view concurrently"),
    "rebuild": ("mv_sku_velocity", ["--full-refresh"], "analytics.mv_daily_sales_estimates",
                "create materialized view"),
}


@pytest.mark.parametrize("action", ["refresh_concurrently", "rebuild"])
@pytest.mark.parametrize("how", ["sigkill_dbt", "terminate_backend"])
def test_a_killed_run_keeps_every_view_and_the_next_build_is_green(
    owner_mart: Mart, action: str, how: str
) -> None:
    mart = owner_mart
    before = mart.fingerprints()
    first_log_id = mart.last_log_id()
    model, extra, locked, statement = CASES[action]
    args = ["run", "--select", model, *extra]

    locker = mart.connect()
    locker.autocommit = False
    try:
        with locker.cursor() as cur:
            cur.execute(f"lock table {locked} in access exclusive mode" if "raw" in locked
                        else f"refresh materialized view {locked}")
        run = mart.popen(args)
        pid = wait_for_backend(mart, statement, waiting_on_lock=True)
        # Readers are served while the work waits (but for the relation locked by the test).
        readable = [v for v in before if f"analytics.{v}" != locked]
        assert mart.fingerprints(readable) == {v: before[v] for v in readable}
        if how == "terminate_backend":
            mart.sql("select pg_terminate_backend(%s)", (pid,))
            output = run.communicate(timeout=120)[0]
            assert run.returncode != 0, output
        else:
            kill_process(run)
    finally:
        locker.rollback()
        locker.close()
    # A backend whose client died finishes its statement, then finds the socket closed and
    # rolls the transaction back by itself.
    wait_for_backend_exit(mart, pid)

    assert mart.fingerprints() == before, "every view answers with its previous rows"
    assert mart.leftovers() == []
    # The run's log row was committed before the work and nothing after it was.
    assert [row[:3] for row in mart.log_since(first_log_id)] == [(model, None, "running")]

    build = mart.dbt(["build", "--select", model])
    assert "ERROR=0" in build.stdout and "SKIP=0" in build.stdout, build.stdout[-3000:]
    assert mart.leftovers() == []
    rows = [row[:3] for row in mart.log_since(first_log_id) if row[0] == model]
    assert rows == [(model, None, "interrupted"), (model, "refresh_concurrently", "success")]
