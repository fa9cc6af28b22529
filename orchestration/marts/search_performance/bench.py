"""The search-performance mart's bench: what the brand dashboards ask of the views, and their
parameters.

The product table of a brand (the original's "expandable date segments") shows one page of the
brand's products for a date range: the first PAGE_SIZE products by the impressions of
`get_product_segment_metadata(brand, from, to)`, each with its monthly segments in the range
and its expansion indicators. The function still ranks all of the brand's products (a page is
the top of its ranking, and the UI pages through it), so the query pays for the whole ranking
and reads the segments of one page only. (Until December 2026 the bench read every product's
monthly segments at once: 2,012 rows for the largest brand at scale M, which no UI table shows
and whose rows alone take about 9 ms to return.) A product expands to its weekly segments; the
brand page ranks its products and shows its summary; an API looks many ASINs up at once.

The function is created by the mart beside `brand_product_segments` (`{schema}` is that
view's schema). It is LANGUAGE sql and STABLE, so the planner inlines its body into the
query: the plan, and whether it reads through an index, are those of its body on the view.
Over the raw tables the function cannot be inlined (it reads the view), so the product
table's `raw_sql` is the same question with the function's body written out over `{source}`:
the raw variant answers it from the source tables, and the bench checks it gives the same rows.

Two batch look-ups of the same ASINs tell what the original's GIN index on `(array[asin])`
earns against the plain B-tree on `asin`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestration.bench.spec import BenchSpec, DashboardQuery, ViewReader

SEGMENTS = "brand_product_segments"
SUMMARY = "brand_performance_enhanced"
# The products on one page of the product table.
PAGE_SIZE = 50

# The product table's columns: a product's monthly segment with its segment metadata.
_PRODUCT_TABLE_COLUMNS = """
    s.asin, s.period_start, s.period_end, s.asin_impressions, s.asin_clicks, s.asin_purchases,
    s.impression_share_pct, s.ctr_pct, s.cvr_pct, s.avg_purchase_price,
    m.has_weekly_segments, m.has_monthly_segments, m.weekly_count, m.monthly_count,
    m.earliest_segment_date, m.latest_segment_date, m.total_segment_impressions
"""
_PRODUCT_TABLE_RANGE = """
    s.segment_type = 'monthly'
    and s.period_start >= %(date_from)s and s.period_end <= %(date_to)s
"""
_PRODUCT_TABLE_ORDER = "m.total_segment_impressions desc nulls last, s.asin, s.period_start"
# The page: the top of the function's ranking (its own order, the ASIN breaking ties).
_PAGE_ORDER = "m.total_segment_impressions desc nulls last, m.asin"
_BATCH_COLUMNS = """
    asin, brand_id, period_start, asin_impressions, asin_clicks, asin_purchases,
    impression_share_pct, ctr_pct, cvr_pct
