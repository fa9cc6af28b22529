-- Dimensions: states and cities, stores, brands (Zipf popularity), the product catalogue and
-- each store's menu (store products) with the parameters of its simulated demand.

-- Each state's time zone: the IANA zone where most of its people live (the same rule and
-- zones as the retail mart's state-to-zone seed; the few split states' minorities ignored).
create unlogged table retail_sim.states as
select
    code,
    zone,
    cities,
    coalesce(sum(weight) over (order by code rows between unbounded preceding and 1 preceding), 0)
        / sum(weight) over () as lo,
    sum(weight) over (order by code) / sum(weight) over () as hi
from (values
    ('AZ', 'America/Phoenix', 0.12, array['Phoenix', 'Tucson', 'Mesa', 'Scottsdale', 'Tempe', 'Flagstaff']),
    ('CA', 'America/Los_Angeles', 0.22, array['Los Angeles', 'San Diego', 'San Francisco', 'Sacramento', 'Oakland', 'San Jose', 'Fresno']),
    ('CO', 'America/Denver', 0.12, array['Denver', 'Boulder', 'Colorado Springs', 'Aurora', 'Fort Collins']),
    ('IL', 'America/Chicago', 0.07, array['Chicago', 'Springfield', 'Peoria']),
    ('MA', 'America/New_York', 0.07, array['Boston', 'Worcester', 'Northampton']),
    ('MI', 'America/Detroit', 0.14, array['Detroit', 'Ann Arbor', 'Grand Rapids', 'Lansing', 'Kalamazoo']),
    ('NV', 'America/Los_Angeles', 0.06, array['Las Vegas', 'Reno', 'Henderson']),
    ('OR', 'America/Los_Angeles', 0.10, array['Portland', 'Eugene', 'Salem', 'Bend']),
    ('WA', 'America/Los_Angeles', 0.10, array['Seattle', 'Spokane', 'Tacoma', 'Olympia'])
) as v (code, zone, weight, cities);

-- Stores. About a tenth no longer crawled: the crawler stopped visiting them 5 to 35 days
-- before the anchor's date (the simulation's start + days: not the end, which moves when the
-- simulation advances), so their menu rows and snapshots are stale. Each store has its own crawl
-- cadence (a visit every 3 to 6 hours, jittered by a tenth either way) and its state's zone.
create unlogged table retail_sim.stores as
with base as (
    select g as store_id, retail_sim.entity_key(g, 1, %(seed)s) as key
    from generate_series(1, %(n_stores)s) as g
),
ranked as (
    select base.*, row_number() over (order by retail_sim.rnd(key, 1), store_id) as disable_rank
    from base
)
select
    r.store_id,
    r.key,
    st.code as state,
    st.zone,
    st.cities[1 + floor(retail_sim.rnd(r.key, 3) * cardinality(st.cities))::integer] as city,
    (array['Green', 'High', 'Golden', 'Emerald', 'Desert', 'Mountain', 'Urban', 'Coastal',
           'Northern', 'Sunset', 'Blue', 'Evergreen', 'Canyon', 'River', 'Harbor', 'Prairie'])
        [1 + floor(retail_sim.rnd(r.key, 4) * 16)::integer]
    || ' ' || (array['Leaf', 'Bloom', 'Roots', 'Bud', 'Cannabis', 'Remedy', 'Garden', 'Valley',
                     'Peak', 'Harvest', 'Lotus', 'Pine'])[1 + floor(retail_sim.rnd(r.key, 5) * 12)::integer]
    || ' ' || (array['Dispensary', 'Wellness', 'Collective', 'Cannabis Co.', 'Provisions',
                     'Apothecary', 'Market', 'Supply'])[1 + floor(retail_sim.rnd(r.key, 6) * 8)::integer]
        as name,
    r.disable_rank > round(%(n_stores)s * 0.1) as crawl_enabled,
    case when r.disable_rank > round(%(n_stores)s * 0.1) then 9223372036854775807
         else %(days)s::bigint * 86400000000
              - ((5 + retail_sim.rnd(r.key, 7) * least(30, %(days)s / 3.0)) * 86400000000)::bigint
    end as stop_us,
    ((3 + 3 * retail_sim.rnd(r.key, 8)) * 3600000000)::bigint as gap_us,
    retail_sim.rnd(r.key, 9) as phase,
    hashint4extended(10, r.key) as visit_key,
    hashint4extended(11, r.key) as day_key,
    hashint4extended(12, r.key) as menu_key,
    hashint4extended(13, r.key) as late_key
