"""The machine and server the figures were measured on."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestration.bench.context import BenchContext

POSTGRES_SETTINGS = (
    "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
    "max_parallel_workers_per_gather", "max_parallel_workers", "max_parallel_maintenance_workers",
    "max_worker_processes", "jit", "wal_level", "synchronous_commit", "max_wal_size",
    "checkpoint_timeout", "random_page_cost", "effective_io_concurrency", "io_method",
    "huge_pages", "max_connections", "shared_preload_libraries", "default_statistics_target",
)


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _meminfo_gib() -> float | None:
    path = Path("/proc/meminfo")
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _cpu_model() -> str | None:
    path = Path("/proc/cpuinfo")
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def collect(ctx: BenchContext) -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with ctx.cursor() as cur:
        cur.execute("select version(), current_setting('server_version')")
        version_row = cur.fetchone()
        cur.execute("select name, setting, unit, current_setting(name) from pg_settings"
                    " where name = any(%s) order by name", (list(POSTGRES_SETTINGS),))
        settings = {name: shown for name, _setting, _unit, shown in cur.fetchall()}
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu_model": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": usable,
        "memory_gib": _meminfo_gib(),
        "load_average_at_start": load_average(),
        "python": sys.version.split()[0],
        "dbt_core": _version("dbt-core"),
        "dbt_postgres": _version("dbt-postgres"),
        "dagster": _version("dagster"),
        "postgres_version": version_row[1] if version_row else None,
        "postgres_version_full": version_row[0] if version_row else None,
        "postgres_embedded": ctx.settings.embedded or ctx.settings.host.startswith("/"),
        "postgres_settings": settings,
    }
