"""The marts' plug-ins: one folder each under `orchestration/marts/<mart>/`, found on disk.

A plug-in folder holds what is specific to one mart outside dbt: `migrations/NNN_*.sql` (its
source DDL, applied by `analytics db migrate`), and an `__init__.py` defining `MART`, a
`MartPlugin` with its demo-data simulator and its bench (dashboard queries and parameters).
Its views are the dbt models under `models/marts/<mart>/`, found through the manifest, and any
non-dbt Dagster assets live in `orchestration/defs/<mart>/`. No shared module names a mart.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from orchestration.core.paths import PACKAGE_DIR, marts_dir

if TYPE_CHECKING:
    from orchestration.demo_data.engine import Simulator

MIGRATIONS = "migrations"


class MartError(ValueError):
    """A mart named on the command line does not exist, or its plug-in is broken."""


@dataclass(frozen=True)
class MartPlugin:
    """One mart's plug-in (its folder's `MART`)."""

    name: str
    directory: Path
    simulator: Simulator | None = None
    # An `orchestration.bench.spec.BenchSpec`; typed loosely so loading marts never imports it.
    bench: Any = None

    @property
    def migrations_dir(self) -> Path:
        return self.directory / MIGRATIONS


def discover(project_dir: Path | None = None) -> dict[str, MartPlugin]:
    """Every mart plug-in of the project, by name (the folder's name)."""
    root = marts_dir(project_dir)
    found: dict[str, MartPlugin] = {}
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
        plugin = _load(folder)
        if plugin.name != folder.name:
            raise MartError(f"{folder}: MART.name is {plugin.name!r}; it must be the folder's name")
        found[plugin.name] = plugin
    return found


def select(names: list[str] | None, project_dir: Path | None = None) -> list[MartPlugin]:
    """The marts named (all when none is), each checked to exist."""
    plugins = discover(project_dir)
    if not names:
        return list(plugins.values())
    unknown = [name for name in names if name not in plugins]
    if unknown:
        raise MartError(f"unknown mart {', '.join(map(repr, unknown))}: the marts are "
                        f"{', '.join(plugins) or 'none'} (folders of {marts_dir(project_dir)})")
    return [plugins[name] for name in dict.fromkeys(names)]


def load_package(folder: Path, package: str, home: Path = PACKAGE_DIR.parent) -> ModuleType:
    """Import the package in `folder` as `<package>.<folder name>`.

    A folder of this repository imports under its usual name; a copy elsewhere (a test's
    project) under a name of its own, so two copies of one mart never share a module."""
    module_name = f"{package}.{folder.name}"
    if folder.resolve().parent != home.resolve() / Path(*package.split(".")):
        module_name = f"_analytics_{abs(hash(str(folder.resolve())))}.{module_name}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(
            module_name, folder / "__init__.py", submodule_search_locations=[str(folder)])
        if spec is None or spec.loader is None:
            raise MartError(f"{folder}: cannot load its __init__.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return module


def _load(folder: Path) -> MartPlugin:
    module = load_package(folder, "orchestration.marts")
    plugin = getattr(module, "MART", None)
    if not isinstance(plugin, MartPlugin):
        raise MartError(f"{folder}/__init__.py must define MART = MartPlugin(...)")
    return plugin
