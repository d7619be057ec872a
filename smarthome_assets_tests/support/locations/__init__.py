"""Code locations the operations tests run in real Dagster processes."""
