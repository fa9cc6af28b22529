-- The owner of the views reads the crawler's tables; nobody else reads them or the truth.
grant usage on schema retail_raw to analytics_owner;
grant select on all tables in schema retail_raw to analytics_owner;
alter default privileges in schema retail_raw grant select on tables to analytics_owner;
revoke all on schema retail_raw from public;
revoke all on schema retail_truth from public;
