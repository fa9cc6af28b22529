-- Scratch schema of `analytics demo-data` for the marketplace KPI mart: helper functions and
-- the fixed lists (cities, brands and lines). Dropped and recreated by every load and dropped
-- again at the end.
-- The engine creates the scratch schema and its pseudo-random helpers (unit, rnd, entity_key,
-- between_ts: orchestration/demo_data/scratch.sql) before this file runs.
--
-- Every pseudo-random number is a hash of (seed, ids): the same seed gives the same rows
-- whatever plan (parallel or not) Postgres picks. No random() anywhere.
-- Parameters (psycopg2 named placeholders) come from the mart's simulation.py and the engine;
-- so no literal per-cent sign may appear in these files (mod() stands for the operator).

-- step: setup
-- A deterministic UUID: md5 of the seed, the kind of row and its number.
create function marketplace_kpis_sim.uid(seed bigint, kind text, n bigint) returns uuid
    language sql immutable parallel safe
    as $$ select md5(seed::text || ':' || kind || ':' || n::text)::uuid $$;

-- Spanish first names and surnames (accents and ñ included), picked by u in [0, 1).
create function marketplace_kpis_sim.first_name(u double precision) returns text
    language sql immutable parallel safe
    as $$
    select (array['José', 'María', 'Andrés', 'Sebastián', 'Camilo', 'Valentina', 'Natalia',
                  'Julián', 'Óscar', 'Héctor', 'Martín', 'Lucía', 'Sofía', 'Ramón', 'Tomás',
                  'Inés', 'Germán', 'Iván', 'Mónica', 'Ángela', 'Carlos', 'Diana', 'Jorge',
                  'Paula', 'Luis', 'Catalina', 'Juan Pablo', 'Daniela', 'Nicolás', 'Yesenia',
                  'Luz Marina', 'Hernán'])[1 + floor(u * 32)::integer]
    $$;

create function marketplace_kpis_sim.surname(u double precision) returns text
    language sql immutable parallel safe
    as $$
    select (array['Peña', 'Muñoz', 'Jiménez', 'Rodríguez', 'Gómez', 'González', 'Martínez',
                  'López', 'García', 'Hernández', 'Pérez', 'Sánchez', 'Ramírez', 'Torres',
                  'Díaz', 'Vargas', 'Castaño', 'Ordóñez', 'Londoño', 'Cañas', 'Ibáñez', 'Núñez',
                  'Betancourt', 'Ospina', 'Restrepo', 'Zuluaga', 'Quiñones', 'Montaño',
                  'Salazar', 'Álvarez', 'Patiño', 'Mejía'])[1 + floor(u * 32)::integer]
    $$;

-- A name's letters for an e-mail address: lower case, no accents, no spaces.
create function marketplace_kpis_sim.mail_part(name text) returns text
    language sql immutable parallel safe
    as $$ select lower(translate(name, 'áéíóúñüÁÉÍÓÚÑÜ ', 'aeiounuAEIOUNU')) $$;

-- step: cities
-- The cities, their departments and how many advisors each has (simulation.advisors_per_city);
-- advisors of city c are numbered first_advisor + 1 .. first_advisor + advisors.
create unlogged table marketplace_kpis_sim.cities as
select
    c.city_no::integer as city_no,
    c.city,
    c.department,
    c.advisors,
    (coalesce(sum(c.advisors) over (order by c.city_no rows between unbounded preceding and 1 preceding), 0))::integer
        as first_advisor
from unnest(%(city_names)s::text[], %(city_departments)s::text[], %(n_advisors_per_city)s::integer[])
    with ordinality as c (city, department, advisors, city_no);
create unique index on marketplace_kpis_sim.cities (city_no);

-- step: brands
create unlogged table marketplace_kpis_sim.lines as
select
    l.brand_no,
    b.brand,
    row_number() over (partition by l.brand_no order by l.ord)::integer as line_no,
    count(*) over (partition by l.brand_no)::integer as n_lines,
    l.line
from unnest(%(line_brands)s::integer[], %(line_names)s::text[]) with ordinality as l (brand_no, line, ord)
join unnest(%(brand_names)s::text[]) with ordinality as b (brand, brand_no) on b.brand_no = l.brand_no;
create unique index on marketplace_kpis_sim.lines (brand_no, line_no);
create unlogged table marketplace_kpis_sim.brands as
select brand_no, brand, count(*)::integer as n_lines
from marketplace_kpis_sim.lines
group by brand_no, brand;
create unique index on marketplace_kpis_sim.brands (brand_no);
