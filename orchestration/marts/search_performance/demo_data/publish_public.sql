-- Replace the mart's two tables in public (the engine truncates only them: the schema is
-- shared), in one transaction like publish_sqp.sql and at the same time in another session.

-- step: brands
-- An inactive brand was deactivated during the first half of the reports.
insert into public.brands (id, brand_name, display_name, is_active, created_at, updated_at)
select
    brand_id,
    brand_name,
    display_name,
    is_active,
    created_at,
    case when is_active then created_at
         else search_performance_sim.between_ts(
             %(start_ts)s::timestamptz,
             %(start_ts)s::timestamptz + (7 * (%(n_weeks)s / 2)) * interval '1 day',
             search_performance_sim.rnd(key, 4))
    end
from search_performance_sim.brands
order by brand_no;

-- step: asin_brand_mapping
insert into public.asin_brand_mapping (id, asin, brand_id, is_active, created_at, updated_at)
select mapping_id, asin, brand_id, is_active, created_at, updated_at
from search_performance_sim.mappings
order by mapping_id;

-- step: identities
select setval(pg_get_serial_sequence('public.asin_brand_mapping', 'id'),
              coalesce((select max(id) from public.asin_brand_mapping), 0) + 1, false);
