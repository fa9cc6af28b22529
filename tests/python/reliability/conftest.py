"""The real project on databases of its own, built as `analytics_owner`, for fault injection.

Each database has the project's fixed schemas (`retail_raw`, `retail_truth`, `analytics`,
`analytics_meta`), so every suite that changes data or views gets its own database on the
session's server and drops it afterwards. dbt writes to temporary target directories.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from orchestration.core import migrations
from orchestration.core.dbt import dbt_env, dbt_executable
from orchestration.core.paths import PROJECT_DIR
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.marts import load_mart
from tests.python.databases import create_database, drop_database
from tests.python.sql_client import SqlClient

MART_SELECTOR = "+path:models/marts/retail"
MART_VIEWS = (
    "mv_daily_sales_estimates",
    "mv_sku_velocity",
    "mv_product_intelligence",
    "mv_brand_market_share",
    "mv_store_performance",
    "mv_category_weekly_trends",
)
HOURLY = ("mv_daily_sales_estimates", "mv_sku_velocity", "mv_product_intelligence")
# Tables kept by refresh_strategy='incremental' (relkind 'r'); the other views are materialized.
INCREMENTAL = ("mv_daily_sales_estimates",)
DAILY = ("mv_brand_market_share", "mv_store_performance")
OWNER_ROLE = "analytics_owner"
# Relations a rebuild builds before its swap: views named `<view>__mv_new`, indexes `mv_new_<md5>`.
LEFTOVER_PATTERNS = ("%\\_\\_mv\\_new", "mv\\_new\\_%")


@dataclass
class Mart(SqlClient):
    """The project (or a copy of it) on one database, built by dbt as `analytics_owner`."""

    settings: ConnectionSettings
    work_dir: Path
    project_dir: Path = PROJECT_DIR
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**dbt_env(self.settings), "ANALYTICS_DBT_ROLE": OWNER_ROLE,
                "DBT_PROFILES_DIR": str(self.project_dir), **self.extra_env}

    def command(self, args: list[str], lane: str = "a") -> list[str]:
        """`dbt <args>`; each lane has its own target directory, so two can run at once."""
        target = self.work_dir / f"target_{lane}"
        return [dbt_executable(), *args, "--project-dir", str(self.project_dir),
                "--target-path", str(target), "--log-path", str(target / "logs")]

    def dbt(self, args: list[str], *, expect_ok: bool = True, lane: str = "a",
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(args, lane), env=self.env(), cwd=self.project_dir,
                                capture_output=True, text=True, check=False, timeout=timeout)
        if expect_ok and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}")
        if not expect_ok and result.returncode == 0:
            raise AssertionError(f"dbt {' '.join(args)} passed but should fail:\n"
                                 f"{result.stdout[-6000:]}")
        return result

    def popen(self, args: list[str], lane: str = "a") -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(args, lane), env=self.env(), cwd=self.project_dir,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def fingerprints(self, views: Iterable[str] = MART_VIEWS, schema: str = "analytics"
                     ) -> dict[str, tuple[int, str]]:
        """Per view (of `schema`): its row count and an md5 of its rows in a fixed order."""
        found: dict[str, tuple[int, str]] = {}
        for view in views:
            count, digest = self.sql(
                f"select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by t::text), ''))"
                f" from {schema}.{view} t")[0]
            found[view] = (int(count), str(digest))  # type: ignore[call-overload]
        return found

    def leftovers(self) -> list[str]:
        """Temporary relations of a rebuild left in any schema."""
        rows = self.sql(
            "select n.nspname || '.' || c.relname from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where c.relname like %s or c.relname like %s", LEFTOVER_PATTERNS)
        return [str(row[0]) for row in rows]

    def last_log_id(self) -> int:
        return int(self.scalar("select coalesce(max(id), 0) from analytics_meta.refresh_log"))  # type: ignore[call-overload]

    def log_since(self, log_id: int) -> list[tuple[object, ...]]:
        """(model, action, status, error) of the refresh log rows after `log_id`."""
        return self.sql("select model, action, status, error from analytics_meta.refresh_log"
                        " where id > %s order by id", (log_id,))


def copy_project(directory: Path) -> Path:
    """The project's dbt files (models, macros, seeds, data tests, project and profiles)
    copied to `directory`, for a test to change a model of its own copy."""
    for name in ("models", "macros", "seeds", "tests/dbt"):
        shutil.copytree(PROJECT_DIR / name, directory / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, directory / name)
    return directory


def wait_for_backend(mart: Mart, text: str, *, waiting_on_lock: bool = False,
                     timeout: float = 60.0) -> int:
    """The pid of the backend whose statement contains `text` (optionally blocked on a lock)."""
    lock_clause = " and wait_event_type = 'Lock'" if waiting_on_lock else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = mart.sql(
            "select pid from pg_stat_activity where state = 'active' and pid <> pg_backend_pid()"
            " and datname = current_database() and query ilike %s" + lock_clause, (f"%{text}%",))
        if rows:
            return int(rows[0][0])  # type: ignore[call-overload]
        time.sleep(0.05)
    raise AssertionError(f"no backend ran {text!r} within {timeout}s")


def wait_for_backend_exit(mart: Mart, pid: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not mart.sql("select 1 from pg_stat_activity where pid = %s", (pid,)):
            return
        time.sleep(0.1)
    raise AssertionError(f"backend {pid} still running after {timeout}s")


def kill_process(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def database_factory(pg_settings: ConnectionSettings) -> Iterator[
        list[ConnectionSettings]]:
    """Databases created by `fresh_database`, dropped at the end of the session."""
    created: list[ConnectionSettings] = []
    yield created
    for settings in created:
        drop_database(pg_settings, settings.dbname)


def fresh_database(pg_settings: ConnectionSettings, created: list[ConnectionSettings],
                   name: str) -> ConnectionSettings:
    """An empty database `name` with the source schema and roles (the project's migrations)."""
    settings = create_database(pg_settings, name)
    created.append(settings)
    migrations.migrate(settings)
    return settings


def load_demo(settings: ConnectionSettings, scale: str) -> None:
    load_mart(settings, "retail", scale)


@pytest.fixture(scope="session")
def owner_mart(
    pg_settings: ConnectionSettings, database_factory: list[ConnectionSettings],
    tmp_path_factory: pytest.TempPathFactory,
) -> Mart:
    """Scale S demo data and the whole mart built by `dbt build` as analytics_owner."""
    settings = fresh_database(pg_settings, database_factory, "analytics_reliability_tests")
    load_demo(settings, "S")
    mart = Mart(settings=settings, work_dir=tmp_path_factory.mktemp("reliability_dbt"))
    mart.dbt(["build", "--select", MART_SELECTOR])
    return mart


# Columns that depend on the clock at refresh time, not on the rows read.
CLOCK_COLUMNS = ("calculated_at", "days_since_oos")


def differences_from_definition(
    mart: Mart, view: str, reading: Mapping[str, str] | None = None
) -> int:
    """Rows of `view` missing from, or extra to, its own definition run now (both ways);
    `reading` swaps relations its definition reads for others (e.g. a copy of an earlier state).
    An incremental table has no definition in the catalog: it is compared with a full
    recomputation of its model instead (`differences_from_full_recomputation`)."""
    if view in INCREMENTAL:
        assert not reading, f"{view} is a table: its model's SQL cannot be given other inputs"
        missing, extra, _ = differences_from_full_recomputation(mart, view)
        return missing + extra
    definition = str(mart.scalar("select pg_get_viewdef(%s::regclass)", (f"analytics.{view}",)))
    for relation, stand_in in (reading or {}).items():
        assert relation in definition, f"{view} does not read {relation}"
        definition = definition.replace(relation, stand_in)
    columns = [str(row[0]) for row in mart.sql(
        "select quote_ident(attname) from pg_attribute where attrelid = %s::regclass"
        " and attnum > 0 and not attisdropped order by attnum", (f"analytics.{view}",))
        if str(row[0]) not in CLOCK_COLUMNS]
    listed = ", ".join(columns)
    fresh = f"select {listed} from ({definition.rstrip().rstrip(';')}) as fresh"
    stored = f"select {listed} from analytics.{view}"
    return int(mart.scalar(  # type: ignore[call-overload]
        f"select count(*) from (({stored} except all {fresh})"
        f" union all ({fresh} except all {stored})) as differing"))


def differences_from_full_recomputation(mart: Mart, table: str) -> tuple[int, int, int]:
    """(rows missing, rows extra, keys left out) of an incremental table against its model's
    SQL run whole at the clock of its last run: the materialization's proof of sameness. Keys
    whose logged changes are not consumed yet (e.g. dated ahead of that clock) are left out."""
    missing, extra, pending = mart.sql(
        "select * from analytics_meta.mv_incremental_differences(%s::regclass)",
        (f"analytics.{table}",))[0]
    return int(missing), int(extra), int(pending)  # type: ignore[call-overload]


def add_sales(mart: Mart, products: int = 50) -> None:
    """A new snapshot, one unit down, for the latest state of `products` products."""
    mart.sql(f"""
        insert into retail_raw.inventory_snapshots
            (id, dispensary_id, product_id, brand_name, category, captured_at, price_rec,
             quantity_available)
        select (select max(id) from retail_raw.inventory_snapshots) + row_number() over (),
               dispensary_id, product_id, brand_name, category, now(), price_rec,
               greatest(quantity_available - 1, 0)
        from (select distinct on (dispensary_id, product_id) *
              from retail_raw.inventory_snapshots
              where quantity_available > 0 and captured_at <= now()
              order by dispensary_id, product_id, captured_at desc, id desc
              limit {int(products)}) as latest
    """)


@dataclass(frozen=True)
class LoginMembers:
    """Login users that are members (with INHERIT) of the two NOLOGIN roles."""

    reader: ConnectionSettings
    owner: ConnectionSettings


@pytest.fixture(scope="session")
def login_members(owner_mart: Mart) -> Iterator[LoginMembers]:
    """A reader and an owner login, with random names and passwords made for this session."""
    suffix = secrets.token_hex(4)
    made: dict[str, ConnectionSettings] = {}
    for group in ("reader", "owner"):
        name, password = f"reliability_{group}_{suffix}", secrets.token_urlsafe(16)
        owner_mart.sql(f"create role {name} login inherit password %s in role analytics_{group}",
                       (password,))
        made[group] = replace(owner_mart.settings, user=name, password=password)
    try:
        yield LoginMembers(reader=made["reader"], owner=made["owner"])
    finally:
        for settings in made.values():
            owner_mart.sql(f"drop role if exists {settings.user}")
