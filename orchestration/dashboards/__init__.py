"""The marts' dashboards as code on Apache Superset (run from its own virtual environment)."""
