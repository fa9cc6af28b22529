"""The incremental daily sales table equals a full recomputation, whatever the crawler writes.

Randomized: rounds of new, late, future-dated, NULL-quantity, same-instant, updated and deleted
snapshots, with the refresh clock pinned (setting `analytics.as_of`, see
macros/time/refresh_time.sql) and stepped across midnight. After each round the model runs
incrementally and its rows are compared (count and checksum) with the model's SQL computed in
full at the same clock, and with the proof of sameness (`mv_incremental_differences`); at the
end a `--full-refresh` build through dbt must give the same checksum.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.marts import load_mart
from tests.python.databases import query
from tests.python.dbt_runs import run_dbt_captured
from tests.python.marts.built_marts import own_database

MODEL = "mv_daily_sales_estimates"
TABLE = f"analytics.{MODEL}"
SELECTOR = f"+{MODEL}"
ROUNDS = 5
ROUND_HOURS = 4
SEED = 17


@dataclass(frozen=True)
class Sandbox:
    settings: ConnectionSettings
    target_path: Path


@pytest.fixture(scope="module")
def sandbox(pg_settings: ConnectionSettings,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """Two simulated stores (S/10) in a database of their own, the mart's seeds loaded."""
    with own_database(pg_settings, "analytics_retail_incremental") as settings:
        load_mart(settings, "retail", "S/10", seed=SEED)
        box = Sandbox(settings, tmp_path_factory.mktemp("retail_incremental_dbt"))
        seeded = run_dbt_captured(settings, ["seed", "--select", "group:retail"], box.target_path)
        assert seeded.returncode == 0, seeded.stdout[-6000:]
        yield box


def run_model(box: Sandbox, clock: datetime, *extra: str) -> str:
    """`dbt run` of the model with the refresh clock pinned; the action it logged."""
    result = run_dbt_captured(
        box.settings, ["run", "--select", SELECTOR, *extra], box.target_path,
        extra_env={"PGOPTIONS": f"-c analytics.as_of={clock.isoformat()}"})
    assert result.returncode == 0, result.stdout[-6000:]
    return str(query(box.settings, "select action from analytics_meta.refresh_log"
                     " where model = %s order by id desc limit 1", (MODEL,))[0][0])


def table_digest(box: Sandbox) -> tuple[int, int]:
    count, checksum = query(box.settings, f"select count(*), coalesce(sum(hashtextextended("
                            f"t::text, 0)), 0) from {TABLE} t")[0]
    return int(count), int(checksum)


def full_digest(box: Sandbox, clock: datetime) -> tuple[int, int]:
    """The model's SQL computed in full (no slices) at `clock`, as count and checksum."""
    with connect(box.settings) as conn, conn.cursor() as cur:
        cur.execute("select model_sql from analytics_meta.mv_state where model = %s", (MODEL,))
        model_sql = cur.fetchone()[0]
        cur.execute("select set_config('analytics.as_of', %s, true)", (clock.isoformat(),))
        cur.execute(f"create temp table full_rows as {model_sql}")
        cur.execute("select count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)"
                    " from full_rows t")
        count, checksum = cur.fetchone()
        conn.rollback()
    return int(count), int(checksum)


def write_round(box: Sandbox, rng: random.Random, clock: datetime) -> None:
    """One round of what a crawler (and its operators) may write, in a few statements."""
    with connect(box.settings) as conn, conn.cursor() as cur:
        cur.execute("select dispensary_id, product_id, max(captured_at),"
                    " (array_agg(quantity_available order by captured_at desc))[1]"
                    " from retail_raw.inventory_snapshots group by 1, 2 order by 1, 2")
        products = cur.fetchall()
        cur.execute("select coalesce(max(id), 0) from retail_raw.inventory_snapshots")
        next_id = int(cur.fetchone()[0]) + 1
        rows = []
        for store, product, _, quantity in rng.sample(products, min(40, len(products))):
            shelf = quantity if quantity is not None else 20
            kind = rng.choice(["new", "new", "late", "future", "null", "same_instant"])
            at = {
                "new": clock - timedelta(minutes=rng.randint(1, ROUND_HOURS * 60)),
                "late": clock - timedelta(days=7, minutes=rng.randint(0, 600)),
                "future": clock + timedelta(minutes=rng.randint(10, 180)),
                "null": clock - timedelta(minutes=rng.randint(1, 120)),
                "same_instant": clock - timedelta(minutes=rng.randint(1, 120)),
            }[kind]
            shown = None if kind == "null" else max(0, shelf - rng.randint(-5, 4))
            copies = 2 if kind == "same_instant" else 1
            for _ in range(copies):
                rows.append((next_id, store, product, "Brand", "flower", at, 9.99, shown))
                next_id += 1
                shown = None if shown is None else max(0, shown - rng.randint(0, 2))
        cur.executemany(
            "insert into retail_raw.inventory_snapshots (id, dispensary_id, product_id,"
            " brand_name, category, captured_at, price_rec, quantity_available)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        # Operators fix and drop rows of the past weeks: quantities, times, whole rows.
        cur.execute("update retail_raw.inventory_snapshots set quantity_available ="
                    " quantity_available + 1 where id in (select id from"
                    " retail_raw.inventory_snapshots where captured_at > %s"
                    " order by hashint8(id + %s) limit 15)",
                    (clock - timedelta(days=20), rng.randint(0, 10**6)))
        cur.execute("update retail_raw.inventory_snapshots set captured_at = captured_at"
                    " - interval '26 hours' where id in (select id from"
                    " retail_raw.inventory_snapshots where captured_at > %s"
                    " order by hashint8(id + %s) limit 5)",
                    (clock - timedelta(days=10), rng.randint(0, 10**6)))
        cur.execute("delete from retail_raw.inventory_snapshots where id in (select id from"
                    " retail_raw.inventory_snapshots where captured_at > %s"
                    " order by hashint8(id + %s) limit 10)",
                    (clock - timedelta(days=30), rng.randint(0, 10**6)))
        conn.commit()


def test_incremental_rows_equal_a_full_recomputation_round_after_round(
    sandbox: Sandbox,
) -> None:
    rng = random.Random(SEED)
    latest = query(sandbox.settings,
                   "select max(captured_at) from retail_raw.inventory_snapshots")[0][0]
    # Start a few hours before a midnight, so the rounds cross it (the days kept move on).
    clock = (latest + timedelta(days=1)).replace(hour=22, minute=0, second=0, microsecond=0)
    assert run_model(sandbox, clock) == "create"
    midnight_crossed = False
    for round_number in range(ROUNDS):
        previous_day = clock.date()
        clock += timedelta(hours=ROUND_HOURS)
        midnight_crossed |= clock.date() != previous_day
        write_round(sandbox, rng, clock)
        assert run_model(sandbox, clock) == "refresh_incremental", f"round {round_number}"
        assert table_digest(sandbox) == full_digest(sandbox, clock), f"round {round_number}"
        missing, extra, _ = query(sandbox.settings, "select * from analytics_meta"
                                  f".mv_incremental_differences('{TABLE}')")[0]
        assert (missing, extra) == (0, 0), f"round {round_number}"
    assert midnight_crossed
    slices = query(sandbox.settings, "select sum(slices) from analytics_meta.refresh_log"
                   " where model = %s and action = 'refresh_incremental'", (MODEL,))[0][0]
    assert slices > 0
    incremental = table_digest(sandbox)
    assert run_model(sandbox, clock, "--full-refresh") == "rebuild"
    assert table_digest(sandbox) == incremental
