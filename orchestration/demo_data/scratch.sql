-- The scratch schema of a mart's `analytics demo-data` load, `{scratch}`, created by the engine
-- before the mart's generator files run (and dropped again at the end), with the pseudo-random
-- helpers every generator calls. Every pseudo-random number is a hash of (seed, ids): the same
-- seed gives the same rows whatever plan (parallel or not) Postgres picks. No random().

drop schema if exists {scratch} cascade;
create schema {scratch};
comment on schema {scratch} is 'Scratch space of analytics demo-data (dropped after each load).';

-- A number in [0, 1) from a 64-bit hash: its 53 high bits.
create function {scratch}.unit(h bigint) returns double precision
    language sql immutable parallel safe
    as $$ select ((h >> 11) & 9007199254740991)::double precision / 9007199254740992.0::double precision $$;

-- The n-th number in [0, 1) of the pseudo-random stream `key`.
create function {scratch}.rnd(key bigint, n integer) returns double precision
    language sql immutable parallel safe
    as $$ select {scratch}.unit(hashint4extended(n, key)) $$;

-- The stream key of entity `id` of kind `salt` under `seed`.
create function {scratch}.entity_key(id bigint, salt integer, seed bigint) returns bigint
    language sql immutable parallel safe
    as $$ select hashint4extended(salt, hashint8extended(id, seed)) $$;

-- A timestamp between a and b (a <= b), at fraction u in [0, 1) of the way, in whole seconds.
create function {scratch}.between_ts(a timestamptz, b timestamptz, u double precision)
    returns timestamptz
    language sql immutable parallel safe
    as $$ select date_trunc('second', a + (b - a) * u) $$;
