-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as inventory_id,
    product_id,
    supplier_id,
    size,
    color,
    condition,
    status as inventory_status,
    purchase_price,
    vat_amount,
    gross_purchase_price,
    purchase_date

from {{ source('products', 'inventory') }}
