"""The kiosk mart's non-dbt assets (a test fixture): found because the folder exists."""
