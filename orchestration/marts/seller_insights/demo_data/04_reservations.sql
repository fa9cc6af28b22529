-- Reservations: the demand's units in arrival order, grouped into requests of 1 to 3 units
-- (blocks of three units split by a hashed pattern), first come, first served up to the posted
-- quantity; the rest is lost. Each request that got units is a reservation with its eventual
-- outcome (cancelled, no-show or collected); publish_surplus.sql keeps what happened by the
-- anchor.

-- step: reservations table
create unlogged table seller_insights_sim.reservation_rows (
    reservation_id bigint not null,
    bundle_id      bigint not null,
    buyer_id       bigint not null,
    quantity       integer not null,
    reserved_at    timestamptz not null,
    collected_at   timestamptz,
    cancelled_at   timestamptz,
    no_show_p      double precision not null
);

-- step: reservations (parallel)
-- Run once per part by as many sessions (bundles by local day modulo parts). Unit f (0-based,
-- up to the posted quantity) starts a request when its block of three's pattern says so
-- (simulation.py); the request wants `size` units and gets what is left of them. Its place in
-- the arrival order, (f + u) / demand in [0, 1), sets its lead: the earliest arrivals reserve
-- longest ahead (from lead_max down to lead_min hours by the seller's shape), in whole
-- seconds, never before posted_at. Times are computed in whole seconds from the window start.
-- The `offset 0` fences make Postgres compute each hash once per row.
insert into seller_insights_sim.reservation_rows
select
    x.bundle_id * 1000 + x.f + 1,
    x.bundle_id,
    1 + floor(seller_insights_sim.rnd(x.rkey, 1) * %(n_buyers)s)::bigint,
    x.quantity,
    x.window_start - x.lead_seconds * interval '1 second',
    case when not x.cancelled and seller_insights_sim.rnd(x.rkey, 4) >= x.no_show_p
         then x.window_start
              + floor(seller_insights_sim.rnd(x.rkey, 5) * x.window_seconds) * interval '1 second'
    end,
    case when x.cancelled
         then x.window_start
              - ceil(seller_insights_sim.rnd(x.rkey, 3) * x.lead_seconds) * interval '1 second'
    end,
    x.no_show_p
from (
    select
        r.bundle_id,
        r.f,
        r.rkey,
        r.quantity,
        r.window_start,
        r.window_seconds,
        least(r.posted_seconds, ceil(r.lead_h * 3600)::integer) as lead_seconds,
        seller_insights_sim.logistic(
            r.no_show_a + %(no_show_late)s * r.late::integer + %(no_show_early)s * r.early::integer
            + %(no_show_lead)s * ln(r.lead_h)) as no_show_p,
        seller_insights_sim.rnd(r.rkey, 2) < %(cancel_share)s as cancelled
    from (
        select
            q.*,
            q.lead_min * power(q.lead_max / q.lead_min,
                               power(1.0 - (q.f + seller_insights_sim.rnd(q.rkey, 0)) / q.demand, q.lead_shape))
                as lead_h
        from (
            select
                u.bundle_id,
                u.window_start,
                u.window_seconds,
                u.posted_seconds,
                u.demand,
                u.late,
                u.early,
                u.lead_shape,
                u.lead_min,
                u.lead_max,
                u.no_show_a,
                u.f,
                least(u.f + u.size, u.demand, u.total_qty) - u.f as quantity,
                hashint4extended(u.f, u.key) as rkey
            from (
                -- size: the request starting at unit f wants this many units (0: f is not
                -- the first unit of a request). Patterns 1 to 4 by row, f's place in its
                -- block of three by column.
                select
                    b.*,
                    g.f,
                    ('{{3, 0, 0}, {1, 2, 0}, {2, 0, 1}, {1, 1, 1}}'::integer[])
                        [1 + floor(4 * seller_insights_sim.rnd(b.key, 100 + g.f / 3))::integer]
                        [1 + mod(g.f, 3)] as size
                from seller_insights_sim.bundles as b
                cross join lateral generate_series(0, least(b.demand, b.total_qty) - 1) as g (f)
                where mod(b.bundle_id / 4, %(parts)s) = %(part)s
                offset 0
            ) as u
            where u.size > 0
            offset 0
        ) as q
        offset 0
    ) as r
    offset 0
) as x;
