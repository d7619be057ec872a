-- A month's per-hour profile: mean whole-house kW and kWh by local hour of day (America/New_York), per home.
-- params: first_day, last_day
-- DuckDB: `smarthome query --named month_hourly_profile 2016-03-01 2016-03-31`; Athena: execution parameters
-- '2016-03-01', '2016-03-31'. Only that month's files are read (the filter is on the partition column).
SELECT
    house_id,
    hour(timeframe AT TIME ZONE 'America/New_York') AS local_hour,
    count(*) AS minutes,
    round(avg(use_kw), 4) AS avg_kw,
    round(sum(use_kw) / 60, 3) AS kwh
FROM energy
WHERE "date" BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
GROUP BY house_id, hour(timeframe AT TIME ZONE 'America/New_York')
ORDER BY house_id, local_hour
