-- One sale per kiosk and hour, its amount a hash of (seed, id).
drop schema if exists kiosk_sim cascade;
create schema kiosk_sim;
create table kiosk_sim.sales as
select
    k * 100000 + n as id,
    k as kiosk_id,
    %(start_ts)s::timestamptz + n * interval '1 hour' as sold_at,
    ((hashint8extended(k * 100000 + n, %(seed)s) & 1023) / 10.0)::numeric(10, 2) as amount
from generate_series(1, %(kiosks)s) as k, generate_series(0, %(hours)s - 1) as n;
