"""Ingestion: HomeC files -> object store (raw, staged by day) -> clean days -> PostgreSQL (RDS)."""
