"""What orchestration adds to a mart's most frequent refresh (hourly where it has hourly views).

`analytics refresh --mart <mart> --cadence <cadence>` (the Dagster job, in-process) runs as a
subprocess; its wall time minus the SQL time the refresh log records for the rows that run wrote
is the overhead: Python and Dagster start-up, dbt start-up and parse, the on-run-start hook, dbt tests
run as asset checks, and Dagster's event handling. For contrast, `dbt run` of the same views
alone (optional) splits that into dbt's share and Dagster's.

From the run's output (dbt's own lines) the overhead is also split: `dbt_run_seconds` is the
time dbt reports for its run (hooks, models and tests, after its start-up and parse), of which
`models_seconds` the models; so `checks_and_hooks_seconds` is what the data tests (the asset
checks) and the hooks add, and `startup_and_events_seconds` what Python, Dagster and dbt's
start-up and parse add around it. Each output line is timestamped as it arrives:
`seconds_to_dbt` (Python and Dagster start-up) and `seconds_to_first_dbt_node` (plus dbt's
start-up and parse) say how long every run takes before its first SQL.

The run refreshes: views that skip unchanged refreshes (`skip_refresh_when_unchanged`) have
their sources touched first (`sources.touch`), as an hourly run after new data would find them.
The run measured is an hourly run of a deployment, which starts from the previous run's parse
(`orchestration.core.project.keep_partial_parse`). The bench's server is not the one of the last run
in this checkout, so dbt would first parse the whole project again ("profile has changed"):
the project is parsed once beforehand, as a run would, and `full_reparse` says whether the
measured run still did.
"""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

from orchestration.bench import refresh_log, sources
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart
from orchestration.core.dbt import dbt_executable
from orchestration.core.project import CADENCES, TARGET_PATH

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_FINISHED = re.compile(r"^Finished running .* \(([0-9.]+)s\)\.$", re.MULTILINE)
_DBT_STARTED = re.compile(r"^Running with dbt=")
_DBT_FIRST_NODE = re.compile(r"^\d+ of \d+ START ")
_MODEL_DONE = re.compile(r"^\d+ of \d+ (?:OK|ERROR).* model .* in ([0-9.]+)s\]$", re.MULTILINE)
_FULL_REPARSE = re.compile(r"Unable to do partial parsing")


def split_from_output(output: str, wall: float) -> dict[str, float | None]:
    """dbt's run time and its models' time from dbt's lines in `output` (see module doc)."""
    text = _ANSI.sub("", output)
    finished = _DBT_FINISHED.search(text)
    if finished is None:
        return {"dbt_run_seconds": None, "models_seconds": None, "checks_and_hooks_seconds": None,
                "startup_and_events_seconds": None}
    dbt_run = float(finished.group(1))
    models = sum(float(seconds) for seconds in _MODEL_DONE.findall(text))
    return {"dbt_run_seconds": round(dbt_run, 3), "models_seconds": round(models, 3),
            "checks_and_hooks_seconds": round(dbt_run - models, 3),
            "startup_and_events_seconds": round(wall - dbt_run, 3)}


def startup_marks(lines: list[tuple[float, str]]) -> dict[str, float | None]:
    """Seconds from the command's start to dbt's first line (Python and Dagster start-up) and
    to dbt's first node (dbt's start-up and parse added): no SQL of the refresh runs before."""
    def first(pattern: re.Pattern[str]) -> float | None:
        return next((round(at, 3) for at, line in lines if pattern.search(_ANSI.sub("", line))), None)

    return {"seconds_to_dbt": first(_DBT_STARTED), "seconds_to_first_dbt_node": first(_DBT_FIRST_NODE)}


