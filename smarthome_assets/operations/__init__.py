"""Operating the platform day to day: failure alerts, freshness rules and the feed simulator (no Dagster)."""
