{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['bundle_id'],
        unique_key_index_name='idx_seller_forecast_bundle',
        post_hook=[
            mv_index(['seller_id', 'window_start'], name='idx_seller_forecast_seller'),
        ],
    )
}}

-- Graph 5, per bundle: the forecast of each future valid bundle against its posted units.
-- Bundles no longer in the future, and forecast rows of no valid bundle or of another
-- seller, drop out.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundles') }}
    where is_future

),

forecast as (

    select * from {{ ref('stg_seller_insights__forecast_output') }}

)

select
    bundles.seller_id,
    bundles.bundle_id,
    bundles.window_start,
    {{ seller_insights_week_start('bundles.window_start', 'bundles.time_zone') }} as week_start,
    forecast.predicted_sales,
    bundles.posted_qty,
    forecast.predicted_no_show_prob,
    forecast.confidence,
    forecast.rationale

from bundles
inner join forecast
    on
        bundles.bundle_id = forecast.bundle_id
        and bundles.seller_id = forecast.seller_id
