"""Building the mart before measuring it, through the materialization (`dbt run`).

After a data (re)load every row changes, so diffing old and new rows with REFRESH CONCURRENTLY
would measure nothing useful and take long: the mart's views are dropped (dependants first,
never CASCADE) and `dbt run` creates them afresh, so every scale starts from freshly written
views. Otherwise a plain `dbt run` creates missing views, rebuilds changed ones and refreshes
the others concurrently. After a fresh build the sources and views are vacuumed and analyzed,
so measurements start from the steady state autovacuum keeps, not from a just-written heap.
What the materialization did to each view comes from its refresh log.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg2

from orchestration.bench import refresh_log
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart


def drop_views(ctx: BenchContext, mart: Mart) -> list[str]:
    """Drop the mart's views (an incremental model's table too), dependants first; the names
    dropped."""
    dropped = []
    with ctx.cursor() as cur:
        for view in reversed(mart.views):
            cur.execute("select relkind from pg_class where oid = to_regclass(%s)",
                        (view.regclass,))
            row = cur.fetchone()
            if row:
                kind = "table" if row[0] in ("r", "p") else "materialized view"
                cur.execute(f"drop {kind} {view.qualified}")
                dropped.append(view.name)
    return dropped


def vacuum(ctx: BenchContext, mart: Mart, schemas: tuple[str, ...]) -> dict[str, Any]:
    """VACUUM (ANALYZE) the source tables and the mart's views, as autovacuum eventually would:
    a freshly loaded table or built view otherwise pays for hint bits and has no visibility map
    on its first reads, which would land in whichever measurement comes first."""
    started = time.perf_counter()
    with ctx.cursor() as cur:
        cur.execute("select format('%%I.%%I', n.nspname, c.relname) from pg_class c"
                    " join pg_namespace n on n.oid = c.relnamespace"
                    " where n.nspname = any(%s) and c.relkind = 'r' order by 1", (list(schemas),))
        relations = [row[0] for row in cur.fetchall()] + [v.qualified for v in mart.views]
        for relation in relations:
            cur.execute(f"vacuum (analyze) {relation}")
    seconds = time.perf_counter() - started
    ctx.say(f"  vacuum (analyze) of {len(relations)} tables and views: {seconds:.1f} s")
    return {"relations": relations, "seconds": round(seconds, 2)}


def build_mart(ctx: BenchContext, mart: Mart, *, fresh: bool,
               sources: tuple[str, ...]) -> dict[str, Any]:
    """`dbt run` the mart (from scratch when `fresh`); `sources`: the schemas vacuumed with it."""
    args = ["run", "-s", mart.selector()]
    dropped: list[str] = []
    if fresh:
        try:
            dropped = drop_views(ctx, mart)
        except psycopg2.Error as error:
            ctx.say(f"  cannot drop the views ({str(error).strip()}); rebuilding with --full-refresh")
            args.append("--full-refresh")
    seeded = None
    if mart.seeds:
        # A seed the views read (e.g. a lookup table) must be there before they are built.
        seed = ctx.dbt(["seed", "-s", *mart.seeds])
        seeded = {"command": f"dbt seed -s {' '.join(mart.seeds)}",
                  "wall_seconds": round(seed.seconds, 3)}
        ctx.say(f"  seeds loaded: {', '.join(mart.seeds)} ({seed.seconds:.1f} s)")
    ctx.say(f"building the mart: dbt {' '.join(args)}"
            + (f" (views dropped first: {', '.join(dropped)})" if dropped else ""))
    first = refresh_log.max_id(ctx, mart)
    run = ctx.dbt(args, check=fresh)
    failed: dict[str, Any] | None = None
    if run.returncode != 0:
        # Keep measuring, but say so: the materialization could not update the views in place.
        errors = [row for row in refresh_log.rows_since(ctx, mart, first) if row["status"] == "error"]
        failed = {"command": f"dbt {' '.join(args)}", "returncode": run.returncode,
                  "log_file": str(run.log_file), "refresh_log_errors": errors}
        why = "; ".join(f"{e['model']} {e['action']}: {e['error']}" for e in errors)
        ctx.say(f"[red]  dbt {' '.join(args)} failed[/red] ({why or run.log_file});"
                " dropping the views and creating them afresh")
        dropped = drop_views(ctx, mart)
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(args)
    log = refresh_log.rows_since(ctx, mart, first)
    sql = refresh_log.sql_seconds(log)
    ctx.say(f"  built in {run.seconds:.1f} s (SQL {sql:.1f} s): "
            + ", ".join(f"{row['model']} {row['action']}" for row in log))
    built = {"command": f"dbt {' '.join(args)}", "dropped_first": dropped,
             "wall_seconds": round(run.seconds, 3), "sql_seconds": sql, "refresh_log": log,
             "actions": sorted({str(row["action"]) for row in log}),
             **({"first_attempt_failed": failed} if failed else {}),
             **({"seeds": seeded} if seeded else {})}
    if dropped or fresh:
        built["vacuum"] = vacuum(ctx, mart, sources)
    return built
