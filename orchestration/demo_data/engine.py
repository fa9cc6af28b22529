"""The set-based demo-data engine behind `analytics demo-data`, shared by every mart.

A mart's simulator (its `Simulator`, in `orchestration/marts/<mart>/`) is SQL run inside
Postgres: the engine creates the mart's scratch schema with the pseudo-random helpers every
generator calls (scratch.sql), then files `NN_*.sql` build scratch tables there, split into steps by
`-- step: <name>` lines (a step named `... (parallel)` runs once per part, in one session per
core); then one file `publish_<schema>.sql` per source schema replaces that schema's content (in
a schema shared with others, only the mart's `source_tables`), each in its own session and
transaction, and they commit together. Big tables are loaded with their indexes and constraints
dropped and rebuilt in one pass each.

A mart whose simulator has `advance_params` can also be advanced (`advance`): the same
generator files run from the recorded start to a later end, writing only what is new since the
previous end, and one file `advance_<schema>.sql` per source schema inserts it (no truncation,
no index dropped: triggers fire as for any writer), all schemas committing together. Design
notes: docs/demo-data.md.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2.extensions
from rich.console import Console

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings

BASE_SCALES = ("S", "M", "L")
LOADS_TABLE = "public.analytics_demo_loads"
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
# The scratch schema and the helpers shared by every mart's generator (`{scratch}` in it).
_SCRATCH_SQL = Path(__file__).resolve().parent / "scratch.sql"
_STEP_MARKER = re.compile(r"^-- step: (.+)$", re.MULTILINE)
_PARALLEL_SUFFIX = "(parallel)"
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Scale:
    """A size asked for on the command line: S, M or L, or a fraction of one (M/4).

    Each mart says what a scale means for it (stores, brands, weeks ...)."""

    base: str
    divisor: int = 1

    @property
    def name(self) -> str:
        return self.base if self.divisor == 1 else f"{self.base}/{self.divisor}"


def parse_scale(text: str) -> Scale:
    """S, M or L (any case), or a fraction of one such as M/2 or M/4."""
    base, slash, divisor_text = text.strip().upper().partition("/")
    divisor = int(divisor_text) if divisor_text.strip().isdigit() else 0
    if base.strip() not in BASE_SCALES or (slash and divisor < 1):
        raise ValueError(
            f"unknown scale {text!r}: use one of {', '.join(BASE_SCALES)}, or a fraction of one"
            " such as M/2 or M/4"
        )
    return Scale(base.strip(), divisor if slash else 1)


@dataclass(frozen=True)
class Simulator:
    """What a mart gives the engine to simulate its source data."""

    # NN_*.sql (scratch steps) and publish_<schema>.sql (one per source schema).
    sql_dir: Path
    # Replaced by each load, in this order; the first one holds what a user would have.
    source_schemas: tuple[str, ...]
    # Dropped before and after each load (it may take gigabytes).
    scratch_schema: str
    # The mart counts as loaded when this table has a row; its row count sizes the data.
    probe_table: str
    # The generator's parameters for a scale, seed and last instant (psycopg2 named values).
    params: Callable[[Scale, int, datetime], dict[str, object]]
    # One line saying what the scale means for this mart ("20 stores x 100 SKUs, 60 days").
    describe: Callable[[Scale], str]
    # Loaded with their indexes and constraints dropped, then rebuilt in one pass each.
    bulk_tables: tuple[str, ...] = ()
    # Settings of the sessions that publish (e.g. memory for a big sort).
    publish_settings: Mapping[str, str] = field(default_factory=dict)
    # In a schema the mart shares with other marts or users, only these tables (by name,
    # without the schema) are its own: a load truncates, analyzes and counts just them there.
    # A source schema not named here is the mart's alone: every table in it is replaced.
    source_tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Marts that can continue their simulation: the generator's parameters for a run from the
    # recorded start to a new end writing only what is new since `from_at` (the previous end),
    # called (scale, seed, starts_at, from_at, ends_at); their `advance_<schema>.sql` files
    # insert it. None: the mart can only be reloaded.
    advance_params: (
        Callable[[Scale, int, datetime, datetime | None, datetime], dict[str, object]] | None
    ) = None


class AdvanceError(RuntimeError):
    """A mart that cannot be advanced (no simulator support, nothing loaded yet)."""


def parse_duration(text: str) -> timedelta | None:
    """A duration such as 30m, 1h, 6h, 1d, 2w or 1h30m (s, m, h, d, w), more than zero; None
    for `now` (advance up to the current time)."""
    compact = text.strip().lower().replace(" ", "")
    if compact == "now":
        return None
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(n + unit for n, unit in parts) != compact:
        raise ValueError(f"unknown duration {text!r}: use a number and a unit (s, m, h, d, w),"
                         " such as 30m, 1h, 6h, 1d or 1h30m, or `now`")
    duration = sum((timedelta(**{_DURATION_UNITS[unit]: int(n)}) for n, unit in parts),
                   timedelta())
    if duration <= timedelta():
        raise ValueError(f"the duration {text!r} must be more than zero")
    return duration


@dataclass(frozen=True)
class Step:
    """One statement (or a few) of a generator. A parallel step runs once per part, in as many
    sessions at once, each on the rows its SQL assigns to part `%(part)s` of `%(parts)s`."""

    name: str
    sql: str
    parallel: bool = False


@dataclass(frozen=True)
class LoadReport:
    mart: str
    scale: str
    seed: int
    starts_at: datetime | None
    ends_at: datetime
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    # Set by an advance: the previous end (rows then counts what each step wrote).
    advanced_from: datetime | None = None

    def describe(self) -> str:
        width = max(len(name) for name in self.rows) if self.rows else 0
        if self.advanced_from is not None:
            lines = [
                f"{self.mart} demo data scale {self.scale}, seed {self.seed}: advanced from "
                f"{self.advanced_from:%Y-%m-%d %H:%M:%S} to {self.ends_at:%Y-%m-%d %H:%M:%S} UTC"
                f" in {self.seconds:.1f} s; rows written:"
            ]
            lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.rows.items()]
            return "\n".join(lines)
        period = f"{self.starts_at:%Y-%m-%d %H:%M} to " if self.starts_at else "to "
        lines = [
            f"{self.mart} demo data scale {self.scale}, seed {self.seed}: "
            f"{period}{self.ends_at:%Y-%m-%d %H:%M} UTC, loaded in {self.seconds:.1f} s"
        ]
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.rows.items()]
        return "\n".join(lines)


def end_instant(anchor: date | None, now: datetime | None = None) -> datetime:
    """The simulation's last moment (UTC, whole seconds) for an anchor.

    An anchor given as a date ends at the current UTC time of day on that date (so views
    counting back from now() see data); a datetime ends exactly there (tests use this)."""
    current = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if anchor is None:
        return current
    if isinstance(anchor, datetime):
        aware = anchor if anchor.tzinfo else anchor.replace(tzinfo=UTC)
        return aware.astimezone(UTC)
    return datetime.combine(anchor, current.timetz())


def is_empty(settings: ConnectionSettings, simulator: Simulator) -> bool:
    """True when the mart's probe table has no row (or does not exist yet)."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s) is null", (simulator.probe_table,))
        row = cur.fetchone()
        if row is None or row[0]:
            return True
        cur.execute(f"select not exists (select 1 from {simulator.probe_table})")
        row = cur.fetchone()
        return bool(row and row[0])


