-- The ASIN-to-brand mapping rows, with the defects of a real mapping table:
--   current     one active row per ASIN for its brand (not for the unmapped ones);
--   duplicate   the 'duplicated' ASIN's second active row, identical to its first but the id;
--   moved_from  the 'moved' ASIN's old brand, deactivated half-way through the reports, when
--               its current row (created then, so with a later updated_at) replaced it;
--   reimported  an old deactivated row of the same brand, for 5 in a hundred of the ASINs
--               with a current row (the mapping was re-imported);
--   retired     the only row, deactivated, of every other 'unmapped' ASIN (the others have
--               no row at all).
-- Ids follow created_at, like an identity column's.
create unlogged table search_performance_sim.mappings as
with moment as (
    select
        (%(first_start)s::date + 7 * (%(n_weeks)s / 2))::timestamp at time zone 'UTC'
            + interval '10 hours' as moved_at
),
asin as (
    select
        a.asin_no,
        a.asin,
        a.key,
        a.brand_no,
        ro.role,
        ro.pick,
        case
            when ro.role = 'moved' then m.moved_at + interval '5 minutes'
            when a.life = 'launch' then search_performance_sim.between_ts(
                (%(first_start)s::date + 7 * a.first_week - 6)::timestamp at time zone 'UTC',
                (%(first_start)s::date + 7 * a.first_week)::timestamp at time zone 'UTC',
                search_performance_sim.rnd(a.key, 20))
            else search_performance_sim.between_ts(
                %(start_ts)s::timestamptz - interval '400 days',
                %(start_ts)s::timestamptz - interval '5 days',
                search_performance_sim.rnd(a.key, 20))
        end as mapped_at,
        m.moved_at
    from search_performance_sim.asins as a
    left join search_performance_sim.asin_roles as ro using (asin_no)
    cross join moment as m
),
mapping_rows as (
    -- current (and the duplicate of the 'duplicated' ASIN's)
    select a.asin_no, a.asin, a.brand_no, true as is_active, a.mapped_at as created_at,
           a.mapped_at as updated_at, 1 as ord
    from asin as a
    where a.role is distinct from 'unmapped'
    union all
    select a.asin_no, a.asin, a.brand_no, true, a.mapped_at, a.mapped_at, 2
    from asin as a
    where a.role = 'duplicated'
    union all
    -- moved_from: another active brand
    select a.asin_no, a.asin, mod(a.brand_no, %(n_brands)s - 2) + 1, false,
           search_performance_sim.between_ts(%(start_ts)s::timestamptz - interval '400 days',
                                             %(start_ts)s::timestamptz - interval '5 days',
                                             search_performance_sim.rnd(a.key, 21)),
           a.moved_at, 0
    from asin as a
    where a.role = 'moved'
    union all
    -- reimported
    select a.asin_no, a.asin, a.brand_no, false,
           a.mapped_at - (30 + 270 * search_performance_sim.rnd(a.key, 23)) * interval '1 day',
           a.mapped_at, 0
    from asin as a
    where a.role is null and search_performance_sim.rnd(a.key, 22) < 0.05
    union all
    -- retired
    select a.asin_no, a.asin, a.brand_no, false,
           search_performance_sim.between_ts(%(start_ts)s::timestamptz - interval '400 days',
                                             %(start_ts)s::timestamptz - interval '5 days',
                                             search_performance_sim.rnd(a.key, 21)),
           search_performance_sim.between_ts(%(start_ts)s::timestamptz, a.moved_at,
                                             search_performance_sim.rnd(a.key, 24)),
           0
    from asin as a
    where a.role = 'unmapped' and mod(a.pick, 2) = 1
)
select
    row_number() over (order by r.created_at, r.asin_no, r.ord, r.is_active) as mapping_id,
    r.asin,
    b.brand_id,
    r.is_active,
    date_trunc('second', r.created_at) as created_at,
    date_trunc('second', r.updated_at) as updated_at
from mapping_rows as r
join search_performance_sim.brands as b using (brand_no);
