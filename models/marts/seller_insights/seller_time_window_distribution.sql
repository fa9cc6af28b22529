{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['seller_id', 'window_start_local'],
        unique_key_index_name='idx_seller_time_windows_key',
    )
}}

-- Graph 4: per seller and local pickup start time (to the minute), the units sold on the
-- seller's past valid bundles starting then.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundle_sales') }}
    where not is_future

)

select
    seller_id,
    {{ seller_insights_local_time('window_start', 'time_zone') }} as window_start_local,
    sum(sold_units) as sold_units,
    count(*) as bundles

from bundles
group by seller_id, {{ seller_insights_local_time('window_start', 'time_zone') }}
