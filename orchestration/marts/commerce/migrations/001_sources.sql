-- The commerce BI mart's sources: the sneaker reseller's operational tables, in the schemas the
-- application uses. `products` holds the catalogue with its brands and categories, the
-- suppliers and every item bought (one inventory row is one physical pair or piece);
-- `transactions` the marketplaces sold on and the orders placed there. Applied by
-- `analytics db migrate`; every statement is idempotent.
--
-- Money is in euros, the shop's reporting currency: the order import converts each sale, and
-- `orders.currency` keeps the currency the buyer paid in, for information only.
-- Few check constraints: the analytics database gets what the application wrote, so the views
-- must cope with orders without an inventory item or a platform, negative fees, a payout dated
-- before its sale and odd currencies or cities (the mart's yml says how each is counted).

create schema if not exists products;
comment on schema products is 'The reseller''s catalogue (products, brands, categories), its suppliers and its inventory (one row per physical item bought). Read-only for analytics.';
create schema if not exists transactions;
comment on schema transactions is 'The marketplaces the reseller sells on and the orders placed there. Read-only for analytics.';

create table if not exists products.brands (
    id                 integer primary key,
    name               text not null,
    segment            text,
    price_tier         text,
    target_demographic text,
    parent_brand_id    integer references products.brands (id),
    created_at         timestamptz not null default now()
);
comment on table products.brands is 'Brands, collaborations included: a collaboration (Travis Scott x Jordan) names its parent brand.';
comment on column products.brands.segment is 'Market segment: sneakers, streetwear, luxury, sportswear or lifestyle.';
comment on column products.brands.price_tier is 'The brand''s own positioning: premium, mid or entry (what the reseller thinks of it, not what it sells at).';
comment on column products.brands.target_demographic is 'Who the brand targets: men, women, unisex or youth.';
comment on column products.brands.parent_brand_id is 'For a collaboration, the brand it is made with (Jordan for Travis Scott x Jordan); NULL otherwise.';

create table if not exists products.categories (
    id   integer primary key,
    name text not null unique
);
comment on table products.categories is 'Product categories (Sneakers, Apparel, Accessories, ...).';

create table if not exists products.suppliers (
    id            integer primary key,
    name          text not null,
    contact_email text,
    contact_phone text,
    country       text,
    rating        numeric(3, 2),
    created_at    timestamptz not null default now()
);
comment on table products.suppliers is 'Where the reseller buys its items: retailers, raffles, private sellers.';
comment on column products.suppliers.country is 'ISO 3166-1 alpha-2 country of the supplier.';
comment on column products.suppliers.rating is 'The reseller''s own rating of the supplier, 1.00 to 5.00; NULL when not rated yet.';

create table if not exists transactions.platforms (
    id              integer primary key,
    name            text not null,
    slug            text not null unique,
    fee_percentage  numeric(5, 2),
    fee_fixed       numeric(10, 2),
    payout_days     integer,
    active          boolean not null default true
);
comment on table transactions.platforms is 'The marketplaces the reseller sells on (StockX, eBay, GOAT, ...) and their current fee structure.';
comment on column transactions.platforms.slug is 'Stable short name (stockx, ebay, ...), what dashboards filter on.';
comment on column transactions.platforms.fee_percentage is 'Current seller fee in per cent of the sale price. Each order stores the fee it was actually charged.';
comment on column transactions.platforms.fee_fixed is 'Current fixed fee per order, in euros.';
comment on column transactions.platforms.payout_days is 'Days the platform says it takes to pay out after a sale.';

create table if not exists products.products (
    id           integer primary key,
    sku          text not null unique,
    name         text not null,
    brand_id     integer references products.brands (id),
    category_id  integer references products.categories (id),
    retail_price numeric(10, 2),
    release_date date,
    created_at   timestamptz not null default now()
);
comment on table products.products is 'The catalogue: one row per model (style), whatever its sizes.';
comment on column products.products.sku is 'The manufacturer''s style code (DD1391-100).';
comment on column products.products.retail_price is 'Manufacturer''s retail price in euros.';

create table if not exists products.inventory (
    id                   bigint primary key,
    product_id           integer not null references products.products (id),
    supplier_id          integer references products.suppliers (id),
    size                 text,
    color                text,
    condition            text,
    status               text not null default 'in_stock',
    purchase_price       numeric(10, 2),
    vat_amount           numeric(10, 2),
    gross_purchase_price numeric(10, 2),
    purchase_date        timestamptz,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now()
);
comment on table products.inventory is 'Every item bought: one row per physical pair or piece, from a supplier, at a price.';
comment on column products.inventory.size is 'Size as sold (EU 42, US 9.5, M, One Size).';
comment on column products.inventory.condition is 'new, new_defects or used.';
comment on column products.inventory.status is 'in_stock (bought, not listed), listed (on sale on a platform), reserved (sold, order not yet shipped), sold, or written_off (lost, damaged, given away). A returned item goes back to in_stock.';
comment on column products.inventory.purchase_price is 'Net purchase price in euros, without VAT.';
comment on column products.inventory.vat_amount is 'VAT paid on the purchase, in euros (0 from private sellers and outside the EU).';
comment on column products.inventory.gross_purchase_price is 'What the reseller paid: purchase_price + vat_amount, in euros.';
comment on column products.inventory.purchase_date is 'When the item was bought; its days in stock count from here.';

create table if not exists transactions.orders (
    id               bigint primary key,
    inventory_id     bigint references products.inventory (id),
    platform_id      integer references transactions.platforms (id),
    external_id      text,
    status           text not null,
    sold_at          timestamptz not null,
    gross_sale       numeric(10, 2) not null,
    platform_fee     numeric(10, 2),
    shipping_cost    numeric(10, 2),
    currency         text not null default 'EUR',
    buyer_country    text,
    buyer_city       text,
    payout_received  boolean not null default false,
    payout_date      timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
comment on table transactions.orders is 'Orders: one item sold on one platform to one buyer.';
comment on column transactions.orders.inventory_id is 'The item sold; NULL for an order imported before its item was matched.';
comment on column transactions.orders.platform_id is 'The platform it was sold on; NULL when the import could not tell.';
comment on column transactions.orders.external_id is 'The platform''s own order number.';
comment on column transactions.orders.status is 'pending (paid, not shipped), shipped, completed (delivered and accepted), cancelled (before shipping) or returned (sent back; the item is in stock again).';
comment on column transactions.orders.sold_at is 'When the buyer paid.';
comment on column transactions.orders.gross_sale is 'What the buyer paid for the item, in euros (shipping charged to the buyer not included).';
comment on column transactions.orders.platform_fee is 'What the platform kept: its percentage of gross_sale plus its fixed fee, in euros.';
comment on column transactions.orders.shipping_cost is 'What the reseller paid to ship it, in euros.';
comment on column transactions.orders.currency is 'The currency the buyer paid in (ISO 4217); the amounts are already in euros.';
comment on column transactions.orders.buyer_country is 'Buyer''s country, ISO 3166-1 alpha-2; NULL when unknown.';
comment on column transactions.orders.buyer_city is 'Buyer''s city as the platform reports it; NULL when unknown.';
comment on column transactions.orders.payout_received is 'Whether the platform has paid the reseller for this order.';
comment on column transactions.orders.payout_date is 'When the payout arrived; NULL until it does (and for some, never).';

create index if not exists products_brand_id_idx on products.products (brand_id);
create index if not exists inventory_product_id_idx on products.inventory (product_id);
create index if not exists inventory_supplier_id_idx on products.inventory (supplier_id);
create index if not exists orders_inventory_id_idx on transactions.orders (inventory_id);
create index if not exists orders_sold_at_idx on transactions.orders (sold_at);
create index if not exists orders_platform_id_idx on transactions.orders (platform_id);
