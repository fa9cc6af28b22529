{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['status', 'stock_category', 'supplier_name'],
        unique_key_index_name='idx_inv_summary_key',
    )
}}

-- The inventory dashboard's totals (stock value, dead stock, days in stock, aging) add up
-- hundreds of thousands of items: summed here once per refresh, a card reads a few rows.
with

items as (

    select * from {{ ref('metabase_inventory_status') }}

)

-- noqa: disable=ST06
select
    status,
    coalesce(stock_category, '(none)') as stock_category,
    coalesce(supplier_name, '(none)') as supplier_name,
    count(*) as items,
    coalesce(sum(current_inventory_value), 0) as stock_value,
    coalesce(sum(days_in_stock), 0) as days_in_stock_total,
    count(days_in_stock) as items_with_days
-- noqa: enable=ST06

from items
group by status, coalesce(stock_category, '(none)'), coalesce(supplier_name, '(none)')
