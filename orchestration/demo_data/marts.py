"""Loading the marts' simulated data sets: each mart's plug-in simulator through the engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from rich.console import Console

from orchestration.core import migrations
from orchestration.core.marts import MartPlugin, select
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import (
    AdvanceError,
    LoadReport,
    Scale,
    advance,
    is_empty,
    load,
    parse_duration,
    parse_scale,
)


def load_marts(
    settings: ConnectionSettings,
    marts: Sequence[MartPlugin],
    scale: Scale,
    seed: int,
    console: Console,
    anchor: date | None = None,
) -> list[LoadReport]:
    """Migrate, then replace each mart's source data by its simulation of `scale` and `seed`."""
    migrations.migrate(settings)
    return [load(settings, mart.name, mart.simulator, scale, seed, console, anchor)
            for mart in marts if mart.simulator is not None]


def load_mart(
    settings: ConnectionSettings,
    name: str,
    scale: str = "S",
    seed: int = 1,
    console: Console | None = None,
    anchor: date | None = None,
) -> LoadReport:
    """One mart's data set, by the mart's name and a scale's text (tests and the bench)."""
    reports = load_marts(settings, select([name]), parse_scale(scale), seed,
                         console or Console(quiet=True), anchor)
    if not reports:
        raise ValueError(f"mart {name!r} has no demo-data simulator")
    return reports[0]


def empty_marts(settings: ConnectionSettings, marts: Sequence[MartPlugin]) -> list[MartPlugin]:
    """The marts with a simulator whose source data is not loaded yet."""
    return [mart for mart in marts
            if mart.simulator is not None and is_empty(settings, mart.simulator)]


def can_advance(mart: MartPlugin) -> bool:
    """Whether the mart's simulation can continue past its end (`analytics demo-data --advance`)."""
    return mart.simulator is not None and mart.simulator.advance_params is not None


def advance_marts(
    settings: ConnectionSettings,
    marts: Sequence[MartPlugin],
    duration: timedelta | None,
    console: Console,
) -> list[LoadReport]:
    """Migrate, then continue each mart's simulation for `duration` after its last end (up to
    now when None).

    Every mart must be able to advance (AdvanceError names the first that cannot)."""
    for mart in marts:
        if not can_advance(mart):
            raise AdvanceError(f"the {mart.name} mart's simulation cannot advance (only a full"
                               f" reload: `analytics demo-data --mart {mart.name}`)")
    migrations.migrate(settings)
    return [advance(settings, mart.name, mart.simulator, duration, console)
            for mart in marts if mart.simulator is not None]


def advance_mart(
    settings: ConnectionSettings, name: str, duration: str, console: Console | None = None
) -> LoadReport:
    """Advance one mart by a duration's text such as 1h, or to `now` (tests and the bench)."""
    return advance_marts(settings, select([name]), parse_duration(duration),
                         console or Console(quiet=True))[0]
