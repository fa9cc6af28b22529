{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['inventory_id'],
        unique_key_index_name='idx_inv_status_id',
        refresh_strategy='swap',
        post_hook=[
            mv_index(['product_id'], name='idx_inv_status_product'),
            mv_index(['brand_name'], name='idx_inv_status_brand'),
            mv_index(['stock_category', 'days_in_stock desc'], name='idx_inv_status_category'),
            mv_index(['days_in_stock desc nulls last', 'inventory_id'], name='idx_inv_status_aging'),
        ],
    )
}}

with

items as (

    select * from {{ ref('int_commerce__items') }}

),

products as (

    select * from {{ ref('stg_commerce__products') }}

),

brands as (

    select * from {{ ref('stg_commerce__brands') }}

),

categories as (

    select * from {{ ref('stg_commerce__categories') }}

),

suppliers as (

    select * from {{ ref('stg_commerce__suppliers') }}

)

-- noqa: disable=ST06
select
    items.inventory_id,
    items.product_id,
    products.product_name,
    products.sku,
    brands.brand_name,
    categories.category_name,
    suppliers.supplier_name,
    items.inventory_status as status,
    items.condition,
    items.size,
    items.color,
    items.purchase_price,
    items.gross_purchase_price,
    items.vat_amount,
    items.purchase_date,
    items.times_sold,
    items.last_sold_at,
    items.total_revenue,
    items.total_profit,
    items.days_in_stock,
    items.stock_category,
    items.current_inventory_value
-- noqa: enable=ST06

from items
left join products on items.product_id = products.product_id
left join brands on products.brand_id = brands.brand_id
left join categories on products.category_id = categories.category_id
left join suppliers on items.supplier_id = suppliers.supplier_id
