"""What orchestration adds to an hourly refresh.

`analytics refresh --cadence hourly` (the Dagster job, in-process) runs as a subprocess; its
wall time minus the SQL time the refresh log records for the rows that run wrote is the
overhead: Python and Dagster start-up, dbt start-up and parse, the on-run-start hook, dbt tests
run as asset checks, and Dagster's event handling. For contrast, `dbt run` of the same views
alone (optional) splits that into dbt's share and Dagster's.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from orchestration.bench import refresh_log
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart

CADENCE = "hourly"


def _refresh_command_available(ctx: BenchContext) -> str | None:
    """None when `analytics refresh --cadence` exists, else why not."""
    probe = subprocess.run([*ctx.analytics_command(), "refresh", "--help"], env=ctx.subprocess_env(),
                           cwd=ctx.project_dir, capture_output=True, text=True, check=False)
    if probe.returncode != 0 or "--cadence" not in probe.stdout:
        detail = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [""]
        return ("`analytics refresh --cadence` is not available in this checkout "
                f"(exit {probe.returncode}: {detail[0]})")
    return None


def measure(ctx: BenchContext, mart: Mart, *, dbt_contrast: bool = True) -> dict[str, Any]:
    views = mart.by_cadence(CADENCE)
    command = [*ctx.analytics_command(), "refresh", "--cadence", CADENCE]
    result: dict[str, Any] = {"command": " ".join(["analytics", *command[-3:]]), "views": views}
    missing = _refresh_command_available(ctx)
    if missing:
        ctx.say(f"[red]orchestration overhead: {missing}[/red]")
        return {**result, "error": missing, "wall_seconds": None, "sql_seconds": None,
                "overhead_seconds": None}
    ctx.say(f"orchestration overhead: `{result['command']}` ({', '.join(views)})")
    first = refresh_log.max_id(ctx, mart)
    log_file = ctx.work_dir / "analytics-refresh-hourly.log"
    started = time.perf_counter()
    with open(log_file, "w", encoding="utf-8") as out:
        process = subprocess.run(command, env=ctx.subprocess_env(), cwd=ctx.project_dir,
                                 stdout=out, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - started
    log = refresh_log.rows_since(ctx, mart, first)
    sql = refresh_log.sql_seconds(log)
    result.update({
        "returncode": process.returncode,
        "wall_seconds": round(wall, 3),
        "sql_seconds": round(sql, 3),
        "overhead_seconds": round(wall - sql, 3),
        "refresh_log": log,
        "log_file": str(log_file),
    })
    if process.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        result["error"] = f"`{result['command']}` exited {process.returncode}: " + "\n".join(tail)
        ctx.say(f"[red]  {result['error']}[/red]")
    ctx.say(f"  wall {wall:.2f} s, SQL {sql:.2f} s, overhead {wall - sql:.2f} s")
    if dbt_contrast and views:
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(["run", "-s", *views], check=False)
        dbt_sql = refresh_log.sql_seconds(refresh_log.rows_since(ctx, mart, first))
        result["dbt_run_alone"] = {
            "command": f"dbt run -s {' '.join(views)}",
            "returncode": run.returncode,
            "wall_seconds": round(run.seconds, 3),
            "sql_seconds": round(dbt_sql, 3),
            "overhead_seconds": round(run.seconds - dbt_sql, 3),
        }
        ctx.say(f"  contrast: dbt run alone wall {run.seconds:.2f} s, SQL {dbt_sql:.2f} s")
    return result
