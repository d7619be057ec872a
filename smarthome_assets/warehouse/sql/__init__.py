"""The warehouse SQL files (Redshift dialect), read by smarthome_assets.warehouse.statements."""
