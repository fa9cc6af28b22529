"""The search-performance mart's simulated data set: scales, report weeks, market totals and
the funnel, the brand catalogue's defects, corrections, determinism, and a load that leaves
the rest of schema public alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from orchestration.core import migrations
from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import is_empty, parse_scale
from orchestration.marts.search_performance.simulation import (
    MAX_QUERIES,
    MIN_QUERIES,
    SIMULATOR,
    ScaleSpec,
    last_report_end,
    scale_spec,
)
from tests.python.marts.built_marts import own_database
from tests.python.marts.search_performance.conftest import (
    ANCHOR,
    MART,
    LoadedSources,
    load,
    one,
    query,
)

RELOAD_DATABASE = "analytics_search_performance_reload_tests"
TABLES = ("public.asin_brand_mapping", "public.brands", "sqp.asin_performance_data",
          "sqp.search_query_performance")
COUNTS = ("impression", "click", "cart_add", "purchase")
# Sums that differ from seed to seed, to compare whole loads.
FINGERPRINT = """
    select (select sum(asin_impression_count) + sum(total_click_count)
                   + sum(asin_purchase_count) + count(*)
            from sqp.search_query_performance),
           (select sum(asin_median_purchase_price) from sqp.search_query_performance),
           (select md5(string_agg(t::text, '|' order by id)) from sqp.asin_performance_data t),
           (select md5(string_agg(t::text, '|' order by id)) from public.asin_brand_mapping t),
           (select md5(string_agg(t::text, '|' order by id)) from public.brands t)
