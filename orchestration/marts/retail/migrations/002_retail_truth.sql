-- retail_truth: what the simulation really did, which the crawler could not see.
-- Written only by `analytics demo-data`; used to measure the views' estimators.

create schema if not exists retail_truth;
comment on schema retail_truth is 'Ground truth of the simulated data set (demo and tests only).';

create table if not exists retail_truth.daily_product_truth (
    dispensary_id   integer not null,
    product_id      text not null,
    day             date not null,
    units_sold      integer not null,
    units_restocked integer not null,
    primary key (dispensary_id, product_id, day)
);
comment on table retail_truth.daily_product_truth is 'Units actually sold and restocked per store, product and day (UTC). One row for every day the product was on the menu, days without sales included (so avg(units_sold) over a window is the true average daily units); the anchor''s day is partial. Products without a provider id have no truth.';

create table if not exists retail_truth.stock_events (
    dispensary_id  integer not null,
    product_id     text not null,
    occurred_at    timestamptz not null,
    event_type     text not null,
    units          integer not null,
    quantity_after integer not null,
    primary key (dispensary_id, product_id, occurred_at)
);
comment on table retail_truth.stock_events is 'What really happened on the shelf of every product the crawler tracks, while its store is crawled: one sale row per crawl interval with sales (the units sold between two consecutive crawl visits of the store, stamped at the midpoint of the interval; a product''s first row counts from its start) and one restock row per restock, at its exact moment. Units sold between two crawls at t1 < t2 are the sale rows with t1 < occurred_at < t2; a restock row in that range means the crawler saw only the net change. Daily totals, for every product and the whole period, are in daily_product_truth.';
comment on column retail_truth.stock_events.product_id is 'The store product''s provider_product_id, as in inventory_snapshots.product_id.';
comment on column retail_truth.stock_events.event_type is 'sale (units sold during a crawl interval) or restock (units put on the shelf).';
comment on column retail_truth.stock_events.units is 'Units sold or restocked (always > 0).';
comment on column retail_truth.stock_events.quantity_after is 'True shelf quantity right after the event; for a sale row, at the crawl visit that ends its interval.';

create table if not exists retail_truth.simulation (
    scale      text not null,
    seed       bigint not null,
    starts_at  timestamptz not null,
    ends_at    timestamptz not null,
    loaded_at  timestamptz not null
);
comment on table retail_truth.simulation is 'The load that produced the current data set (one row): its scale, seed and simulated period [starts_at, ends_at]. ends_at is the anchor: the moment the last crawl could have happened.';
comment on column retail_truth.simulation.starts_at is 'Start of the simulation: a UTC midnight, the anchor''s date minus the scale''s days.';
