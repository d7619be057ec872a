-- The merge step of a load, in Redshift SQL: staging -> dimensions and facts, inside the load's one
-- transaction. Parameters: %(first_key)s and %(last_key)s, the loaded days as yyyymmdd date keys.
-- Facts of exactly those days are deleted and rebuilt from staging, so a re-run replaces, never duplicates.
-- Statements run in file order (warehouse/loader.py); the kW column lists follow homec/contract.py
-- (smarthome_assets_tests/warehouse/test_sql.py checks it).

-- Homes: the latest snapshot of the operational `home` table (type 1: names are overwritten).
-- name: delete_changed_homes
DELETE FROM dim_home USING stg_home WHERE dim_home.house_id = stg_home.house_id;

-- name: insert_homes
INSERT INTO dim_home (house_id, name)
SELECT house_id, name FROM stg_home;

-- Devices: every home reports the 18 HomeC circuits; device_key = house_id * 100 + position in the file.
-- name: delete_home_devices
DELETE FROM dim_device USING stg_home WHERE dim_device.house_id = stg_home.house_id;

-- name: insert_home_devices
INSERT INTO dim_device (device_key, house_id, device, name, kind)
SELECT h.house_id * 100 + d.ordinal, h.house_id, d.device, d.name, d.kind
FROM stg_home AS h
CROSS JOIN (
          SELECT 1 AS ordinal, 'use_kw' AS device, 'use' AS name, 'aggregate' AS kind
          UNION ALL SELECT 2, 'gen_kw', 'gen', 'generation'
          UNION ALL SELECT 3, 'house_overall_kw', 'House overall', 'aggregate'
          UNION ALL SELECT 4, 'dishwasher_kw', 'Dishwasher', 'appliance'
          UNION ALL SELECT 5, 'furnace_1_kw', 'Furnace 1', 'appliance'
          UNION ALL SELECT 6, 'furnace_2_kw', 'Furnace 2', 'appliance'
          UNION ALL SELECT 7, 'home_office_kw', 'Home office', 'appliance'
          UNION ALL SELECT 8, 'fridge_kw', 'Fridge', 'appliance'
          UNION ALL SELECT 9, 'wine_cellar_kw', 'Wine cellar', 'appliance'
          UNION ALL SELECT 10, 'garage_door_kw', 'Garage door', 'appliance'
          UNION ALL SELECT 11, 'kitchen_12_kw', 'Kitchen 12', 'appliance'
          UNION ALL SELECT 12, 'kitchen_14_kw', 'Kitchen 14', 'appliance'
          UNION ALL SELECT 13, 'kitchen_38_kw', 'Kitchen 38', 'appliance'
          UNION ALL SELECT 14, 'barn_kw', 'Barn', 'appliance'
          UNION ALL SELECT 15, 'well_kw', 'Well', 'appliance'
          UNION ALL SELECT 16, 'microwave_kw', 'Microwave', 'appliance'
          UNION ALL SELECT 17, 'living_room_kw', 'Living room', 'appliance'
          UNION ALL SELECT 18, 'solar_kw', 'Solar', 'generation'
) AS d;

-- Days (UTC, like the partitions): added once, never changed.
-- name: insert_new_dates
INSERT INTO dim_date (date_key, full_date, year, month, day_of_month, day_of_week, day_name, is_weekend)
SELECT CAST(TO_CHAR(d.full_date, 'YYYYMMDD') AS INTEGER),
       d.full_date,
       CAST(EXTRACT(YEAR FROM d.full_date) AS SMALLINT),
       CAST(EXTRACT(MONTH FROM d.full_date) AS SMALLINT),
       CAST(EXTRACT(DAY FROM d.full_date) AS SMALLINT),
       CAST(CASE WHEN EXTRACT(DOW FROM d.full_date) = 0 THEN 7 ELSE EXTRACT(DOW FROM d.full_date) END AS SMALLINT),
       TRIM(TO_CHAR(d.full_date, 'Day')),
       EXTRACT(DOW FROM d.full_date) IN (0, 6)
FROM (
          SELECT DISTINCT CAST(timeframe AS DATE) AS full_date FROM stg_energy
          UNION
          SELECT DISTINCT CAST(timeframe AS DATE) FROM stg_weather
) AS d
WHERE NOT EXISTS (SELECT 1 FROM dim_date AS known WHERE known.full_date = d.full_date);

