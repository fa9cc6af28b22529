"""Loading the marts' simulated data sets: each mart's plug-in simulator through the engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.console import Console

from orchestration.core import migrations
from orchestration.core.marts import MartPlugin, select
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import LoadReport, Scale, is_empty, load, parse_scale


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
