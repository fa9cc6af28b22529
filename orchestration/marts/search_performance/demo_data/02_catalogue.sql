-- The catalogue: niches and their pool of search queries, brands (Zipf popularity), ASINs and
-- the candidate search queries of each ASIN.

-- step: niches
-- A niche: its head search terms, the price range of its products, when in the year its
-- searches peak (day of year; 345 is mid December, 160 early June, 15 mid January) and how
-- high (0.3 is a peak 30 in a hundred above the rest of the year), and its size.
create unlogged table search_performance_sim.niches as
select niche_id, niche, heads, price_lo, price_hi, peak_doy, amplitude, size
from (values
    (1, 'kitchen', array['coffee mug', 'café mug', 'travel mug', 'french press', 'tea kettle',
                         'espresso cups', 'chef knife', 'cutting board', 'mixing bowls',
                         'cast iron skillet'], 9, 60, 345, 0.5, 1.3),
    (2, 'shoes', array['running shoes', 'women''s shoes', 'men''s sneakers', 'hiking boots',
                       'slippers', 'sandals', 'walking shoes', 'kids'' shoes', 'rain boots',
                       'ballet flats'], 25, 120, 345, 0.35, 1.5),
    (3, 'pet', array['dog toys', 'cat litter', 'dog bed', 'cat tree', 'dog leash',
                     'pet hair remover', 'dog treats', 'cat scratcher', 'aquarium filter',
                     'bird feeder'], 6, 70, 345, 0.25, 1.0),
    (4, 'beauty', array['face serum', 'moisturizer', 'lip balm', 'crème hydratante',
                        'sunscreen spf 50', 'hair mask', 'nail polish', 'makeup brushes',
                        'eye cream', 'dry shampoo'], 7, 55, 345, 0.45, 1.2),
    (5, 'electronics', array['usb c cable', 'wireless earbuds', 'phone charger',
                             'bluetooth speaker', 'power bank', 'hdmi cable', 'laptop stand',
                             'smart plug', 'webcam', 'tablet case'], 9, 150, 340, 0.7, 1.8),
    (6, 'toys', array['building blocks', 'plush toy', 'board games', 'puzzle 1000 pieces',
                      'rc car', 'piñata', 'doll house', 'stem toys', 'play dough',
                      'toy kitchen'], 10, 80, 350, 1.2, 1.1),
    (7, 'outdoor', array['garden hose', 'solar lights', 'camping chair', 'tent 4 person',
                         'bird bath', 'raised garden bed', 'patio umbrella', 'hammock',
                         'cooler', 'grill brush'], 15, 150, 160, 0.8, 0.9),
    (8, 'home decor', array['throw pillows', 'wall art', 'led candles', 'picture frames',
                            'blackout curtains', 'area rug', 'string lights', 'flower vase',
                            'wall mirror', 'welcome mat'], 12, 90, 340, 0.5, 1.0),
    (9, 'fitness', array['yoga mat', 'resistance bands', 'dumbbells', 'water bottle',
                         'foam roller', 'jump rope', 'kettlebell', 'pull up bar', 'gym bag',
                         'protein shaker'], 8, 90, 15, 0.6, 1.0),
    (10, 'baby', array['baby wipes', 'diaper bag', 'teething toys', 'baby monitor',
                       'swaddle blanket', 'sippy cup', 'baby carrier', 'bibs', 'crib sheets',
                       'pacifier'], 8, 120, 345, 0.15, 0.8),
    (11, 'office', array['gel pens', 'notebook', 'desk organizer', 'sticky notes', 'stapler',
                         'label maker', 'planner', 'highlighters', 'file folders', 'desk lamp'],
         5, 45, 235, 0.5, 0.8),
    (12, 'pantry', array['coffee beans', 'matcha powder', 'jalapeño chips', 'crème brûlée kit',
                         'olive oil', 'protein bars', 'herbal tea', 'hot sauce', 'dark chocolate',
                         'granola'], 6, 35, 345, 0.3, 1.0)
) as v (niche_id, niche, heads, price_lo, price_hi, peak_doy, amplitude, size);

