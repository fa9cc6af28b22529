-- Least-privilege roles (NOLOGIN groups; grant them to login users, or `SET ROLE`).
--   analytics_reader  reads the analytic views and the status view, nothing else
--                     (granted through dbt's `grants` config and the on-run-end hook);
--   analytics_owner   owns and refreshes the views: creates schemas, reads each mart's source
--                     schemas (granted by that mart's own migrations).
-- dbt builds as analytics_owner when ANALYTICS_DBT_ROLE=analytics_owner (profiles.yml).
-- Creating roles needs CREATEROLE; on a server where that is not allowed, ask its admin.

do $roles$
begin
    if not exists (select from pg_roles where rolname = 'analytics_reader') then
        create role analytics_reader nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'analytics_owner') then
        create role analytics_owner nologin;
    end if;
    execute format('grant create, connect on database %I to analytics_owner', current_database());
    execute format('grant connect on database %I to analytics_reader', current_database());
end
$roles$;

comment on role analytics_reader is 'Dashboards: SELECT on the analytic views and their status view only.';
comment on role analytics_owner is 'Owns and refreshes the analytic views; reads the marts'' source schemas.';
