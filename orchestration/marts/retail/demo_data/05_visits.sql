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
--
-- Only the visits that are new to this run: captured (in_window) or published (published) at
-- or after from_us (the previous end when advancing) and before end_us. A late visit
-- (03_timeline.sql) is in the window of its capture for the truth, in that of its publication
-- for the crawler's rows.

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
    true_quantity      integer not null,
    in_window          boolean not null,
    published          boolean not null
);

-- step: visits (parallel)
-- Run once per part by as many sessions (sp_id modulo parts), rows already in their final
-- shape. The `offset 0` fences make Postgres compute each hash once per row: without them it
-- would inline the expensive expressions into every place the outer layers use them (the
-- outer layers only add cheap arithmetic, which is fine to repeat).
insert into retail_sim.visit_rows
select
    x.visit_no * 4096 + x.rank,
    x.store_id,
    x.provider_product_id,
    x.brand,
    x.category,
    %(start_ts)s::timestamptz + x.t_us * interval '1 microsecond',
    x.p_now::numeric(10, 2),
    x.shown_now,
    x.first or x.shown_now is distinct from x.shown_prev or x.p_now <> x.p_prev,
    case
        when x.first and x.introduced then 'added'
        when x.first then null
        when x.q_now = 0 and x.q_prev > 0 then 'oos'
        when x.q_now > 0 and x.q_prev = 0 then 'back_in_stock'
    end,
    x.sold,
    %(start_ts)s::timestamptz + ((x.from_us + x.t_us) / 2) * interval '1 microsecond',
    x.q_now,
    x.t_us >= %(from_us)s::bigint,
    x.pub_us >= %(from_us)s::bigint and x.pub_us < %(end_us)s::bigint
from (
    -- The visit's state, sales and shown values, each computed once (fenced).
    select
        q.*,
        case when not q.blank_now then q.q_now end as shown_now,
        case when not q.blank_prev then q.q_prev end as shown_prev,
        retail_sim.price(q.base_price, q.pu_now) as p_now,
        retail_sim.price(q.base_price, q.pu_prev) as p_prev
    from (
        select
            h.*,
            greatest(0, h.lvl - (h.d_now - h.d_r)) as q_now,
            case
                when h.first then null
                when h.same then greatest(0, h.lvl - (h.d_prev - h.d_r))
                else greatest(0, h.prev_lvl - (h.d_prev - h.prev_d_r))
            end as q_prev,
            case
                when h.first then least(h.lvl, h.d_now - h.d_r)
                when h.same then least(h.lvl, h.d_now - h.d_r) - least(h.lvl, h.d_prev - h.d_r)
                else least(h.prev_lvl, h.d_r - h.prev_d_r) - least(h.prev_lvl, h.d_prev - h.prev_d_r)
                     + least(h.lvl, h.d_now - h.d_r)
            end as sold
        from (
            -- Every pseudo-random draw of the visit, each computed once (fenced).
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
                c.base_price,
                b.t_us,
                b.pub_us,
                b.visit_no,
                b.pv_bi is null or b.pv_bi < c.bi_first as first,
                c.k = 0 or b.pv_us > c.r_us as same,
                case when b.pv_bi is null or b.pv_bi < c.bi_first then c.r_us else b.pv_us end
                    as from_us,
                retail_sim.demand(c.rate * b.curves[c.variant + 1], c.demand_key) as d_now,
                case when b.pv_bi >= c.bi_first
                     then retail_sim.demand(c.rate * b.pv_curves[c.variant + 1], c.demand_key)
                end as d_prev,
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
                join retail_sim.store_window as w using (store_id)
                cross join lateral generate_series(greatest(cy.vis_lo, w.first_bi), cy.bi_hi) as g (bi)
                where cy.tracked and mod(cy.sp_id, %(parts)s) = %(part)s and cy.bi_hi >= w.first_bi
                offset 0
            ) as c
            join retail_sim.store_breaks as b on b.store_id = c.store_id and b.bi = c.bi
            where b.kind = 'v'
              and (b.t_us >= %(from_us)s::bigint or b.pub_us >= %(from_us)s::bigint)
            offset 0
        ) as h
        -- Most visits see no change at all: no demand, same price draw, no blank on either
        -- side, same cycle. They are dropped before any further work.
        where not (h.same and not h.first and h.d_now = h.d_prev and h.pu_now = h.pu_prev
                   and not h.blank_now and not h.blank_prev)
    ) as q
    offset 0
) as x
where x.first
   or x.shown_now is distinct from x.shown_prev
   or x.p_now <> x.p_prev
   or (x.q_now = 0 and x.q_prev > 0)
   or (x.q_now > 0 and x.q_prev = 0)
   or x.sold > 0;
