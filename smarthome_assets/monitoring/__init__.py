"""Watching the platform run, no Dagster: failure alert records and their webhook, the freshness rule, and
dead run workers."""
