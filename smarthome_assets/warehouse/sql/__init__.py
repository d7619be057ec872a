"""The warehouse SQL files (Redshift dialect), read by smarthome_assets.warehouse.sql_files."""
