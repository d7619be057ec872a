"""Dagster wiring of the ingestion domain (group `ingestion`)."""
