-- The menu rows as the crawler last saw them (store_products holds the current state): the
-- state at the last published visit that saw each product (an advance updates the rows that
-- changed). Untracked products (the menu shows no
-- inventory for them) have no quantity; their stock status still comes from the menu.
create unlogged table retail_sim.menu_rows as
select
    x.sp_id as id,
    x.store_id as dispensary_id,
    x.provider_product_id,
    x.name as name_raw,
    x.brand_name_raw,
    x.category_raw,
    x.brand,
    x.category,
    x.q > 0 as is_in_stock,
    case when x.q > 5 then 'in_stock' when x.q > 0 then 'low_stock' else 'out_of_stock' end
        as stock_status,
    case when (x.tracked or x.provider_product_id is null) and not x.blank then x.q end
        as stock_quantity,
    retail_sim.price(x.base_price, x.pu)::numeric(10, 2) as price_rec,
    case when x.introduced then %(start_ts)s::timestamptz + x.us_first * interval '1 microsecond'
         else %(start_ts)s::timestamptz - x.seen_days_before * interval '1 day'
              + mod(x.seen_days_before * 37, 1440) * interval '1 minute'
    end as first_seen_at,
    %(start_ts)s::timestamptz + x.t_us * interval '1 microsecond' as last_seen_at,
    %(start_ts)s::timestamptz + x.t_us * interval '1 microsecond' as updated_at
from (
    select
        sp.*,
        l.introduced,
        l.us_first,
        b.t_us,
        greatest(0, c.lvl - (retail_sim.demand(sp.rate * b.curves[sp.variant + 1], sp.demand_key) - c.d_r)) as q,
        case when sp.price_fixed then 0.0
             else retail_sim.rnd(sp.price_key, floor(b.t_us / sp.price_period_us + sp.price_phase)::integer)
        end as pu,
        retail_sim.rnd(sp.blank_key, b.visit_no::integer) < 0.002 as blank
    from retail_sim.sp as sp
    join retail_sim.sp_life as l using (sp_id)
    join retail_sim.store_breaks as b on b.store_id = sp.store_id and b.bi = l.seen_bi
    join retail_sim.cycles as c on c.sp_id = sp.sp_id and l.seen_bi between c.vis_lo and c.bi_hi
) as x;

-- Delisted products: the crawler notices at its next visit (published in this run's window).
create unlogged table retail_sim.removed_rows as
select
    b.visit_no * 4096 + sp.rank as id,
    sp.store_id as dispensary_id,
    sp.provider_product_id as product_id,
    'removed' as event_type,
    %(start_ts)s::timestamptz + b.t_us * interval '1 microsecond' as detected_at
from retail_sim.sp as sp
join retail_sim.sp_life as l using (sp_id)
join retail_sim.store_breaks as b on b.store_id = sp.store_id and b.bi = l.gone_bi
where sp.tracked and b.pub_us >= %(from_us)s::bigint and b.pub_us < %(end_us)s::bigint;
