"""Autocommit SQL from tests, for fixtures that hold ConnectionSettings as `settings`."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions

from orchestration.core.settings import ConnectionSettings


class SqlClient:
    settings: ConnectionSettings

    def connect(self) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(**self.settings.connect_kwargs(), connect_timeout=10)
        conn.autocommit = True
        return conn

    def sql(self, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(query, params or None)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def scalar(self, query: str, params: tuple[object, ...] = ()) -> object:
        return self.sql(query, params)[0][0]
