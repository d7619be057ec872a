"""Dagster wiring of the exports domain (group `exports`)."""
