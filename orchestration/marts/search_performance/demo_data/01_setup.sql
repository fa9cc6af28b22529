-- Scratch schema of `analytics demo-data` for the search-performance mart: helper functions
-- and staging tables. Dropped and recreated by every load and dropped again at the end.
-- The engine creates the scratch schema and its pseudo-random helpers (unit, rnd, entity_key,
-- between_ts: orchestration/demo_data/scratch.sql) before this file runs.
--
-- Every pseudo-random number is a hash of (seed, ids): the same seed gives the same rows
-- whatever plan (parallel or not) Postgres picks. No random() anywhere.
-- Parameters (psycopg2 named placeholders) come from the mart's simulation.py and the engine;
-- so no literal per-cent sign may appear in these files (mod() stands for the operator).

-- x (0 <= x < 36^digits) written with `digits` characters 0-9 A-Z.
create function search_performance_sim.base36(x bigint, digits integer) returns text
    language sql immutable parallel safe
    as $$
    select string_agg(substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                             mod(x / power(36::numeric, d)::bigint, 36)::integer + 1, 1),
                      '' order by d desc)
    from generate_series(0, digits - 1) as d
    $$;