def generator_steps(simulator: Simulator) -> list[Step]:
    """The steps building the scratch tables, in file order."""
    return [step for path in sorted(simulator.sql_dir.glob("[0-9][0-9]_*.sql"))
            for step in split_steps(path)]


def publish_steps(simulator: Simulator, schema: str) -> list[Step]:
    """The steps filling one schema's tables from the scratch tables."""
    return split_steps(simulator.sql_dir / f"publish_{schema}.sql")


def advance_steps(simulator: Simulator, schema: str) -> list[Step]:
    """The steps appending what an advance generated to one schema's tables."""
    return split_steps(simulator.sql_dir / f"advance_{schema}.sql")


def split_steps(path: Path) -> list[Step]:
    text = path.read_text()
    parts = _STEP_MARKER.split(text)
    if len(parts) == 1:
        return [Step(path.stem[3:], text)]
    # parts: [preamble, name1, sql1, name2, sql2, ...]
    if _sql_lines(parts[0]):
        raise ValueError(f"{path}: SQL before the first `-- step:` line would never run; "
                         f"put it in a step: {_sql_lines(parts[0])[0]!r}")
    steps = []
    for i in range(1, len(parts), 2):
        name = parts[i].strip()
        parallel = name.endswith(_PARALLEL_SUFFIX)
        steps.append(Step(name.removesuffix(_PARALLEL_SUFFIX).strip(), parts[i + 1], parallel))
    return steps


