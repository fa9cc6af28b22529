"""`analytics docs`: build the dbt documentation site and serve it on a local port.

The site lists every model and column with its description and shows the lineage graph from
each mart's sources through the ephemeral staging models to its materialized views.
`dbt docs generate` reads the columns of the built relations from the database, so build the
views first (`analytics demo`); otherwise the site still shows the descriptions.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from orchestration.core.database import ensure_database
from orchestration.core.dbt import dbt_env, dbt_executable, run_dbt
from orchestration.core.paths import PROJECT_DIR
from orchestration.core.settings import ConnectionSettings, SettingsError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def _target_args(target_path: Path | None) -> list[str]:
    return ["--target-path", str(target_path)] if target_path is not None else []


def generate_docs(settings: ConnectionSettings, *, target_path: Path | None = None) -> None:
    """`dbt docs generate`: manifest, catalog (columns from the database) and index.html."""
    run_dbt(settings, ["docs", "generate", *_target_args(target_path)])


def start_docs_server(
    settings: ConnectionSettings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    target_path: Path | None = None,
    timeout: float = 60.0,
) -> subprocess.Popen[bytes]:
    """Start `dbt docs serve` in the background and return once it answers HTTP requests.

    The caller stops it (`process.terminate()`); a server that exits early raises."""
    command = [
        dbt_executable(), "docs", "serve", "--host", host, "--port", str(port), "--no-browser",
        *_target_args(target_path), "--project-dir", str(PROJECT_DIR),
    ]
    process = subprocess.Popen(command, env=dbt_env(settings), cwd=PROJECT_DIR)
    try:
        wait_until_serving(f"http://{host}:{port}/", process, timeout)
    except BaseException:
        stop_docs_server(process)
        raise
    return process


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"dbt docs serve exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"dbt docs serve did not answer on {url} within {timeout:.0f} s")
        time.sleep(0.2)


def stop_docs_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_docs(
    settings: ConnectionSettings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> int:
    """Generate the site, then serve it on http://host:port/ until interrupted (Ctrl-C).

    Returns the server's exit code (0 after Ctrl-C)."""
    generate_docs(settings)
    command = [
        dbt_executable(), "docs", "serve", "--host", host, "--port", str(port), "--no-browser",
        "--project-dir", str(PROJECT_DIR),
    ]
    print(f"dbt docs on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    process = subprocess.Popen(command, env=dbt_env(settings), cwd=PROJECT_DIR)
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop_docs_server(process)
        return 0


def docs_command(
    host: Annotated[str, typer.Option(help="Address the site listens on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port of the site.")] = DEFAULT_PORT,
) -> None:
    """Build the dbt docs site (models, columns, lineage) and serve it until Ctrl-C.

    Ready for `app.command("docs")(docs_command)` in orchestration/cli.py."""
    try:
        settings = ensure_database()
    except SettingsError as error:
        print(f"error: {error}")
        raise typer.Exit(2) from None
    raise typer.Exit(serve_docs(settings, host, port))