-- step: queries
-- The pool: every head of a niche, bare or with one of 15 modifiers (a bare head is searched
-- most). Weekly searches of a query (before the season): up to some 250 thousand for a big
-- niche's first head, down to some hundreds. Per query, how a search turns into impressions
-- (10 to 40 products shown), clicks (0.4 to 1.1 a search), cart adds (8 to 30 in a hundred
-- clicks) and purchases (35 to 75 in a hundred cart adds).
create unlogged table search_performance_sim.queries as
with q as (
    select
        ((n.niche_id - 1) * 1000 + (h.ord - 1) * 20 + s.ord)::integer as query_id,
        n.niche_id,
        h.head || s.suffix as search_query,
        n.size * 120000.0 * power(h.ord::double precision, -0.7) * s.weight as volume_weight,
        search_performance_sim.entity_key((n.niche_id - 1) * 1000 + (h.ord - 1) * 20 + s.ord, 5,
                                          %(seed)s) as key
    from search_performance_sim.niches as n
    cross join lateral unnest(n.heads) with ordinality as h (head, ord)
    cross join (values
        (1, '', 1.0), (2, ' set', 0.22), (3, ' 2 pack', 0.12), (4, ' large', 0.2),
        (5, ' small', 0.15), (6, ' black', 0.18), (7, ' white', 0.14), (8, ' for kids', 0.1),
        (9, ' for men', 0.12), (10, ' for women', 0.16), (11, ' gift', 0.2), (12, ' bulk', 0.06),
        (13, ' best seller', 0.05), (14, ' cheap', 0.09), (15, ' premium', 0.07),
        (16, ' 12"', 0.04)
    ) as s (ord, suffix, weight)
)
select
    query_id,
    niche_id,
    search_query,
    key,
    volume_weight * (0.7 + 0.6 * search_performance_sim.rnd(key, 1)) as base_volume,
    -- ASINs pick their candidate queries favouring the searched ones, less than in proportion.
    sqrt(volume_weight) as pick_weight,
    10 + 30 * search_performance_sim.rnd(key, 2) as impressions_per_search,
    0.4 + 0.7 * search_performance_sim.rnd(key, 3) as clicks_per_search,
    0.08 + 0.22 * search_performance_sim.rnd(key, 4) as cart_adds_per_click,
    0.35 + 0.4 * search_performance_sim.rnd(key, 5) as purchases_per_cart_add
from q;
-- A query is one text: two niches never share one (its totals would differ).
create unique index on search_performance_sim.queries (search_query);

-- step: brands
-- Brands, most popular first: weight 1 / rank^1.1 (Zipf-like). Each sells mostly in one niche.
-- The two least popular are no longer tracked (inactive). Names are unique up to 300 brands.
create unlogged table search_performance_sim.brands as
with b as (
    select
        g as brand_no,
        search_performance_sim.entity_key(g, 6, %(seed)s) as key,
        1.0 / power(g, 1.1) as weight
    from generate_series(1, %(n_brands)s) as g
),
named as (
    select
        b.*,
        (array['Northwind', 'Bluebird', 'Summit', 'Evergreen', 'Harbor', 'Maple & Co', 'Café Olé',
               'L''Atelier', 'Nordlicht', 'Sunny Days', 'Ironclad', 'Pebble', 'Lumière', 'Cedar',
               'Brightside', 'Oak Hollow', 'Zenith', 'Willow', 'Copperline', 'Tidal'])
            [1 + mod(brand_no - 1, 20)]
        || ' ' || (array['Home', 'Goods', 'Labs', 'Outfitters', 'Living', 'Supply', 'Essentials',
                         'Works', 'Collective', 'Studio', 'Trading', 'Brands', 'Craft', 'Gear',
                         'Co.'])[1 + mod((brand_no - 1) / 20 + mod(brand_no - 1, 20), 15)] as name
    from b
)
select
    brand_no,
    key,
    -- A UUID of the seed and the brand: the same brand keeps its id from load to load.
    md5(%(seed)s::text || ':brand:' || brand_no::text)::uuid as brand_id,
    upper(name) as brand_name,
    -- About one brand in eight has no display name (the application shows brand_name).
    case when search_performance_sim.rnd(key, 1) >= 0.125 then name end as display_name,
    brand_no <= %(n_brands)s - 2 as is_active,
    1 + floor(search_performance_sim.rnd(key, 2) * 12)::integer as niche_id,
    search_performance_sim.between_ts(%(start_ts)s::timestamptz - interval '1000 days',
                                      %(start_ts)s::timestamptz - interval '400 days',
                                      search_performance_sim.rnd(key, 3)) as created_at,
    coalesce(sum(weight) over (order by brand_no rows between unbounded preceding and 1 preceding), 0)
        / sum(weight) over () as lo,
    sum(weight) over (order by brand_no) / sum(weight) over () as hi
from named;

