{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['seller_id'],
        unique_key_index_name='idx_seller_sell_through_seller',
    )
}}

-- Graph 2: per seller, the share of the units posted on past valid bundles that sold, each
-- bundle's sales capped at its posted units; the rest is unsold.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundle_sales') }}
    where not is_future

),

by_seller as (

    select
        seller_id,
        sum(sold_units) as sold_units,
        sum(least(sold_units, posted_qty)) as sold_within_posted,
        sum(posted_qty) as posted_units,
        count(*) as bundles

    from bundles
    group by seller_id

)

select
    seller_id,
    sold_units,
    posted_units,
    bundles,
    {{ seller_insights_pct('sold_within_posted', 'posted_units') }} as sell_through_pct,
    100 - {{ seller_insights_pct('sold_within_posted', 'posted_units') }} as unsold_pct

from by_seller
