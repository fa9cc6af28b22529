"""A refresh, swap, incremental refresh or rebuild killed half-way (dbt SIGKILLed, or its
backend terminated).

A transaction of the test holding a lock makes the statement block at a known point, inside
the materialization's transaction, so the kill always lands in the middle of the work: the
concurrent refresh of mv_brand_market_share waits for `retail_raw.store_products` (locked
exclusively); the swap of mv_sku_velocity (mv_product_intelligence downstream) waits, in its
second transaction, for a reader of the view; the incremental refresh of the table
mv_daily_sales_estimates waits, after consuming its invalidation log and computing the new
slices, to delete the old ones (the table is locked in SHARE mode, which readers pass); the
rebuild (`--full-refresh`) of mv_sku_velocity waits for mv_daily_sales_estimates while building
`mv_sku_velocity__mv_new`, after it has captured its dependant mv_product_intelligence (whose
definition reads the sources, so locking a source would stop the rebuild earlier, while it
reads its dependants' definitions).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.python.reliability.conftest import (
    Mart,
    add_sales,
    differences_from_full_recomputation,
    kill_process,
    wait_for_backend,
    wait_for_backend_exit,
)


@dataclass(frozen=True)
class Case:
    model: str
    extra: list[str]
    lock_sql: str  # run by the test in an open transaction, so the work waits for it
    statement: str  # text of the statement the kill interrupts (in its first 1024 characters)
    next_action: str  # what the next plain build does
    committed_leftovers: int = 0  # views (with indexes) a kill there leaves for the next run
    blocked: str | None = None  # the view the test's lock keeps from its readers
    new_sales: bool = False  # snapshots added first, so the run has log entries to consume


# A materialized view cannot be LOCKed: a plain REFRESH (rolled back) takes the same lock.
CASES = {
    "refresh_concurrently": Case(
        "mv_brand_market_share", [], "lock table retail_raw.store_products in access exclusive mode",
        "refresh materialized view concurrently", "refresh_concurrently"),
    # Killed in its second transaction, swapping, after the build was committed: the new
    # view and the copy of its dependant stay until the next run drops them.
    "refresh_swap": Case(
        "mv_sku_velocity", [], "select count(*) from analytics.mv_sku_velocity",
        "set_config('lock_timeout'", "refresh_swap", committed_leftovers=2),
    # Killed after consuming its log entries and computing the slices' rows, before deleting
    # the old ones: the rollback puts the entries back for the next run.
    "refresh_incremental": Case(
        "mv_daily_sales_estimates", [], "lock table analytics.mv_daily_sales_estimates in share mode",
        "set action = 'refresh_incremental'", "refresh_incremental", new_sales=True),
    "rebuild": Case(
        "mv_sku_velocity", ["--full-refresh"],
        "lock table analytics.mv_daily_sales_estimates in access exclusive mode",
        "create materialized view", "refresh_swap", blocked="mv_daily_sales_estimates"),
}


@pytest.mark.parametrize("action", list(CASES))
@pytest.mark.parametrize("how", ["sigkill_dbt", "terminate_backend"])
def test_a_killed_run_keeps_every_view_and_the_next_build_is_green(
    owner_mart: Mart, action: str, how: str
) -> None:
    mart = owner_mart
    before = mart.fingerprints()
    first_log_id = mart.last_log_id()
    case = CASES[action]
    model = case.model
    args = ["run", "--select", model, *case.extra]
    if case.new_sales:
        add_sales(mart)
    entries = pending_entries(mart, model)

    locker = mart.connect()
    locker.autocommit = False
    try:
        with locker.cursor() as cur:
            cur.execute(case.lock_sql)
        run = mart.popen(args)
        try:
            pid = wait_for_backend(mart, case.statement, waiting_on_lock=True)
        except AssertionError:
            kill_process(run)
            raise
        # Readers are served while the work waits (but for a relation the test locked).
        readable = [v for v in before if v != case.blocked]
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
    assert pending_entries(mart, model) == entries, "the log entries are consumed only on commit"
    assert not case.new_sales or entries, "the new sales were logged"
    views_left = [name for name in mart.leftovers() if name.endswith("__mv_new")]
    assert len(views_left) == case.committed_leftovers, mart.leftovers()
    # The run's log row was committed before the work, and a swap's build with it.
    started = "refresh_swap" if case.committed_leftovers else None
    assert [row[:3] for row in mart.log_since(first_log_id)] == [(model, started, "running")]

    build = mart.dbt(["build", "--select", model])
    assert "ERROR=0" in build.stdout and "SKIP=0" in build.stdout, build.stdout[-3000:]
    assert mart.leftovers() == []
    rows = [row[:3] for row in mart.log_since(first_log_id) if row[0] == model]
    assert rows == [(model, started, "interrupted"), (model, case.next_action, "success")]
    if case.new_sales:
        # The next run recomputed the slices the killed one had consumed.
        assert pending_entries(mart, model) == 0
        assert differences_from_full_recomputation(mart, model) == (0, 0, 0)
        assert mart.fingerprints([model]) != {model: before[model]}


def pending_entries(mart: Mart, model: str) -> int:
    """Invalidation log entries of an incremental table not consumed yet (0 for a view)."""
    return int(mart.scalar(  # type: ignore[call-overload]
        "select count(*) from analytics_meta.mv_invalidations where relation = %s",
        (f"analytics.{model}",)))
