{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['seller_id', 'week_start'],
        unique_key_index_name='idx_seller_weekly_sales_key',
    )
}}

-- Graph 1: per seller and local ISO week, units sold (collected) against units posted, over
-- the seller's past valid bundles.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundle_sales') }}
    where not is_future

)

select
    seller_id,
    {{ seller_insights_week_start('window_start', 'time_zone') }} as week_start,
    sum(sold_units) as sold_units,
    sum(posted_qty) as posted_units,
    count(*) as bundles

from bundles
group by seller_id, {{ seller_insights_week_start('window_start', 'time_zone') }}