def _sql_lines(text: str) -> list[str]:
    """The lines of `text` that are neither blank nor `--` comments."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("--")]


def sessions() -> int:
    """How many sessions run a parallel step: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def load(
    settings: ConnectionSettings,
    mart: str,
    simulator: Simulator,
    scale: Scale,
    seed: int,
    console: Console,
    anchor: date | None = None,
) -> LoadReport:
    """Replace the mart's source schemas by its simulated data set of `scale` and `seed`."""
    started = time.monotonic()
    ends_at = end_instant(anchor)
    params = {**simulator.params(scale, seed, ends_at), "scale": scale.name, "seed": seed,
              "ends_at": ends_at}
    console.print(f"{mart} demo data: scale {scale.name} ({simulator.describe(scale)}) to "
                  f"{ends_at:%Y-%m-%d %H:%M:%S} UTC, seed {seed}")
    with connect(settings, autocommit=True) as lock, lock.cursor() as cur:
        _lock(cur, mart, console)
        _generate_and_publish(settings, console, simulator, params)
        with lock.cursor() as count:
            rows = _count_rows(count, simulator)
    starts_at = params.get("start_ts")
    report = LoadReport(mart=mart, scale=scale.name, seed=seed,
                        starts_at=starts_at if isinstance(starts_at, datetime) else None,
                        ends_at=ends_at, rows=rows, seconds=time.monotonic() - started)
    _record(settings, report)
    return report


def advance(
    settings: ConnectionSettings,
    mart: str,
    simulator: Simulator,
    duration: timedelta | None,
    console: Console,
) -> LoadReport:
    """Continue the mart's simulation for `duration` after the end of its last load (or
    advance), or up to now when None: generate what happened meanwhile and append it, in
    plain INSERTs committed together (the tables' triggers fire)."""
    if simulator.advance_params is None:
        raise AdvanceError(f"the {mart} mart's simulation cannot advance: reload it with"
                           f" `analytics demo-data --mart {mart}` instead")
    started = time.monotonic()
    with connect(settings, autocommit=True) as lock, lock.cursor() as cur:
        # The same lock as a load: the recorded end read below is the one this run extends.
        _lock(cur, mart, console)
        cur.execute(f"select scale, seed, starts_at, ends_at from {LOADS_TABLE} where mart = %s",
                    (mart,))
        row = cur.fetchone()
        if row is None or row[2] is None or is_empty(settings, simulator):
            raise AdvanceError(f"the {mart} mart has no simulated data to advance: load it first"
                               f" (`analytics demo-data --mart {mart}`)")
        scale_name, seed, starts_at, from_at = row
        scale = parse_scale(scale_name)
        now = datetime.now(UTC).replace(microsecond=0)
        ends_at = from_at + duration if duration is not None else now
        if ends_at <= from_at:
            raise AdvanceError(f"the {mart} mart's simulation already ends at"
                               f" {from_at:%Y-%m-%d %H:%M:%S} UTC, not before now")
        if ends_at > now:
            console.print(f"note: the {mart} data will end in the future"
                          f" ({ends_at:%Y-%m-%d %H:%M:%S} UTC): views and tests counting back"
                          " from now() see rows that have not happened yet")
        params = {**simulator.advance_params(scale, seed, starts_at, from_at, ends_at),
                  "scale": scale.name, "seed": seed, "ends_at": ends_at}
        console.print(f"{mart} demo data: advancing scale {scale.name}, seed {seed} from "
                      f"{from_at:%Y-%m-%d %H:%M:%S} to {ends_at:%Y-%m-%d %H:%M:%S} UTC")
        rows = _generate_and_advance(settings, console, simulator, params)
        seconds = time.monotonic() - started
        cur.execute(f"update {LOADS_TABLE} set ends_at = %s, loaded_at = now(), seconds = %s"
                    " where mart = %s", (ends_at, seconds, mart))
    return LoadReport(mart=mart, scale=scale.name, seed=seed, starts_at=starts_at,
                      ends_at=ends_at, rows=rows, seconds=seconds, advanced_from=from_at)


