{{
    config(
        meta={
            'cadence': 'hourly',
            'functions': ['get_product_segment_metadata(uuid, date, date)'],
        },
        unique_key=['brand_id', 'asin', 'segment_type', 'period_start'],
        unique_key_index_name='idx_brand_product_segments_lookup',
        refresh_strategy='swap',
        skip_refresh_when_unchanged=true,
        grants={'select': ['analytics_reader'] + var('search_performance_api_roles')},
        post_hook=[
            mv_index(['asin'], name='idx_brand_product_segments_asin'),
            mv_index(['asin_impressions desc', 'asin_purchases desc'],
                     name='idx_brand_product_segments_performance'),
            mv_index(['earliest_date', 'latest_date'], name='idx_brand_product_segments_dates'),
            mv_index(['brand_id', 'asin', 'segment_type', 'period_start', 'period_end'],
                     where='asin_impressions > 0', name='idx_segments_brand_asin_type_period'),
            mv_index(['period_start', 'period_end'], include=['brand_id', 'asin', 'segment_type', 'asin_impressions'],
                     name='idx_segments_date_range'),
            mv_index(['brand_id', 'segment_type', 'asin_impressions desc', 'asin_purchases desc'],
                     where='asin_impressions > 0', name='idx_segments_performance_ranking'),
            mv_index(['(array[asin])'], method='gin', name='idx_segments_asin_gin'),
            "{{ search_performance_segment_metadata_function() }}",
        ],
    )
}}

with

reports as (

    select * from {{ ref('stg_search_performance__asin_reports') }}

),

search_queries as (

    select * from {{ ref('stg_search_performance__search_queries') }}

),

brands as (

    select * from {{ ref('stg_search_performance__brands') }}
    where is_active

),

-- One current brand per ASIN: the most recently updated active mapping. Identical duplicated
-- rows count once and an ASIN active under two brands counts under the latest one only.
asin_brands as (

    select distinct on (mappings.asin)
        mappings.asin,
        mappings.brand_id,
        mappings.updated_at as mapping_updated_at

    from {{ ref('stg_search_performance__asin_brand_mapping') }} as mappings

    where mappings.is_active

    order by mappings.asin asc, mappings.updated_at desc, mappings.mapping_id desc

),

-- Each report's search queries summed once, before the report is placed in its segments.
report_totals as (

    select
        asin_performance_id,
        sum(total_query_impression_count) as total_impressions,
        sum(asin_impression_count) as asin_impressions,
        sum(total_click_count) as total_clicks,
        sum(asin_click_count) as asin_clicks,
        sum(total_cart_add_count) as total_cart_adds,
        sum(asin_cart_add_count) as asin_cart_adds,
        sum(total_purchase_count) as total_purchases,
        sum(asin_purchase_count) as asin_purchases,
        -- Only purchases with a median price weigh the price (the original divided by all).
        sum(asin_median_purchase_price * asin_purchase_count)
        filter (where asin_median_purchase_price is not null) as priced_purchase_value,
        sum(asin_purchase_count)
        filter (where asin_median_purchase_price is not null) as priced_purchases

    from search_queries

    group by asin_performance_id

),

-- A report belongs to the Monday week and to the month of its middle day: a Sunday-Saturday
-- report lands in the week starting the next day, and a week across two months in the month
-- holding most of its days (each report counts once per segment type).
placed_reports as (

    select
        report_totals.*,
        asin_brands.brand_id,
        reports.asin,
        reports.start_date,
        reports.end_date,
        greatest(reports.updated_at, asin_brands.mapping_updated_at) as changed_at,
        reports.start_date + (reports.end_date - reports.start_date) / 2 as middle_day

    from reports

    inner join asin_brands
        on reports.asin = asin_brands.asin

    inner join brands
        on asin_brands.brand_id = brands.brand_id

    inner join report_totals
        on reports.asin_performance_id = report_totals.asin_performance_id

),

segments as (

    select
        placed_reports.brand_id,
        placed_reports.asin,
        segment.segment_type,
        segment.period_start,
        segment.period_end,
        sum(placed_reports.total_impressions)::bigint as total_impressions,
        sum(placed_reports.asin_impressions)::bigint as asin_impressions,
        sum(placed_reports.total_clicks)::bigint as total_clicks,
        sum(placed_reports.asin_clicks)::bigint as asin_clicks,
        sum(placed_reports.total_cart_adds)::bigint as total_cart_adds,
        sum(placed_reports.asin_cart_adds)::bigint as asin_cart_adds,
        sum(placed_reports.total_purchases)::bigint as total_purchases,
        sum(placed_reports.asin_purchases)::bigint as asin_purchases,
        sum(placed_reports.priced_purchase_value) as priced_purchase_value,
        sum(placed_reports.priced_purchases) as priced_purchases,
        count(*) as data_points_count,
        min(placed_reports.start_date) as earliest_date,
        max(placed_reports.end_date) as latest_date,
        max(placed_reports.changed_at) as last_refreshed

    from placed_reports

    cross join
        lateral (
            values
            (
                'weekly'::text,
                date_trunc('week', placed_reports.middle_day)::date,
                date_trunc('week', placed_reports.middle_day)::date + 6
            ),
            (
                'monthly'::text,
                date_trunc('month', placed_reports.middle_day)::date,
                (date_trunc('month', placed_reports.middle_day) + interval '1 month - 1 day')::date
            )
        ) as segment (segment_type, period_start, period_end)

    group by
        placed_reports.brand_id,
        placed_reports.asin,
        segment.segment_type,
        segment.period_start,
        segment.period_end

),

brand_product_segments as (

    select
        brand_id,
        asin,
        segment_type,
        period_start,
        period_end,
        total_impressions,
        asin_impressions,
        total_clicks,
        asin_clicks,
        total_cart_adds,
        asin_cart_adds,
        total_purchases,
        asin_purchases,
        {{ search_performance_pct('asin_impressions', 'total_impressions') }} as impression_share_pct,
        {{ search_performance_pct('asin_clicks', 'total_clicks') }} as click_share_pct,
        {{ search_performance_pct('asin_cart_adds', 'total_cart_adds') }} as cart_add_share_pct,
        {{ search_performance_pct('asin_purchases', 'total_purchases') }} as purchase_share_pct,
        {{ search_performance_pct('asin_clicks', 'asin_impressions') }} as ctr_pct,
        {{ search_performance_pct('asin_purchases', 'asin_clicks') }} as cvr_pct,
        round(priced_purchase_value / nullif(priced_purchases, 0), 2) as avg_purchase_price,
        data_points_count,
        earliest_date,
        latest_date,
        last_refreshed

    from segments

)

-- Stored in key order: a brand's segments sit together, so its product table reads few pages.
select * from brand_product_segments
order by brand_id, asin, segment_type, period_start
