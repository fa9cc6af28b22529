-- One row per inventory item with its sales and its age, defined once for the inventory,
-- product, brand and supplier views: times sold, revenue, profit, days in stock, days to sell,
-- stock category and the value it still holds.
with

inventory as (

    select * from {{ ref('stg_commerce__inventory') }}

),

sales as (

    select
        inventory_id,
        count(*) as times_sold,
        min(sold_at) as first_sold_at,
        max(sold_at) as last_sold_at,
        sum(sale_price) as total_revenue,
        sum(profit) as total_profit

    from {{ ref('int_commerce__order_economics') }}
    where is_sale and inventory_id is not null
    group by inventory_id

),

aged as (

    select
        inventory.*,
        inventory.inventory_status in ('in_stock', 'listed') as is_unsold,
        coalesce(sales.times_sold, 0) as times_sold,
        sales.first_sold_at,
        sales.last_sold_at,
        coalesce(sales.total_revenue, 0) as total_revenue,
        coalesce(sales.total_profit, 0) as total_profit,
        case
            when inventory.inventory_status in ('in_stock', 'listed')
                then {{ commerce_days_between('inventory.purchase_date', commerce_as_of()) }}
            when inventory.inventory_status in ('sold', 'reserved')
                then {{ commerce_days_between('inventory.purchase_date', 'sales.last_sold_at') }}
        end as days_in_stock,
        {{ commerce_days_between('inventory.purchase_date', 'sales.first_sold_at') }} as days_to_sell

    from inventory
    left join sales on inventory.inventory_id = sales.inventory_id

)

select
    *,  -- noqa: AM04
    {{ commerce_stock_category('days_in_stock', 'is_unsold') }} as stock_category,
    case when is_unsold then gross_purchase_price else 0 end as current_inventory_value

from aged