def _lock(cur: psycopg2.extensions.cursor, mart: str, console: Console) -> None:
    """One load or advance of a mart at a time per database (they share its scratch schema);
    held until the session ends."""
    lock_name = f"analytics demo-data {mart}"
    cur.execute("select pg_try_advisory_lock(hashtext(%s))", (lock_name,))
    row = cur.fetchone()
    if not (row and row[0]):
        console.print(f"waiting for another {mart} demo-data load to finish ...")
        cur.execute("select pg_advisory_lock(hashtext(%s))", (lock_name,))


def _generate_and_advance(
    settings: ConnectionSettings, console: Console, simulator: Simulator, params: dict[str, object]
) -> dict[str, int]:
    """The generator's steps, then each schema's advance steps in its own session and
    transaction, committed together; the rows each advance step wrote."""
    scratch = simulator.scratch_schema
    try:
        _generate(settings, console, simulator, params)
        return _commit_together(
            settings, console, simulator, params,
            lambda cur, schema, written: written.update(
                {f"{schema}.{step.name}": _run_step(console, cur, step.name, step.sql, params,
                                                    spinner=False)
                 for step in advance_steps(simulator, schema)}),
            "advancing")
    finally:
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f'drop schema if exists "{scratch}" cascade')


def _generate(
    settings: ConnectionSettings, console: Console, simulator: Simulator, params: dict[str, object]
) -> None:
    """The scratch schema and the generator's steps building the scratch tables."""
    with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        _configure(cur)
        _run_step(console, cur, "scratch schema", scratch_sql(simulator.scratch_schema), None,
                  show_rows=False)
        for step in generator_steps(simulator):
            if step.parallel:
                _run_parallel(settings, console, step, params)
            else:
                _run_step(console, cur, step.name, step.sql, params, show_rows=False)


def _commit_together(
    settings: ConnectionSettings,
    console: Console,
    simulator: Simulator,
    params: dict[str, object],
    write: Callable[[psycopg2.extensions.cursor, str, dict[str, int]], None],
    verb: str,
) -> dict[str, int]:
    """`write` each source schema in its own session and transaction, at once; they commit only
    when all are ready, and if one fails, all roll back."""
    schemas = simulator.source_schemas
    written: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        conns = {schema: stack.enter_context(connect(settings)) for schema in schemas}

        def run(schema: str) -> None:
            with conns[schema].cursor() as cur:
                _configure(cur, simulator.publish_settings)
                write(cur, schema, written)

        with console.status(f"{verb} {' and '.join(schemas)} ..."), \
                ThreadPoolExecutor(max_workers=len(conns)) as pool:
            futures = [pool.submit(run, schema) for schema in conns]
            wait(futures)
        errors = [error for future in futures if (error := future.exception()) is not None]
        for conn in conns.values():
            if errors:
                conn.rollback()
            else:
                conn.commit()
        if errors:
            raise errors[0]
    return written