from ranked as r
join retail_sim.states as st
    on retail_sim.rnd(r.key, 2) >= st.lo and retail_sim.rnd(r.key, 2) < st.hi;

-- Brands, most popular first: weight 1 / rank^1.07 (Zipf-like).
create unlogged table retail_sim.brands as
with b as (
    select g as brand_id, 1.0 / power(g, 1.07) as weight
    from generate_series(1, %(n_brands)s) as g
)
select
    brand_id,
    (array['Blue', 'Green', 'Wild', 'Lucky', 'Cloud', 'Golden', 'Higher', 'Pure', 'Royal', 'Urban',
           'Cosmic', 'Humble', 'Savage', 'Velvet', 'Solar', 'Lunar', 'Ember', 'Atlas', 'Nova', 'Sage'])
        [1 + mod(brand_id - 1, 20)]
    || ' ' || (array['Leaf', 'Farms', 'Labs', 'Roots', 'Grove', 'Garden', 'Extracts', 'Botanicals',
                     'Reserve', 'Harvest', 'Canna', 'Craft', 'Co', 'Collective', 'Growers'])
        [1 + mod((brand_id - 1) / 20 + mod(brand_id - 1, 20), 15)] as name,
    weight,
    coalesce(sum(weight) over (order by brand_id rows between unbounded preceding and 1 preceding), 0)
        / sum(weight) over () as lo,
    sum(weight) over (order by brand_id) / sum(weight) over () as hi
from b;

create unlogged table retail_sim.categories as
select
    category, price_lo, price_hi, raw_names, forms, strains,
    coalesce(sum(weight) over (order by ord rows between unbounded preceding and 1 preceding), 0)
        / sum(weight) over () as lo,
    sum(weight) over (order by ord) / sum(weight) over () as hi
from (values
    (1, 'flower', 0.34, 20, 60, array['Flower', 'FLOWER', 'flower', 'Flowers'],
        array['3.5g', '7g', '14g', '28g'], true),
    (2, 'pre-roll', 0.15, 6, 18, array['Pre-Rolls', 'Pre-Roll', 'Prerolls', 'PREROLL'],
        array['1g Pre-Roll', '5pk Pre-Rolls 0.5g', 'Infused Pre-Roll 1g'], true),
    (3, 'vape', 0.19, 25, 65, array['Vaporizers', 'Vape', 'Cartridges', 'Vapes'],
        array['0.5g Cartridge', '1g Cartridge', 'All-in-One 1g'], true),
    (4, 'edible', 0.16, 12, 30, array['Edibles', 'Edible', 'EDIBLES'],
        array['Gummies 100mg', 'Chocolate Bar 100mg', 'Mints 100mg', 'Chews 100mg'], false),
    (5, 'concentrate', 0.10, 30, 80, array['Concentrates', 'Concentrate', 'Extracts'],
        array['Live Resin 1g', 'Badder 1g', 'Shatter 1g', 'Rosin 1g'], true),
    (6, 'tincture', 0.03, 25, 70, array['Tinctures', 'Tincture'],
        array['Tincture 30ml 1000mg', 'Tincture 15ml 500mg'], false),
    (7, 'topical', 0.03, 15, 45, array['Topicals', 'Topical'],
        array['Balm 2oz', 'Lotion 4oz', 'Roll-On 3oz'], false)
) as v (ord, category, weight, price_lo, price_hi, raw_names, forms, strains);

