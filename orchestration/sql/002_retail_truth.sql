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
comment on table retail_truth.daily_product_truth is 'Units actually sold and restocked per store, product and day (UTC).';
