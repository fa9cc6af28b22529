"""Connection settings: external servers from the environment, masking of secrets."""

from __future__ import annotations

import pytest

from orchestration.core.settings import SettingsError, external_settings, read_settings


def test_no_variables_means_embedded() -> None:
    assert external_settings({}) is None


def test_libpq_variables_select_an_external_server() -> None:
    settings = external_settings({"PGHOST": "db.example", "PGPASSWORD": "s3cret"})
    assert settings is not None
    assert (settings.host, settings.port, settings.dbname) == ("db.example", 5432, "analytics")
    assert "s3cret" not in settings.masked_url()
    assert settings.masked_url() == "postgresql://postgres:***@db.example:5432/analytics"


def test_database_url_is_parsed_and_masked() -> None:
    settings = external_settings(
        {"ANALYTICS_DATABASE_URL": "postgresql://ana:p%40ss@db:6543/shop"}
    )
    assert settings is not None
    assert (settings.user, settings.password, settings.host, settings.port, settings.dbname) == (
        "ana", "p@ss", "db", 6543, "shop",
    )
    assert "p@ss" not in settings.masked_url()


def test_socket_url() -> None:
    settings = external_settings({"ANALYTICS_DATABASE_URL": "postgresql://u@/d?host=/tmp/s"})
    assert settings is not None
    assert settings.host == "/tmp/s"


def test_a_read_replica_is_named_apart_from_the_primary() -> None:
    assert read_settings({"ANALYTICS_DATABASE_URL": "postgresql://u@primary/d"}) is None
    replica = read_settings({"ANALYTICS_READ_DATABASE_URL": "postgresql://r:pw@replica:6432/d"})
    assert replica is not None
    assert (replica.host, replica.port, replica.user) == ("replica", 6432, "r")
    assert external_settings({"ANALYTICS_READ_DATABASE_URL": "postgresql://r@replica/d"}) is None
    with pytest.raises(SettingsError, match="ANALYTICS_READ_DATABASE_URL: port must be a number"):
        read_settings({"ANALYTICS_READ_DATABASE_URL": "postgresql://r@replica:x/d"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ANALYTICS_DATABASE_URL": "mysql://x@y/z"}, "scheme 'mysql'"),
        ({"PGHOST": "h", "PGPORT": "abc"}, "PGPORT: port must be a number"),
        ({"PGHOST": "h", "PGPORT": "70000"}, "between 1 and 65535"),
    ],
)
def test_bad_settings_name_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        external_settings(env)