-- Weather conditions (icon x summary): new pairs get the next keys; existing keys never change.
-- name: insert_new_conditions
INSERT INTO dim_weather_condition (condition_key, icon, summary)
SELECT base.max_key + ROW_NUMBER() OVER (ORDER BY n.icon, n.summary), n.icon, n.summary
FROM (
          SELECT DISTINCT COALESCE(icon, 'unknown') AS icon, COALESCE(summary, 'unknown') AS summary
          FROM stg_weather
) AS n
CROSS JOIN (SELECT COALESCE(MAX(condition_key), 0) AS max_key FROM dim_weather_condition) AS base
WHERE NOT EXISTS (
          SELECT 1 FROM dim_weather_condition AS known WHERE known.icon = n.icon AND known.summary = n.summary
);

-- name: delete_energy_minutes
DELETE FROM fact_energy_minute WHERE date_key BETWEEN %(first_key)s AND %(last_key)s;

-- name: delete_device_hours
DELETE FROM fact_device_hourly WHERE date_key BETWEEN %(first_key)s AND %(last_key)s;

-- name: delete_weather_hours
DELETE FROM fact_weather_hourly WHERE date_key BETWEEN %(first_key)s AND %(last_key)s;

-- One row per home and minute: the readings with the minute's weather condition and temperature.
-- name: insert_energy_minutes
INSERT INTO fact_energy_minute (house_id, date_key, timeframe, condition_key, temperature, use_kw, gen_kw, house_overall_kw, dishwasher_kw, furnace_1_kw, furnace_2_kw, home_office_kw, fridge_kw, wine_cellar_kw, garage_door_kw, kitchen_12_kw, kitchen_14_kw, kitchen_38_kw, barn_kw, well_kw, microwave_kw, living_room_kw, solar_kw)
SELECT e.house_id,
       CAST(TO_CHAR(e.timeframe, 'YYYYMMDD') AS INTEGER),
       e.timeframe,
       w.condition_key,
       w.temperature,
       e.use_kw,
       e.gen_kw,
       e.house_overall_kw,
       e.dishwasher_kw,
       e.furnace_1_kw,
       e.furnace_2_kw,
       e.home_office_kw,
       e.fridge_kw,
       e.wine_cellar_kw,
       e.garage_door_kw,
       e.kitchen_12_kw,
       e.kitchen_14_kw,
       e.kitchen_38_kw,
       e.barn_kw,
       e.well_kw,
       e.microwave_kw,
       e.living_room_kw,
       e.solar_kw
FROM stg_energy AS e
LEFT JOIN (
          SELECT s.house_id, s.timeframe, s.temperature, c.condition_key
          FROM stg_weather AS s
          JOIN dim_weather_condition AS c
            ON c.icon = COALESCE(s.icon, 'unknown') AND c.summary = COALESCE(s.summary, 'unknown')
) AS w ON w.house_id = e.house_id AND w.timeframe = e.timeframe;

-- One row per home and hour: hourly means, and the condition seen in most of the hour's minutes.
-- Sums and means add integers (values in units of 1e-9, rounded), which is exact, so they do not depend on
-- the order the rows arrive in: a reload gives the same values to the last bit (floating-point sums would
-- not). DECIMAL would do too but is three times slower to aggregate.
-- name: insert_weather_hours
INSERT INTO fact_weather_hourly (house_id, date_key, hour_start, condition_key, temperature, apparent_temperature,
                                 humidity, cloud_cover, wind_speed, precip_intensity, minutes)
SELECT a.house_id,
       CAST(TO_CHAR(a.hour_start, 'YYYYMMDD') AS INTEGER),
       a.hour_start,
       m.condition_key,
       a.temperature,
       a.apparent_temperature,
       a.humidity,
       a.cloud_cover,
       a.wind_speed,
       a.precip_intensity,
       a.minutes
