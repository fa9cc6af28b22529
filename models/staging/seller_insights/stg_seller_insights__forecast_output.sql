-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    bundle_id,
    seller_id,
    window_start as forecast_window_start,
    predicted_sales,
    posted_qty as forecast_posted_qty,
    predicted_no_show_prob,
    confidence,
    rationale

from {{ source('seller_forecast', 'forecast_output') }}
