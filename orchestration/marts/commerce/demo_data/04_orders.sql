-- The orders: an item's first sale and, after a cancellation or a return, its second. Each on
-- a platform by its share, to a buyer in a (country, city) by weight, at the product's market
-- value (retail price times hype) with noise, less for a defect or a used item. The fee is the
-- platform's; a completed order is paid out some payout_days after completion, unless it never
-- is (never_paid_share) or the payout would come after the anchor.

-- step: orders table
create unlogged table commerce_sim.orders (
    item_no         bigint not null,
    k               integer not null,
    sold_at         timestamptz not null,
    platform_no     integer not null,
    city_no         integer not null,
    status          text not null,
    gross_sale      numeric(10, 2) not null,
    platform_fee    numeric(10, 2) not null,
    shipping_cost   numeric(10, 2) not null,
    payout_received boolean not null,
    payout_date     timestamptz,
    updated_at      timestamptz not null
);

-- step: orders (parallel)
-- `offset 0` keeps each level a subquery of its own: each value is computed once per row.
insert into commerce_sim.orders
select
    x.item_no,
    x.k,
    x.sold_at,
    x.platform_no,
    x.city_no,
    x.status,
    x.gross_sale,
    round(x.gross_sale * pf.fee_percentage / 100 + pf.fee_fixed, 2),
    round((case c.zone when 1 then 5 + 3 * commerce_sim.rnd(x.okey, 6)
                       when 2 then 10 + 8 * commerce_sim.rnd(x.okey, 6)
                       else 18 + 7 * commerce_sim.rnd(x.okey, 6) end)::numeric, 2),
    x.paid,
    case when x.paid then x.payout_at end,
    case x.status
        when 'pending' then x.sold_at
        when 'shipped' then x.ship_at
        when 'completed' then case when x.paid then x.payout_at else x.complete_at end
        else x.back_at end
from (
    select
        y.*,
        y.status = 'completed'
            and commerce_sim.rnd(y.okey, 8) >= %(never_paid_share)s
            and y.payout_at < %(ends_at)s::timestamptz as paid
    from (
        select
            z.*,
            pl.status,
            pl.ship_at,
            pl.complete_at,
            pl.back_at,
            date_trunc('second', pl.complete_at
                + greatest(0.25, pf.payout_days - 2 + 4 * commerce_sim.rnd(z.okey, 7))
                  * interval '1 day') as payout_at
        from (
            select
                o.item_no,
                o.k,
                o.okey,
                o.sold_at,
                width_bucket(commerce_sim.rnd(o.okey, 11), %(platform_starts)s::float8[]) as platform_no,
                width_bucket(commerce_sim.rnd(o.okey, 12), %(city_starts)s::float8[]) as city_no,
                -- Market value, noise (log-normal, sigma 0.12), condition; whole euros.
                greatest(20, round(p.retail_price::float8 * p.hype
                    * exp(0.24 * (commerce_sim.rnd(o.okey, 13) + commerce_sim.rnd(o.okey, 14)
                                  + commerce_sim.rnd(o.okey, 15) - 1.5))
                    * case o.condition when 'new' then 1 when 'new_defects' then 0.8 else 0.65 end)
                )::numeric(10, 2) as gross_sale
            from (
                select i.item_no, 0 as k, i.sold1_at as sold_at, i.product_no, i.condition,
                       commerce_sim.entity_key(2 * i.item_no, 3, %(seed)s) as okey
                from commerce_sim.items as i
                where i.sold1_at is not null and mod(i.item_no, %(parts)s) = %(part)s
                union all
                select i.item_no, 1, i.sold2_at, i.product_no, i.condition,
                       commerce_sim.entity_key(2 * i.item_no + 1, 3, %(seed)s)
                from commerce_sim.items as i
                where i.sold2_at is not null and mod(i.item_no, %(parts)s) = %(part)s
            ) as o
            join commerce_sim.products as p using (product_no)
            offset 0
        ) as z
        join commerce_sim.platforms as pf using (platform_no)
        cross join lateral commerce_sim.order_plan(z.okey, z.sold_at, %(ends_at)s,
                                                   %(cancelled_share)s, %(returned_share)s) as pl
        offset 0
    ) as y
    offset 0
) as x
join commerce_sim.platforms as pf using (platform_no)
join commerce_sim.cities as c using (city_no);