FROM (
          SELECT house_id, DATE_TRUNC('hour', timeframe) AS hour_start,
                 CAST(SUM(CAST(ROUND(temperature * 1000000000) AS BIGINT)) AS DOUBLE PRECISION)
                     / 1000000000 / NULLIF(COUNT(temperature), 0) AS temperature,
                 CAST(SUM(CAST(ROUND(apparent_temperature * 1000000000) AS BIGINT)) AS DOUBLE PRECISION)
                     / 1000000000 / NULLIF(COUNT(apparent_temperature), 0) AS apparent_temperature,
                 CAST(SUM(CAST(ROUND(humidity * 1000000000) AS BIGINT)) AS DOUBLE PRECISION)
                     / 1000000000 / NULLIF(COUNT(humidity), 0) AS humidity,
                 CAST(SUM(CAST(ROUND(cloud_cover * 1000000000) AS BIGINT)) AS DOUBLE PRECISION)
                     / 1000000000 / NULLIF(COUNT(cloud_cover), 0) AS cloud_cover,
                 CAST(SUM(CAST(ROUND(wind_speed * 1000000000) AS BIGINT)) AS DOUBLE PRECISION)
                     / 1000000000 / NULLIF(COUNT(wind_speed), 0) AS wind_speed,
                 CAST(SUM(CAST(ROUND(precip_intensity * 1000000000) AS BIGINT)) AS DOUBLE PRECISION)
                     / 1000000000 / NULLIF(COUNT(precip_intensity), 0) AS precip_intensity,
                 COUNT(*) AS minutes
          FROM stg_weather
          GROUP BY 1, 2
) AS a
LEFT JOIN (
          SELECT house_id, hour_start, condition_key
          FROM (
                    SELECT house_id, hour_start, condition_key,
                           ROW_NUMBER() OVER (PARTITION BY house_id, hour_start
                                              ORDER BY minutes DESC, condition_key) AS pick
                    FROM (
                              SELECT s.house_id, DATE_TRUNC('hour', s.timeframe) AS hour_start, c.condition_key,
                                     COUNT(*) AS minutes
                              FROM stg_weather AS s
                              JOIN dim_weather_condition AS c
                                ON c.icon = COALESCE(s.icon, 'unknown') AND c.summary = COALESCE(s.summary, 'unknown')
                              GROUP BY 1, 2, 3
                    ) AS counted
          ) AS ranked
          WHERE pick = 1
) AS m ON m.house_id = a.house_id AND m.hour_start = a.hour_start;

-- One row per home, device and hour: energy (kWh = sum of per-minute kW / 60), mean and peak power,
-- with the hour's weather. Aggregated per hour first (exact integer sums, as above), then unpivoted by the
-- home's 18 devices.
-- name: insert_device_hours
INSERT INTO fact_device_hourly (house_id, device_key, date_key, hour_start, kwh, avg_kw, max_kw, minutes,
                                condition_key, avg_temperature)
SELECT u.house_id,
       u.device_key,
       u.date_key,
       u.hour_start,
       CAST(u.kw_sum AS DOUBLE PRECISION) / 1000000000 / 60,
       CAST(u.kw_sum AS DOUBLE PRECISION) / 1000000000 / u.minutes,
       u.kw_max,
       u.minutes,
       wh.condition_key,
       wh.temperature
