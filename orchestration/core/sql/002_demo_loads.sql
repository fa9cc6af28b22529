-- What `analytics demo-data` last loaded into each mart's source schemas (scale, seed, period):
-- the bench reloads a mart only when the scale or seed asked for differs.
create table if not exists public.analytics_demo_loads (
    mart      text primary key,
    scale     text not null,
    seed      bigint not null,
    starts_at timestamptz,
    ends_at   timestamptz not null,
    loaded_at timestamptz not null,
    seconds   double precision
);
comment on table public.analytics_demo_loads is 'The last simulated data set loaded per mart (demo and tests only).';
