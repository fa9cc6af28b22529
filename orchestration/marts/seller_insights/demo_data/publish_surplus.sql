-- Replace the content of surplus. The demo-data engine runs these steps in one transaction,
-- after it truncated the schema's tables and dropped the bulk tables' indexes and constraints
-- (bundles, bundle_categories, reservations), and recreates them afterwards; surplus_truth is
-- filled at the same time by another session, both commit together.
-- Only what has happened by the anchor: bundles posted by then (all of them are), reservations
-- made by then, and of those the cancellations and collections by then.

-- step: categories
insert into surplus.categories (category_id, category_name)
select category_id, category_name
from seller_insights_sim.categories
order by category_id;

-- step: sellers
-- Signed up 15 to 45 days before their first window (so before posting it), never after the
-- anchor.
insert into surplus.sellers (seller_id, name, latitude, longitude, time_zone, created_at)
select
    seller_id,
    name,
    latitude,
    longitude,
    time_zone,
    least(date_trunc('second', start_ts - (15 + 30 * created_u) * interval '1 day'),
          %(ends_at)s::timestamptz)
from seller_insights_sim.sellers
order by seller_id;

-- step: bundles
insert into surplus.bundles (bundle_id, seller_id, window_start, window_end, total_qty, price, posted_at)
select bundle_id, seller_id, window_start, window_end, total_qty, price, posted_at
from seller_insights_sim.bundles;

-- step: bundle_categories
insert into surplus.bundle_categories (bundle_id, category_id)
select bundle_id, category_id
from seller_insights_sim.bundle_category_rows;

-- step: reservations
insert into surplus.reservations (
    reservation_id, bundle_id, buyer_id, quantity, reserved_at, collected_at, cancelled_at)
select
    reservation_id,
    bundle_id,
    buyer_id,
    quantity,
    reserved_at,
    case when collected_at <= %(ends_at)s::timestamptz then collected_at end,
    case when cancelled_at <= %(ends_at)s::timestamptz then cancelled_at end
from seller_insights_sim.reservation_rows
where reserved_at <= %(ends_at)s::timestamptz;
