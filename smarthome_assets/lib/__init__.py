"""Dagster pieces shared by the domains under defs/: the daily partitions, the reconciliation check
result and table metadata."""
