"""Pure cleaning of staged HomeC days into typed weather and device tables (no Dagster, no I/O)."""
