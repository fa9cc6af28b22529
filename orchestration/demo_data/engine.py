"""The simulated data set behind `analytics demo-data --scale S|M|L [--seed N]`.

A crawler's database (seed 000) is simulated inside Postgres, set-based: the SQL files in
`orchestration/sql/demo_data/` build scratch tables in the schema `retail_sim` (the heavy
steps split by store product over one session per core), then two transactions, one per
schema and committed together, replace the content of `retail_raw` (what the crawler saw)
and `retail_truth` (what really happened). Pseudo-random numbers are hashes of (seed, ids),
never random(), so a seed and an anchor always give the same rows, whatever the plan.

The model: each store product has a demand rate (its velocity tier), a par level and a
restock period; demand follows a store clock (hour of day, weekday, daily shocks) bent by
one of 16 demand curves; a restock fills the shelf up to the par level; demand finding an
empty shelf is lost. Between restocks the stock is a closed form of the demand count, so any
moment's state needs no running sum: the crawler's visits (every 3 to 6 hours per store),
the truth per day and per crawl interval are all computed row by row in SQL, in parallel.

Time: the simulation covers `spec.days` whole UTC days before the anchor's date plus the
anchor's day up to the anchor's time (`retail_truth.simulation` records both ends). An anchor
given as a date ends at the current UTC time of day on that date (so views counting back from
now() see data); an anchor given as a datetime ends exactly there (tests use this).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2.extensions
from rich.console import Console

from orchestration.core.database import connect
from orchestration.core.paths import SQL_DIR
from orchestration.core.settings import ConnectionSettings

GENERATOR_DIR = SQL_DIR / "demo_data"
TRUTH_DDL = SQL_DIR / "002_retail_truth.sql"
# Each schema is replaced by its own session, both at once; they commit together.
PUBLISH_SQL = {
    "retail_raw": GENERATOR_DIR / "08_publish_raw.sql",
    "retail_truth": GENERATOR_DIR / "09_publish_truth.sql",
}
SOURCE_SCHEMAS = ("retail_raw", "retail_truth")
# Tables loaded with their indexes and constraints dropped, then rebuilt in one pass each.
BULK_TABLES = (
    "retail_raw.inventory_snapshots",
    "retail_raw.product_visibility_events",
    "retail_truth.stock_events",
    "retail_truth.daily_product_truth",
)
REPORT_TABLES = (
    "retail_raw.dispensaries",
    "retail_raw.store_products",
    "retail_raw.inventory_snapshots",
    "retail_raw.product_visibility_events",
    "retail_truth.daily_product_truth",
    "retail_truth.stock_events",
)
# Shoppers by local hour (0-23) in the stores' time zone, which is UTC-7.
LOCAL_HOUR_WEIGHTS = (
    0.10, 0.06, 0.04, 0.03, 0.03, 0.04, 0.08, 0.20, 0.45, 0.70, 0.90, 1.00,
    1.10, 1.05, 1.05, 1.15, 1.35, 1.50, 1.45, 1.20, 0.90, 0.55, 0.30, 0.18,
)
UTC_OFFSET_HOURS = -7
SESSION_SETTINGS = {
    "timezone": "UTC",
    "work_mem": "512MB",
    "maintenance_work_mem": "1GB",
    "max_parallel_workers_per_gather": "2",
    "max_parallel_maintenance_workers": "2",
    "synchronous_commit": "off",
    "jit": "off",
    "enable_memoize": "off",
}
# The publishing sessions sort the snapshots by id in memory.
PUBLISH_SETTINGS = {"work_mem": "2GB"}
LOCK_NAME = "analytics demo-data"
# Snapshot ids are visit number * 4096 + the product's rank in its store.
MAX_PRODUCTS_PER_STORE = 4096
_STEP_MARKER = re.compile(r"^-- step: (.+)$", re.MULTILINE)
_PARALLEL_SUFFIX = "(parallel)"


@dataclass(frozen=True)
class ScaleSpec:
    """How big the simulated world is."""

    name: str
    stores: int
    products_per_store: int
    days: int
    catalog_products: int
    brands: int

    @property
    def store_products(self) -> int:
        return self.stores * self.products_per_store


SCALES: dict[str, ScaleSpec] = {
    # Tests: a few hundred thousand snapshots in seconds.
    "S": ScaleSpec("S", stores=20, products_per_store=100, days=60, catalog_products=300,
                   brands=30),
    # Benchmarks: 10M+ snapshots over 120 days.
    "M": ScaleSpec("M", stores=100, products_per_store=500, days=120, catalog_products=1500,
                   brands=80),
    # Four times M: twice the stores, twice the menu.
    "L": ScaleSpec("L", stores=200, products_per_store=1000, days=120, catalog_products=3000,
                   brands=150),
}


def scale_spec(name: str) -> ScaleSpec:
    """S, M or L (any case), or a fraction of one such as M/2 or M/4 (fewer stores)."""
    text = name.strip().upper()
    base_name, slash, divisor_text = text.partition("/")
    base = SCALES.get(base_name.strip())
    divisor = int(divisor_text) if divisor_text.strip().isdigit() else 0
    if base is None or (slash and divisor < 1):
        valid = ", ".join(SCALES)
        raise ValueError(
            f"unknown scale {name!r}: use one of {valid}, or a fraction of one such as M/2 or M/4"
        )
    if not slash or divisor == 1:
        return base
    return replace(base, name=f"{base.name}/{divisor}",
                   stores=max(1, round(base.stores / divisor)))


@dataclass(frozen=True)
class LoadReport:
    scale: str
    seed: int
    starts_at: datetime
    ends_at: datetime
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        width = max(len(name) for name in self.rows) if self.rows else 0
        lines = [
            f"demo data scale {self.scale}, seed {self.seed}: "
            f"{self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M} UTC, "
            f"loaded in {self.seconds:.1f} s"
        ]
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.rows.items()]
        return "\n".join(lines)


def is_empty(settings: ConnectionSettings) -> bool:
    """True when there are no snapshots (or no snapshot table yet)."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('retail_raw.inventory_snapshots') is null")
        row = cur.fetchone()
        if row is None or row[0]:
            return True
        cur.execute("select not exists (select 1 from retail_raw.inventory_snapshots)")
        row = cur.fetchone()
        return bool(row and row[0])


