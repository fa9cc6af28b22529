"""How fresh a view of each cadence must be: the Dagster freshness policy and `stale` in status.

A view is late when its last successful refresh is older than its cadence's interval plus a
grace period (the time a scheduled run takes to start and finish):

    hourly  late after 1 h 30 min   (warn after 1 h 05 min)
    daily   late after 26 h         (warn after 25 h)
    weekly  late after 8 days       (warn after 7 days 12 h)

Dagster 1.13 evaluates `FreshnessPolicy.time_window(fail_window, warn_window)` (the freshness
API that replaced the legacy `FreshnessPolicy(maximum_lag_minutes=...)`, now
`LegacyFreshnessPolicy`) in its freshness daemon, which dagster.yaml turns on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dagster import FreshnessPolicy


@dataclass(frozen=True)
class FreshnessWindow:
    warn_after: timedelta
    fail_after: timedelta


FRESHNESS_WINDOWS: dict[str, FreshnessWindow] = {
    "hourly": FreshnessWindow(timedelta(minutes=65), timedelta(minutes=90)),
    "daily": FreshnessWindow(timedelta(hours=25), timedelta(hours=26)),
    "weekly": FreshnessWindow(timedelta(days=7, hours=12), timedelta(days=8)),
}


def freshness_policy(cadence: str | None) -> FreshnessPolicy | None:
    """The policy for a view refreshed at `cadence`; None for views without one."""
    window = FRESHNESS_WINDOWS.get(cadence or "")
    if window is None:
        return None
    return FreshnessPolicy.time_window(fail_window=window.fail_after, warn_window=window.warn_after)


def is_stale(cadence: str | None, last_success_at: datetime | None, now: datetime) -> bool | None:
    """True when the view missed its cadence; None when it has no cadence to miss."""
    window = FRESHNESS_WINDOWS.get(cadence or "")
    if window is None:
        return None
    if last_success_at is None:
        return True
    return now - last_success_at > window.fail_after
