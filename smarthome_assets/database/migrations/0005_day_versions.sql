-- A version per dataset and UTC day of the readings, so the API can cache a past day's answer and know when
-- it is out of date (lambda_api/cache.py). The loader (database/loading.py) gives every day it replaces a new
-- random version in the same transaction as the rows, so a reader that sees the new version sees the new rows.
-- Any other write to the two tables (a statement the loader did not mark) gives the dataset's `infinity` row a
-- new version instead, which every cached answer of that dataset depends on: nothing is ever served from
-- before such a write either. Random versions never repeat, even after a restore from a backup.

CREATE TABLE day_version (
    dataset text NOT NULL CHECK (dataset IN ('weather', 'energy')),
    day     date NOT NULL,
    version uuid NOT NULL DEFAULT gen_random_uuid(),
    PRIMARY KEY (dataset, day)
);

-- Rows loaded before this migration are covered by the `infinity` rows, created here.
INSERT INTO day_version (dataset, day) VALUES ('weather', 'infinity'), ('energy', 'infinity');

CREATE FUNCTION day_version_after_unmarked_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('smarthome.versioned_load', true), '') <> 'on' THEN
        UPDATE day_version SET version = gen_random_uuid() WHERE dataset = TG_ARGV[0] AND day = 'infinity';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER weather_day_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON weather
    FOR EACH STATEMENT EXECUTE FUNCTION day_version_after_unmarked_write('weather');
CREATE TRIGGER energy_day_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON energy_consuming_device
    FOR EACH STATEMENT EXECUTE FUNCTION day_version_after_unmarked_write('energy');

GRANT SELECT ON day_version TO smarthome_api_reader;
