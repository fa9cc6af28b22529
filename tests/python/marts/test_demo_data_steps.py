"""How the demo-data engine splits a scratch file into steps: comments may precede the first
`-- step:` line, SQL may not (it would silently never run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.demo_data.engine import split_steps


def test_a_file_is_split_at_its_step_lines(tmp_path: Path) -> None:
    path = tmp_path / "03_offers.sql"
    path.write_text("-- What this file builds.\n\n-- step: requests\nselect 1;\n"
                    "-- step: offers (parallel)\nselect 2;\n")
    steps = split_steps(path)
    assert [(s.name, s.sql.strip(), s.parallel) for s in steps] == [
        ("requests", "select 1;", False), ("offers", "select 2;", True)]


def test_a_file_without_step_lines_is_one_step(tmp_path: Path) -> None:
    path = tmp_path / "01_setup.sql"
    path.write_text("create schema s;\n")
    assert [(s.name, s.sql) for s in split_steps(path)] == [("setup", "create schema s;\n")]


def test_sql_before_the_first_step_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "01_setup.sql"
    path.write_text("-- header\ncreate schema s;\n-- step: tables\ncreate table s.t ();\n")
    with pytest.raises(ValueError, match=r"01_setup\.sql: SQL before the first .*create schema s"):
        split_steps(path)