"""


def spec(name: str) -> ScaleSpec:
    return scale_spec(parse_scale(name))


@pytest.fixture()
def loaded(search_performance_sources: LoadedSources) -> ConnectionSettings:
    return search_performance_sources.settings


# Scales ---------------------------------------------------------------------------------------

def test_scales_and_fractions() -> None:
    small, medium, large = spec("s"), spec("M"), spec("L")
    assert (small.asins, small.weeks) == (150, 26)
    assert (medium.asins, medium.weeks) == (3000, 52)
    assert large.asins == 4 * medium.asins and large.weeks == medium.weeks
    quarter = spec("M/4")
    assert (quarter.name, quarter.asins, quarter.weeks) == ("M/4", 750, 52)


@pytest.mark.parametrize(("anchor", "saturday"), [
    (datetime(2026, 12, 1, 19, tzinfo=UTC), date(2026, 11, 28)),   # a Tuesday
    (datetime(2026, 11, 29, 0, 30, tzinfo=UTC), date(2026, 11, 28)),  # the Sunday after
    (datetime(2026, 11, 28, 23, tzinfo=UTC), date(2026, 11, 21)),  # a Saturday: not yet full
])
def test_the_last_report_week_is_the_last_full_one(anchor: datetime, saturday: date) -> None:
    assert last_report_end(anchor) == saturday


# The load -------------------------------------------------------------------------------------

def test_report_counts_only_the_marts_tables(search_performance_sources: LoadedSources) -> None:
    settings, report = search_performance_sources.settings, search_performance_sources.load
    assert tuple(sorted(report.rows)) == TABLES
    counts = dict(query(settings, " union all ".join(
        f"select '{table}', count(*) from {table}" for table in TABLES)))
    assert report.rows == counts
    assert 50_000 <= counts["sqp.search_query_performance"] <= 80_000
    assert report.seconds < 10
    assert not is_empty(settings, SIMULATOR)


def test_migrations_are_idempotent_and_grant_select_and_trigger(
    loaded: ConnectionSettings,
) -> None:
    assert migrations.migrate(loaded) == []
    with connect(loaded) as conn, conn.cursor() as cur:
        for path in sorted(discover()[MART].migrations_dir.glob("*.sql")):
            cur.execute(path.read_text())
        conn.rollback()
    for table in TABLES:
        for privilege in ("select", "trigger"):
            assert one(loaded, "select has_table_privilege('analytics_owner', %s, %s)",
                       (table, privilege))[0], (table, privilege)
    assert one(loaded, "select has_schema_privilege('public', 'sqp', 'usage')")[0] is False


def test_identities_continue_after_the_loaded_ids(loaded: ConnectionSettings) -> None:
    with connect(loaded) as conn, conn.cursor() as cur:
        cur.execute("insert into sqp.asin_performance_data (asin, start_date, end_date)"
                    " values ('B0TESTTEST', '2000-01-02', '2000-01-08') returning id")
        report_id = cur.fetchone()[0]
        cur.execute("insert into sqp.search_query_performance (asin_performance_id, search_query)"
                    " values (%s, 'x') returning id", (report_id,))
        row_id = cur.fetchone()[0]
        cur.execute("insert into public.asin_brand_mapping (asin, brand_id)"
                    " select 'B0TESTTEST', id from public.brands limit 1 returning id")
        mapping_id = cur.fetchone()[0]
        cur.execute("select (select max(id) from sqp.asin_performance_data where id <> %s),"
                    " (select max(id) from sqp.search_query_performance where id <> %s),"
                    " (select max(id) from public.asin_brand_mapping where id <> %s)",
                    (report_id, row_id, mapping_id))
        before = cur.fetchone()
        conn.rollback()
    assert (report_id, row_id, mapping_id) == tuple(value + 1 for value in before)


# Reports --------------------------------------------------------------------------------------

def test_reports_are_sunday_to_saturday_weeks(loaded: ConnectionSettings) -> None:
    starts, ends, weeks, first, last = one(loaded, """
        select count(*) filter (where extract(isodow from start_date) <> 7),
               count(*) filter (where end_date <> start_date + 6),
               count(distinct start_date), min(start_date), max(end_date)
        from sqp.asin_performance_data""")
    assert (starts, ends) == (0, 0)
    assert weeks == 26
    assert last == last_report_end(ANCHOR)
    assert first == last - timedelta(days=7 * 26 - 1)


def test_some_report_weeks_straddle_two_months(loaded: ConnectionSettings) -> None:
    straddling, weeks = one(loaded, """
        select count(distinct start_date) filter (
                   where date_trunc('month', start_date) <> date_trunc('month', end_date)),
               count(distinct start_date)
        from sqp.asin_performance_data""")
    assert 3 <= straddling < weeks


def test_ten_to_fifty_queries_per_report_scored_one_to_n(loaded: ConnectionSettings) -> None:
    fewest, most, gaps = one(loaded, """
        select min(n), max(n), count(*) filter (where max_score <> n or min_score <> 1)
        from (select count(*) as n, min(search_query_score) as min_score,
                     max(search_query_score) as max_score
              from sqp.search_query_performance group by asin_performance_id) r""")
    assert fewest >= MIN_QUERIES and most <= MAX_QUERIES and most > 30
    assert gaps == 0
    without_rows = one(loaded, """
        select count(*) from sqp.asin_performance_data a
        where not exists (select 1 from sqp.search_query_performance q
                          where q.asin_performance_id = a.id)""")[0]
    assert without_rows == 0


def test_funnel_holds_and_asin_counts_stay_within_market_totals(
    loaded: ConnectionSettings,
) -> None:
    totals = ["total_query_impression_count", "total_click_count", "total_cart_add_count",
              "total_purchase_count"]
    asins = [f"asin_{name}_count" for name in COUNTS]
    checks = [
        *(f"{column} is null or {column} < 0" for column in totals + asins),
        *(f"{asin} > {total}" for asin, total in zip(asins, totals, strict=True)),
        *(f"{later} > {earlier}" for earlier, later in pairwise(totals)),
        *(f"{later} > {earlier}" for earlier, later in pairwise(asins)),
        "search_query_volume is null or search_query_volume < 1",
    ]
    violations = one(loaded, "select " + ", ".join(
        f"count(*) filter (where {check})" for check in checks)
        + " from sqp.search_query_performance")
    assert dict(zip(checks, violations, strict=True)) == dict.fromkeys(checks, 0)
    # Not a degenerate funnel: most rows show impressions, many show purchases.
    shown, bought, rows = one(loaded, """
        select count(*) filter (where asin_impression_count > 0),
               count(*) filter (where asin_purchase_count > 0), count(*)
        from sqp.search_query_performance""")
    assert shown > 0.95 * rows and 0.3 * rows < bought < rows


def test_competing_asins_share_the_market_totals(loaded: ConnectionSettings) -> None:
    shared, differing, most = one(loaded, """
        select count(*), count(*) filter (where variants > 1), max(asins)
        from (
            select count(distinct a.asin) as asins,
                   count(distinct (q.search_query_volume, q.total_query_impression_count,
                                   q.total_click_count, q.total_cart_add_count,
                                   q.total_purchase_count)) as variants
            from sqp.search_query_performance q
            join sqp.asin_performance_data a on a.id = q.asin_performance_id
            group by a.start_date, a.end_date, q.search_query
            having count(distinct a.asin) > 1
        ) competed""")
    assert shared > 1000 and most >= 4
    assert differing == 0


def test_queries_hold_quotes_and_non_ascii_letters(loaded: ConnectionSettings) -> None:
    quoted, apostrophe, accented = one(loaded, """
        select count(*) filter (where search_query like '%%"%%'),
               count(*) filter (where search_query like '%%''%%'),
               count(*) filter (where search_query ~ '[^\\x01-\\x7e]')
        from (select distinct search_query from sqp.search_query_performance) q""")
    assert quoted > 0 and apostrophe > 0 and accented > 0


def test_median_price_missing_without_purchases_and_sometimes_with(
    loaded: ConnectionSettings,
) -> None:
    priced_without, omitted, with_purchases, lowest = one(loaded, """
        select count(*) filter (where asin_purchase_count = 0
                                  and asin_median_purchase_price is not null),
               count(*) filter (where asin_purchase_count > 0
                                  and asin_median_purchase_price is null),
               count(*) filter (where asin_purchase_count > 0),
               min(asin_median_purchase_price)
        from sqp.search_query_performance""")
    assert priced_without == 0
    assert 0.01 * with_purchases < omitted < 0.06 * with_purchases
    assert lowest > 0


def test_corrections_and_load_times(loaded: ConnectionSettings) -> None:
    corrected, reports, early, late, unmatched = one(loaded, """
        select count(*) filter (where a.updated_at > a.created_at),
               count(*),
               count(*) filter (where a.created_at < a.end_date + interval '1 day'),
               count(*) filter (where a.created_at > a.end_date + interval '4 days'
                                   or a.updated_at > %s),
               (select count(*) from sqp.search_query_performance q
                join sqp.asin_performance_data r on r.id = q.asin_performance_id
                where (q.created_at, q.updated_at) <> (r.created_at, r.updated_at))
        from sqp.asin_performance_data a""", (ANCHOR,))
    assert 0.005 * reports < corrected < 0.05 * reports
    assert (early, late, unmatched) == (0, 0, 0)
    usual = one(loaded, """
        select count(*) filter (where created_at >= end_date + interval '2 days')::float / count(*)
        from sqp.asin_performance_data""")[0]
    assert usual > 0.9


def test_asins_launch_and_stop_during_the_range(loaded: ConnectionSettings) -> None:
    asins, launched, stopped, gaps = one(loaded, """
        with life as (
            select asin, min(start_date) as first, max(start_date) as last, count(*) as weeks
            from sqp.asin_performance_data group by asin
        ),
        edges as (select min(start_date) as first, max(start_date) as last
                  from sqp.asin_performance_data)
        select count(*), count(*) filter (where l.first > e.first),
               count(*) filter (where l.last < e.last),
               count(*) filter (where (l.last - l.first) / 7 + 1 <> l.weeks)
        from life l cross join edges e""")
    assert asins == 150
    assert launched >= 5 and stopped >= 5
    assert gaps == 0


def test_seasonal_volumes_change_from_week_to_week(loaded: ConnectionSettings) -> None:
    lowest, highest = one(loaded, """
        select min(volume), max(volume)
        from (select a.start_date, sum(q.search_query_volume)::float / count(*) as volume
              from sqp.search_query_performance q
              join sqp.asin_performance_data a on a.id = q.asin_performance_id
              group by 1) w""")
    assert highest > 1.1 * lowest


# Brand catalogue ------------------------------------------------------------------------------

def test_brands_skewed_some_inactive_some_without_display_name(
    loaded: ConnectionSettings,
) -> None:
    brands, inactive, unnamed = one(loaded, """
        select count(*), count(*) filter (where not is_active),
               count(*) filter (where display_name is null)
        from public.brands""")
    assert (brands, inactive) == (12, 2)
    assert unnamed >= 1
    sizes = [row[0] for row in query(loaded, """
        select count(distinct m.asin) from public.asin_brand_mapping m
        where m.is_active group by m.brand_id order by 1 desc""")]
    assert sizes[0] > 3 * sizes[len(sizes) // 2]


def test_exactly_one_asin_moved_brands(loaded: ConnectionSettings) -> None:
    moved = query(loaded, """
        select asin,
               max(updated_at) filter (where is_active),
               max(updated_at) filter (where not is_active)
        from public.asin_brand_mapping
        group by asin
        having count(distinct brand_id) > 1 and bool_or(is_active)""")
    assert len(moved) == 1
    asin, new_updated, old_updated = moved[0]
    assert new_updated > old_updated
    # It reported before and after its move; no ASIN is active under two brands.
    before, after = one(loaded, """
        select count(*) filter (where end_date < %s::date), count(*) filter (where start_date > %s::date)
        from sqp.asin_performance_data where asin = %s""", (old_updated, old_updated, asin))
    assert before > 0 and after > 0
    assert one(loaded, """
        select count(*) from (select asin from public.asin_brand_mapping where is_active
                              group by asin having count(distinct brand_id) > 1) x""")[0] == 0


def test_one_asin_mapped_twice_identically(loaded: ConnectionSettings) -> None:
    duplicated = query(loaded, """
        select asin from public.asin_brand_mapping where is_active
        group by asin, brand_id, created_at, updated_at having count(*) > 1""")
    assert len(duplicated) == 1
    assert one(loaded, """
        select count(*) from public.asin_brand_mapping where is_active and asin = %s""",
               duplicated[0])[0] == 2


def test_inactive_mappings_and_asins_without_an_active_one(loaded: ConnectionSettings) -> None:
    inactive, unmapped, retired = one(loaded, """
        select (select count(*) from public.asin_brand_mapping where not is_active),
               count(*) filter (where not exists (
                   select 1 from public.asin_brand_mapping m where m.asin = a.asin and m.is_active)),
               count(*) filter (where exists (
                   select 1 from public.asin_brand_mapping m where m.asin = a.asin)
                   and not exists (
                   select 1 from public.asin_brand_mapping m where m.asin = a.asin and m.is_active))
        from (select distinct asin from sqp.asin_performance_data) a""")
    assert inactive >= 5
    assert 3 <= unmapped <= 10 and 0 < retired < unmapped
    orphans = one(loaded, """
        select count(*) from public.asin_brand_mapping m
        where not exists (select 1 from sqp.asin_performance_data a where a.asin = m.asin)""")[0]
    assert orphans == 0


# Determinism, and the shared schema public ----------------------------------------------------

@pytest.fixture(scope="module")
def reload_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """Another database, to reload in without touching the session's loaded one."""
    with own_database(pg_settings, RELOAD_DATABASE) as settings:
        yield settings


def test_same_seed_same_rows_and_other_public_tables_kept(
    loaded: ConnectionSettings, reload_settings: ConnectionSettings,
) -> None:
    migrations.migrate(reload_settings)
    with connect(reload_settings) as conn, conn.cursor() as cur:
        cur.execute("create table public.someone_elses (id int primary key)")
        cur.execute("insert into public.someone_elses values (1), (2), (3)")
    versions = one(reload_settings, "select count(*) from public.analytics_schema_version")[0]

    load(reload_settings, seed=2)
    other = one(reload_settings, FINGERPRINT)
    load(reload_settings)
    same = one(reload_settings, FINGERPRINT)

    expected = one(loaded, FINGERPRINT)
    assert same == expected
    assert all(a != b for a, b in zip(other, expected, strict=True))
    assert one(reload_settings, "select count(*) from public.someone_elses")[0] == 3
    assert one(reload_settings,
               "select count(*) from public.analytics_schema_version")[0] == versions
    assert one(reload_settings, "select seed, scale from public.analytics_demo_loads"
                                " where mart = %s", (MART,)) == (1, "S")