def end_instant(anchor: date | None, now: datetime | None = None) -> datetime:
    """The simulation's last moment (UTC, whole seconds) for an anchor."""
    current = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if anchor is None:
        return current
    if isinstance(anchor, datetime):
        aware = anchor if anchor.tzinfo else anchor.replace(tzinfo=UTC)
        return aware.astimezone(UTC)
    return datetime.combine(anchor, current.timetz())


def hour_profile() -> tuple[list[float], list[float]]:
    """Shoppers per UTC hour (normalised to a sum of 1) and the sums before each hour."""
    weights = [LOCAL_HOUR_WEIGHTS[(hour + UTC_OFFSET_HOURS) % 24] for hour in range(24)]
    total = sum(weights)
    normalised = [w / total for w in weights]
    cumulative = [sum(normalised[:hour]) for hour in range(24)]
    return normalised, cumulative


def generator_params(spec: ScaleSpec, seed: int, ends_at: datetime) -> dict[str, object]:
    starts_at = datetime.combine(ends_at.date() - timedelta(days=spec.days), datetime.min.time(),
                                 tzinfo=UTC)
    weights, cumulative = hour_profile()
    return {
        "seed": seed,
        "n_stores": spec.stores,
        "per_store": spec.products_per_store,
        "n_catalog": max(spec.catalog_products, spec.products_per_store),
        "n_brands": spec.brands,
        "days": spec.days,
        "start_date": starts_at.date(),
        "start_ts": starts_at,
        "end_us": (ends_at - starts_at) // timedelta(microseconds=1),
        "hour_weight": weights,
        "hour_cum": cumulative,
    }


@dataclass(frozen=True)
class Step:
    """One statement (or a few) of the generator. A parallel step runs once per part, in as
    many sessions at once, each on the store products with sp_id % parts = part."""

    name: str
    sql: str
    parallel: bool = False


def generator_steps() -> list[Step]:
    """The steps building the scratch tables, in order (files 01..08)."""
    publish = set(PUBLISH_SQL.values())
    return [step for path in _generator_files() if path not in publish
            for step in _split_steps(path)]


def publish_steps(schema: str) -> list[Step]:
    """The steps filling one schema's tables from the scratch tables (one per table)."""
    return _split_steps(PUBLISH_SQL[schema])


def _generator_files() -> list[Path]:
    return sorted(GENERATOR_DIR.glob("[0-9][0-9]_*.sql"))


