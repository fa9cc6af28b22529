"""The tables a view reads, and a write to them that changes no row.

A view configured with `skip_refresh_when_unchanged` is refreshed only when a table it reads
was written since its last refresh: a statement-level trigger counts every write statement,
even one that changes no row. The bench times refreshes, so before each `dbt run` whose
refresh it measures (the whole-mart runs of `refresh_cost`, the run the readers of
`availability` watch, the hourly run of `overhead`) it runs `delete from <table> where false`
on every table such a view reads: a write that changes nothing and makes the run refresh, as
a real change of the sources would. What a run costs when nothing changed is measured apart
(`skipped_refresh`).
"""

from __future__ import annotations

from orchestration.bench.context import BenchContext, Cursor
from orchestration.bench.mart import Mart, View

_READ_TABLES = """
    select distinct format('%%I.%%I', n.nspname, c.relname)
    from pg_rewrite r
    join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                    and d.refclassid = 'pg_class'::regclass and d.refobjid <> r.ev_class
    join pg_class c on c.oid = d.refobjid
    join pg_namespace n on n.oid = c.relnamespace
    where r.ev_class = %s::regclass and c.relkind in ('r', 'p')
    order by 1
"""


def read_tables(cur: Cursor, view: View) -> list[str]:
    """The tables the view's query reads (Postgres's record of the built view), quoted."""
    cur.execute(_READ_TABLES, (view.regclass,))
    return [str(row[0]) for row in cur.fetchall()]


def touch(ctx: BenchContext, mart: Mart) -> list[str]:
    """A row-less write to every table read by a view that skips unchanged refreshes, so the
    next run refreshes them; the tables written (none when no view skips)."""
    views = mart.skipping_unchanged()
    if not views:
        return []
    with ctx.cursor() as cur:
        tables = sorted({table for view in views for table in read_tables(cur, view)})
        for table in tables:
            cur.execute(f"delete from {table} where false")
    return tables
