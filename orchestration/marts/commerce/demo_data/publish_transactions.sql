-- Replace the reseller's data: products and transactions in one transaction. The orders
-- reference the items (products.inventory), so one session publishes both schemas
-- (simulation.py's SIMULATOR): the demo-data engine truncated transactions' tables and dropped
-- the orders' indexes and constraints (it recreates them afterwards); the first step here
-- truncates the tables of products, the second drops the items' indexes and constraints
-- (rebuilt in one pass each at the end, as the engine does for its bulk tables).
-- Rows go in the order the application wrote them (by time).

-- step: truncate products
-- With the orders (already empty): they reference the items.
truncate table products.brands, products.categories, products.suppliers, products.products,
    products.inventory, transactions.orders;

-- step: drop the items' indexes
-- The statements recreating them, read from the catalog (so indexes added by later
-- migrations are kept): primary and unique keys, other indexes, foreign keys last.
create temporary table commerce_rebuild on commit drop as
select 1 as pass, c.conname::text as name,
       'alter table products.inventory add constraint ' || quote_ident(c.conname) || ' '
           || pg_get_constraintdef(c.oid) as statement,
       'alter table products.inventory drop constraint ' || quote_ident(c.conname) as drop_statement
from pg_constraint as c
where c.conrelid = 'products.inventory'::regclass and c.contype in ('p', 'u', 'x')
union all
select 2, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
       'drop index ' || i.indexrelid::regclass::text
from pg_index as i
where i.indrelid = 'products.inventory'::regclass
  and not exists (select 1 from pg_constraint as c
                  where c.conindid = i.indexrelid and c.conrelid = i.indrelid)
union all
select 3, c.conname::text,
       'alter table products.inventory add constraint ' || quote_ident(c.conname) || ' '
           || pg_get_constraintdef(c.oid),
       'alter table products.inventory drop constraint ' || quote_ident(c.conname)
from pg_constraint as c
where c.conrelid = 'products.inventory'::regclass and c.contype = 'f';
do $do$
declare
    r record;
begin
    -- Foreign keys first (the orders' own were dropped by the engine), then the rest.
    for r in select drop_statement from commerce_rebuild order by pass desc, name loop
        execute r.drop_statement;
    end loop;
end
$do$;

-- step: brands
insert into products.brands (id, name, segment, price_tier, target_demographic, parent_brand_id,
                         created_at)
select
    b.brand_no,
    b.name,
    b.segment,
    b.price_tier,
    b.demographic,
    b.parent_no,
    commerce_sim.between_ts(%(start_ts)s::timestamptz - interval '400 days',
                            %(start_ts)s::timestamptz - interval '30 days',
                            commerce_sim.rnd(commerce_sim.entity_key(b.brand_no, 4, %(seed)s), 1))
from commerce_sim.brands as b
order by b.brand_no;

-- step: categories
insert into products.categories (id, name)
select c.category_no, c.name from commerce_sim.categories as c order by c.category_no;

-- step: suppliers
insert into products.suppliers (id, name, contact_email, contact_phone, country, rating, created_at)
select
    s.supplier_no,
    s.name,
    s.email,
    '+' || case s.country when 'DE' then '49' when 'NL' then '31' when 'FR' then '33'
                          when 'IT' then '39' when 'ES' then '34' when 'AT' then '43'
                          when 'PL' then '48' when 'GB' then '44' else '1' end
        || ' ' || (20 + floor(80 * commerce_sim.rnd(s.key, 1)))::integer::text
        || ' ' || lpad(floor(10000000 * commerce_sim.rnd(s.key, 2))::integer::text, 7, '0'),
    s.country,
    s.rating::numeric(3, 2),
    commerce_sim.between_ts(%(start_ts)s::timestamptz - interval '300 days',
                            %(start_ts)s::timestamptz - interval '1 day',
                            commerce_sim.rnd(s.key, 3))
from (select s.*, commerce_sim.entity_key(s.supplier_no, 5, %(seed)s) as key
      from commerce_sim.suppliers as s) as s
order by s.supplier_no;

-- step: platforms
insert into transactions.platforms (id, name, slug, fee_percentage, fee_fixed, payout_days, active)
select p.platform_no, p.name, p.slug, p.fee_percentage, p.fee_fixed, p.payout_days, true
from commerce_sim.platforms as p
order by p.platform_no;

-- step: products
-- Entered in the catalogue two weeks before release.
insert into products.products (id, sku, name, brand_id, category_id, retail_price, release_date,
                               created_at)
select
    p.product_no,
    p.sku,
    p.name,
    p.brand_no,
    p.category_no,
    p.retail_price,
    p.release_date,
    (p.release_date - 14)::timestamp at time zone 'UTC' + interval '9 hours'
from commerce_sim.products as p
order by p.product_no;

-- step: inventory
insert into products.inventory (id, product_id, supplier_id, size, color, condition, status,
                                purchase_price, vat_amount, gross_purchase_price, purchase_date,
                                created_at, updated_at)
select
    i.item_no,
    i.product_no,
    i.supplier_no,
    i.size,
    i.colour,
    i.condition,
    i.status,
    i.purchase_price,
    i.vat_amount,
    i.gross_purchase_price,
    i.purchase_at,
    i.purchase_at,
    i.updated_at
from commerce_sim.items as i
order by i.item_no;

-- step: orders
-- Numbered by sale time; the platform's order number from the id (injective: 7919 and
-- 90,000,000 are coprime).
insert into transactions.orders (id, inventory_id, platform_id, external_id, status, sold_at,
                                 gross_sale, platform_fee, shipping_cost, currency, buyer_country,
                                 buyer_city, payout_received, payout_date, created_at, updated_at)
select
    o.id,
    o.item_no,
    o.platform_no,
    pf.prefix || '-' || (10000000 + mod(o.id * 7919 + %(seed)s * 104729, 90000000))::text,
    o.status,
    o.sold_at,
    o.gross_sale,
    o.platform_fee,
    o.shipping_cost,
    c.currency,
    c.country,
    c.city,
    o.payout_received,
    o.payout_date,
    o.sold_at,
    o.updated_at
from (select o.*, row_number() over (order by o.sold_at, o.item_no, o.k) as id
      from commerce_sim.orders as o) as o
join commerce_sim.platforms as pf using (platform_no)
join commerce_sim.cities as c using (city_no)
order by o.id;

-- step: rebuild the items' indexes
do $do$
declare
    r record;
begin
    for r in select statement from commerce_rebuild order by pass, name loop
        execute r.statement;
    end loop;
end
$do$;

-- step: analyze products
-- The engine analyzes the schema it publishes (transactions); these are published here.
analyze products.brands, products.categories, products.suppliers, products.products,
    products.inventory;