"""


def _product_table(name: str, question: str, brand: str) -> DashboardQuery:
    """The first page of the product table of the brand in parameter `brand`, with its segment
    metadata: the function ranks all the brand's products, the page's segments are read."""
    return DashboardQuery(
        name, question, SEGMENTS,
        f"""with page as (
                select * from {{schema}}.get_product_segment_metadata(
                    %({brand})s, %(date_from)s, %(date_to)s) as m
                order by {_PAGE_ORDER}
                limit %(page_size)s
            )
            select {_PRODUCT_TABLE_COLUMNS}
            from page as m
            inner join {{source}} as s
                on s.brand_id = %({brand})s and s.asin = m.asin
            where {_PRODUCT_TABLE_RANGE}
            order by {_PRODUCT_TABLE_ORDER}""",
        raw_sql=f"""
            with bps as (
                select * from {{source}} where brand_id = %({brand})s
            ),
            -- get_product_segment_metadata(brand, from, to): its body, over the raw segments.
            m as (
                select
                    bps.asin,
                    bool_or(bps.segment_type = 'weekly') as has_weekly_segments,
                    bool_or(bps.segment_type = 'monthly') as has_monthly_segments,
                    (count(*) filter (where bps.segment_type = 'weekly'))::integer as weekly_count,
                    (count(*) filter (where bps.segment_type = 'monthly'))::integer as monthly_count,
                    min(bps.earliest_date) as earliest_segment_date,
                    max(bps.latest_date) as latest_segment_date,
                    (sum(bps.asin_impressions) filter (where bps.segment_type = 'weekly'))::bigint
                        as total_segment_impressions
                from bps
                where bps.period_start >= %(date_from)s and bps.period_end <= %(date_to)s
                    and bps.asin_impressions > 0
                group by bps.asin
            ),
            page as (
                select * from m
                order by {_PAGE_ORDER}
                limit %(page_size)s
            )
            select {_PRODUCT_TABLE_COLUMNS}
            from page as m
            inner join bps as s on s.asin = m.asin
            where {_PRODUCT_TABLE_RANGE}
            order by {_PRODUCT_TABLE_ORDER}""",
    )


QUERIES: tuple[DashboardQuery, ...] = (
    _product_table(
        "product_table_with_metadata",
        f"A brand's product table for a date range, first page: its {PAGE_SIZE} products with most "
        "impressions by get_product_segment_metadata (which ranks them all), their monthly "
        "segments and expansion indicators (the brand with most ASINs)",
        "brand"),
    _product_table(
        "product_table_median_brand",
        "The same first page for the median brand by ASIN count (all its products)",
        "median_brand"),
    DashboardQuery(
        "product_weekly_segments_90_days",
        "One product's weekly segments over the last 90 days (a product row expanded)",
        SEGMENTS,
        """select period_start, period_end, asin_impressions, asin_clicks, asin_cart_adds,
                  asin_purchases, impression_share_pct, click_share_pct, purchase_share_pct,
                  ctr_pct, cvr_pct, avg_purchase_price, data_points_count, earliest_date,
                  latest_date
           from {source}
           where brand_id = %(brand)s and asin = %(asin)s and segment_type = 'weekly'
               and period_start >= %(recent_from)s
           order by period_start""",
    ),
    DashboardQuery(
        "top_products_of_brand_in_month",
        "A brand's top products by impressions in a month",
        SEGMENTS,
        """select asin, asin_impressions, asin_clicks, asin_purchases, impression_share_pct,
                  ctr_pct, cvr_pct
           from {source}
           where brand_id = %(brand)s and segment_type = 'monthly' and period_start = %(month)s
               and asin_impressions > 0
           order by asin_impressions desc, asin_purchases desc, asin
           limit 20""",
    ),
    DashboardQuery(
        "brand_summary",
        "A brand's summary: its ASINs, totals and shares",
        SUMMARY,
        """select brand_name, display_name, total_asins, asins_with_weekly_data,
                  asins_with_monthly_data, total_impressions, total_clicks, total_cart_adds,
                  total_purchases, avg_impression_share, avg_purchase_share, data_start_date,
                  data_end_date
           from {source}
           where brand_id = %(brand)s""",
    ),
    DashboardQuery(
        "asins_batch_gin",
        "A month's segments of many ASINs at once, through the GIN index on (array[asin])",
        SEGMENTS,
        f"""select {_BATCH_COLUMNS}
            from {{source}}
            where array[asin] && %(asins)s::varchar[] and segment_type = 'monthly'
                and period_start = %(month)s
            order by asin, brand_id""",
    ),
    DashboardQuery(
        "asins_batch_btree",
        "The same look-up written asin = any(...), for the B-tree index on asin",
        SEGMENTS,
        f"""select {_BATCH_COLUMNS}
            from {{source}}
            where asin = any(%(asins)s::varchar[]) and segment_type = 'monthly'
                and period_start = %(month)s
            order by asin, brand_id""",
    ),
)
# How many ASINs the batch look-ups ask for, and the days of the expanded product's history.
BATCH_SIZE = 100
RECENT_DAYS = 90


def pick_parameters(views: ViewReader) -> dict[str, Any]:
    """Deterministic parameters from the views: the brand with the most ASINs (and the median
    one by ASIN count, for a typical brand's product table); the last three
    whole months of data (the latest month whose segment ends by the last report day, and the
    two before it); that brand's top ASIN by impressions in them; the last 90 days before the
    last report day; BATCH_SIZE ASINs spread over all brands (the first by md5 of the ASIN);
    the product table's page size (PAGE_SIZE)."""
    segments = views.relation(SEGMENTS)
    summary = views.relation(SUMMARY)
    brand = views.first(f"select brand_id from {summary} order by total_asins desc, brand_id"
                        " limit 1")
    median_brand = views.first(f"select brand_id from {summary} order by total_asins desc,"
                               f" brand_id offset (select count(*) / 2 from {summary}) limit 1")
    last_day = views.first(f"select max(latest_date) from {segments}")
    date_to = views.first(f"select max(period_end) from {segments}"
                          " where segment_type = 'monthly' and period_end <= %s", (last_day,))
    date_from = views.first("select (date_trunc('month', %s::date) - interval '2 months')::date",
                            (date_to,))
    month = views.first("select date_trunc('month', %s::date)::date", (date_to,))
    asin = views.first(f"select asin from {segments}"
                       " where brand_id = %s and segment_type = 'monthly'"
                       " and period_start >= %s and period_end <= %s"
                       " group by asin order by sum(asin_impressions) desc, asin limit 1",
                       (brand, date_from, date_to))
    recent_from = views.first("select %s::date - %s", (last_day, RECENT_DAYS))
    asins = views.first(f"select array_agg(asin order by asin) from (select asin"
                        f" from {segments} group by asin order by md5(asin), asin limit %s)"
                        " as batch", (BATCH_SIZE,))
    return {
        "brand": str(brand) if brand is not None else None,
        "median_brand": str(median_brand) if median_brand is not None else None,
        "date_from": date_from,
        "date_to": date_to,
        "month": month,
        "asin": asin,
        "recent_from": recent_from,
        "asins": list(asins or []),
        "page_size": PAGE_SIZE,
    }


def describe(params: Mapping[str, Any]) -> str:
    return (f"brand {params['brand']} (most ASINs; median {params['median_brand']}), "
            f"{params['date_from']} to {params['date_to']}"
            f" (the last three whole months; product table: first page of {params['page_size']}"
            f" products), top ASIN {params['asin']} (its weekly segments "
            f"from {params['recent_from']}), month {params['month']}, "
            f"{len(params['asins'])} ASINs in the batch look-ups")


BENCH = BenchSpec(queries=QUERIES, pick_parameters=pick_parameters, describe=describe)
