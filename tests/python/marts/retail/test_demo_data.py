"""The simulated data set (`analytics demo-data`): scales, determinism, shapes, truth, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from orchestration.core import database, migrations
from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import LoadReport, end_instant, is_empty, parse_scale
from orchestration.demo_data.marts import load_mart
from orchestration.marts.retail.simulation import SIMULATOR, ScaleSpec, scale_spec

SEED = 7
# A fixed anchor near now: deterministic rows, and windows counted back from now() see data.
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
# Each table's rows in a stable order, hashed to compare whole loads.
HASHED_TABLES = {
    "retail_raw.dispensaries": "id",
    "retail_raw.store_products": "id",
    "retail_raw.inventory_snapshots": "id",
    "retail_raw.product_visibility_events": "id",
    "retail_truth.daily_product_truth": "dispensary_id, product_id, day",
    "retail_truth.stock_events": "dispensary_id, product_id, occurred_at",
}


def _rows(settings: ConnectionSettings, sql: str, params: object = None) -> list[tuple]:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _one(settings: ConnectionSettings, sql: str, params: object = None) -> tuple:
    rows = _rows(settings, sql, params)
    assert len(rows) == 1
    return rows[0]


def _load(settings: ConnectionSettings, seed: int) -> LoadReport:
    return load_mart(settings, "retail", "S", seed=seed, console=Console(quiet=True),
                     anchor=ANCHOR)


def spec(name: str) -> ScaleSpec:
    return scale_spec(parse_scale(name))


def table_hashes(settings: ConnectionSettings) -> dict[str, str]:
    """Each source table's rows hashed in a stable order (also the advance tests')."""
    return {
        table: _one(settings, f"select md5(string_agg(t::text, '|' order by {order}))"
                              f" from {table} as t")[0]
        for table, order in HASHED_TABLES.items()
    }


@pytest.fixture(scope="module")
def first_report(pg_settings: ConnectionSettings) -> LoadReport:
    """Load scale S, seed SEED, anchored at ANCHOR into the session's server."""
    migrations.migrate(pg_settings)
    return _load(pg_settings, SEED)


@pytest.fixture()
def loaded(pg_settings: ConnectionSettings, first_report: LoadReport
           ) -> ConnectionSettings:
    """The session's server holding scale S, seed SEED, anchored at ANCHOR."""
    return pg_settings


# Scales ---------------------------------------------------------------------------------------

def test_scales_by_name_in_any_case() -> None:
    assert spec("s") == spec("S")
    small, medium, large = (spec(name) for name in ("S", "m", "L"))
    assert (small.stores, small.products_per_store, small.days) == (20, 100, 60)
    assert (medium.stores, medium.products_per_store, medium.days) == (100, 500, 120)
    assert large.store_products == 4 * medium.store_products
    assert large.days == medium.days


def test_fractions_of_a_scale_have_fewer_stores() -> None:
    quarter, half = spec("M/4"), spec("m/2")
    assert (quarter.name, quarter.stores) == ("M/4", 25)
    assert (half.name, half.stores) == ("M/2", 50)
    assert half.products_per_store == spec("M").products_per_store


@pytest.mark.parametrize("name", ["XL", "", "M/0", "M/x", "S/", "/2"])
def test_unknown_scales_are_refused_with_the_valid_names(name: str) -> None:
    with pytest.raises(ValueError, match="S, M, L"):
        spec(name)


def test_a_date_anchor_ends_at_the_current_time_of_day() -> None:
    now = datetime(2030, 5, 6, 7, 8, 9, 123, tzinfo=UTC)
    assert end_instant(date(2030, 1, 2), now) == datetime(2030, 1, 2, 7, 8, 9,
                                                                     tzinfo=UTC)
    assert end_instant(None, now) == now.replace(microsecond=0)
    exact = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert end_instant(exact, now) == exact


# Schema ---------------------------------------------------------------------------------------

def test_schema_creation_is_idempotent(pg_settings: ConnectionSettings) -> None:
    migrations.migrate(pg_settings)
    assert migrations.migrate(pg_settings) == []
    # The DDL statements themselves can run again.
    migrations_dir = discover()["retail"].migrations_dir
    with connect(pg_settings) as conn, conn.cursor() as cur:
        for path in sorted(migrations_dir.glob("*.sql")):
            cur.execute(path.read_text())
            cur.execute(path.read_text())