def parse_as_the_runs_do(ctx: BenchContext) -> float:
    """`dbt parse` into the runs' target directory with their profile; returns its seconds."""
    command = [dbt_executable(), "parse", "--quiet", "--project-dir", str(ctx.project_dir),
               "--target-path", str(ctx.project_dir / TARGET_PATH)]
    started = time.perf_counter()
    result = subprocess.run(command, env=ctx.subprocess_env(), cwd=ctx.project_dir,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        ctx.say(f"[yellow]  `dbt parse` before the run failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-300:]}[/yellow]")
    return time.perf_counter() - started


def _refresh_command_available(ctx: BenchContext) -> str | None:
    """None when `analytics refresh --mart --cadence` exists, else why not."""
    probe = subprocess.run([*ctx.analytics_command(), "refresh", "--help"], env=ctx.subprocess_env(),
                           cwd=ctx.project_dir, capture_output=True, text=True, check=False)
    if probe.returncode != 0 or "--cadence" not in probe.stdout or "--mart" not in probe.stdout:
        detail = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [""]
        return ("`analytics refresh --mart --cadence` is not available in this checkout "
                f"(exit {probe.returncode}: {detail[0]})")
    return None


def measured_cadence(mart: Mart) -> str | None:
    """The mart's most frequent cadence that has views (hourly, daily, weekly), or None."""
    return next((cadence for cadence in CADENCES if mart.by_cadence(cadence)), None)


def measure(ctx: BenchContext, mart: Mart, *, dbt_contrast: bool = True) -> dict[str, Any]:
    cadence = measured_cadence(mart)
    views = mart.by_cadence(cadence) if cadence else []
    command = [*ctx.analytics_command(), "refresh", "--mart", mart.name, "--cadence",
               cadence or "hourly"]
    result: dict[str, Any] = {"command": " ".join(["analytics", *command[-5:]]), "views": views,
                              "cadence": cadence}
    missing = (_refresh_command_available(ctx) if cadence
               else "the mart has no view with a cadence to refresh")
    if missing:
        ctx.say(f"[red]orchestration overhead: {missing}[/red]")
        return {**result, "error": missing, "wall_seconds": None, "sql_seconds": None,
                "overhead_seconds": None}
    ctx.say(f"orchestration overhead: `{result['command']}` ({', '.join(views)})")
    parse_seconds = parse_as_the_runs_do(ctx)
    # A run that refreshes: views that skip unchanged refreshes have their sources touched.
    touched = sources.touch(ctx, mart)
    if touched:
        result["sources_touched"] = touched
    first = refresh_log.max_id(ctx, mart)
    log_file = ctx.work_dir / f"analytics-refresh-{cadence}.log"
    started = time.perf_counter()
    lines: list[tuple[float, str]] = []
    with open(log_file, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, env=ctx.subprocess_env(), cwd=ctx.project_dir,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            lines.append((time.perf_counter() - started, line))
            out.write(line)
        process.wait()
    wall = time.perf_counter() - started
    log = refresh_log.rows_since(ctx, mart, first)
    sql = refresh_log.sql_seconds(log)
    output = "".join(line for _, line in lines)
    result.update({
        "returncode": process.returncode,
        "wall_seconds": round(wall, 3),
        "sql_seconds": round(sql, 3),
        "overhead_seconds": round(wall - sql, 3),
        "refresh_log": log,
        "log_file": str(log_file),
        "parse_before_seconds": round(parse_seconds, 3),
        "full_reparse": bool(_FULL_REPARSE.search(output)),
        **split_from_output(output, wall),
        **startup_marks(lines),
    })
    if process.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        result["error"] = f"`{result['command']}` exited {process.returncode}: " + "\n".join(tail)
        # A run that failed measured nothing a target can hold.
        result["overhead_seconds"] = None
        ctx.say(f"[red]  {result['error']}[/red]")
    ctx.say(f"  wall {wall:.2f} s, SQL {sql:.2f} s, overhead {wall - sql:.2f} s (checks and hooks "
            f"{result['checks_and_hooks_seconds']} s, start-up and events "
            f"{result['startup_and_events_seconds']} s)")
    if dbt_contrast and views:
        sources.touch(ctx, mart)
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
