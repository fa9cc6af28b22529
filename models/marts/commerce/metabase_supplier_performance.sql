{{
    config(
        meta={'cadence': 'weekly'},
        unique_key=['supplier_id'],
        unique_key_index_name='idx_supp_perf_id',
        post_hook=[
            mv_index(['total_revenue_generated desc', 'supplier_id'], name='idx_supp_perf_revenue'),
            mv_index(['avg_roi desc nulls last', 'supplier_id'], name='idx_supp_perf_roi'),
        ],
    )
}}

with

suppliers as (

    select * from {{ ref('stg_commerce__suppliers') }}

),

products as (

    select * from {{ ref('stg_commerce__products') }}

),

sales as (

    select
        supplier_id,
        round(avg(roi_pct), 2) as avg_roi

    from {{ ref('int_commerce__order_economics') }}
    where is_sale and supplier_id is not null
    group by supplier_id

),

purchases as (

    select
        items.supplier_id,
        count(*) as total_purchases,
        coalesce(sum(items.gross_purchase_price), 0) as total_spent,
        round(avg(items.gross_purchase_price), 2) as avg_purchase_price,
        count(distinct items.product_id) as unique_products,
        count(distinct products.brand_id) as unique_brands,
        count(*) filter (where items.times_sold > 0) as units_sold,
        sum(items.total_revenue) as total_revenue_generated,
        sum(items.total_profit) as total_profit,
        round(avg(items.days_to_sell), 1) as avg_days_to_sell,
        count(*) filter (where items.is_unsold) as unsold_units,
        coalesce(sum(items.current_inventory_value), 0) as unsold_value

    from {{ ref('int_commerce__items') }} as items
    left join products on items.product_id = products.product_id
    where items.supplier_id is not null
    group by items.supplier_id

)

-- noqa: disable=ST06
select
    suppliers.supplier_id,
    suppliers.supplier_name,
    suppliers.contact_email,
    suppliers.contact_phone,
    suppliers.supplier_country as country,
    suppliers.supplier_rating as rating,
    coalesce(purchases.total_purchases, 0) as total_purchases,
    coalesce(purchases.total_spent, 0) as total_spent,
    purchases.avg_purchase_price,
    coalesce(purchases.unique_products, 0) as unique_products,
    coalesce(purchases.unique_brands, 0) as unique_brands,
    coalesce(purchases.units_sold, 0) as units_sold,
    {{ commerce_pct('purchases.units_sold', 'purchases.total_purchases') }} as sell_through_rate,
    coalesce(purchases.total_revenue_generated, 0) as total_revenue_generated,
    coalesce(purchases.total_profit, 0) as total_profit,
    sales.avg_roi,
    purchases.avg_days_to_sell,
    coalesce(purchases.unsold_units, 0) as unsold_units,
    coalesce(purchases.unsold_value, 0) as unsold_value
-- noqa: enable=ST06

from suppliers
left join purchases on suppliers.supplier_id = purchases.supplier_id
left join sales on suppliers.supplier_id = sales.supplier_id