# Determinism ----------------------------------------------------------------------------------

def test_same_seed_and_anchor_give_the_same_rows(loaded: ConnectionSettings) -> None:
    first = table_hashes(loaded)
    _load(loaded, SEED + 1)
    other = table_hashes(loaded)
    assert all(other[table] != first[table] for table in HASHED_TABLES)
    _load(loaded, SEED)
    assert table_hashes(loaded) == first


def test_report_counts_rows_and_time(
    loaded: ConnectionSettings, first_report: LoadReport
) -> None:
    report = first_report
    assert report.rows["retail_raw.inventory_snapshots"] > 100_000
    counts = dict(_rows(loaded, " union all ".join(
        f"select '{table}', count(*) from {table}" for table in report.rows)))
    assert report.rows == counts
    text = report.describe()
    assert "retail_raw.inventory_snapshots" in text
    assert f"{counts['retail_raw.inventory_snapshots']:,}" in text
    assert " s" in text and report.seconds > 0
    assert not is_empty(loaded, SIMULATOR)


# Shapes ---------------------------------------------------------------------------------------

def test_period_ends_at_the_anchor(loaded: ConnectionSettings) -> None:
    starts_at, ends_at = _one(loaded, "select starts_at, ends_at from retail_truth.simulation")
    assert ends_at == ANCHOR
    assert starts_at == datetime.combine(ANCHOR.date() - timedelta(days=60),
                                         datetime.min.time(), tzinfo=UTC)
    first, last = _one(loaded, "select min(captured_at), max(captured_at)"
                               " from retail_raw.inventory_snapshots")
    # Each store starts at its local midnight (4 to 8 hours after the UTC one in the US), and
    # is first visited within a crawl gap (at most about 6.6 hours).
    assert starts_at + timedelta(hours=4) < first < starts_at + timedelta(hours=15)
    assert ends_at - timedelta(hours=8) < last <= ends_at


def test_stores_states_and_stale_stores(loaded: ConnectionSettings) -> None:
    stores, disabled, states, cities = _one(loaded, """
        select count(*), count(*) filter (where not crawl_enabled), count(distinct state),
               count(distinct city)
        from retail_raw.dispensaries""")
    assert stores == 20
    assert disabled == 2  # a tenth
    assert states >= 3 and cities >= 5
    # Stores no longer crawled stopped days before the end; the others are fresh.
    stale, fresh = _one(loaded, """
        select bool_and(last < s.ends_at - interval '4 days') filter (where not d.crawl_enabled),
               bool_and(last > s.ends_at - interval '1 day') filter (where d.crawl_enabled)
        from retail_raw.dispensaries d
        join (select dispensary_id, max(captured_at) as last
              from retail_raw.inventory_snapshots group by 1) x on x.dispensary_id = d.id
        cross join retail_truth.simulation s""")
    assert stale and fresh
    # The crawler visits each store every 3 to 6 hours (jittered): with a hundred products,
    # nearly every visit leaves a snapshot, so the distinct capture times show the visits.
    shortest, median, longest = _one(loaded, """
        select min(gap), percentile_cont(0.5) within group (order by gap), max(gap)
        from (
            select extract(epoch from captured_at - lag(captured_at) over (
                       partition by dispensary_id order by captured_at)) / 3600 as gap
            from (select distinct dispensary_id, captured_at
                  from retail_raw.inventory_snapshots) v
        ) g""")
    assert shortest > 2.3 and 3 <= median <= 6 and longest < 24


