-- TRIGGER for the owner of the views on the snapshots: mv_daily_sales_estimates is kept
-- incrementally (refresh_strategy 'incremental'), from the invalidation log its statement-level
-- triggers on this table feed (docs/materialized-view.md, "Incremental refresh").
grant trigger on retail_raw.inventory_snapshots to analytics_owner;
