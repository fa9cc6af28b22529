-- The crawler: every visit of every tracked product, compared with the previous visit.
-- A row is kept when the quantity shown or the price changed (delta-only: those become the
-- snapshots), when the product went out of stock, came back, or was first seen after being
-- added (visibility events), or when units were sold since the previous visit (the truth's
-- sale rows, one per crawl interval). About 2 in 1000 visits show no quantity (NULL).
-- Ids: the global, time-ordered visit number times 4096 plus the product's rank in its store,
-- so ids grow with captured_at like the crawler's serial ids.
--
-- Units sold since the previous visit: within one cycle the difference of units sold so far;
-- across a restock (at most one between two visits) what the old cycle sold up to the restock
-- plus what the new one sold since. A product's first visit counts from its start.

-- step: visits table
create unlogged table retail_sim.visit_rows (
    id                 bigint not null,
    dispensary_id      integer not null,
    product_id         text not null,
    brand_name         text,
    category           text,
    captured_at        timestamptz not null,
    price_rec          numeric(10, 2),
    quantity_available integer,
    is_snapshot        boolean not null,
    event_type         text,
    units_sold         integer not null,
    sold_at            timestamptz not null,
    true_quantity      integer not null
);

-- step: visits (parallel)
-- Run once per part by as many sessions (sp_id modulo parts), rows already in their final
-- shape. The `offset 0` fences keep Postgres from inlining (and so re-computing) each layer's
-- expressions into the next.
insert into retail_sim.visit_rows
select
    z.visit_no * 4096 + z.rank,
    z.store_id,
    z.provider_product_id,
    z.brand,
    z.category,
    %(start_ts)s::timestamptz + z.t_us * interval '1 microsecond',
    z.p_now::numeric(10, 2),
    z.shown_now,
    z.first or z.shown_now is distinct from z.shown_prev or z.p_now <> z.p_prev,
    case
        when z.first and z.introduced then 'added'
        when z.first then null
        when z.q_now = 0 and z.q_prev > 0 then 'oos'
        when z.q_now > 0 and z.q_prev = 0 then 'back_in_stock'
    end,
    z.sold,
    %(start_ts)s::timestamptz + ((z.from_us + z.t_us) / 2) * interval '1 microsecond',
    z.q_now
from (
    select
        y.*,
        case when not y.blank_now then y.q_now end as shown_now,
        case when not y.blank_prev then y.q_prev end as shown_prev,
        retail_sim.price(y.base_price, y.pu_now) as p_now,
        retail_sim.price(y.base_price, y.pu_prev) as p_prev
    from (
        select
            x.*,
            greatest(0, x.lvl - (x.d_now - x.d_r)) as q_now,
            case
                when x.first then null
                when x.same then greatest(0, x.lvl - (x.d_prev - x.d_r))
                else greatest(0, x.prev_lvl - (x.d_prev - x.prev_d_r))
            end as q_prev,
            case
                when x.first then least(x.lvl, x.d_now - x.d_r)
                when x.same then least(x.lvl, x.d_now - x.d_r) - least(x.lvl, x.d_prev - x.d_r)
                else least(x.prev_lvl, x.d_r - x.prev_d_r) - least(x.prev_lvl, x.d_prev - x.prev_d_r)
                     + least(x.lvl, x.d_now - x.d_r)
            end as sold
        from (
            select
                w.*,
                retail_sim.demand(w.x_now, w.demand_key) as d_now,
                case when not w.first then retail_sim.demand(w.x_prev, w.demand_key) end as d_prev
            from (
                select
                    c.store_id,
                    c.rank,
                    c.provider_product_id,
                    c.brand,
                    c.category,
                    c.introduced,
                    c.lvl,
                    c.d_r,
                    c.prev_lvl,
                    c.prev_d_r,
                    c.demand_key,
                    c.base_price,
                    b.t_us,
                    b.visit_no,
                    c.rate * b.curves[c.variant + 1] as x_now,
                    c.rate * b.pv_curves[c.variant + 1] as x_prev,
                    b.pv_bi is null or b.pv_bi < c.bi_first as first,
                    c.k = 0 or b.pv_us > c.r_us as same,
                    case when b.pv_bi is null or b.pv_bi < c.bi_first then c.r_us else b.pv_us end
                        as from_us,
                    case when c.price_fixed then 0.0
                         else retail_sim.rnd(c.price_key,
                                             floor(b.t_us / c.price_period_us + c.price_phase)::integer)
                    end as pu_now,
                    case when c.price_fixed then 0.0
                         else retail_sim.rnd(c.price_key,
                                             floor(b.pv_us / c.price_period_us + c.price_phase)::integer)
                    end as pu_prev,
                    retail_sim.rnd(c.blank_key, b.visit_no::integer) < 0.002 as blank_now,
                    coalesce(retail_sim.rnd(c.blank_key, b.pv_no::integer) < 0.002, false) as blank_prev
                from (
                    -- The expansion first (fenced), then one hash join with the small breaks table.
                    select cy.*, g.bi
                    from retail_sim.cycles as cy
                    cross join lateral generate_series(cy.vis_lo, cy.bi_hi) as g (bi)
                    where cy.tracked and mod(cy.sp_id, %(parts)s) = %(part)s
                    offset 0
                ) as c
                join retail_sim.store_breaks as b on b.store_id = c.store_id and b.bi = c.bi
                where b.kind = 'v'
                offset 0
            ) as w
            offset 0
        ) as x
        offset 0
    ) as y
    offset 0
) as z
where z.first
   or z.shown_now is distinct from z.shown_prev
   or z.p_now <> z.p_prev
   or (z.q_now = 0 and z.q_prev > 0)
   or (z.q_now > 0 and z.q_prev = 0)
   or z.sold > 0;
