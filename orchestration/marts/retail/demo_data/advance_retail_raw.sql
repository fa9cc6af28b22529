-- Advance retail_raw from the previous end (from_us) to the new one (end_us), as the crawler
-- would have written it meanwhile: plain inserts and updates in one transaction (retail_truth is
-- advanced at the same time by another session, both commit together), so the tables' triggers
-- fire and their indexes stay. No row written before changes, except the menu rows
-- (store_products: the crawler's current state) that a new visit saw differently.

-- step: store_products
insert into retail_raw.store_products as p (
    id, dispensary_id, provider_product_id, name_raw, brand_name_raw, category_raw, brand,
    category, is_in_stock, stock_status, stock_quantity, price_rec, first_seen_at, last_seen_at,
    updated_at)
select
    id, dispensary_id, provider_product_id, name_raw, brand_name_raw, category_raw, brand,
    category, is_in_stock, stock_status, stock_quantity, price_rec, first_seen_at, last_seen_at,
    updated_at
from retail_sim.menu_rows
order by id
on conflict (id) do update set
    is_in_stock = excluded.is_in_stock,
    stock_status = excluded.stock_status,
    stock_quantity = excluded.stock_quantity,
    price_rec = excluded.price_rec,
    last_seen_at = excluded.last_seen_at,
    updated_at = excluded.updated_at
where (p.is_in_stock, p.stock_status, p.stock_quantity, p.price_rec, p.last_seen_at, p.updated_at)
    is distinct from (excluded.is_in_stock, excluded.stock_status, excluded.stock_quantity,
                      excluded.price_rec, excluded.last_seen_at, excluded.updated_at);

-- step: inventory_snapshots
-- The new visits' snapshots and the late ones published in the window (captured before it).
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
