"""Dagster wiring of the dashboard domain (group `dashboard`)."""
