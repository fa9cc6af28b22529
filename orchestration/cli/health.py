"""`analytics status --check`: is every view of the selection healthy? For cron and probes.

Each view is judged by `view_problems`: missing, not populated, stale for its cadence or its
last refresh failed fail the check; a view populated with zero rows or with a refresh running
is reported but passes (an empty source legitimately gives an empty view). Exit codes and the
JSON shape: docs/orchestration.md, "Health check".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from orchestration.cli.status import ViewStatus
from orchestration.defs.freshness import FRESHNESS_WINDOWS, is_stale

ProblemKind = Literal["missing", "not_populated", "stale", "last_refresh_failed", "no_rows",
                      "refreshing"]
_ERROR_CHARS = 300


@dataclass(frozen=True)
class Problem:
    """Something wrong with a view; `fails` is False for what is reported but passes."""

    kind: ProblemKind
    message: str
    fails: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "fails": self.fails, "message": self.message,
                **{k: _json_value(v) for k, v in self.details.items()}}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _duration(span: timedelta) -> str:
    """A span as people say it, two units at most: 1 h 30 min, 26 h, 3 d 4 h, 8 d."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, minutes = divmod(minutes, 1440) if minutes >= 2 * 1440 else (0, minutes)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts[:2]) or "< 1 min"


def _when(moment: datetime, now: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {_duration(now - moment)} ago"


def shorten(text: str, limit: int = _ERROR_CHARS) -> str:
    """An error on one line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _presence_problem(status: ViewStatus) -> Problem | None:
    """Missing, not populated, or (passing) populated with zero rows."""
    if not status.exists:
        built = status.last_success_at is not None or status.last_action is not None
        why = ("built before, but the materialized view no longer exists (dropped?)" if built
               else "never built")
        return Problem("missing", f"missing: {why}")
    if not status.populated:
        return Problem("not_populated", "not populated: the materialized view exists but holds "
                       "no data (WITH NO DATA); reading it fails until it is refreshed")
    if status.rows == 0:
        return Problem("no_rows", "no rows: populated, but its last refresh gave 0 rows "
                       "(fine if its sources are empty)", fails=False)
    return None


def _stale_problem(status: ViewStatus, now: datetime) -> Problem | None:
    """Stale for its cadence (a missing or unpopulated view is reported as such, not as stale)."""
    if not (status.exists and status.populated):
        return None
    if not is_stale(status.cadence, status.last_success_at, now):
        return None
    limit = FRESHNESS_WINDOWS[status.cadence or ""].fail_after
    since = status.last_success_at
    last = ("never refreshed successfully" if since is None
            else f"last successful refresh {_when(since, now)}")
    details = {"cadence": status.cadence, "limit_seconds": limit.total_seconds(),
               "last_success_at": since,
               "age_seconds": None if since is None else (now - since).total_seconds()}
    return Problem("stale", f"stale: {last}; a {status.cadence} view is late after "
                   f"{_duration(limit)}", details=details)


def _refresh_problem(status: ViewStatus, now: datetime) -> Problem | None:
    """The last refresh failed (`refresh_log.status` error or interrupted), or one is running
    (reported, passes: a killed one is marked interrupted by the next run). A skip is logged as
    a success."""
    if status.last_status is None or status.last_status == "success":
        return None
    at = status.last_finished_at or status.last_started_at
    when = f" ({_when(at, now)})" if at else ""
    action = status.last_action or "refresh"
    if status.last_status == "running":
        return Problem("refreshing", f"refreshing: a {action} started{when} has not finished",
                       fails=False, details={"started_at": status.last_started_at})
    error = shorten(status.last_error or status.last_status)
    return Problem("last_refresh_failed",
                   f"last refresh failed: {action} {status.last_status}{when}: {error}",
                   details={"status": status.last_status, "at": at, "error": error})


def view_problems(status: ViewStatus, now: datetime) -> list[Problem]:
    """What is wrong with one view at `now`: freshness is judged again at `now` (views without
    a cadence never are), whatever `status.stale` says."""
    found = [_presence_problem(status), _stale_problem(status, now),
             _refresh_problem(status, now)]
    return [p for p in found if p is not None]


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    views: list[tuple[ViewStatus, list[Problem]]]

    @property
    def failing(self) -> list[tuple[ViewStatus, list[Problem]]]:
        return [(s, ps) for s, ps in self.views if any(p.fails for p in ps)]

    @property
    def healthy(self) -> bool:
        return not self.failing


def check(statuses: Sequence[ViewStatus], now: datetime | None = None) -> HealthReport:
    now = now or datetime.now(UTC)
    return HealthReport(now, [(s, view_problems(s, now)) for s in statuses])


def _label(status: ViewStatus) -> str:
    return f"{status.relation} [{status.mart}]" if status.mart else status.relation


def check_lines(report: HealthReport) -> list[str]:
    """One line per problem (FAIL, or WARN for those that pass), then the verdict."""
    lines = [f"{'FAIL' if p.fails else 'WARN'} {_label(s)}: {p.message}"
             for s, problems in report.views for p in problems]
    count = len(report.views)
    if report.healthy:
        lines.append(f"healthy: {count} views exist, are populated and fresh for their cadence, "
                     "and their last refresh succeeded")
    else:
        lines.append(f"unhealthy: {len(report.failing)} of {count} views fail the check")
    return lines


def check_json(report: HealthReport) -> str:
    """`healthy`, the failing views' relations, and each view's status with its problems."""
    return json.dumps({
        "healthy": report.healthy,
        "checked_at": report.checked_at.isoformat(),
        "failing": [s.relation for s, _ in report.failing],
        "views": [{**s.as_json(), "healthy": not any(p.fails for p in problems),
                   "problems": [p.as_json() for p in problems]}
                  for s, problems in report.views],
    }, indent=2)
