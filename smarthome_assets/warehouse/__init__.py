"""The star-schema warehouse (Redshift, or PostgreSQL locally), loaded from the daily exports."""
