-- The items bought (one per physical pair or piece), numbered in purchase order, and their
-- sales: an item sells after a skewed number of days unless its product is dead, it is one of
-- the unlucky unsold or written off; a cancelled or returned sale puts it back in stock, and it
-- may sell once more. Whatever would happen at or after the anchor (ends_at) has not happened.

-- step: order plan
-- One order's course from its sale: shipped one to three days later and completed three to
-- eight days after that; cancelled (cancelled_share, before shipping) or returned
-- (returned_share, within two weeks of completion). status is as of the anchor; back_at is when
-- the item is in stock again (cancelled or returned), NULL otherwise.
create function commerce_sim.order_plan(
    okey bigint, sold_at timestamptz, ends_at timestamptz, cancelled_share double precision,
    returned_share double precision)
    returns table (status text, ship_at timestamptz, complete_at timestamptz, back_at timestamptz)
    language sql immutable parallel safe
    as $$
    select
        case when e.outcome = 'cancelled'
             then case when e.cancel_at < ends_at then 'cancelled' else 'pending' end
             when e.ship_at >= ends_at then 'pending'
             when e.complete_at >= ends_at then 'shipped'
             when e.outcome = 'returned' and e.return_at < ends_at then 'returned'
             else 'completed' end,
        e.ship_at,
        e.complete_at,
        case e.outcome when 'cancelled' then e.cancel_at when 'returned' then e.return_at end
    from (
        select
            s.outcome,
            s.ship_at,
            s.complete_at,
            date_trunc('second', sold_at + (0.1 + 1.8 * commerce_sim.rnd(okey, 2)) * interval '1 day')
                as cancel_at,
            date_trunc('second', s.complete_at + (2 + 12 * commerce_sim.rnd(okey, 4)) * interval '1 day')
                as return_at
        from (
            select
                case when commerce_sim.rnd(okey, 1) < cancelled_share then 'cancelled'
                     when commerce_sim.rnd(okey, 1) < cancelled_share + returned_share then 'returned'
                     else 'ok' end as outcome,
                t.ship_at,
                date_trunc('second', t.ship_at + (3 + 5 * commerce_sim.rnd(okey, 3)) * interval '1 day')
                    as complete_at
            from (select date_trunc('second', sold_at + (1 + 2 * commerce_sim.rnd(okey, 2))
                                                        * interval '1 day') as ship_at) as t
        ) as s
    ) as e
    $$;

create unlogged table commerce_sim.items (
    item_no              bigint not null,
    product_no           integer not null,
    supplier_no          integer not null,
    size                 text not null,
    colour               text not null,
    condition            text not null,
    purchase_price       numeric(10, 2) not null,
    vat_amount           numeric(10, 2) not null,
    gross_purchase_price numeric(10, 2) not null,
    purchase_at          timestamptz not null,
    status               text not null,
    updated_at           timestamptz not null,
    sold1_at             timestamptz,
    sold2_at             timestamptz
);

-- step: items (parallel)
-- Purchase times grow linearly from growth_start to growth_end of the mean rate (the inverse of
-- that distribution at (item_no - 1 + u) / n_items, so item numbers follow purchase time).
-- `offset 0` keeps each level a subquery of its own: each value is computed once per row.
insert into commerce_sim.items
select
    g.item_no,
    g.product_no,
    g.supplier_no,
    g.size,
    g.colour,
    g.condition,
    g.net,
    g.vat,
    g.net + g.vat,
    g.purchase_at,
    case when g.sold1_at is null
         then case when g.written_off then 'written_off'
                   when commerce_sim.rnd(g.key, 20) < 0.65 then 'listed'
                   else 'in_stock' end
         when coalesce(g.status2, g.status1) = 'pending' then 'reserved'
         when coalesce(g.status2, g.status1) in ('shipped', 'completed') then 'sold'
         when commerce_sim.rnd(g.key, 20) < 0.5 then 'listed'
         else 'in_stock' end,
    -- The last change before the anchor: the latest event of its orders, its write-off, or
    -- its purchase.
    case when g.sold1_at is null
         then case when g.written_off
                   then commerce_sim.between_ts(g.purchase_at, %(ends_at)s::timestamptz,
                                                commerce_sim.rnd(g.key, 21))
                   else g.purchase_at end
         else greatest(g.sold1_at, g.sold2_at,
                       case when g.ship1_at < %(ends_at)s::timestamptz then g.ship1_at end,
                       case when g.complete1_at < %(ends_at)s::timestamptz then g.complete1_at end,
                       case when g.back1_at < %(ends_at)s::timestamptz then g.back1_at end,
                       case when g.ship2_at < %(ends_at)s::timestamptz then g.ship2_at end,
                       case when g.complete2_at < %(ends_at)s::timestamptz then g.complete2_at end,
                       case when g.back2_at < %(ends_at)s::timestamptz then g.back2_at end) end,
    g.sold1_at,
    g.sold2_at
