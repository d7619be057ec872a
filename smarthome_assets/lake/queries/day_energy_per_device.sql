-- A day's energy per device and home, in kWh (each reading is one minute's mean kW, so kWh = sum(kW) / 60).
-- params: day
-- Runs as written on DuckDB (`smarthome query --named day_energy_per_device 2016-03-01`) and on Athena
-- (named query `day_energy_per_device`, execution parameter '2016-03-01'). The day is a UTC day, like `date`.
SELECT
    house_id,
    count(*) AS minutes,
    round(sum(use_kw) / 60, 3) AS use_kwh,
    round(sum(gen_kw) / 60, 3) AS gen_kwh,
    round(sum(dishwasher_kw) / 60, 3) AS dishwasher_kwh,
    round(sum(furnace_1_kw) / 60, 3) AS furnace_1_kwh,
    round(sum(furnace_2_kw) / 60, 3) AS furnace_2_kwh,
    round(sum(home_office_kw) / 60, 3) AS home_office_kwh,
    round(sum(fridge_kw) / 60, 3) AS fridge_kwh,
    round(sum(wine_cellar_kw) / 60, 3) AS wine_cellar_kwh,
    round(sum(garage_door_kw) / 60, 3) AS garage_door_kwh,
    round(sum(kitchen_12_kw) / 60, 3) AS kitchen_12_kwh,
    round(sum(kitchen_14_kw) / 60, 3) AS kitchen_14_kwh,
    round(sum(kitchen_38_kw) / 60, 3) AS kitchen_38_kwh,
    round(sum(barn_kw) / 60, 3) AS barn_kwh,
    round(sum(well_kw) / 60, 3) AS well_kwh,
    round(sum(microwave_kw) / 60, 3) AS microwave_kwh,
    round(sum(living_room_kw) / 60, 3) AS living_room_kwh
FROM energy
WHERE "date" = CAST(? AS DATE)
GROUP BY house_id
ORDER BY house_id
