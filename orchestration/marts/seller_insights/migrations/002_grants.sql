-- The owner of the views reads the marketplace's tables and the forecast; the forecast asset
-- (which connects as the owner) replaces the forecast. Nobody else reads them.
grant usage on schema surplus, seller_forecast to analytics_owner;
grant select on all tables in schema surplus to analytics_owner;
alter default privileges in schema surplus grant select on tables to analytics_owner;
grant select, insert, update, delete, truncate on seller_forecast.forecast_output to analytics_owner;
revoke all on schema surplus, surplus_truth, seller_forecast from public;
