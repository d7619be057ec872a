"""Dagster wiring of the lake domain (group `lake`)."""
