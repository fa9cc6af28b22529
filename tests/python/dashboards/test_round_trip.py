"""Importing `dashboards/` into Superset and exporting it again changes no file: what Superset
writes back after an edit in its UI is a diff of that edit only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from orchestration.dashboards.bundle import DASHBOARDS_DIR, repository_files, write_export
from tests.python.dashboards.conftest import Superset


def test_an_import_then_an_export_writes_every_file_back_unchanged(
    superset: Superset, tmp_path: Path
) -> None:
    copy = tmp_path / "dashboards"
    shutil.copytree(DASHBOARDS_DIR, copy)
    exported = tmp_path / "export.json"
    superset.home.run_task("export", str(exported))
    written = write_export(json.loads(exported.read_text()), root=copy)

    files = repository_files(DASHBOARDS_DIR)
    assert sorted(written) == sorted(file.path(copy) for file in files)
    changed = [file.relative for file in files
               if file.path(copy).read_text() != file.path(DASHBOARDS_DIR).read_text()]
    assert not changed, f"exported differently from the repository: {changed}"
