"""Headless Chromium (Debian's) for the tests of the dbt docs site: render a page's DOM."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

from orchestration.dashboards.browser import chromium_path

HOST = "127.0.0.1"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--window-size=1600,1000", "--virtual-time-budget=15000",
]
# A column row of a model page: <tr class="column-row ..."> <td> <div> <span ...>name</span>
COLUMN_ROW = re.compile(
    r'class="column-row[^"]*"[^>]*>\s*<td>\s*<div>\s*<span class="text-dark ng-binding">'
    r"(\w+)</span>"
)


def chromium() -> str:
    return chromium_path()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def render(url: str, profile: Path, *extra: str) -> str:
    """The page's DOM after its scripts ran, without the inlined scripts and styles."""
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    dom = re.sub(r"<script\b.*?</script>", "", result.stdout, flags=re.S)
    return re.sub(r"<style\b.*?</style>", "", dom, flags=re.S)
