"""The code location's Dagster wiring, one folder per domain (loaded by definitions.py with load_from_defs_folder)."""
