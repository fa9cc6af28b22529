-- Scratch schema of `analytics demo-data` for the search-performance mart: helper functions
-- and staging tables. Dropped and recreated by every load and dropped again at the end.
--
-- Every pseudo-random number is a hash of (seed, ids): the same seed gives the same rows
-- whatever plan (parallel or not) Postgres picks. No random() anywhere.
-- Parameters (psycopg2 named placeholders) come from the mart's simulation.py and the engine;
-- so no literal per-cent sign may appear in these files (mod() stands for the operator).

drop schema if exists search_performance_sim cascade;
create schema search_performance_sim;
comment on schema search_performance_sim is 'Scratch space of analytics demo-data (dropped after each load).';

-- A number in [0, 1) from a 64-bit hash: its 53 high bits.
create function search_performance_sim.unit(h bigint) returns double precision
    language sql immutable parallel safe
    as $$ select ((h >> 11) & 9007199254740991)::double precision / 9007199254740992.0::double precision $$;

-- The n-th number in [0, 1) of the pseudo-random stream `key`.
create function search_performance_sim.rnd(key bigint, n integer) returns double precision
    language sql immutable parallel safe
    as $$ select search_performance_sim.unit(hashint4extended(n, key)) $$;

-- The stream key of entity `id` of kind `salt` under `seed`.
create function search_performance_sim.entity_key(id bigint, salt integer, seed bigint) returns bigint
    language sql immutable parallel safe
    as $$ select hashint4extended(salt, hashint8extended(id, seed)) $$;

-- x (0 <= x < 36^digits) written with `digits` characters 0-9 A-Z.
create function search_performance_sim.base36(x bigint, digits integer) returns text
    language sql immutable parallel safe
    as $$
    select string_agg(substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                             mod(x / power(36::numeric, d)::bigint, 36)::integer + 1, 1),
                      '' order by d desc)
    from generate_series(0, digits - 1) as d
    $$;

-- A timestamp between a and b (a <= b), at fraction u in [0, 1) of the way.
create function search_performance_sim.between_ts(a timestamptz, b timestamptz, u double precision)
    returns timestamptz
    language sql immutable parallel safe
    as $$ select date_trunc('second', a + (b - a) * u) $$;
