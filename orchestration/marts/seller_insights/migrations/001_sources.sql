-- The seller insights mart's sources: the surplus-food marketplace's tables (`surplus`), the
-- simulator's truth (`surplus_truth`, what the marketplace cannot see: demand lost to sold-out
-- bundles, and how future bundles turn out), and the forecast the mart writes
-- (`seller_forecast.forecast_output`, replaced by the Python forecast asset). Applied by
-- `analytics db migrate`; every statement is idempotent.
--
-- Sellers post bundles of surplus food for a pickup window; buyers reserve units of a bundle
-- and collect them in the window (or not: a no-show). Few check constraints: the analytics
-- database gets what the application wrote, so the views must cope with reservations of
-- unknown bundles, collections before reservations, negative quantities, windows ending
-- before they start and sellers without a time zone (the mart's yml says how each counts).

create schema if not exists surplus;
comment on schema surplus is 'The surplus-food marketplace: sellers, the bundles they post for a pickup window, categories and the buyers'' reservations. Read-only for analytics.';
create schema if not exists surplus_truth;
comment on schema surplus_truth is 'The simulator''s truth: each bundle''s demand (including what a sold-out bundle lost) and the eventual outcome of bundles still in the future. Only tests and the benchmark read it.';
create schema if not exists seller_forecast;
comment on schema seller_forecast is 'The sales forecast of every future bundle, written by the seller insights mart''s Python forecast asset (one transaction per run).';

create table if not exists surplus.sellers (
    seller_id  integer primary key,
    name       text not null,
    latitude   numeric(9, 6),
    longitude  numeric(9, 6),
    time_zone  text,
    created_at timestamptz not null default now()
);
comment on table surplus.sellers is 'Sellers (bakeries, cafés, grocers, restaurants) with their location.';
comment on column surplus.sellers.time_zone is 'IANA time zone of the seller''s shop (Europe/Berlin); NULL when the seller never set it.';

create table if not exists surplus.categories (
    category_id   integer primary key,
    category_name text not null
);
comment on table surplus.categories is 'Food categories a bundle can be tagged with (Bakery, Produce, Dairy, ...).';

create table if not exists surplus.bundles (
    bundle_id    bigint primary key,
    seller_id    integer not null,
    window_start timestamptz not null,
    window_end   timestamptz not null,
    total_qty    integer not null,
    price        numeric(8, 2) not null,
    posted_at    timestamptz not null
);
comment on table surplus.bundles is 'A bundle: units of surplus food a seller posts for one pickup window. Future bundles are posted up to two weeks ahead.';
comment on column surplus.bundles.total_qty is 'Units posted: at most this many can be reserved.';
comment on column surplus.bundles.price is 'Price of one unit, in the seller''s currency.';

create table if not exists surplus.bundle_categories (
    bundle_id   bigint not null,
    category_id integer not null,
    primary key (bundle_id, category_id)
);
comment on table surplus.bundle_categories is 'The categories of each bundle: none, one or several.';

create table if not exists surplus.reservations (
    reservation_id bigint primary key,
    bundle_id      bigint not null,
    buyer_id       bigint not null,
    quantity       integer not null,
    reserved_at    timestamptz not null,
    collected_at   timestamptz,
    cancelled_at   timestamptz
);
comment on table surplus.reservations is 'A buyer''s reservation of units of a bundle. collected_at is NULL until collected, and stays NULL for a no-show; a cancelled reservation has cancelled_at.';
create index if not exists reservations_bundle_id_idx on surplus.reservations (bundle_id);

create table if not exists surplus_truth.bundle_outcomes (
    bundle_id           bigint primary key,
    seller_id           integer not null,
    window_start        timestamptz not null,
    expected_demand     numeric not null,
    demand              integer not null,
    reserved_units      integer not null,
    lost_units          integer not null,
    collected_units     integer not null,
    no_show_probability numeric not null
);
comment on table surplus_truth.bundle_outcomes is 'Per bundle, past and future: the mean demand the simulator drew from, the units wanted, the units reserved and never cancelled, the units lost to the posted quantity (demand beyond it), the units collected in the end (no-shows excluded), and the mean no-show probability of its reserved units. Cancelled units are neither reserved nor lost: demand = reserved + cancelled + lost.';

create table if not exists seller_forecast.forecast_output (
    bundle_id              bigint primary key,
    seller_id              integer not null,
    window_start           timestamptz not null,
    predicted_sales        numeric(10, 2) not null,
    posted_qty             integer not null,
    predicted_no_show_prob numeric(5, 4) not null,
    confidence             numeric(5, 4) not null,
    rationale              text not null
);
comment on table seller_forecast.forecast_output is 'The forecast of every future bundle: units expected to be collected, the share of reserved units expected not to be collected, and how sure the forecast is (the probability that the collected units fall within 20 % of the prediction). Replaced whole by each run of the forecast asset.';
