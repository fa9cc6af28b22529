"""Placeholder until the simulated data set lands (see demo data work)."""
from __future__ import annotations
from dataclasses import dataclass
from rich.console import Console
from orchestration.settings import ConnectionSettings
@dataclass(frozen=True)
class ScaleSpec:
    name: str
def scale_spec(name: str) -> ScaleSpec:
    return ScaleSpec(name.upper())
def is_empty(settings: ConnectionSettings) -> bool:
    return True
def load(settings: ConnectionSettings, spec: ScaleSpec, seed: int, console: Console):
    raise NotImplementedError