FROM (
          SELECT h.house_id, d.device_key, h.date_key, h.hour_start, h.minutes,
                 CASE d.device
                      WHEN 'use_kw' THEN h.use_kw_sum
                      WHEN 'gen_kw' THEN h.gen_kw_sum
                      WHEN 'house_overall_kw' THEN h.house_overall_kw_sum
                      WHEN 'dishwasher_kw' THEN h.dishwasher_kw_sum
                      WHEN 'furnace_1_kw' THEN h.furnace_1_kw_sum
                      WHEN 'furnace_2_kw' THEN h.furnace_2_kw_sum
                      WHEN 'home_office_kw' THEN h.home_office_kw_sum
                      WHEN 'fridge_kw' THEN h.fridge_kw_sum
                      WHEN 'wine_cellar_kw' THEN h.wine_cellar_kw_sum
                      WHEN 'garage_door_kw' THEN h.garage_door_kw_sum
                      WHEN 'kitchen_12_kw' THEN h.kitchen_12_kw_sum
                      WHEN 'kitchen_14_kw' THEN h.kitchen_14_kw_sum
                      WHEN 'kitchen_38_kw' THEN h.kitchen_38_kw_sum
                      WHEN 'barn_kw' THEN h.barn_kw_sum
                      WHEN 'well_kw' THEN h.well_kw_sum
                      WHEN 'microwave_kw' THEN h.microwave_kw_sum
                      WHEN 'living_room_kw' THEN h.living_room_kw_sum
                      WHEN 'solar_kw' THEN h.solar_kw_sum
                 END AS kw_sum,
                 CASE d.device
                      WHEN 'use_kw' THEN h.use_kw_max
                      WHEN 'gen_kw' THEN h.gen_kw_max
                      WHEN 'house_overall_kw' THEN h.house_overall_kw_max
                      WHEN 'dishwasher_kw' THEN h.dishwasher_kw_max
                      WHEN 'furnace_1_kw' THEN h.furnace_1_kw_max
                      WHEN 'furnace_2_kw' THEN h.furnace_2_kw_max
                      WHEN 'home_office_kw' THEN h.home_office_kw_max
                      WHEN 'fridge_kw' THEN h.fridge_kw_max
                      WHEN 'wine_cellar_kw' THEN h.wine_cellar_kw_max
                      WHEN 'garage_door_kw' THEN h.garage_door_kw_max
                      WHEN 'kitchen_12_kw' THEN h.kitchen_12_kw_max
                      WHEN 'kitchen_14_kw' THEN h.kitchen_14_kw_max
                      WHEN 'kitchen_38_kw' THEN h.kitchen_38_kw_max
                      WHEN 'barn_kw' THEN h.barn_kw_max
                      WHEN 'well_kw' THEN h.well_kw_max
                      WHEN 'microwave_kw' THEN h.microwave_kw_max
                      WHEN 'living_room_kw' THEN h.living_room_kw_max
                      WHEN 'solar_kw' THEN h.solar_kw_max
                 END AS kw_max
          FROM (
                    SELECT house_id, date_key, DATE_TRUNC('hour', timeframe) AS hour_start, COUNT(*) AS minutes,
                           SUM(CAST(ROUND(use_kw * 1000000000) AS BIGINT)) AS use_kw_sum, MAX(use_kw) AS use_kw_max,
                           SUM(CAST(ROUND(gen_kw * 1000000000) AS BIGINT)) AS gen_kw_sum, MAX(gen_kw) AS gen_kw_max,
                           SUM(CAST(ROUND(house_overall_kw * 1000000000) AS BIGINT)) AS house_overall_kw_sum, MAX(house_overall_kw) AS house_overall_kw_max,
                           SUM(CAST(ROUND(dishwasher_kw * 1000000000) AS BIGINT)) AS dishwasher_kw_sum, MAX(dishwasher_kw) AS dishwasher_kw_max,
                           SUM(CAST(ROUND(furnace_1_kw * 1000000000) AS BIGINT)) AS furnace_1_kw_sum, MAX(furnace_1_kw) AS furnace_1_kw_max,
                           SUM(CAST(ROUND(furnace_2_kw * 1000000000) AS BIGINT)) AS furnace_2_kw_sum, MAX(furnace_2_kw) AS furnace_2_kw_max,
                           SUM(CAST(ROUND(home_office_kw * 1000000000) AS BIGINT)) AS home_office_kw_sum, MAX(home_office_kw) AS home_office_kw_max,
                           SUM(CAST(ROUND(fridge_kw * 1000000000) AS BIGINT)) AS fridge_kw_sum, MAX(fridge_kw) AS fridge_kw_max,
                           SUM(CAST(ROUND(wine_cellar_kw * 1000000000) AS BIGINT)) AS wine_cellar_kw_sum, MAX(wine_cellar_kw) AS wine_cellar_kw_max,
                           SUM(CAST(ROUND(garage_door_kw * 1000000000) AS BIGINT)) AS garage_door_kw_sum, MAX(garage_door_kw) AS garage_door_kw_max,
                           SUM(CAST(ROUND(kitchen_12_kw * 1000000000) AS BIGINT)) AS kitchen_12_kw_sum, MAX(kitchen_12_kw) AS kitchen_12_kw_max,
                           SUM(CAST(ROUND(kitchen_14_kw * 1000000000) AS BIGINT)) AS kitchen_14_kw_sum, MAX(kitchen_14_kw) AS kitchen_14_kw_max,
                           SUM(CAST(ROUND(kitchen_38_kw * 1000000000) AS BIGINT)) AS kitchen_38_kw_sum, MAX(kitchen_38_kw) AS kitchen_38_kw_max,
                           SUM(CAST(ROUND(barn_kw * 1000000000) AS BIGINT)) AS barn_kw_sum, MAX(barn_kw) AS barn_kw_max,
                           SUM(CAST(ROUND(well_kw * 1000000000) AS BIGINT)) AS well_kw_sum, MAX(well_kw) AS well_kw_max,
                           SUM(CAST(ROUND(microwave_kw * 1000000000) AS BIGINT)) AS microwave_kw_sum, MAX(microwave_kw) AS microwave_kw_max,
                           SUM(CAST(ROUND(living_room_kw * 1000000000) AS BIGINT)) AS living_room_kw_sum, MAX(living_room_kw) AS living_room_kw_max,
                           SUM(CAST(ROUND(solar_kw * 1000000000) AS BIGINT)) AS solar_kw_sum, MAX(solar_kw) AS solar_kw_max
                    FROM fact_energy_minute
                    WHERE date_key BETWEEN %(first_key)s AND %(last_key)s
                    GROUP BY 1, 2, 3
          ) AS h
          JOIN dim_device AS d ON d.house_id = h.house_id
) AS u
LEFT JOIN fact_weather_hourly AS wh ON wh.house_id = u.house_id AND wh.hour_start = u.hour_start;
