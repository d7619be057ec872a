-- Weather against use: per home and UTC day, the mean outdoor temperature (F) and humidity beside the day's kWh.
-- params: first_day, last_day
-- DuckDB: `smarthome query --named weather_vs_use 2016-01-01 2016-12-31`; Athena: execution parameters
-- '2016-01-01', '2016-12-31'. Both sides are read for those days only (the join carries the date filter).
SELECT
    e.house_id,
    e."date",
    round(avg(w.temperature), 2) AS avg_temperature_f,
    round(avg(w.humidity), 3) AS avg_humidity,
    round(sum(e.use_kw) / 60, 3) AS use_kwh,
    count(*) AS minutes
FROM energy AS e
JOIN weather AS w
    ON w.house_id = e.house_id AND w.timeframe = e.timeframe AND w."date" = e."date"
WHERE e."date" BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
GROUP BY e.house_id, e."date"
ORDER BY e.house_id, e."date"
