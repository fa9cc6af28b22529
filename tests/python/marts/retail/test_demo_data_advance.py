"""`analytics demo-data --advance`: the retail simulation continued after its end, and its truth
counted in each store's local days (scale S, a fixed winter anchor, a database of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from rich.console import Console

from orchestration.core import migrations
from orchestration.core.database import connect
from orchestration.core.marts import select
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import AdvanceError, LoadReport, parse_duration
from orchestration.demo_data.marts import advance_mart, advance_marts, load_mart
from tests.python.databases import create_database, drop_database, query
from tests.python.marts.retail.test_demo_data import table_hashes

DATABASE = "analytics_retail_advance_tests"
SEED = 2
# Winter (no daylight saving time): 07:30 UTC is 00:30 in Phoenix (UTC-7) and 23:30 the day
# before in Los Angeles (UTC-8). Fixed, so that every run sees the same rows.
ANCHOR = datetime(2026, 1, 20, 7, 30, tzinfo=UTC)
# The appended tables: no row of theirs changes once written.
APPEND_ONLY = (
    "retail_raw.inventory_snapshots",
    "retail_raw.product_visibility_events",
    "retail_truth.stock_events",
)


def _load(settings: ConnectionSettings, anchor: datetime) -> LoadReport:
    return load_mart(settings, "retail", "S", seed=SEED, console=Console(quiet=True),
                     anchor=anchor)


@pytest.fixture(scope="module")
def advance_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    settings = create_database(pg_settings, DATABASE)
    try:
        migrations.migrate(settings)
        yield settings
    finally:
        drop_database(pg_settings, DATABASE)


@pytest.fixture(scope="module")
def loaded_to_anchor_plus_2h(advance_settings: ConnectionSettings) -> dict[str, str]:
    """The hashes of a full load to ANCHOR + 2 h (the database then holds a load to ANCHOR)."""
    _load(advance_settings, ANCHOR + timedelta(hours=2))
    hashes = table_hashes(advance_settings)
    _load(advance_settings, ANCHOR)
    return hashes


def test_durations() -> None:
    assert parse_duration("1h") == timedelta(hours=1)
    assert parse_duration(" 30m ") == timedelta(minutes=30)
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("NOW") is None  # up to the current time
    for text in ("", "1", "h", "0h", "1y", "-1h", "1h x"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(text)


def test_a_mart_that_cannot_advance_says_so(advance_settings: ConnectionSettings) -> None:
    with pytest.raises(AdvanceError, match="commerce"):
        advance_marts(advance_settings, select(["commerce"]), timedelta(hours=1),
                      Console(quiet=True))


def test_advancing_appends_what_a_longer_load_holds(
    advance_settings: ConnectionSettings, loaded_to_anchor_plus_2h: dict[str, str]
) -> None:
    settings = advance_settings
    with connect(settings) as conn, conn.cursor() as cur:
        for table in APPEND_ONLY:
            cur.execute(f"create table public.before_{table.replace('.', '_')} as"
                        f" select * from {table}")
        # A writer's trigger sees the advance's inserts (statement level, transition table).
        cur.execute("""
            create table public.snapshot_inserts (rows bigint, first timestamptz);
            create function public.log_snapshot_inserts() returns trigger language plpgsql as $$
            begin
                insert into public.snapshot_inserts
                select count(*), min(captured_at) from new_rows;
                return null;
            end $$;
            create trigger log_snapshot_inserts after insert on retail_raw.inventory_snapshots
                referencing new table as new_rows
                for each statement execute function public.log_snapshot_inserts();""")
    try:
        first = advance_mart(settings, "retail", "1h")
        assert (first.advanced_from, first.ends_at) == (ANCHOR, ANCHOR + timedelta(hours=1))
        new = query(settings, """
            select count(*), count(*) filter (where captured_at < %s), min(captured_at),
                   max(captured_at)
            from retail_raw.inventory_snapshots s
            where not exists (select 1 from public.before_retail_raw_inventory_snapshots b
                              where b.id = s.id)""", (ANCHOR,))[0]
        count, late, _, last = new
        assert count > 10
        assert count == first.rows["retail_raw.inventory_snapshots"]
        assert last < ANCHOR + timedelta(hours=1)
        # Every new row is captured in the new hour, or late: captured before, published now.
        assert query(settings, """
            select count(*) from retail_raw.inventory_snapshots s
            where not exists (select 1 from public.before_retail_raw_inventory_snapshots b
                              where b.id = s.id)
              and captured_at < %s - interval '7 hours'""", (ANCHOR,))[0][0] == 0
        assert query(settings, "select sum(rows) from public.snapshot_inserts")[0][0] == count
        # Nothing written before changed.
        for table in APPEND_ONLY:
            assert query(settings, f"select count(*) from (select * from public.before_"
                                   f"{table.replace('.', '_')} except all select * from {table})"
                                   " as gone")[0][0] == 0, table
        assert query(settings, "select ends_at from retail_truth.simulation")[0][0] \
            == ANCHOR + timedelta(hours=1)

        # The second advance continues from the first one's end.
        second_start = query(settings, "select count(*) from retail_raw.inventory_snapshots"
                                       " where captured_at < %s",
                             (ANCHOR + timedelta(hours=1),))[0][0]
        second = advance_mart(settings, "retail", "1h")
        assert second.advanced_from == ANCHOR + timedelta(hours=1)
        # Late crawls: rows captured before an advance's start arrive with it (the visits
        # still in flight at ANCHOR and ANCHOR + 1 h with this seed).
        late += query(settings, "select count(*) from retail_raw.inventory_snapshots"
                                " where captured_at < %s",
                      (ANCHOR + timedelta(hours=1),))[0][0] - second_start
        print(f"late snapshots: {late}")
        assert late > 0
        assert query(settings, "select ends_at from public.analytics_demo_loads"
                               " where mart = 'retail'")[0][0] == ANCHOR + timedelta(hours=2)
        # ... and the data set is exactly a load to ANCHOR + 2 h: rows do not depend on the end.
        assert table_hashes(settings) == loaded_to_anchor_plus_2h
    finally:
        with connect(settings) as conn, conn.cursor() as cur:
            cur.execute("drop trigger log_snapshot_inserts on retail_raw.inventory_snapshots;"
                        " drop function public.log_snapshot_inserts() cascade;"
                        " drop table public.snapshot_inserts;")
            for table in APPEND_ONLY:
                cur.execute(f"drop table public.before_{table.replace('.', '_')}")


def _last_local_days(settings: ConnectionSettings) -> dict[str, date]:
    """The truth's last day per state, for the Arizona and California stores."""
    return dict(query(settings, """
        select d.state, max(t.day)
        from retail_truth.daily_product_truth t
        join retail_raw.dispensaries d on d.id = t.dispensary_id
        where d.state in ('AZ', 'CA')
        group by 1"""))


def test_truth_counts_local_days(advance_settings: ConnectionSettings) -> None:
    """At 07:30 UTC it is already the anchor's day in Phoenix, not yet in Los Angeles: each
    store's truth ends on its own local day, and starts at its own local midnight."""
    _load(advance_settings, ANCHOR)
    last_days = _last_local_days(advance_settings)
    assert last_days == {"AZ": ANCHOR.date(), "CA": ANCHOR.date() - timedelta(days=1)}
    # An hour later (00:30 in Los Angeles) a new local day has begun there too.
    advance_mart(advance_settings, "retail", "1h")
    last_days = _last_local_days(advance_settings)
    assert last_days == {"AZ": ANCHOR.date(), "CA": ANCHOR.date()}
    first_days = {row[0] for row in query(
        advance_settings, "select min(day) from retail_truth.daily_product_truth")}
    assert first_days == {date(2025, 11, 21)}  # the anchor's date - 60 days, local everywhere