-- step: asins
-- ASINs: a brand drawn by popularity; the brand's niche four times in five, else any; a life
-- (15 in a hundred launch after the first week, 10 in a hundred stop selling before the
-- last; the others report every week); a strength (its share of a query's impressions, 0.2 to
-- 8 in a hundred before competition), how much better or worse than its impression share it
-- does on clicks, cart adds and purchases, a list price, and how many queries it ranks for.
-- Codes are 'B0' and 8 characters 0-9 A-Z: an affine map of the ASIN's number modulo 36^8
-- whose multiplier is prime to 36 (one-to-one: no two ASINs share a code) and close to 36^8
-- over the golden ratio (consecutive numbers get unrelated codes).
create unlogged table search_performance_sim.asins as
with a as (
    select
        g as asin_no,
        search_performance_sim.entity_key(g, 7, %(seed)s) as key,
        mod(mod(search_performance_sim.entity_key(0, 8, %(seed)s), 2821109907456)
            + 2821109907456, 2821109907456) as code_offset
    from generate_series(1, %(n_asins)s) as g
),
drawn as (
    select
        a.*,
        b.brand_no,
        b.is_active as brand_is_active,
        case when search_performance_sim.rnd(a.key, 2) < 0.8 then b.niche_id
             else 1 + floor(search_performance_sim.rnd(a.key, 3) * 12)::integer
        end as niche_id,
        case when search_performance_sim.rnd(a.key, 4) < 0.15 then 'launch'
             when search_performance_sim.rnd(a.key, 4) < 0.25 then 'stop'
             else 'full'
        end as life
    from a
    join search_performance_sim.brands as b
        on search_performance_sim.rnd(a.key, 1) >= b.lo and search_performance_sim.rnd(a.key, 1) < b.hi
)
select
    d.asin_no,
    d.key,
    'B0' || search_performance_sim.base36(mod(d.asin_no * 1743529226909 + d.code_offset, 2821109907456), 8)
        as asin,
    d.brand_no,
    d.brand_is_active,
    d.niche_id,
    d.life,
    -- Week numbers 0 .. n_weeks - 1: the first and the last week with a report.
    case when d.life = 'launch'
         then 1 + floor(search_performance_sim.rnd(d.key, 5) * (%(n_weeks)s - 3))::integer
         else 0 end as first_week,
    case when d.life = 'stop'
         then 2 + floor(search_performance_sim.rnd(d.key, 5) * (%(n_weeks)s - 4))::integer
         else %(n_weeks)s - 1 end as last_week,
    0.002 * power(40.0, search_performance_sim.rnd(d.key, 6)) as strength,
    0.5 * power(4.0, search_performance_sim.rnd(d.key, 7)) as click_factor,
    0.6 * power(2.5, search_performance_sim.rnd(d.key, 8)) as cart_add_factor,
    0.6 * power(2.5, search_performance_sim.rnd(d.key, 9)) as purchase_factor,
    n.price_lo + (n.price_hi - n.price_lo) * power(search_performance_sim.rnd(d.key, 10), 1.5)
        as list_price,
    search_performance_sim.rnd(d.key, 11) as breadth
from drawn as d
join search_performance_sim.niches as n using (niche_id);
create unique index on search_performance_sim.asins (asin);

-- step: roles
-- The mapping's defects, each on ASINs that report every week and whose brand is active:
-- one ASIN moved from another brand to its brand half-way through the reports, one mapped
-- twice (two identical active rows), and a handful with no active mapping (every other one
-- with only a deactivated row, the rest with no row at all).
create unlogged table search_performance_sim.asin_roles as
select
    asin_no,
    case when pick = 1 then 'moved' when pick = 2 then 'duplicated'
         when pick <= 2 + greatest(4, %(n_asins)s / 500) then 'unmapped' end as role,
    pick
from (
    select asin_no, row_number() over (order by search_performance_sim.rnd(key, 12), asin_no) as pick
    from search_performance_sim.asins
    where life = 'full' and brand_is_active
) as p
where pick <= 2 + greatest(4, %(n_asins)s / 500);

-- step: candidates
-- Each ASIN's candidate queries from its niche's pool, at most max_queries, ranked: a sample
-- without replacement weighted by pick_weight. A report shows the first n of them, so rank j
-- is the report's search query score. Relevance falls with the rank.
create unlogged table search_performance_sim.candidates as
select
    r.asin_no,
    r.query_id,
    r.j::integer as j,
    (0.7 + 0.6 * search_performance_sim.rnd(r.relevance_key, r.query_id)) / (1.0 + r.j / 8.0)
        as relevance
from (
    select
        a.asin_no,
        q.query_id,
        hashint4extended(14, a.key) as relevance_key,
        row_number() over (
            partition by a.asin_no
            order by -ln(1.0 - search_performance_sim.rnd(hashint4extended(13, a.key), q.query_id))
                     / q.pick_weight,
                     q.query_id
        ) as j
    from search_performance_sim.asins as a
    join search_performance_sim.queries as q on q.niche_id = a.niche_id
) as r
where r.j <= %(max_queries)s;
