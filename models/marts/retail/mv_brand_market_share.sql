{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['brand_name', 'state_code'],
        unique_key_index_name='idx_mv_brand_market_pk',
        post_hook=[
            mv_index(['state_code'], name='idx_mv_brand_market_state'),
            mv_index(['penetration_pct desc'], name='idx_mv_brand_market_penetration'),
        ],
    )
}}

with

dispensaries as (

    -- One population for every measure: the stores the crawler still visits. A menu of a
    -- store no longer crawled is an old one, so it counts in no total, count or price.
    select * from {{ ref('stg_retail__dispensaries') }}
    where
        is_crawl_enabled
        and state_code is not null

),

store_products as (

    select * from {{ ref('stg_retail__store_products') }}
    where brand is not null

),

brand_presence as (

    select
        store_products.brand as brand_name,
        dispensaries.state_code,
        count(distinct store_products.dispensary_id) as stores_carrying,
        count(*) as sku_count,
        count(*) filter (where store_products.is_in_stock) as in_stock_skus,
        avg(store_products.price_rec) as avg_price

    from store_products

    inner join dispensaries
        on store_products.dispensary_id = dispensaries.dispensary_id

    group by store_products.brand, dispensaries.state_code

),

state_totals as (

    select
        state_code,
        count(*) as total_stores

    from dispensaries

    group by state_code

),

brand_market_share as (

    select
        brand_presence.brand_name,
        brand_presence.state_code,
        brand_presence.stores_carrying,
        state_totals.total_stores,
        round(
            brand_presence.stores_carrying::numeric * 100 / nullif(state_totals.total_stores, 0),
            2
        ) as penetration_pct,
        brand_presence.sku_count,
        brand_presence.in_stock_skus,
        brand_presence.avg_price,
        {{ retail_refresh_time() }} as calculated_at

    from brand_presence

    inner join state_totals
        on brand_presence.state_code = state_totals.state_code

)

select * from brand_market_share
