-- The catalogue: n_products models, each of a brand (by its weight), a category its brand's
-- segment makes, a model name and a colourway, a unique style code, a retail price, a release
-- date, a hype factor (its brand's, with noise) and a popularity (how many the reseller buys).
-- Dead products (dead_product_share) are bought but never sell.

-- step: products
create unlogged table commerce_sim.products as
with p as (
    select
        n::integer as product_no,
        commerce_sim.entity_key(n, 1, %(seed)s) as key
    from generate_series(1, %(n_products)s) as n
),
picked as (
    select
        p.product_no,
        p.key,
        width_bucket(commerce_sim.rnd(p.key, 1), %(brand_starts)s::float8[]) as brand_no
    from p
)
select
    x.product_no,
    x.key,
    x.brand_no,
    b.segment_no,
    x.category_no,
    c.size_family,
    b.name || ' ' || coalesce(m.name, ci.name) || ' ' || cw.name as name,
    cw.colour,
    chr(65 + floor(26 * commerce_sim.rnd(x.key, 5))::integer)
        || chr(65 + floor(26 * commerce_sim.rnd(x.key, 6))::integer)
        || lpad((1000 + 11 * x.product_no + floor(11 * commerce_sim.rnd(x.key, 7)))::text, 4, '0')
        || '-'
        || (array['100', '001', '002', '010', '600', '101', '400', '700', '061', '201'])
               [1 + floor(10 * commerce_sim.rnd(x.key, 8))::integer] as sku,
    -- Within the category's price range: premium brands in its upper part, entry in its lower.
    (round((c.low_price + (c.high_price - c.low_price)
            * case b.price_tier when 'premium' then 0.4 + 0.6 * commerce_sim.rnd(x.key, 9)
                                when 'mid' then 0.15 + 0.6 * commerce_sim.rnd(x.key, 9)
                                else 0.5 * commerce_sim.rnd(x.key, 9) end) / 5) * 5)::numeric(10, 2)
        as retail_price,
    -- Released up to 1000 days before the data starts, the last 45 days before the anchor.
    (commerce_sim.between_ts(%(start_ts)s::timestamptz - interval '1000 days',
                             %(ends_at)s::timestamptz - interval '45 days',
                             commerce_sim.rnd(x.key, 10)) at time zone 'UTC')::date as release_date,
    -- The brand's hype times a log-normal noise (sigma 0.25).
    b.hype * exp(0.5 * (commerce_sim.rnd(x.key, 11) + commerce_sim.rnd(x.key, 12)
                        + commerce_sim.rnd(x.key, 13) - 1.5)) as hype,
    exp(1.4 * (commerce_sim.rnd(x.key, 14) + commerce_sim.rnd(x.key, 15)
               + commerce_sim.rnd(x.key, 16) - 1.5)) as popularity,
    commerce_sim.rnd(x.key, 17) < %(dead_product_share)s as dead
from (
    select
        picked.*,
        width_bucket(commerce_sim.rnd(picked.key, 2), sc.starts) as category_no
    from picked
    join commerce_sim.brands as b using (brand_no)
    join commerce_sim.segment_categories as sc using (segment_no)
) as x
join commerce_sim.brands as b using (brand_no)
join commerce_sim.categories as c using (category_no)
join commerce_sim.colourways as cw
    on cw.colourway_no = 1 + floor((select count(*) from commerce_sim.colourways)
                                   * commerce_sim.rnd(x.key, 4))::integer
left join lateral (
    select m.name from commerce_sim.models as m
    where x.category_no = 1 and m.brand_no = x.brand_no
      and m.model_no = 1 + floor(m.n_models * commerce_sim.rnd(x.key, 3))::integer
) as m on true
left join lateral (
    select i.name from commerce_sim.category_items as i
    where i.category_no = x.category_no
      and i.item_no = 1 + floor(i.n_items * commerce_sim.rnd(x.key, 3))::integer
) as ci on true;
create unique index on commerce_sim.products (product_no);

-- step: product picks
-- The product of an item bought on day d at u in [0, 1): among the products released by d (in
-- release order, the first k with release_date <= d), by popularity. The arrays are built into
-- the function as constants: read from a table they would be detoasted for every item.
do $do$
declare
    picks record;
begin
    select
        array_agg(p.product_no order by p.release_date, p.product_no) as product_nos,
        array_agg(p.release_date order by p.release_date, p.product_no) as release_dates,
        array_agg(p.cum - p.popularity order by p.release_date, p.product_no) as starts,
        array_agg(p.cum order by p.release_date, p.product_no) as ends
    into picks
    from (
        select
            product_no,
            release_date,
            popularity,
            sum(popularity) over (order by release_date, product_no) as cum
        from commerce_sim.products
    ) as p;
    execute 'create function commerce_sim.pick_product(d date, u double precision) returns integer'
        || ' language sql immutable parallel safe as $f$ select ('
        || quote_literal(picks.product_nos::text) || '::integer[])[width_bucket(u * ('
        || quote_literal(picks.ends::text) || '::double precision[])[width_bucket(d, '
        || quote_literal(picks.release_dates::text) || '::date[])], '
        || quote_literal(picks.starts::text) || '::double precision[])] $f$';
end
$do$;
