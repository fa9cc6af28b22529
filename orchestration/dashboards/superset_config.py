"""Superset's configuration for the project's dashboards (read by Superset, never imported).

Everything machine- or secret-dependent comes from the environment that `analytics dashboards`
sets: the metadata database lives in `$SUPERSET_HOME` (git-ignored), the secret key is
generated there once or given as `ANALYTICS_DASHBOARDS_SECRET_KEY`.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.environ["SUPERSET_HOME"], "superset.db")

# The views are the cache: a dashboard shows what the last refresh wrote, never an older copy.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
RATELIMIT_STORAGE_URI = "memory://"

# Served on 127.0.0.1 for one user: no HTTPS to enforce, no content-security headers to tune.
TALISMAN_ENABLED = False
SESSION_COOKIE_SECURE = False

# Drill-by and drill-to-detail cost a request per dataset on every load; dashboards here do not drill.
FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True, "ALERT_REPORTS": False, "DRILL_BY": False,
    "DRILL_TO_DETAIL": False,
}
SUPERSET_WEBSERVER_TIMEOUT = 60
SQLLAB_CTAS_NO_LIMIT = True

# No telemetry pixel: the page would wait on a host it may not reach.
SCARF_ANALYTICS = False
