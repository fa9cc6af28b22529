{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['seller_id', 'week_start'],
        unique_key_index_name='idx_seller_forecast_weekly_key',
    )
}}

-- Graph 5: per seller and local ISO week, the forecast sales of its future bundles against
-- the units posted on them.
with

forecast as (

    select * from {{ ref('seller_forecast_vs_posted') }}

)

select
    seller_id,
    week_start,
    sum(predicted_sales) as predicted_sales,
    sum(posted_qty) as posted_units,
    count(*) as bundles

from forecast
group by seller_id, week_start
