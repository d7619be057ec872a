-- (Numbered 0007 here; databases that ran it as 0006_home_row_counts keep it: database/migrate.py.)
-- Each home's rows per table, kept by every load in the same transaction as its rows (database/loading.py): a
-- load adds what it COPYs and takes off what it deletes. `home.weather_rows` / `energy_rows` are refreshed from
-- here after a load instead of counting the home's whole history (which grew with every year of readings:
-- a day's load of 2 homes took 1.84x longer on three years than on one, bench/history_benchmark.py).
-- One row per table and home: the two tables' loads run on two connections at once, so each changes its
-- own rows and neither waits for the other's lock (two-phase commit).
CREATE TABLE home_rows (
    dataset   text    NOT NULL CHECK (dataset IN ('weather', 'energy')),
    house_id  integer NOT NULL,
    rows      bigint  NOT NULL,
    PRIMARY KEY (dataset, house_id)
);

INSERT INTO home_rows (dataset, house_id, rows)
SELECT 'weather', house_id, count(*) FROM weather GROUP BY house_id
UNION ALL
SELECT 'energy', house_id, count(*) FROM energy_consuming_device GROUP BY house_id;
