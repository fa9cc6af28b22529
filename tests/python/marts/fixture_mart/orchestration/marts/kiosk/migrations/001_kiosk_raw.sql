create schema if not exists kiosk_raw;
create table if not exists kiosk_raw.sales (
    id       bigint primary key,
    kiosk_id integer not null,
    sold_at  timestamptz not null,
    amount   numeric(10, 2) not null
);
grant usage on schema kiosk_raw to analytics_owner;
grant select on all tables in schema kiosk_raw to analytics_owner;
