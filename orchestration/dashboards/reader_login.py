"""The login Superset uses: a member of `analytics_reader`, so a dashboard reads the views only."""

from __future__ import annotations

from urllib.parse import quote

from psycopg2 import sql

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings

READER_LOGIN = "analytics_dashboards"
READER_ROLE = "analytics_reader"
# Superset's placeholder for a password it keeps out of exported files.
MASKED_PASSWORD = "XXXXXXXXXX"


def ensure_reader_login(settings: ConnectionSettings, password: str) -> None:
    """Create (or update) the login role with this password, a member of the reader role only."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_roles where rolname = %s", (READER_LOGIN,))
        verb = "alter" if cur.fetchone() else "create"
        cur.execute(
            sql.SQL("{} role {} login inherit password %s").format(
                sql.SQL(verb), sql.Identifier(READER_LOGIN)
            ),
            (password,),
        )
        cur.execute(
            sql.SQL("grant {} to {}").format(
                sql.Identifier(READER_ROLE), sql.Identifier(READER_LOGIN)
            )
        )


def superset_uri(settings: ConnectionSettings) -> str:
    """The SQLAlchemy URI of the reader login, its password masked (given at import)."""
    user = f"{READER_LOGIN}:{MASKED_PASSWORD}"
    dbname = quote(settings.dbname)
    if settings.host.startswith("/"):
        return (
            f"postgresql+psycopg2://{user}@/{dbname}"
            f"?host={quote(settings.host, safe='/')}&port={settings.port}"
        )
    return f"postgresql+psycopg2://{user}@{settings.host}:{settings.port}/{dbname}"
