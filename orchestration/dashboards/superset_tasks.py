"""Superset's side of `analytics dashboards`: runs inside `.venv-dashboards`, never imported.

Superset's pins clash with dbt's and Dagster's, so it lives in its own virtual environment and
the project drives it through this script: `python superset_tasks.py setup|import|export`,
one process per call (Superset's app takes seconds to create; each CLI command would pay it).
Bundles travel as JSON `{path: yaml text}` in JSON files; the project's side
(`orchestration/dashboards/bundle.py`) reads and writes the files in `dashboards/`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ADMIN_ROLE = "Admin"


def _app():  # type: ignore[no-untyped-def]
    from superset.app import create_app

    return create_app()


def _stamp_path() -> Path:
    return Path(os.environ["SUPERSET_HOME"]) / "initialised-version"


def setup() -> None:
    """Migrate the metadata database, create the admin, sync permissions (once per version)."""
    import superset
    from flask_migrate import upgrade

    app = _app()
    with app.app_context():
        from superset import appbuilder, db, security_manager

        upgrade(directory=str(Path(superset.__file__).parent / "migrations"))
        stamp = _stamp_path()
        version = app.config["VERSION_STRING"]
        if not stamp.exists() or stamp.read_text() != version:
            appbuilder.add_permissions(update_perms=True)
            security_manager.sync_role_definitions()
            db.session.commit()
            stamp.write_text(version)
        _ensure_admin(security_manager, db)


def _ensure_admin(security_manager, db) -> None:  # type: ignore[no-untyped-def]
    """The admin named in the environment exists with the environment's password."""
    username = os.environ["ANALYTICS_DASHBOARDS_ADMIN_USER"]
    password = os.environ["ANALYTICS_DASHBOARDS_ADMIN_PASSWORD"]
    user = security_manager.find_user(username=username)
    if user is None:
        security_manager.add_user(
            username, "Analytics", "Admin", f"{username}@localhost",
            security_manager.find_role(ADMIN_ROLE), password=password,
        )
    else:
        security_manager.reset_password(user.id, password)
    db.session.commit()


def import_bundle() -> None:
    """Import the bundle in the JSON file named ({contents, passwords}), overwriting every
    database, dataset, chart and dashboard it holds (importing dashboards would keep the charts
    and datasets Superset has)."""
    from flask import g

    payload = json.loads(Path(sys.argv[2]).read_text())
    app = _app()
    with app.app_context():
        from superset import db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand

        g.user = security_manager.find_user(username=os.environ["ANALYTICS_DASHBOARDS_ADMIN_USER"])
        ImportAssetsCommand(payload["contents"], passwords=payload["passwords"]).run()
        db.session.commit()


def export_bundle() -> None:
    """Write every dashboard (with its charts, datasets and database) as JSON to the file named."""
    from flask import g

    app = _app()
    with app.app_context():
        from superset import db, security_manager
        from superset.commands.dashboard.export import ExportDashboardsCommand
        from superset.models.dashboard import Dashboard

        g.user = security_manager.find_user(username=os.environ["ANALYTICS_DASHBOARDS_ADMIN_USER"])
        ids = [id_ for (id_,) in db.session.query(Dashboard.id).all()]
        files = {name: content() for name, content in ExportDashboardsCommand(ids).run()}
    Path(sys.argv[2]).write_text(json.dumps(files))


TASKS = {"setup": setup, "import": import_bundle, "export": export_bundle}

if __name__ == "__main__":
    TASKS[sys.argv[1]]()