def _split_steps(path: Path) -> list[Step]:
    text = path.read_text()
    parts = _STEP_MARKER.split(text)
    if len(parts) == 1:
        return [Step(path.stem[3:], text)]
    # parts: [preamble, name1, sql1, name2, sql2, ...]
    steps = []
    for i in range(1, len(parts), 2):
        name = parts[i].strip()
        parallel = name.endswith(_PARALLEL_SUFFIX)
        steps.append(Step(name.removesuffix(_PARALLEL_SUFFIX).strip(), parts[i + 1], parallel))
    return steps


def sessions() -> int:
    """How many sessions run a parallel step: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def load(
    settings: ConnectionSettings,
    spec: ScaleSpec,
    seed: int,
    console: Console,
    anchor: date | None = None,
) -> LoadReport:
    """Replace retail_raw and retail_truth by the simulated data set of `spec` and `seed`."""
    if spec.products_per_store >= MAX_PRODUCTS_PER_STORE:
        raise ValueError(f"at most {MAX_PRODUCTS_PER_STORE - 1} products per store (ids)")
    started = time.monotonic()
    ends_at = end_instant(anchor)
    params = generator_params(spec, seed, ends_at)
    starts_at = params["start_ts"]
    assert isinstance(starts_at, datetime)
    console.print(
        f"demo data: scale {spec.name} ({spec.stores} stores x {spec.products_per_store} "
        f"products, {spec.days} days to {ends_at:%Y-%m-%d %H:%M:%S} UTC), seed {seed}"
    )
    with connect(settings, autocommit=True) as lock, lock.cursor() as cur:
        # One load at a time per database (they share the scratch schema).
        cur.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_NAME,))
        row = cur.fetchone()
        if not (row and row[0]):
            console.print("waiting for another demo-data load to finish ...")
            cur.execute("select pg_advisory_lock(hashtext(%s))", (LOCK_NAME,))
        rows = _generate_and_publish(settings, console, params, spec, seed)
    report_rows = {table: rows.get(table.split(".")[1], 0) for table in REPORT_TABLES}
    return LoadReport(scale=spec.name, seed=seed, starts_at=starts_at, ends_at=ends_at,
                      rows=report_rows, seconds=time.monotonic() - started)


def _generate_and_publish(
    settings: ConnectionSettings,
    console: Console,
    params: dict[str, object],
    spec: ScaleSpec,
    seed: int,
) -> dict[str, int]:
    try:
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            _configure(cur)
            # retail_truth may predate tables added to its DDL: the DDL is idempotent.
            cur.execute(TRUTH_DDL.read_text())
            for step in generator_steps():
                if step.parallel:
                    _run_parallel(settings, console, step, params)
                else:
                    _run_step(console, cur, step.name, step.sql, params, show_rows=False)
        rows = _publish(settings, console, params, spec, seed)
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            _configure(cur)
            tables = _source_tables(cur, SOURCE_SCHEMAS)
            _run_step(console, cur, "analyze", "analyze " + ", ".join(tables), None)
    finally:
        # The scratch tables take gigabytes at scale M: never leave them behind.
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("drop schema if exists retail_sim cascade")
    return rows


def _publish(
    settings: ConnectionSettings,
    console: Console,
    params: dict[str, object],
    spec: ScaleSpec,
    seed: int,
) -> dict[str, int]:
    """Replace both schemas' content, each in its own session and transaction, at once.

    Both transactions commit only when both are ready; if one fails, both roll back."""
    rows: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        conns = {schema: stack.enter_context(connect(settings)) for schema in SOURCE_SCHEMAS}

        def replace_schema(schema: str) -> None:
            with conns[schema].cursor() as cur:
                _configure(cur, PUBLISH_SETTINGS)
                tables = _source_tables(cur, (schema,))
                _run_step(console, cur, f"truncate {schema}", "truncate table " + ", ".join(tables),
                          None, spinner=False)
                rebuild = _drop_bulk_indexes(cur, schema)
                for step in publish_steps(schema):
                    rows[step.name] = _run_step(console, cur, step.name, step.sql, params,
                                                spinner=False)
                if schema == "retail_truth":
                    cur.execute(
                        "insert into retail_truth.simulation"
                        " (scale, seed, starts_at, ends_at, loaded_at)"
                        " values (%s, %s, %s, %s, now())",
                        (spec.name, seed, params["start_ts"], _ends_at(params)),
                    )
                for statement in rebuild:
                    _run_step(console, cur, _index_label(statement), statement, None,
                              spinner=False)

        with console.status(f"replacing {' and '.join(SOURCE_SCHEMAS)} ..."), \
                ThreadPoolExecutor(max_workers=len(conns)) as pool:
            futures = [pool.submit(replace_schema, schema) for schema in conns]
            wait(futures)
        errors = [error for future in futures if (error := future.exception()) is not None]
        for conn in conns.values():
            if errors:
                conn.rollback()
            else:
                conn.commit()
        if errors:
            raise errors[0]
    return rows


def _ends_at(params: dict[str, object]) -> datetime:
    starts_at, end_us = params["start_ts"], params["end_us"]
    assert isinstance(starts_at, datetime) and isinstance(end_us, int)
    return starts_at + timedelta(microseconds=end_us)


def _configure(cur: psycopg2.extensions.cursor, extra: dict[str, str] | None = None) -> None:
    for name, value in {**SESSION_SETTINGS, **(extra or {})}.items():
        cur.execute("select set_config(%s, %s, false)", (name, value))


def _index_label(statement: str) -> str:
    match = re.search(r"(?:constraint|index) (\S+)", statement, re.IGNORECASE)
    return f"index {match.group(1) if match else statement[:40]}"


def _run_step(
    console: Console,
    cur: psycopg2.extensions.cursor,
    name: str,
    sql: str,
    params: dict[str, object] | None,
    *,
    spinner: bool = True,
    show_rows: bool = True,
) -> int:
    started = time.monotonic()
    with console.status(f"{name} ...") if spinner else contextlib.nullcontext():
        cur.execute(sql, None if params is None else {**params, "part": 0, "parts": 1})
    count = max(cur.rowcount, 0)
    _report(console, name, count if show_rows else 0, time.monotonic() - started)
    return count


def _run_parallel(
    settings: ConnectionSettings, console: Console, step: Step, params: dict[str, object]
) -> int:
    started = time.monotonic()
    parts = sessions()

    def run_part(part: int) -> int:
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            _configure(cur)
            cur.execute(step.sql, {**params, "part": part, "parts": parts})
            return max(cur.rowcount, 0)

    with console.status(f"{step.name} ({parts} sessions) ..."), \
            ThreadPoolExecutor(max_workers=parts) as pool:
        count = sum(pool.map(run_part, range(parts)))
    _report(console, f"{step.name} ({parts} sessions)", count, time.monotonic() - started)
    return count


def _report(console: Console, name: str, count: int, seconds: float) -> None:
    rows = f"{count:>12,} rows" if count else " " * 17
    console.print(f"  {name:<44}{rows}  {seconds:6.1f} s")


def _source_tables(cur: psycopg2.extensions.cursor, schemas: Sequence[str]) -> list[str]:
    """Every table of the schemas (truncated in one statement: foreign keys among them hold)."""
    cur.execute(
        "select format('%%I.%%I', n.nspname, c.relname) from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = any(%s) and c.relkind in ('r', 'p') order by 1",
        (list(schemas),),
    )
    return [row[0] for row in cur.fetchall()]


def _drop_bulk_indexes(cur: psycopg2.extensions.cursor, schema: str) -> list[str]:
    """Drop the schema's bulk tables' indexes and constraints; returns the statements
    recreating them (from the catalog, so indexes added to the DDL later are kept too)."""
    bulk = [table for table in BULK_TABLES if table.startswith(schema + ".")]
    cur.execute(
        """
        select format('alter table %%s drop constraint %%I', c.conrelid::regclass, c.conname),
               format('alter table %%s add constraint %%I %%s', c.conrelid::regclass, c.conname,
                      pg_get_constraintdef(c.oid)),
               c.contype = 'f'
        from pg_constraint c
        where c.conrelid = any(%(tables)s::regclass[]) and c.contype in ('p', 'u', 'f', 'x')
        order by c.conrelid::regclass::text, c.conname
        """,
        {"tables": bulk},
    )
    constraints = cur.fetchall()
    cur.execute(
        """
        select format('drop index %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
        from pg_index i
        where i.indrelid = any(%(tables)s::regclass[])
          and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid
                          and c.conrelid = i.indrelid)
        order by i.indexrelid::regclass::text
        """,
        {"tables": bulk},
    )
    indexes = cur.fetchall()
    # Foreign keys first (they may lean on a unique index), then the rest.
    for drop, _create, _is_fk in sorted(constraints, key=lambda c: not c[2]):
        cur.execute(drop)
    for drop, _create in indexes:
        cur.execute(drop)
    recreate: Sequence[str] = [
        *(create for _drop, create, is_fk in constraints if not is_fk),
        *(create for _drop, create in indexes),
        *(create for _drop, create, is_fk in constraints if is_fk),
    ]
    return list(recreate)
