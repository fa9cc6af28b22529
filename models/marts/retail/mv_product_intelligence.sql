{#- idx_mv_prod_intel_recent_oos is ours, not the original's: the dashboard's "went out of
    stock recently" list (days_since_oos <= N order by days_since_oos, dispensary_id, sku
    limit 50) reads its 50 rows from it in order instead of sorting every match (docs/
    retail-mart.md, Performance). Partial: products never out of stock are not in it. -#}
{{
    config(
        meta={'cadence': 'hourly'},
        refresh_strategy='swap',
        unique_key=['dispensary_id', 'sku'],
        unique_key_index_name='idx_mv_prod_intel_pk',
        post_hook=[
            mv_index(['brand'], name='idx_mv_prod_intel_brand'),
            mv_index(['state_code'], name='idx_mv_prod_intel_state'),
            mv_index(['days_until_stock_out asc nulls last'], name='idx_mv_prod_intel_stock_out'),
            mv_index(['days_since_oos desc nulls last'], name='idx_mv_prod_intel_oos'),
            mv_index(
                ['days_since_oos', 'dispensary_id', 'sku'],
                where='days_since_oos is not null',
                name='idx_mv_prod_intel_recent_oos',
            ),
        ],
    )
}}

{%- set stock_diff_start -%}
    {{ retail_refresh_time() }} - interval '{{ retail_days("retail_stock_diff_days") }} days'
{%- endset %}

with

dispensaries as (

    select * from {{ ref('stg_retail__dispensaries') }}
    where is_crawl_enabled

),

store_products as (

    -- Without a provider id a product can be told apart neither on the menu nor in its
    -- snapshots, events and velocity: it is left out. The source's unique index on
    -- (dispensary_id, provider_product_id) then makes (dispensary_id, sku) unique, and every
    -- join below adds at most one row.
    select * from {{ ref('stg_retail__store_products') }}
    where product_id is not null

),

snapshots as not materialized (

    -- Not materialized: the two look-ups below probe the source's index on
    -- (dispensary_id, product_id, captured_at) directly, two index reads per product.
    select * from {{ ref('stg_retail__inventory_snapshots') }}

),

last_out_of_stock as (

    select
        dispensary_id,
        product_id,
        max(detected_at) as last_oos_at

    from {{ ref('stg_retail__product_visibility_events') }}

    where event_type = 'oos'

    group by dispensary_id, product_id

),

sku_velocity as (

    select * from {{ ref('mv_sku_velocity') }}

),

product_intelligence as (

    select
        store_products.dispensary_id,
        dispensaries.dispensary_name,
        dispensaries.state_code,
        dispensaries.city,
        store_products.product_id as sku,
        store_products.product_name,
        store_products.brand_name_raw as brand,
        store_products.category_raw as category,
        store_products.is_in_stock,
        store_products.stock_status,
        store_products.stock_quantity,
        store_products.price_rec as price,
        store_products.first_seen_at as first_seen,
        store_products.last_seen_at as last_seen,
        -- Last minus first quantity of the window; 0 without snapshots in it or when the last
        -- one hid its quantity; a hidden first quantity counts as no change.
        coalesce(
            last_snapshot.quantity_available
            - coalesce(first_snapshot.quantity_available, last_snapshot.quantity_available),
            0
        ) as stock_diff_120,
        extract(day from {{ retail_refresh_time() }} - last_out_of_stock.last_oos_at)::integer
            as days_since_oos,
        case
            when sku_velocity.avg_daily_units > 0 and store_products.stock_quantity > 0
                -- Capped at 100 years, so a huge stock and a slow pace cannot overflow.
                then least(round(
                    store_products.stock_quantity::numeric / sku_velocity.avg_daily_units
                ), 36500)::integer
        end as days_until_stock_out,
        sku_velocity.avg_daily_units,
        {{ retail_refresh_time() }} as calculated_at

    from store_products

    inner join dispensaries
        on store_products.dispensary_id = dispensaries.dispensary_id

    -- The first and the last snapshot of the stock-diff window: two index probes per product
    -- instead of a window over every snapshot.
    left join lateral (
        select snapshots.quantity_available
        from snapshots
        where
            snapshots.dispensary_id = store_products.dispensary_id
            and snapshots.product_id = store_products.product_id
            and snapshots.captured_at >= {{ stock_diff_start }}
        order by snapshots.captured_at asc, snapshots.snapshot_id asc
        limit 1
    ) as first_snapshot on true

    left join lateral (
        select snapshots.quantity_available
        from snapshots
        where
            snapshots.dispensary_id = store_products.dispensary_id
            and snapshots.product_id = store_products.product_id
            and snapshots.captured_at >= {{ stock_diff_start }}
        order by snapshots.captured_at desc, snapshots.snapshot_id desc
        limit 1
    ) as last_snapshot on true

    left join last_out_of_stock
        on
            store_products.dispensary_id = last_out_of_stock.dispensary_id
            and store_products.product_id = last_out_of_stock.product_id

    left join sku_velocity
        on
            store_products.dispensary_id = sku_velocity.dispensary_id
            and store_products.product_id = sku_velocity.product_id

)

select * from product_intelligence