from (
    select
        q.*,
        o2.status as status2,
        o2.ship_at as ship2_at,
        o2.complete_at as complete2_at,
        o2.back_at as back2_at
    from (
        select
            r.*,
            case when r.resold_at < %(ends_at)s::timestamptz then r.resold_at end as sold2_at
        from (
            select
                b.*,
                o1.status as status1,
                o1.ship_at as ship1_at,
                o1.complete_at as complete1_at,
                o1.back_at as back1_at,
                -- Back in stock, it sells again after half a day and more.
                date_trunc('second', o1.back_at + (0.5 + -ln(1 - commerce_sim.rnd(b.key, 19)) * 20
                                                   / sqrt(b.hype)) * interval '1 day') as resold_at
            from (
                select
                    a.*,
                    case when not a.never_sells and a.first_at < %(ends_at)s::timestamptz
                         then a.first_at end as sold1_at
                from (
                    select
                        x.*,
                        round(x.base / (1 + x.vat_rate), 2) as net,
                        round(round(x.base / (1 + x.vat_rate), 2) * x.vat_rate, 2) as vat,
                        x.written_off or x.dead or commerce_sim.rnd(x.key, 14) < %(unsold_share)s
                            as never_sells,
                        -- Days to sell: three in four within weeks, the rest within months;
                        -- hyped products faster.
                        date_trunc('second', x.purchase_at
                            + (0.02 + -ln(1 - commerce_sim.rnd(x.key, 16))
                                      * case when commerce_sim.rnd(x.key, 15) < 0.75 then 14 else 100 end
                                      / sqrt(x.hype)) * interval '1 day') as first_at
                    from (
                        select
                            y.*,
                            -- What was paid, VAT included: the retail price (a private seller's
                            -- price: the market value) times the supplier's level, with noise,
                            -- less for a defect or a used item.
                            ((case when y.private then y.retail_price * y.hype else y.retail_price end)
                             * y.level * (0.93 + 0.14 * commerce_sim.rnd(y.key, 11))
                             * case y.condition when 'new' then 1 when 'new_defects' then 0.85
                                                else 0.6 end)::numeric as base,
                            commerce_sim.rnd(y.key, 13) < %(written_off_share)s as written_off
                        from (
                            select
                                v.item_no,
                                v.key,
                                v.purchase_at,
                                v.product_no,
                                p.retail_price::float8 as retail_price,
                                p.hype,
                                p.dead,
                                p.colour,
                                s.supplier_no,
                                s.level,
                                s.private,
                                s.vat_rate::numeric as vat_rate,
                                case p.size_family
                                    when 'shoe' then (array['EU 36', 'EU 36.5', 'EU 37.5', 'EU 38',
                                        'EU 38.5', 'EU 39', 'EU 40', 'EU 40.5', 'EU 41', 'EU 42',
                                        'EU 42.5', 'EU 43', 'EU 44', 'EU 44.5', 'EU 45', 'EU 46',
                                        'EU 47', 'EU 47.5'])[1 + floor(9 * (commerce_sim.rnd(v.key, 4)
                                                         + commerce_sim.rnd(v.key, 5)))::integer]
                                    when 'apparel' then (array['XS', 'S', 'M', 'L', 'XL', 'XXL'])
                                        [1 + floor(3 * (commerce_sim.rnd(v.key, 4)
                                                        + commerce_sim.rnd(v.key, 5)))::integer]
                                    else 'One Size' end as size,
                                case when s.private
                                     then case when commerce_sim.rnd(v.key, 6) < 0.55 then 'new'
                                               when commerce_sim.rnd(v.key, 6) < 0.75 then 'new_defects'
                                               else 'used' end
                                     else case when commerce_sim.rnd(v.key, 6) < 0.96 then 'new'
                                               else 'new_defects' end end as condition
                            from (
                                select
                                    u.*,
                                    commerce_sim.pick_product((u.purchase_at at time zone 'UTC')::date,
                                                              commerce_sim.rnd(u.key, 2)) as product_no
                                from (
                                    select
                                        t.item_no,
                                        t.key,
                                        date_trunc('second', %(start_ts)s::timestamptz
                                            + (-%(growth_start)s + sqrt(%(growth_start)s ^ 2
                                                   + 2 * (%(growth_end)s - %(growth_start)s)
                                                     * ((t.item_no - 1 + commerce_sim.rnd(t.key, 1)) / %(n_items)s)
                                                     * (%(growth_start)s + %(growth_end)s) / 2))
                                              / (%(growth_end)s - %(growth_start)s)
                                              * (%(days)s * interval '1 day' - interval '1 hour'))
                                            as purchase_at
                                    from (
                                        select n as item_no, commerce_sim.entity_key(n, 2, %(seed)s) as key
                                        from generate_series(1 + %(part)s, %(n_items)s, %(parts)s) as n
                                        offset 0
                                    ) as t
                                    offset 0
                                ) as u
                                offset 0
                            ) as v
                            join commerce_sim.products as p using (product_no)
                            join commerce_sim.segment_suppliers as ss using (segment_no)
                            join commerce_sim.suppliers as s
                                on s.supplier_no = width_bucket(commerce_sim.rnd(v.key, 3), ss.starts)
                            offset 0
                        ) as y
                        offset 0
                    ) as x
                    offset 0
                ) as a
                offset 0
            ) as b
            left join lateral commerce_sim.order_plan(
                commerce_sim.entity_key(2 * b.item_no, 3, %(seed)s), b.sold1_at, %(ends_at)s,
                %(cancelled_share)s, %(returned_share)s) as o1 on b.sold1_at is not null
            offset 0
        ) as r
        offset 0
    ) as q
    left join lateral commerce_sim.order_plan(
        commerce_sim.entity_key(2 * q.item_no + 1, 3, %(seed)s), q.sold2_at, %(ends_at)s,
        %(cancelled_share)s, %(returned_share)s) as o2 on q.sold2_at is not null
    offset 0
) as g;

-- step: index items
create unique index on commerce_sim.items (item_no);