-- The catalogue: products (SKUs) with a brand drawn by popularity, a category and a list price.
-- The provider id looks like the menu provider's (24 hex digits) and is the same in every store.
create unlogged table retail_sim.catalog as
with c as (
    select g as catalog_id, retail_sim.entity_key(g, 2, %(seed)s) as key
    from generate_series(1, %(n_catalog)s) as g
)
select
    c.catalog_id,
    c.key,
    b.brand_id,
    b.name as brand,
    b.weight as brand_weight,
    cat.category,
    cat.raw_names,
    substr(md5(%(seed)s::text || ':' || c.catalog_id::text), 1, 24) as provider_product_id,
    b.name || ' '
        || case when cat.strains
               then (array['Blue Dream', 'OG Kush', 'Sour Diesel', 'Girl Scout Cookies', 'Gelato',
                           'Wedding Cake', 'Runtz', 'Gorilla Glue', 'Pineapple Express', 'Jack Herer',
                           'Granddaddy Purple', 'Zkittlez', 'Mimosa', 'Durban Poison',
                           'Northern Lights', 'Sunset Sherbet', 'Ice Cream Cake', 'Lemon Haze',
                           'Purple Punch', 'Tangie'])[1 + floor(retail_sim.rnd(c.key, 3) * 20)::integer]
               else (array['Watermelon', 'Mango', 'Blackberry', 'Sour Apple', 'Peach', 'Mint',
                           'Lavender', 'Citrus', 'Cherry', 'Dark Chocolate'])
                    [1 + floor(retail_sim.rnd(c.key, 3) * 10)::integer]
           end
        || ' ' || cat.forms[1 + floor(retail_sim.rnd(c.key, 4) * cardinality(cat.forms))::integer]
        as name,
    round(cat.price_lo + (cat.price_hi - cat.price_lo) * retail_sim.rnd(c.key, 5)) as list_price,
    -- How much shoppers like it, within its brand.
    b.weight * (0.3 + retail_sim.rnd(c.key, 6)) as appeal
from c
join retail_sim.brands as b
    on retail_sim.rnd(c.key, 1) >= b.lo and retail_sim.rnd(c.key, 1) < b.hi
join retail_sim.categories as cat
    on retail_sim.rnd(c.key, 2) >= cat.lo and retail_sim.rnd(c.key, 2) < cat.hi;

-- Each store's menu: a sample of the catalogue weighted by appeal (popular brands are carried
-- by more stores), products_per_store of them, ranked 1..n inside the store.
create unlogged table retail_sim.menu as
select store_id, catalog_id, rank
from (
    select
        s.store_id,
        c.catalog_id,
        row_number() over (
            partition by s.store_id
            order by -ln(1.0 - retail_sim.rnd(s.menu_key, c.catalog_id)) / c.appeal, c.catalog_id
        ) as rank
    from retail_sim.stores as s
    cross join retail_sim.catalog as c
) as ranked
where rank <= %(per_store)s;

