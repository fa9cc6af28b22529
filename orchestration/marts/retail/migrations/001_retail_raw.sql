-- retail_raw: the crawler's database (multi-store catalogue, delta-only snapshots).
-- Table and column names are the crawler's, so its queries and existing dashboards keep working.
-- Applied by `analytics db migrate` (and by `analytics demo`); every statement is idempotent.

create schema if not exists retail_raw;
comment on schema retail_raw is 'Source tables written by the menu crawler. Read-only for analytics.';

create table if not exists retail_raw.dispensaries (
    id            integer primary key,
    name          text not null,
    city          text,
    state         text,
    crawl_enabled boolean not null default true
);
comment on table retail_raw.dispensaries is 'One row per store (dispensary) known to the crawler.';
comment on column retail_raw.dispensaries.state is 'Two-letter state code; views group by it.';
comment on column retail_raw.dispensaries.crawl_enabled is 'False for stores the crawler no longer visits; their data is stale.';

create table if not exists retail_raw.store_products (
    id                  bigint primary key,
    dispensary_id       integer not null references retail_raw.dispensaries (id),
    provider_product_id text,
    name_raw            text,
    brand_name_raw      text,
    category_raw        text,
    brand               text,
    category            text,
    is_in_stock         boolean,
    stock_status        text,
    stock_quantity      integer,
    price_rec           numeric(10, 2),
    first_seen_at       timestamptz,
    last_seen_at        timestamptz,
    updated_at          timestamptz
);
comment on table retail_raw.store_products is 'Current state of each product on each store menu (one row per store and product, updated by every crawl).';
comment on column retail_raw.store_products.provider_product_id is 'The menu provider''s product id (the SKU); NULL when the provider gave none. Snapshots and events refer to it as product_id.';
comment on column retail_raw.store_products.brand is 'Normalised brand name; brand_name_raw is the menu''s text.';
comment on column retail_raw.store_products.category is 'Normalised category; category_raw is the menu''s text.';
-- One menu entry per provider id and store; NULL ids are allowed and not unique.
create unique index if not exists store_products_dispensary_sku_key
    on retail_raw.store_products (dispensary_id, provider_product_id);
create index if not exists store_products_brand_idx on retail_raw.store_products (brand);

create table if not exists retail_raw.inventory_snapshots (
    id                 bigint primary key,
    dispensary_id      integer not null references retail_raw.dispensaries (id),
    product_id         text not null,
    brand_name         text,
    category           text,
    captured_at        timestamptz not null,
    price_rec          numeric(10, 2),
    quantity_available integer
);
comment on table retail_raw.inventory_snapshots is 'Delta-only history: the crawler writes a row only when a product''s quantity or price changed since its last visit.';
comment on column retail_raw.inventory_snapshots.product_id is 'The store product''s provider_product_id (no foreign key: snapshots may arrive before the menu row).';
comment on column retail_raw.inventory_snapshots.quantity_available is 'Units on the shelf at captured_at; NULL when the menu did not show a quantity.';
-- The per-product history in time order: what every delta (LAG) and first/last lookup reads.
create index if not exists inventory_snapshots_product_time_idx
    on retail_raw.inventory_snapshots (dispensary_id, product_id, captured_at);
-- Time-window scans over an append-mostly table: BRIN is tiny and enough.
create index if not exists inventory_snapshots_captured_at_brin
    on retail_raw.inventory_snapshots using brin (captured_at);

create table if not exists retail_raw.product_visibility_events (
    id            bigint primary key,
    dispensary_id integer not null references retail_raw.dispensaries (id),
    product_id    text not null,
    event_type    text not null,
    detected_at   timestamptz not null
);
comment on table retail_raw.product_visibility_events is 'Menu visibility changes seen by the crawler: oos (went out of stock), back_in_stock, removed, added.';
create index if not exists product_visibility_events_type_product_idx
    on retail_raw.product_visibility_events (event_type, dispensary_id, product_id, detected_at);
