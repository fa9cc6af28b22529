{{
    config(
        meta={'cadence': 'hourly'},
        refresh_strategy='swap',
        unique_key=['dispensary_id', 'product_id', 'sale_date'],
        unique_key_index_name='idx_mv_daily_sales_pk',
        post_hook=[
            mv_index(['brand_name', 'sale_date'], name='idx_mv_daily_sales_brand'),
            mv_index(['category', 'sale_date'], name='idx_mv_daily_sales_category'),
            mv_index(['sale_date desc'], name='idx_mv_daily_sales_date'),
        ],
    )
}}

{#- The first kept day starts at midnight, so every kept day is a whole day. -#}
{%- set window_start = retail_day_start(
    retail_refresh_date() ~ ' - ' ~ retail_days('retail_daily_sales_days')
) %}

with

snapshots as not materialized (

    -- A snapshot without a quantity says nothing about sales: it is skipped, so the next
    -- change is measured against the last quantity the menu did show. Not materialized:
    -- each reader below scans only the rows it needs.
    select * from {{ ref('stg_retail__inventory_snapshots') }}
    where quantity_available is not null

),

opening_quantities as (

    -- The last quantity shown before the window, so that the first change inside the window
    -- is measured too. One hash aggregate over the older rows, no sort: arrays compare
    -- element by element, so max([time, id, quantity]) is the latest snapshot (same-instant
    -- ties go to the higher id, as in the window below) and element 3 its quantity.
    select
        dispensary_id,
        product_id,
        (
            max(array[date_part('epoch', captured_at), snapshot_id, quantity_available])
        )[3]::integer as opening_quantity

    from snapshots

    where captured_at < {{ window_start }}

    group by dispensary_id, product_id

),

window_snapshots as (

    select
        snapshots.dispensary_id,
        snapshots.product_id,
        snapshots.brand_name,
        snapshots.category,
        snapshots.captured_at,
        snapshots.snapshot_id,
        snapshots.price_rec,
        snapshots.quantity_available,
        {{ retail_day_of('snapshots.captured_at') }} as sale_date,
        opening_quantities.opening_quantity

    from snapshots

    left join opening_quantities
        on
            snapshots.dispensary_id = opening_quantities.dispensary_id
            and snapshots.product_id = opening_quantities.product_id

    where snapshots.captured_at >= {{ window_start }}

),

snapshot_deltas as (

    select
        dispensary_id,
        product_id,
        brand_name,
        category,
        captured_at,
        snapshot_id,
        price_rec,
        quantity_available,
        sale_date,
        coalesce(
            lag(quantity_available) over product_history,
            opening_quantity
        ) as previous_quantity

    from window_snapshots

    -- sale_date leads the order (it grows with captured_at, so the order is the same): the
    -- rows come out grouped by day and the daily aggregate below needs no second sort.
    window product_history as (
        partition by dispensary_id, product_id
        order by sale_date, captured_at, snapshot_id
    )

),

sales_deltas as (

    -- A fall in quantity counts as units sold, a rise as units restocked. A product's very
    -- first snapshot has nothing to compare with.
    select
        dispensary_id,
        product_id,
        brand_name,
        category,
        sale_date,
        price_rec,
        captured_at,
        snapshot_id,
        greatest(previous_quantity - quantity_available, 0) as units_sold,
        greatest(quantity_available - previous_quantity, 0) as units_restocked

    from snapshot_deltas

    where previous_quantity is not null

),

daily_sales as (

    select
        dispensary_id,
        product_id,
        sale_date,
        -- As of the day's last snapshot (the last element in time order), so a product has one
        -- row per day even if the menu renamed its brand or category that day.
        (array_agg(brand_name order by captured_at, snapshot_id))[count(*)] as brand_name,
        (array_agg(category order by captured_at, snapshot_id))[count(*)] as category,
        avg(price_rec) as avg_price,
        sum(units_sold) as units_sold,
        sum(units_restocked) as units_restocked,
        sum(units_sold * coalesce(price_rec, 0)) as revenue_estimate,
        count(*) as snapshot_count

    from sales_deltas

    group by dispensary_id, product_id, sale_date

)

select
    dispensary_id,
    product_id,
    brand_name,
    category,
    sale_date,
    avg_price,
    units_sold,
    units_restocked,
    revenue_estimate,
    snapshot_count

from daily_sales
