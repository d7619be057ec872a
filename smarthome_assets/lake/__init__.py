"""The lake: each exported day as Parquet under `lake/<table>/date=<day>/`, queried locally with DuckDB and on
AWS with Athena and Redshift Spectrum (no Dagster here)."""
