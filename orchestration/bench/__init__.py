"""`analytics bench`: what each mart's materialized views cost and what readers get.

A mart takes part through its plug-in (`orchestration/marts/<mart>/`): its `bench` (a
`spec.BenchSpec`: dashboard queries, parameter picking) and its demo-data simulator. Nothing
here names a mart. One concern per module:

* `spec`         the contract a mart's plug-in fills: `BenchSpec`, `DashboardQuery`;
* `context`      the server, a private dbt target/log directory, timed SQL and dbt runs;
* `mart`         the mart's views read from dbt's manifest: DAG order, compiled SQL, inlining;
* `data`         which demo-data scale a mart holds, (re)loading it, ordering scales;
* `machine`      cores, memory, Postgres version and settings recorded with the results;
* `stats`        medians and percentiles;
* `queries`      the spec's queries checked against the views, their parameters picked;
* `build`        building the mart through the materialization before measuring it;
* `refresh_log`  the materialization's refresh log: rows of a run, their SQL time;
* `sources`      the tables a view reads; a row-less write so a run refreshes what skips;
* `refresh_cost` per view: concurrent, plain and rebuild cost against the query's floor, and
                 what each index costs to build;
* `availability` readers' latency and errors while the whole mart refreshes;
* `skipped`      what a run in which nothing changed costs the views that skip it;
* `dashboard`    dashboard queries on the views against the same questions over raw tables;
* `overhead`     an hourly refresh through Dagster against the SQL time it logged;
* `incremental`  a chain with an incremental model: its runs after new data (an hour, a late
                 batch, midnight) against a full refresh of the chain, readers, the proof;
* `replica`      readers on a streaming replica while the primary refreshes the mart, per
                 strategy: errors, latency, replay lag over time (only with a replica);
* `scaling`      the mart's refresh time across scales and its log-log slope;
* `targets`      the targets of the issue (or a mart's own figure), met or not;
* `report`       the rich tables and the JSON file (one section per mart);
* `runner`       the marts to bench and the order of it all.
"""

# The sections measured at the benchmark's scale, in order (`--skip` takes these and `scaling`).
# Here, not in `runner`, so the command line lists them without importing the bench.
SECTIONS = ("refresh_cost", "dashboard", "availability", "skipped_refresh",
            "orchestration_overhead", "incremental", "replica")
