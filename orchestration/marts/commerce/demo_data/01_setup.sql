-- Scratch schema of `analytics demo-data` for the commerce mart: the fixed lists (brands,
-- categories, suppliers, platforms, buyer cities) as lookup tables. The engine creates the
-- schema and its pseudo-random helpers (unit, rnd, entity_key, between_ts:
-- orchestration/demo_data/scratch.sql) before this file runs, and drops it after the load.
--
-- Every pseudo-random number is a hash of (seed, ids): the same seed gives the same rows
-- whatever plan (parallel or not) Postgres picks. No random() anywhere.
-- Parameters (psycopg2 named placeholders) come from the mart's simulation.py and the engine;
-- so no literal per-cent sign may appear in these files (mod() stands for the operator).

-- step: brands
create unlogged table commerce_sim.brands as
select
    b.brand_no::integer as brand_no,
    b.name,
    b.segment,
    s.segment_no::integer as segment_no,
    b.price_tier,
    b.demographic,
    b.hype,
    b.parent_no,
    b.start_u
from unnest(%(brand_names)s::text[], %(brand_segments)s::text[], %(brand_tiers)s::text[],
            %(brand_demographics)s::text[], %(brand_hypes)s::float8[], %(brand_parents)s::integer[],
            %(brand_starts)s::float8[])
    with ordinality as b (name, segment, price_tier, demographic, hype, parent_no, start_u, brand_no)
join unnest(%(segment_names)s::text[]) with ordinality as s (segment, segment_no) using (segment);
create unique index on commerce_sim.brands (brand_no);

-- A brand's footwear models, numbered 1.. per brand.
create unlogged table commerce_sim.models as
select
    m.brand_no,
    (row_number() over (partition by m.brand_no order by m.ord))::integer as model_no,
    (count(*) over (partition by m.brand_no))::integer as n_models,
    m.name
from unnest(%(model_brands)s::integer[], %(model_names)s::text[]) with ordinality as m (brand_no, name, ord);
create unique index on commerce_sim.models (brand_no, model_no);

-- step: categories
create unlogged table commerce_sim.categories as
select
    c.category_no::integer as category_no,
    c.name,
    c.size_family,
    c.low_price,
    c.high_price
from unnest(%(category_names)s::text[], %(category_sizes)s::text[],
            %(category_low_prices)s::integer[], %(category_high_prices)s::integer[])
    with ordinality as c (name, size_family, low_price, high_price, category_no);
create unique index on commerce_sim.categories (category_no);

-- The item names of a category (for what is not a brand's footwear model), numbered 1..
create unlogged table commerce_sim.category_items as
select
    i.category_no,
    (row_number() over (partition by i.category_no order by i.ord))::integer as item_no,
    (count(*) over (partition by i.category_no))::integer as n_items,
    i.name
from unnest(%(category_item_categories)s::integer[], %(category_item_names)s::text[])
    with ordinality as i (category_no, name, ord);
create unique index on commerce_sim.category_items (category_no, item_no);

-- Which categories a segment's brands make: thresholds for width_bucket() per segment.
create unlogged table commerce_sim.segment_categories as
select s.segment_no, array_agg(s.start_u order by s.category_no) as starts
from unnest(%(segment_category_segments)s::integer[], %(segment_category_categories)s::integer[],
            %(segment_category_starts)s::float8[]) as s (segment_no, category_no, start_u)
group by s.segment_no;
create unique index on commerce_sim.segment_categories (segment_no);

create unlogged table commerce_sim.colourways as
select c.colourway_no::integer as colourway_no, c.name, c.colour
from unnest(%(colourway_names)s::text[], %(colourway_colours)s::text[])
    with ordinality as c (name, colour, colourway_no);
create unique index on commerce_sim.colourways (colourway_no);

-- step: suppliers
create unlogged table commerce_sim.suppliers as
select
    s.supplier_no::integer as supplier_no,
    s.name,
    s.email,
    s.country,
    s.vat_rate,
    s.level,
    s.rating,
    s.private
from unnest(%(supplier_names)s::text[], %(supplier_emails)s::text[], %(supplier_countries)s::text[],
            %(supplier_vat_rates)s::float8[], %(supplier_levels)s::float8[],
            %(supplier_ratings)s::numeric[], %(supplier_private)s::boolean[])
    with ordinality as s (name, email, country, vat_rate, level, rating, private, supplier_no);
create unique index on commerce_sim.suppliers (supplier_no);

-- Where a segment's purchases go: thresholds for width_bucket() per segment (simulation.py).
create unlogged table commerce_sim.segment_suppliers as
select s.segment_no, array_agg(s.start_u order by s.supplier_no) as starts
from unnest(%(supplier_pick_segments)s::integer[], %(supplier_pick_suppliers)s::integer[],
            %(supplier_pick_starts)s::float8[]) as s (segment_no, supplier_no, start_u)
group by s.segment_no;
create unique index on commerce_sim.segment_suppliers (segment_no);

-- step: platforms and cities
create unlogged table commerce_sim.platforms as
select
    p.platform_no::integer as platform_no,
    p.name,
    p.slug,
    p.fee_percentage::numeric(5, 2) as fee_percentage,
    p.fee_fixed::numeric(10, 2) as fee_fixed,
    p.payout_days,
    p.prefix
from unnest(%(platform_names)s::text[], %(platform_slugs)s::text[],
            %(platform_fee_percentages)s::float8[], %(platform_fee_fixed)s::float8[],
            %(platform_payout_days)s::integer[], %(platform_prefixes)s::text[])
    with ordinality as p (name, slug, fee_percentage, fee_fixed, payout_days, prefix, platform_no);
create unique index on commerce_sim.platforms (platform_no);

-- The buyers' (country, city) pairs; domestic (DE), the rest of Europe and overseas differ in
-- shipping cost.
create unlogged table commerce_sim.cities as
select
    c.city_no::integer as city_no,
    c.country,
    c.city,
    c.currency,
    case when c.country = 'DE' then 1
         when c.country in ('US', 'BR', 'JP', 'CA', 'AU') then 3
         else 2 end as zone
from unnest(%(city_countries)s::text[], %(city_names)s::text[], %(city_currencies)s::text[])
    with ordinality as c (country, city, currency, city_no);
create unique index on commerce_sim.cities (city_no);
