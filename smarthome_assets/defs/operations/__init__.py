"""Dagster wiring of operations (group `operations`): failure alerts, freshness, dead-run checks."""