def test_brands_are_skewed_and_every_category_is_there(loaded: ConnectionSettings) -> None:
    categories = {row[0] for row in _rows(
        loaded, "select distinct category from retail_raw.store_products")}
    assert categories == {"flower", "pre-roll", "vape", "edible", "concentrate", "tincture",
                          "topical"}
    shares = [row[0] for row in _rows(loaded, """
        select count(*) from retail_raw.store_products group by brand order by 1 desc""")]
    top_tenth = sum(shares[: max(1, len(shares) // 10)])
    assert top_tenth > 0.25 * sum(shares)  # Zipf-like: a few brands dominate
    assert shares[0] > 5 * shares[len(shares) // 2]
    raw_variants = _one(loaded, """
        select count(distinct category_raw), count(*) filter (where brand_name_raw <> brand)
        from retail_raw.store_products""")
    assert raw_variants[0] > 7 and raw_variants[1] > 0
    # Each category has its own price range.
    prices = dict(_rows(loaded, """
        select category, avg(price_rec) from retail_raw.store_products group by 1"""))
    assert prices["pre-roll"] < prices["flower"] < prices["concentrate"]


def test_every_velocity_tier_and_products_that_never_sell(loaded: ConnectionSettings) -> None:
    tiers = dict(_rows(loaded, """
        with velocity as (
            select t.dispensary_id, t.product_id, sum(t.units_sold) / 30.0 as daily
            from retail_truth.daily_product_truth t
            cross join retail_truth.simulation s
            where t.day > (s.ends_at at time zone 'UTC')::date - 30
            group by 1, 2
        )
        select case when daily >= 5 then 'hot' when daily >= 1 then 'steady'
                    when daily >= 0.1 then 'slow' when daily > 0 then 'stale' else 'none' end,
               count(*)
        from velocity group by 1"""))
    assert set(tiers) == {"hot", "steady", "slow", "stale", "none"}
    assert all(count >= 20 for count in tiers.values()), tiers
    never_sold = _one(loaded, """
        select count(*) from (select dispensary_id, product_id
                              from retail_truth.daily_product_truth
                              group by 1, 2 having sum(units_sold) = 0) x""")[0]
    assert never_sold > 20


def test_stock_outs_restocks_and_price_changes(loaded: ConnectionSettings) -> None:
    events = dict(_rows(loaded, """
        select event_type, count(*) from retail_raw.product_visibility_events group by 1"""))
    assert set(events) == {"oos", "back_in_stock", "added", "removed"}
    assert events["oos"] > 500 and events["back_in_stock"] > 500
    restocks, restocked_days = _one(loaded, """
        select (select count(*) from retail_truth.stock_events where event_type = 'restock'),
               (select count(*) from retail_truth.daily_product_truth where units_restocked > 0)""")
    assert restocks > 1000 and restocked_days > 1000
    repriced = _one(loaded, """
        select count(*) from (select dispensary_id, product_id
                              from retail_raw.inventory_snapshots
                              group by 1, 2 having count(distinct price_rec) > 1) x""")[0]
    assert repriced > 200
    zero_rows = _one(loaded, """
        select count(*) from retail_raw.inventory_snapshots where quantity_available = 0""")[0]
    assert zero_rows > 500


def test_menu_rows_without_id_or_history(loaded: ConnectionSettings) -> None:
    no_id, never_snapshotted = _one(loaded, """
        select count(*) filter (where provider_product_id is null),
               count(*) filter (where provider_product_id is not null and not exists (
                   select 1 from retail_raw.inventory_snapshots s
                   where s.dispensary_id = p.dispensary_id
                     and s.product_id = p.provider_product_id))
        from retail_raw.store_products p""")
    assert 0 < no_id < 50
    assert 0 < never_snapshotted < 100


def test_a_few_null_quantities(loaded: ConnectionSettings) -> None:
    nulls, total = _one(loaded, """
        select count(*) filter (where quantity_available is null), count(*)
        from retail_raw.inventory_snapshots""")
    assert 0 < nulls < 0.02 * total


def test_snapshots_are_delta_only(loaded: ConnectionSettings) -> None:
    repeats = _one(loaded, """
        select count(*) from (
            select quantity_available, price_rec,
                   lag(quantity_available) over w as previous_quantity,
                   lag(price_rec) over w as previous_price,
                   row_number() over w as n
            from retail_raw.inventory_snapshots
            window w as (partition by dispensary_id, product_id order by captured_at, id)
        ) s
        where n > 1 and quantity_available is not distinct from previous_quantity
          and price_rec = previous_price""")[0]
    assert repeats == 0


def test_menu_rows_hold_the_last_crawled_state(loaded: ConnectionSettings) -> None:
    mismatches, compared = _one(loaded, """
        with last as (
            select distinct on (dispensary_id, product_id)
                   dispensary_id, product_id, quantity_available, price_rec
            from retail_raw.inventory_snapshots
            order by dispensary_id, product_id, captured_at desc, id desc
        )
        select count(*) filter (where l.quantity_available is distinct from p.stock_quantity
                                   or l.price_rec <> p.price_rec
                                   or p.is_in_stock <> (p.stock_status <> 'out_of_stock')
                                   or p.last_seen_at < p.first_seen_at),
               count(*)
        from retail_raw.store_products p
        join last l on l.dispensary_id = p.dispensary_id and l.product_id = p.provider_product_id""")
    assert mismatches == 0 and compared > 1900


# Truth ----------------------------------------------------------------------------------------

def test_truth_explains_every_change_without_a_restock(loaded: ConnectionSettings) -> None:
    """Between two consecutive snapshots with no restock in between, the quantity fell by
    exactly the units sold; with a restock in between the crawler saw only the net change."""
    pairs, exact, wrong, blind = _one(loaded, """
        with snapshots as (
            select dispensary_id, product_id, captured_at, quantity_available,
                   lag(captured_at) over w as previous_at,
                   lag(quantity_available) over w as previous_quantity
            from retail_raw.inventory_snapshots
            where quantity_available is not null
            window w as (partition by dispensary_id, product_id order by captured_at, id)
        ),
        pairs as (
            select s.*, coalesce(t.sold, 0) as sold, coalesce(t.restocks, 0) as restocks
            from snapshots s
            left join lateral (
                select sum(units) filter (where event_type = 'sale') as sold,
                       count(*) filter (where event_type = 'restock') as restocks
                from retail_truth.stock_events e
                where e.dispensary_id = s.dispensary_id and e.product_id = s.product_id
                  and e.occurred_at > s.previous_at and e.occurred_at < s.captured_at
            ) t on true
            where s.previous_at is not null
        )
        select count(*),
               count(*) filter (where restocks = 0),
               count(*) filter (where restocks = 0
                                  and previous_quantity - quantity_available <> sold),
               count(*) filter (where restocks > 0 and sold > 0)
        from pairs""")
    assert wrong == 0
    assert exact > 0.8 * pairs
    assert blind > 100  # restocks and sales between two crawls: the estimator's blind spot


def test_daily_truth_covers_the_crawled_sales(loaded: ConnectionSettings) -> None:
    products, short, days_missing = _one(loaded, """
        with events as (
            select dispensary_id, product_id, sum(units) as sold
            from retail_truth.stock_events where event_type = 'sale' group by 1, 2
        ),
        daily as (
            select dispensary_id, product_id, sum(units_sold) as sold, count(*) as days,
                   max(day) - min(day) + 1 as span
            from retail_truth.daily_product_truth group by 1, 2
        )
        select count(*), count(*) filter (where d.sold < e.sold),
               count(*) filter (where d.days <> d.span)
        from daily d join events e using (dispensary_id, product_id)""")
    assert products > 1500
    assert short == 0 and days_missing == 0


# The command line on another server -----------------------------------------------------------

@pytest.fixture()
def second_server(tmp_path: Path) -> Iterator[ConnectionSettings]:
    pgdata = tmp_path / "second" / "data"
    settings = database.start_embedded(pgdata)
    try:
        yield settings
    finally:
        database.stop_embedded(pgdata)


def test_cli_loads_an_external_database(
    loaded: ConnectionSettings, second_server: ConnectionSettings, tmp_path: Path
) -> None:
    migrations.migrate(second_server)
    assert is_empty(second_server, SIMULATOR)
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    env["ANALYTICS_DATABASE_URL"] = second_server.masked_url()
    env["ANALYTICS_PGDATA"] = str(tmp_path / "must-not-be-used")
    analytics = Path(sys.executable).with_name("analytics")
    result = subprocess.run(
        [str(analytics), "demo-data", "--scale", "S", "--seed", "99"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "retail_raw.inventory_snapshots" in result.stdout
    assert not is_empty(second_server, SIMULATOR)
    assert _one(second_server, "select seed, scale from retail_truth.simulation") == (99, "S")
    assert _one(second_server, "select count(*) from retail_raw.dispensaries")[0] == 20
    # The session's own server kept its rows.
    assert _one(loaded, "select seed from retail_truth.simulation")[0] == SEED
    assert not (tmp_path / "must-not-be-used").exists()
