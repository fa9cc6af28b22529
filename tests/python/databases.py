"""Throwaway databases on the test server, for suites whose schemas are fixed (a mart's)."""

from __future__ import annotations

from dataclasses import replace

import psycopg2.errors
import pytest

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings


def create_database(server: ConnectionSettings, name: str) -> ConnectionSettings:
    """A new, empty database `name` (one left over by an earlier run is dropped first)."""
    try:
        with connect(server, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
            cur.execute(f'create database "{name}"')
    except psycopg2.errors.InsufficientPrivilege:
        pytest.fail("these tests need a server where they may create databases"
                    " (ANALYTICS_TEST_DATABASE_URL names one where this role may not)")
    return replace(server, dbname=name)


def query(settings: ConnectionSettings, sql: str, params: object = None) -> list[tuple]:
    """Every row of `sql` on the database of `settings`."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def drop_database(server: ConnectionSettings, name: str) -> None:
    with connect(server, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
