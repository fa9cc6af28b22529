{{
    config(
        meta={'cadence': 'daily'},
        refresh_strategy='swap',
        unique_key=['bundle_id'],
        unique_key_index_name='idx_seller_forecast_inputs_bundle',
        post_hook=[
            mv_index(['seller_id', 'window_start'], name='idx_seller_forecast_inputs_seller'),
        ],
    )
}}

-- The Python forecast asset's input: one row per valid bundle, past (its outcome) and future
-- (to forecast), with its local calendar features, categories and reservations so far.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundle_sales') }}

),

bundle_categories as (

    select * from {{ ref('stg_seller_insights__bundle_categories') }}

),

categories as (

    select * from {{ ref('stg_seller_insights__categories') }}

),

category_lists as (

    select
        bundle_categories.bundle_id,
        array_agg(categories.category_name order by categories.category_name) as category_names

    from bundle_categories
    inner join categories on bundle_categories.category_id = categories.category_id
    group by bundle_categories.bundle_id

)

select
    bundles.bundle_id,
    bundles.seller_id,
    bundles.time_zone,
    bundles.window_start,
    {{ seller_insights_local_date('bundles.window_start', 'bundles.time_zone') }} as local_date,
    extract(isodow from {{ seller_insights_local('bundles.window_start', 'bundles.time_zone') }})::integer
        as local_weekday,
    {{ seller_insights_local_time('bundles.window_start', 'bundles.time_zone') }} as local_start_time,
    round(extract(epoch from (bundles.window_end - bundles.window_start)) / 3600, 2) as window_hours,
    bundles.posted_qty,
    bundles.price,
    coalesce(category_lists.category_names, '{}'::text[]) as category_names,
    bundles.is_future,
    bundles.reserved_units,
    bundles.sold_units as collected_units,
    bundles.no_show_units,
    bundles.mean_lead_hours

from bundles
left join category_lists on bundles.bundle_id = category_lists.bundle_id
