-- Scratch schema of `analytics demo-data` for the seller insights mart: helper functions and
-- the fixed lists (cities, categories, seller types), from simulation.py. Dropped and
-- recreated by every load and dropped again at the end.
-- The engine creates the scratch schema and its pseudo-random helpers (unit, rnd, entity_key,
-- between_ts: orchestration/demo_data/scratch.sql) before this file runs.
--
-- Every pseudo-random number is a hash of (seed, ids): the same seed gives the same rows
-- whatever plan (parallel or not) Postgres picks. No random() anywhere.
-- Parameters (psycopg2 named placeholders) come from the mart's simulation.py and the engine;
-- so no literal per-cent sign may appear in these files (mod() stands for the operator).

-- step: setup
-- A standard normal number from two uniforms in [0, 1) (Box-Muller).
create function seller_insights_sim.normal(u1 double precision, u2 double precision)
    returns double precision
    language sql immutable parallel safe
    as $$ select sqrt(-2.0 * ln(1.0 - u1)) * cos(2.0 * pi() * u2) $$;

-- A number uniform between lo and hi for u in [0, 1).
create function seller_insights_sim.between(lo double precision, hi double precision,
                                            u double precision)
    returns double precision
    language sql immutable parallel safe
    as $$ select lo + (hi - lo) * u $$;

create function seller_insights_sim.logistic(x double precision) returns double precision
    language sql immutable parallel safe
    as $$ select 1.0 / (1.0 + exp(-x)) $$;

-- A window's demand multiplier for its local start hour (simulation.HOUR_CURVE).
create function seller_insights_sim.hour_mult(hour integer) returns double precision
    language sql immutable parallel safe
    as $$
    select (%(hour_mults)s::double precision[])[width_bucket(hour, %(hour_from)s::integer[])]
    $$;

-- step: lists
create unlogged table seller_insights_sim.cities as
select c.city_no::integer as city_no, c.city, c.zone, c.latitude, c.longitude, s.lo
from unnest(%(city_names)s::text[], %(city_zones)s::text[], %(city_latitudes)s::double precision[],
            %(city_longitudes)s::double precision[]) with ordinality
    as c (city, zone, latitude, longitude, city_no)
join unnest(%(city_starts)s::double precision[]) with ordinality as s (lo, city_no) using (city_no);

create unlogged table seller_insights_sim.categories as
select c.category_no::integer as category_id, c.category_name, c.mult
from unnest(%(category_names)s::text[], %(category_mults)s::double precision[]) with ordinality
    as c (category_name, mult, category_no);

create unlogged table seller_insights_sim.types as
select t.type_no::integer as type_no, t.label, t.price_lo, t.price_hi
from unnest(%(type_labels)s::text[], %(type_price_lo)s::double precision[],
            %(type_price_hi)s::double precision[]) with ordinality
    as t (label, price_lo, price_hi, type_no);

create unlogged table seller_insights_sim.type_categories as
select t.type_no, t.category_id, t.weight
from unnest(%(type_category_types)s::integer[], %(type_category_categories)s::integer[],
            %(type_category_weights)s::double precision[]) as t (type_no, category_id, weight);

create unlogged table seller_insights_sim.type_windows as
select t.type_no, t.start_time::time as start_time, t.ord::integer as ord
from unnest(%(type_window_types)s::integer[], %(type_window_times)s::text[]) with ordinality
    as t (type_no, start_time, ord);

