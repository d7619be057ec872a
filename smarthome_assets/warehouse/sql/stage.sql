-- The staging step of a load, in Redshift SQL (see warehouse/loader.py for the order of a load).
-- One load at a time: the lock queues a second load until the first commits or rolls back.
-- DELETE, not TRUNCATE: on Redshift TRUNCATE commits the open transaction, and a load must stay one
-- transaction from its first statement to its COMMIT so a failure (or a kill) leaves the warehouse as before.

-- name: lock_staging
LOCK stg_home, stg_weather, stg_energy;

-- name: clear_stg_home
DELETE FROM stg_home;

-- name: clear_stg_weather
DELETE FROM stg_weather;

-- name: clear_stg_energy
DELETE FROM stg_energy;
