{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['brand_id'],
        unique_key_index_name='idx_brand_performance_enhanced_id',
        skip_refresh_when_unchanged=true,
        grants={'select': ['analytics_reader'] + var('search_performance_api_roles')},
    )
}}

with

segments as (

    select * from {{ ref('brand_product_segments') }}

),

brands as (

    select * from {{ ref('stg_search_performance__brands') }}

),

reports as (

    select * from {{ ref('stg_search_performance__asin_reports') }}

),

search_queries as (

    select * from {{ ref('stg_search_performance__search_queries') }}

),

-- Which brand each ASIN counts under: the segments' own attribution.
asin_brands as (

    select distinct
        brand_id,
        asin

    from segments

),

asin_stats as (

    select
        brand_id,
        asin,
        bool_or(segment_type = 'weekly' and asin_impressions > 0) as has_weekly_data,
        bool_or(segment_type = 'monthly' and asin_impressions > 0) as has_monthly_data,
        min(earliest_date) as first_data_date,
        max(latest_date) as last_data_date

    from segments

    group by brand_id, asin

),

-- Monthly segments only: each report is in exactly one month (a week would count twice).
brand_totals as (

    select
        segments.brand_id,
        count(distinct segments.asin) as total_asins,
        count(distinct segments.asin) filter (where asin_stats.has_weekly_data) as asins_with_weekly_data,
        count(distinct segments.asin) filter (where asin_stats.has_monthly_data) as asins_with_monthly_data,
        sum(segments.asin_impressions)::bigint as total_impressions,
        sum(segments.asin_clicks)::bigint as total_clicks,
        sum(segments.asin_cart_adds)::bigint as total_cart_adds,
        sum(segments.asin_purchases)::bigint as total_purchases,
        min(asin_stats.first_data_date) as data_start_date,
        max(asin_stats.last_data_date) as data_end_date

    from segments

    inner join asin_stats
        on
            segments.brand_id = asin_stats.brand_id
            and segments.asin = asin_stats.asin

    where segments.segment_type = 'monthly'

    group by segments.brand_id

),

-- The brand on each search query of each report week. Its ASINs share the query's market
-- totals, so the market counts once (the original added it once per ASIN); the brand's own
-- counts are capped at the market's.
brand_queries as (

    select
        asin_brands.brand_id,
        least(
            sum(search_queries.asin_impression_count), max(search_queries.total_query_impression_count)
        ) as brand_impressions,
        max(search_queries.total_query_impression_count) as market_impressions,
        least(
            sum(search_queries.asin_purchase_count), max(search_queries.total_purchase_count)
        ) as brand_purchases,
        max(search_queries.total_purchase_count) as market_purchases

    from search_queries

    inner join reports
        on search_queries.asin_performance_id = reports.asin_performance_id

    inner join asin_brands
        on reports.asin = asin_brands.asin

    group by asin_brands.brand_id, reports.start_date, reports.end_date, search_queries.search_query

),

brand_shares as (

    select
        brand_id,
        {{ search_performance_pct('sum(brand_impressions)', 'sum(market_impressions)') }}
            as avg_impression_share,
        {{ search_performance_pct('sum(brand_purchases)', 'sum(market_purchases)') }} as avg_purchase_share

    from brand_queries

    group by brand_id

),

brand_performance_enhanced as (

    select
        brand_totals.brand_id,
        brands.brand_name,
        brands.display_name,
        brand_totals.total_asins,
        brand_totals.asins_with_weekly_data,
        brand_totals.asins_with_monthly_data,
        brand_totals.total_impressions,
        brand_totals.total_clicks,
        brand_totals.total_cart_adds,
        brand_totals.total_purchases,
        brand_shares.avg_impression_share,
        brand_shares.avg_purchase_share,
        brand_totals.data_start_date,
        brand_totals.data_end_date

    from brand_totals

    inner join brands
        on brand_totals.brand_id = brands.brand_id

    inner join brand_shares
        on brand_totals.brand_id = brand_shares.brand_id

)

select * from brand_performance_enhanced
