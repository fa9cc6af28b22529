-- The owner of the views reads the marketplace's tables; nobody else does.
grant usage on schema marketplace to analytics_owner;
grant select on all tables in schema marketplace to analytics_owner;
alter default privileges in schema marketplace grant select on tables to analytics_owner;
revoke all on schema marketplace from public;
-- The mart's views live in public, where the analytics service and its dashboards read them
-- by their bare names (PostgreSQL 15+ no longer lets every role create there).
grant usage, create on schema public to analytics_owner;