-- Store products and the parameters of their simulated demand and stock keeping.
--   tier: velocity class of the demand rate (hot >= 5 units a day, steady 1-5, slow 0.1-1,
--         stale < 0.1, never = 0); rate: expected units a day on an average day;
--   level: the par level every restock fills the shelf up to; initial: stock at the start;
--   period_days: days between restocks (jittered); shorter than level / rate means the
--         shelf is refilled before it runs dry, longer means stock-outs;
--   variant: which demand curve (surges, lulls) the product follows.
create unlogged table retail_sim.sp as
with p as (
    select
        m.store_id * 10000 + m.rank as sp_id,
        m.store_id,
        m.rank,
        c.catalog_id,
        c.provider_product_id as catalog_provider_id,
        c.name,
        c.brand,
        c.category,
        c.raw_names,
        c.list_price,
        retail_sim.entity_key(m.store_id * 10000 + m.rank, 3, %(seed)s) as key
    from retail_sim.menu as m
    join retail_sim.catalog as c using (catalog_id)
),
tiered as (
    select
        p.*,
        case
            when retail_sim.rnd(key, 1) < 0.08 then 'never'
            when retail_sim.rnd(key, 1) < 0.16 then 'stale'
            when retail_sim.rnd(key, 1) < 0.32 then 'slow'
            when retail_sim.rnd(key, 1) < 0.65 then 'steady'
            else 'hot'
        end as tier
    from p
),
rated as (
    select
        t.*,
        case tier
            when 'hot' then 5.0 * power(8.0, retail_sim.rnd(key, 2))
            when 'steady' then 1.0 * power(5.0, retail_sim.rnd(key, 2))
            when 'slow' then 0.1 * power(10.0, retail_sim.rnd(key, 2))
            when 'stale' then 0.012 * power(0.1 / 0.012, retail_sim.rnd(key, 2))
            else 0.0
        end::double precision as rate
    from tiered as t
),
stocked as (
    select
        r.*,
        case
            when tier in ('hot', 'steady', 'slow')
                then greatest(3, round(rate * (4 + 10 * retail_sim.rnd(key, 3))))::integer
            when tier = 'stale' then 2 + floor(7 * retail_sim.rnd(key, 3))::integer
            else 1 + floor(12 * retail_sim.rnd(key, 3))::integer
        end as level
    from rated as r
)
select
    s.sp_id,
    s.store_id,
    s.rank,
    s.catalog_id,
    s.name,
    s.brand,
    s.category,
    s.tier,
    s.rate,
    s.level,
    case
        when s.tier = 'never' then s.level
        when retail_sim.rnd(s.key, 4) < 0.03 then 0
        else greatest(1, round(s.level * (0.3 + 0.7 * retail_sim.rnd(s.key, 5))))::integer
    end as initial,
    case when s.rate > 0
         then greatest(2.0, s.level / s.rate * (0.55 + 0.9 * retail_sim.rnd(s.key, 6)))
    end as period_days,
    0.1 + 0.9 * retail_sim.rnd(s.key, 7) as restock_phase,
    floor(16 * retail_sim.rnd(s.key, 8))::integer as variant,
    -- Price: the store's markup of the list price; 4 in 10 products never change price, the
    -- others get a new price draw every 7 to 45 days.
    round(s.list_price * (0.92 + 0.16 * retail_sim.rnd(s.key, 9)))::double precision as base_price,
    case when retail_sim.rnd(s.key, 10) < 0.4 then 1e30
         else (7 + 38 * retail_sim.rnd(s.key, 11)) * 86400000000.0
    end::double precision as price_period_us,
    retail_sim.rnd(s.key, 12) as price_phase,
    retail_sim.rnd(s.key, 10) < 0.4 as price_fixed,
    -- Life cycle: some products appear on the menu during the period, a few are delisted.
    case when retail_sim.rnd(s.key, 13) < 0.12 then 0.05 + 0.85 * retail_sim.rnd(s.key, 14) end
        as intro_frac,
    case when retail_sim.rnd(s.key, 15) < 0.04 then 0.3 + 0.65 * retail_sim.rnd(s.key, 16) end
        as remove_frac,
    -- A few menu rows come without a provider id; a few others show no inventory at all.
    case when retail_sim.rnd(s.key, 17) >= 0.005 then s.catalog_provider_id end as provider_product_id,
    retail_sim.rnd(s.key, 17) >= 0.005 and retail_sim.rnd(s.key, 18) >= 0.01 as tracked,
    case
        when retail_sim.rnd(s.key, 19) < 0.10 then upper(s.brand)
        when retail_sim.rnd(s.key, 19) < 0.15 then lower(s.brand)
        when retail_sim.rnd(s.key, 19) < 0.22 then s.brand || ' Inc.'
        when retail_sim.rnd(s.key, 19) < 0.27 then s.brand || ' '
        else s.brand
    end as brand_name_raw,
    s.raw_names[1 + floor(retail_sim.rnd(s.key, 20) * cardinality(s.raw_names))::integer] as category_raw,
    -- Menu rows known before the simulated period were first seen 1 to 540 days earlier.
    1 + floor(540 * retail_sim.rnd(s.key, 21))::integer as seen_days_before,
    hashint4extended(101, s.key) as demand_key,
    hashint4extended(102, s.key) as restock_key,
    hashint4extended(103, s.key) as price_key,
    hashint4extended(104, s.key) as blank_key
from stocked as s;

analyze retail_sim.stores, retail_sim.catalog, retail_sim.sp;
