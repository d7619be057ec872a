"""Dagster wiring of the warehouse domain (group `warehouse`)."""
