-- The retail mart's helper functions in the scratch schema of `analytics demo-data`, which is
-- dropped and recreated by every load and dropped again at the end: nothing here is permanent.
-- The engine creates the scratch schema and its pseudo-random helpers (unit, rnd, entity_key,
-- between_ts: orchestration/demo_data/scratch.sql) before this file runs.
--
-- Every pseudo-random number is a hash of (seed, ids): the same seed gives the same rows
-- whatever plan (parallel or not) Postgres picks. No random() anywhere.
-- Parameters (psycopg2 named placeholders) are filled in by the mart's simulation.py and the demo-data engine.

-- Units demanded up to the expected cumulative demand x. Demand unit j (j = 1, 2, ...) arrives
-- when x passes j - 1 + u_j, u_j uniform in [0, 1) from the stream `key`: the count is monotone
-- in x, its mean is x, and it needs no running sum (so no sort and no window).
create function retail_sim.demand(x double precision, key bigint) returns integer
    language sql immutable parallel safe
    as $$ select floor(x)::integer + (retail_sim.rnd(key, floor(x)::integer + 1) < x - floor(x))::integer $$;

-- Expected demand of an average product-day accumulated since the simulation start, at a moment
-- tod_us microseconds into a store's local day whose start is at h0 and whose weight is factor.
-- hw / hcum: the day's shoppers per elapsed hour since the local midnight (23, 24 or 25 of them:
-- the store's own time zone, daylight saving time included) and their sums before each hour,
-- normalised: a day of factor 1 adds exactly 1 (retail_sim.store_days holds them per day).
create function retail_sim.base_h(
    h0 double precision, factor double precision, tod_us bigint,
    hcum double precision[], hw double precision[])
    returns double precision
    language sql immutable parallel safe
    as $$
    select h0 + factor * (
        hcum[(tod_us / 3600000000)::integer + 1]
        + ((tod_us - (tod_us / 3600000000) * 3600000000)::double precision / 3600000000.0::double precision)
          * hw[(tod_us / 3600000000)::integer + 1])
    $$;

-- Demand curve `variant` (0 to 15) of a product in store `store`: the store's demand clock h,
-- sped up and slowed down by a sine of amplitude a < 1 (so it stays monotone) and a period of
-- days to weeks. Products of one store with the same variant surge together (promotions).
create function retail_sim.wiggle(h double precision, variant integer, store integer)
    returns double precision
    language sql immutable parallel safe
    as $$
    select h + ('{0.0, 0.15, 0.3, 0.45, 0.6, 0.2, 0.4, 0.55, 0.1, 0.35, 0.5, 0.25, 0.6, 0.3, 0.45, 0.15}'::double precision[])[variant + 1]
             * ('{7, 3, 5, 7, 10, 14, 21, 30, 4, 6, 9, 12, 17, 25, 8, 45}'::double precision[])[variant + 1]
             / (2 * pi())
             * sin(2 * pi() * (h / ('{7, 3, 5, 7, 10, 14, 21, 30, 4, 6, 9, 12, 17, 25, 8, 45}'::double precision[])[variant + 1]
                               + store * 0.6180339887::double precision + variant * 0.3819660113::double precision))
    $$;

-- The 16 demand curves at one moment, indexed by variant + 1.
create function retail_sim.curves(h double precision, store integer) returns double precision[]
    language sql immutable parallel safe
    as $$ select array(select retail_sim.wiggle(h, v, store) from generate_series(0, 15) as v) $$;

-- Shelf price for a price draw u in [0, 1): about half the time the base price, else a
-- discount of 5 to 25 (in hundredths) or an increase of 4 to 12; prices end in .99.
create function retail_sim.price(base double precision, u double precision)
    returns double precision
    language sql immutable parallel safe
    as $$
    select greatest(1.0, round(base * case
        when u < 0.55 then 1.0
        when u < 0.85 then 0.75 + 0.2 * (u - 0.55) / 0.3
        else 1.04 + 0.08 * (u - 0.85) / 0.15
    end)) - 0.01
    $$;
