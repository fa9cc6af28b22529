-- The owner of the views reads the reseller's tables; nobody else does. The views go to
-- schema analytics, which `analytics db migrate` already lets the owner create in.
grant usage on schema products, transactions to analytics_owner;
grant select on all tables in schema products, transactions to analytics_owner;
alter default privileges in schema products grant select on tables to analytics_owner;
alter default privileges in schema transactions grant select on tables to analytics_owner;
revoke all on schema products, transactions from public;
