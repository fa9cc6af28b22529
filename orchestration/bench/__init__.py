"""`analytics bench`: what the retail mart's materialized views cost and what readers get.

One concern per module:

* `context`      the server, a private dbt target/log directory, timed SQL and dbt runs;
* `mart`         the mart's views read from dbt's manifest: DAG order, compiled SQL, inlining;
* `data`         which demo-data scale is loaded, and (re)loading it;
* `machine`      cores, memory, Postgres version and settings recorded with the results;
* `stats`        medians and percentiles;
* `queries`      the dashboard queries and their parameters picked from the data;
* `refresh_cost` per view: concurrent, plain and rebuild cost against the query's floor;
* `availability` readers' latency and errors while the whole mart refreshes;
* `dashboard`    dashboard queries on the views against the same questions over raw tables;
* `overhead`     an hourly refresh through Dagster against the SQL time it logged;
* `scaling`      the mart's refresh time across scales and its log-log slope;
* `targets`      the targets of the issue, met or not;
* `report`       the rich tables and the JSON file;
* `runner`       the order of it all.
"""
