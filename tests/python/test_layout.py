"""The layout's rule: shared code names no mart. A mart lives in its own folders only
(models/staging/<source>/, models/marts/<mart>/, macros/<mart>/, orchestration/marts/<mart>/,
orchestration/defs/<mart>/), so adding one never edits a shared file."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.core.marts import discover

REPO = Path(__file__).resolve().parents[2]
SHARED = [
    *(REPO / "orchestration" / folder for folder in ("core", "defs", "demo_data", "cli", "bench")),
    *(REPO / "macros" / folder
      for folder in ("materialized_view", "postgres", "hooks", "tests", "marts")),
]
SUFFIXES = (".py", ".sql", ".yml", ".yaml")


def mart_words() -> set[str]:
    """Each mart's name, source and scratch schemas (its tables in a shared schema), probe
    table and benched views."""
    words: set[str] = set()
    for plugin in discover().values():
        words.add(plugin.name)
        if plugin.simulator is not None:
            # A schema the mart shares (`source_tables`, e.g. public) is no word of its own:
            # its tables there are.
            shared = plugin.simulator.source_tables
            words.update(schema for schema in plugin.simulator.source_schemas
                         if schema not in shared)
            words.update(f"{schema}.{table}" for schema, tables in shared.items()
                         for table in tables)
            words.add(plugin.simulator.scratch_schema)
            words.add(plugin.simulator.probe_table.rpartition(".")[2])
        if plugin.bench is not None:
            words.update(plugin.bench.views)
    return words


def shared_files() -> list[Path]:
    return sorted(path for folder in SHARED for path in folder.rglob("*")
                  if path.suffix in SUFFIXES and path.is_file()
                  and not any(part in {p.name for p in discover().values()}
                              for part in path.relative_to(folder).parts[:-1]))


@pytest.mark.parametrize("path", shared_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_shared_files_name_no_mart(path: Path) -> None:
    words = mart_words()
    assert words, "the project has marts"
    text = path.read_text().lower()
    named = sorted(word for word in words if word.lower() in text)
    assert not named, f"{path.relative_to(REPO)} names {', '.join(named)}"
