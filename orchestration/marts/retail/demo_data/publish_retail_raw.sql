-- Replace the content of retail_raw. the demo-data engine runs these steps in one transaction, after
-- it truncated every table of the schema and dropped the big tables' indexes and constraints,
-- and recreates them afterwards (retail_truth is filled at the same time by another session,
-- both commit together). Snapshots and events go in id order, which is time order, as the
-- crawler appends them: BRIN on captured_at stays selective.

-- step: dispensaries
insert into retail_raw.dispensaries (id, name, city, state, crawl_enabled)
select store_id, name, city, state, crawl_enabled
from retail_sim.stores
order by store_id;

-- step: store_products
insert into retail_raw.store_products (
    id, dispensary_id, provider_product_id, name_raw, brand_name_raw, category_raw, brand,
    category, is_in_stock, stock_status, stock_quantity, price_rec, first_seen_at, last_seen_at,
    updated_at)
select
    id, dispensary_id, provider_product_id, name_raw, brand_name_raw, category_raw, brand,
    category, is_in_stock, stock_status, stock_quantity, price_rec, first_seen_at, last_seen_at,
    updated_at
from retail_sim.menu_rows
order by id;

-- step: inventory_snapshots
insert into retail_raw.inventory_snapshots (
    id, dispensary_id, product_id, brand_name, category, captured_at, price_rec,
    quantity_available)
select id, dispensary_id, product_id, brand_name, category, captured_at, price_rec,
       quantity_available
from retail_sim.visit_rows
where is_snapshot and published
order by id;

-- step: product_visibility_events
insert into retail_raw.product_visibility_events (id, dispensary_id, product_id, event_type, detected_at)
select id, dispensary_id, product_id, event_type, detected_at
from (
    select id, dispensary_id, product_id, event_type, captured_at as detected_at
    from retail_sim.visit_rows
    where event_type is not null and published
    union all
    select id, dispensary_id, product_id, event_type, detected_at
    from retail_sim.removed_rows
) as e
order by id;
