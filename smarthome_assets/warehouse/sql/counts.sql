-- Read-only queries of the reconciliation checks and the run summary, in Redshift SQL.
-- Parameters: %(first_key)s and %(last_key)s, a day range as yyyymmdd date keys.

-- Rows the load's COPY put in staging, per UTC day: compared with the export manifests before merging.
-- name: staged_weather_per_day
SELECT CAST(TO_CHAR(timeframe, 'YYYYMMDD') AS INTEGER) AS date_key, COUNT(*) FROM stg_weather GROUP BY 1;

-- name: staged_energy_per_day
SELECT CAST(TO_CHAR(timeframe, 'YYYYMMDD') AS INTEGER) AS date_key, COUNT(*) FROM stg_energy GROUP BY 1;

-- Minutes of weather in the warehouse per day (the hourly facts count the minutes they summarise).
-- name: weather_minutes_per_day
SELECT date_key, SUM(minutes) FROM fact_weather_hourly
WHERE date_key BETWEEN %(first_key)s AND %(last_key)s GROUP BY 1;

-- name: energy_minutes_per_day
SELECT date_key, COUNT(*) FROM fact_energy_minute
WHERE date_key BETWEEN %(first_key)s AND %(last_key)s GROUP BY 1;

-- sum(use_kw) of the minute fact per day: the lake's agreement check compares it with the lake and PostgreSQL.
-- name: use_kw_per_day
SELECT date_key, SUM(use_kw) FROM fact_energy_minute
WHERE date_key BETWEEN %(first_key)s AND %(last_key)s GROUP BY 1;

-- Minutes and sum(use_kw) per month over the whole fact (the dashboard's table of the three stores).
-- name: energy_per_month
SELECT date_key / 100 AS month_key, COUNT(*), SUM(use_kw) FROM fact_energy_minute GROUP BY 1;

-- Device-minutes summarised by the hourly device facts: 18 per energy minute when nothing was lost.
-- name: device_minutes_per_day
SELECT date_key, SUM(minutes) FROM fact_device_hourly
WHERE date_key BETWEEN %(first_key)s AND %(last_key)s GROUP BY 1;

-- (house_id, timeframe) is the minute fact's key; Redshift does not enforce keys, so this is checked.
-- name: duplicate_energy_minutes
SELECT COUNT(*) FROM (
          SELECT house_id, timeframe FROM fact_energy_minute
          WHERE date_key BETWEEN %(first_key)s AND %(last_key)s
          GROUP BY 1, 2 HAVING COUNT(*) > 1
) AS duplicates;

-- name: table_rows
SELECT 'dim_home', COUNT(*) FROM dim_home
UNION ALL SELECT 'dim_device', COUNT(*) FROM dim_device
UNION ALL SELECT 'dim_date', COUNT(*) FROM dim_date
UNION ALL SELECT 'dim_weather_condition', COUNT(*) FROM dim_weather_condition
UNION ALL SELECT 'fact_energy_minute', COUNT(*) FROM fact_energy_minute
UNION ALL SELECT 'fact_device_hourly', COUNT(*) FROM fact_device_hourly
UNION ALL SELECT 'fact_weather_hourly', COUNT(*) FROM fact_weather_hourly;

-- name: loaded_day_range
SELECT MIN(date_key), MAX(date_key) FROM fact_energy_minute;