def _generate_and_publish(
    settings: ConnectionSettings, console: Console, simulator: Simulator, params: dict[str, object]
) -> None:
    scratch = simulator.scratch_schema
    try:
        _generate(settings, console, simulator, params)
        _publish(settings, console, simulator, params)
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            _configure(cur)
            tables = _source_tables(cur, simulator, simulator.source_schemas)
            _run_step(console, cur, "analyze", "analyze " + ", ".join(tables), None)
    finally:
        with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f'drop schema if exists "{scratch}" cascade')


def scratch_sql(scratch: str) -> str:
    """The scratch schema, new, with the pseudo-random helpers every mart's generator calls."""
    return _SCRATCH_SQL.read_text().replace("{scratch}", '"' + scratch.replace('"', '""') + '"')


def _publish(
    settings: ConnectionSettings, console: Console, simulator: Simulator, params: dict[str, object]
) -> None:
    """Replace every source schema's content, each in its own session and transaction, at once.

    They commit only when all are ready; if one fails, all roll back."""

    def replace_schema(cur: psycopg2.extensions.cursor, schema: str, _: dict[str, int]) -> None:
        tables = _source_tables(cur, simulator, (schema,))
        _run_step(console, cur, f"truncate {schema}", "truncate table " + ", ".join(tables),
                  None, spinner=False)
        rebuild = _drop_bulk_indexes(cur, schema, simulator.bulk_tables)
        for step in publish_steps(simulator, schema):
            _run_step(console, cur, step.name, step.sql, params, spinner=False)
        for statement in rebuild:
            _run_step(console, cur, _index_label(statement), statement, None, spinner=False)

    _commit_together(settings, console, simulator, params, replace_schema, "replacing")


def _record(settings: ConnectionSettings, report: LoadReport) -> None:
    """Keep what was loaded per mart (scale, seed, period): the bench reloads only on a change."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            f"insert into {LOADS_TABLE} (mart, scale, seed, starts_at, ends_at, loaded_at, seconds)"
            " values (%s, %s, %s, %s, %s, now(), %s)"
            " on conflict (mart) do update set scale = excluded.scale, seed = excluded.seed,"
            " starts_at = excluded.starts_at, ends_at = excluded.ends_at,"
            " loaded_at = excluded.loaded_at, seconds = excluded.seconds",
            (report.mart, report.scale, report.seed, report.starts_at, report.ends_at,
             report.seconds),
        )


def _count_rows(cur: psycopg2.extensions.cursor, simulator: Simulator) -> dict[str, int]:
    return {table: _count(cur, table)
            for table in _source_tables(cur, simulator, simulator.source_schemas)}


def _count(cur: psycopg2.extensions.cursor, table: str) -> int:
    cur.execute(f"select count(*) from {table}")
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _configure(cur: psycopg2.extensions.cursor, extra: Mapping[str, str] | None = None) -> None:
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


def _source_tables(
    cur: psycopg2.extensions.cursor, simulator: Simulator, schemas: Sequence[str]
) -> list[str]:
    """The mart's tables in the schemas (truncated in one statement: foreign keys among them
    hold): every table of a schema of its own, only the listed ones of a shared schema."""
    cur.execute(
        "select n.nspname, c.relname, format('%%I.%%I', n.nspname, c.relname) from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = any(%s) and c.relkind in ('r', 'p') order by 3",
        (list(schemas),),
    )
    owned = simulator.source_tables
    return [qualified for schema, table, qualified in cur.fetchall()
            if schema not in owned or table in owned[schema]]


def _drop_bulk_indexes(
    cur: psycopg2.extensions.cursor, schema: str, bulk_tables: Sequence[str]
) -> list[str]:
    """Drop the schema's bulk tables' indexes and constraints; returns the statements
    recreating them (from the catalog, so indexes added to the DDL later are kept too)."""
    bulk = [table for table in bulk_tables if table.startswith(schema + ".")]
    if not bulk:
        return []
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
    return [
        *(create for _drop, create, is_fk in constraints if not is_fk),
        *(create for _drop, create in indexes),
        *(create for _drop, create, is_fk in constraints if is_fk),
    ]
