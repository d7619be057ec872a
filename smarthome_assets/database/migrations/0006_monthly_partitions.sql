-- The per-minute tables, partitioned by month of `timeframe` (UTC), so that loads and the API's reads stay flat
-- as the years add up: a day's load or read touches one month's table and its indexes, a month's statistics
-- are refreshed on their own, and an old month can be detached or dropped whole. Each partition keeps the
-- primary key (house_id, timeframe) and the BRIN index on timeframe. Measured in docs/SCALE.md
-- (bench/history_benchmark.py: a 3-year, 10-home load).
--
-- Partitions are created on demand by `ensure_month_partitions(first, last)`, which every load calls for its
-- days (database/loading.py); a row outside every partition is refused, never stored in a catch-all.
-- Rows already loaded move into their months here, once. Migration 0005's day_version triggers went with the old
-- tables; the partitioned tables get them again after the move (the rows did not change, so no version does).
-- Numbered 0006 here; databases that ran it as 0005_monthly_partitions keep it (database/migrate.py).

CREATE FUNCTION ensure_month_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first_day)::date;
    created integer := 0;
    parent text;
    name text;
BEGIN
    WHILE month <= last_day LOOP
        FOREACH parent IN ARRAY ARRAY['weather', 'energy_consuming_device'] LOOP
            name := format('%s_%s', parent, to_char(month, '"y"YYYY"m"MM'));
            IF to_regclass(name) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                    name, parent,
                    (month::timestamp AT TIME ZONE 'UTC'),
                    ((month + interval '1 month')::timestamp AT TIME ZONE 'UTC')
                );
                created := created + 1;
            END IF;
        END LOOP;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

ALTER TABLE weather RENAME TO weather_unpartitioned;
ALTER TABLE weather_unpartitioned RENAME CONSTRAINT weather_pkey TO weather_unpartitioned_pkey;
ALTER INDEX weather_timeframe_brin RENAME TO weather_unpartitioned_timeframe_brin;
ALTER TABLE energy_consuming_device RENAME TO energy_consuming_device_unpartitioned;
ALTER TABLE energy_consuming_device_unpartitioned
    RENAME CONSTRAINT energy_consuming_device_pkey TO energy_consuming_device_unpartitioned_pkey;
ALTER INDEX energy_consuming_device_timeframe_brin RENAME TO energy_consuming_device_unpartitioned_timeframe_brin;

-- Same columns, defaults and CHECK constraints (migration 0003's text widths) as before.
CREATE TABLE weather (LIKE weather_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (timeframe);
ALTER TABLE weather ADD PRIMARY KEY (house_id, timeframe);
CREATE INDEX weather_timeframe_brin ON weather USING brin (timeframe);

CREATE TABLE energy_consuming_device (LIKE energy_consuming_device_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (timeframe);
ALTER TABLE energy_consuming_device ADD PRIMARY KEY (house_id, timeframe);
CREATE INDEX energy_consuming_device_timeframe_brin ON energy_consuming_device USING brin (timeframe);

SELECT ensure_month_partitions(min(first_day), max(last_day))
FROM (
    SELECT (min(timeframe) AT TIME ZONE 'UTC')::date AS first_day, (max(timeframe) AT TIME ZONE 'UTC')::date AS last_day
    FROM weather_unpartitioned
    UNION ALL
    SELECT (min(timeframe) AT TIME ZONE 'UTC')::date, (max(timeframe) AT TIME ZONE 'UTC')::date
    FROM energy_consuming_device_unpartitioned
) AS loaded
HAVING min(first_day) IS NOT NULL;

INSERT INTO weather SELECT * FROM weather_unpartitioned;
INSERT INTO energy_consuming_device SELECT * FROM energy_consuming_device_unpartitioned;
DROP TABLE weather_unpartitioned;
DROP TABLE energy_consuming_device_unpartitioned;

CREATE TRIGGER weather_day_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON weather
    FOR EACH STATEMENT EXECUTE FUNCTION day_version_after_unmarked_write('weather');
CREATE TRIGGER energy_day_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON energy_consuming_device
    FOR EACH STATEMENT EXECUTE FUNCTION day_version_after_unmarked_write('energy');

-- The API's read-only role reads the partitions through their parent (migration 0002 granted the old tables).
GRANT SELECT ON weather, energy_consuming_device TO smarthome_api_reader;
