"""Every asset key of the code location, defined once.

The assets take their key from here (`key=`), and checks, jobs, sensors and policies name the same
constants, so a renamed asset is renamed in one place. docs/GLOSSARY.md gives each dataset's name per
layer; these are the asset layer's names.
"""

import dagster as dg

RAW_CSV = dg.AssetKey("raw_csv")
CLEAN_WEATHER = dg.AssetKey("clean_weather")
CLEAN_DEVICES = dg.AssetKey("clean_devices")
HOMES = dg.AssetKey("homes")
RDS_TABLES = dg.AssetKey("rds_tables")
DAILY_EXPORTS = dg.AssetKey("daily_exports")
REDSHIFT_TABLES = dg.AssetKey("redshift_tables")
LAKE_PARQUET = dg.AssetKey("lake_parquet")
DASHBOARD = dg.AssetKey("dashboard")
