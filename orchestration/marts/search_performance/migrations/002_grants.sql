-- The owner of the views reads the reports and the brand catalogue. TRIGGER too: the
-- materialization installs statement-level change-tracking triggers on the sources of views
-- configured with skip_refresh_when_unchanged, so a refresh with no source change is skipped.
grant usage on schema sqp to analytics_owner;
grant select, trigger on sqp.asin_performance_data, sqp.search_query_performance
    to analytics_owner;
alter default privileges in schema sqp grant select, trigger on tables to analytics_owner;
grant select, trigger on public.brands, public.asin_brand_mapping to analytics_owner;
-- Nobody else reads the reports. Schema public is shared: nothing is revoked there.
revoke all on schema sqp from public;
-- The mart's views and its function live in public, where the API reads them (PostgreSQL 15+
-- no longer lets every role create there).
grant usage, create on schema public to analytics_owner;
