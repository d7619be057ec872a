-- The warehouse schema, in Redshift SQL. Run statement by statement by warehouse/loader.py; on the
-- local `postgres` dialect the Redshift-only clauses (BACKUP NO, DISTSTYLE, DISTKEY, SORTKEY, ENCODE) are
-- translated by warehouse/dialect.py. Column names follow homec/contract.py and the export CSV headers
-- (smarthome_assets_tests/warehouse/test_sql.py checks they stay in step). docs/WAREHOUSE.md describes every table.
--
-- Staging tables hold the rows of the last load only (BACKUP NO: they are rebuilt from the exports).
-- Dimensions are small and copied to every node (DISTSTYLE ALL); facts are distributed by home and
-- sorted by day, so a chart of one home's days reads one slice's sorted blocks and a reload of days
-- deletes a contiguous range.

-- name: create_stg_home
CREATE TABLE IF NOT EXISTS stg_home (
    house_id               INTEGER      NOT NULL,
    name                   VARCHAR(256) NOT NULL,
    first_reading          TIMESTAMPTZ,
    last_reading           TIMESTAMPTZ,
    weather_rows           BIGINT,
    energy_rows            BIGINT,
    updated_at             TIMESTAMPTZ
)
BACKUP NO
DISTSTYLE ALL;

-- name: create_stg_weather
CREATE TABLE IF NOT EXISTS stg_weather (
    house_id               INTEGER NOT NULL,
    timeframe              TIMESTAMPTZ NOT NULL,
    time_raw               BIGINT NOT NULL,
    temperature            DOUBLE PRECISION,
    icon                   VARCHAR(64),
    humidity               DOUBLE PRECISION,
    visibility             DOUBLE PRECISION,
    summary                VARCHAR(64),
    apparent_temperature   DOUBLE PRECISION,
    pressure               DOUBLE PRECISION,
    wind_speed             DOUBLE PRECISION,
    cloud_cover            DOUBLE PRECISION,
    wind_bearing           DOUBLE PRECISION,
    precip_intensity       DOUBLE PRECISION,
    dew_point              DOUBLE PRECISION,
    precip_probability     DOUBLE PRECISION
)
BACKUP NO
DISTSTYLE KEY
DISTKEY (house_id);

-- name: create_stg_energy
CREATE TABLE IF NOT EXISTS stg_energy (
    house_id               INTEGER NOT NULL,
    timeframe              TIMESTAMPTZ NOT NULL,
    time_raw               BIGINT NOT NULL,
    use_kw                 DOUBLE PRECISION,
    gen_kw                 DOUBLE PRECISION,
    house_overall_kw       DOUBLE PRECISION,
    dishwasher_kw          DOUBLE PRECISION,
    furnace_1_kw           DOUBLE PRECISION,
    furnace_2_kw           DOUBLE PRECISION,
    home_office_kw         DOUBLE PRECISION,
    fridge_kw              DOUBLE PRECISION,
    wine_cellar_kw         DOUBLE PRECISION,
    garage_door_kw         DOUBLE PRECISION,
    kitchen_12_kw          DOUBLE PRECISION,
    kitchen_14_kw          DOUBLE PRECISION,
    kitchen_38_kw          DOUBLE PRECISION,
    barn_kw                DOUBLE PRECISION,
    well_kw                DOUBLE PRECISION,
    microwave_kw           DOUBLE PRECISION,
    living_room_kw         DOUBLE PRECISION,
    solar_kw               DOUBLE PRECISION
)
BACKUP NO
DISTSTYLE KEY
DISTKEY (house_id);

-- name: create_dim_home
CREATE TABLE IF NOT EXISTS dim_home (
    house_id               INTEGER      NOT NULL,
    name                   VARCHAR(256) NOT NULL,
    PRIMARY KEY (house_id)
)
DISTSTYLE ALL
SORTKEY (house_id);

-- device_key = house_id * 100 + the device's position in the HomeC file (1..18): stable across reloads.
-- name: create_dim_device
CREATE TABLE IF NOT EXISTS dim_device (
    device_key             INTEGER      NOT NULL,
    house_id               INTEGER      NOT NULL,
    device                 VARCHAR(32)  NOT NULL,
    name                   VARCHAR(64)  NOT NULL,
    kind                   VARCHAR(16)  NOT NULL,
    PRIMARY KEY (device_key)
)
DISTSTYLE ALL
SORTKEY (device_key);

-- name: create_dim_date
CREATE TABLE IF NOT EXISTS dim_date (
    date_key               INTEGER      NOT NULL,
    full_date              DATE         NOT NULL,
    year                   SMALLINT     NOT NULL,
    month                  SMALLINT     NOT NULL,
    day_of_month           SMALLINT     NOT NULL,
    day_of_week            SMALLINT     NOT NULL,
    day_name               VARCHAR(9)   NOT NULL,
    is_weekend             BOOLEAN      NOT NULL,
    PRIMARY KEY (date_key)
)
DISTSTYLE ALL
SORTKEY (date_key);

-- name: create_dim_weather_condition
CREATE TABLE IF NOT EXISTS dim_weather_condition (
    condition_key          INTEGER      NOT NULL,
    icon                   VARCHAR(64)  NOT NULL,
    summary                VARCHAR(64)  NOT NULL,
    PRIMARY KEY (condition_key)
)
DISTSTYLE ALL
SORTKEY (condition_key);

-- The minute fact has no PRIMARY KEY: it is by far the biggest table, Redshift would not enforce the key,
-- and locally its index cost a third of the merge. (house_id, timeframe) is unique by construction (days
-- are deleted before they are inserted, from staging checked against the exports) and checked after every
-- load (`unique_minutes`).
-- name: create_fact_energy_minute
CREATE TABLE IF NOT EXISTS fact_energy_minute (
    house_id               INTEGER NOT NULL,
    date_key               INTEGER NOT NULL,
    timeframe              TIMESTAMPTZ NOT NULL,
    condition_key          INTEGER,
    temperature            DOUBLE PRECISION,
    use_kw                 DOUBLE PRECISION NOT NULL,
    gen_kw                 DOUBLE PRECISION NOT NULL,
    house_overall_kw       DOUBLE PRECISION NOT NULL,
    dishwasher_kw          DOUBLE PRECISION NOT NULL,
    furnace_1_kw           DOUBLE PRECISION NOT NULL,
    furnace_2_kw           DOUBLE PRECISION NOT NULL,
    home_office_kw         DOUBLE PRECISION NOT NULL,
    fridge_kw              DOUBLE PRECISION NOT NULL,
    wine_cellar_kw         DOUBLE PRECISION NOT NULL,
    garage_door_kw         DOUBLE PRECISION NOT NULL,
    kitchen_12_kw          DOUBLE PRECISION NOT NULL,
    kitchen_14_kw          DOUBLE PRECISION NOT NULL,
    kitchen_38_kw          DOUBLE PRECISION NOT NULL,
    barn_kw                DOUBLE PRECISION NOT NULL,
    well_kw                DOUBLE PRECISION NOT NULL,
    microwave_kw           DOUBLE PRECISION NOT NULL,
    living_room_kw         DOUBLE PRECISION NOT NULL,
    solar_kw               DOUBLE PRECISION NOT NULL
)
DISTSTYLE KEY
DISTKEY (house_id)
COMPOUND SORTKEY (date_key, house_id);

-- name: create_fact_device_hourly
CREATE TABLE IF NOT EXISTS fact_device_hourly (
    house_id               INTEGER          NOT NULL,
    device_key             INTEGER          NOT NULL,
    date_key               INTEGER          NOT NULL,
    hour_start             TIMESTAMPTZ      NOT NULL,
    kwh                    DOUBLE PRECISION NOT NULL,
    avg_kw                 DOUBLE PRECISION NOT NULL,
    max_kw                 DOUBLE PRECISION NOT NULL,
    minutes                SMALLINT         NOT NULL,
    condition_key          INTEGER,
    avg_temperature        DOUBLE PRECISION,
    PRIMARY KEY (device_key, hour_start)
)
DISTSTYLE KEY
DISTKEY (house_id)
COMPOUND SORTKEY (date_key, house_id);

-- name: create_fact_weather_hourly
CREATE TABLE IF NOT EXISTS fact_weather_hourly (
    house_id               INTEGER          NOT NULL,
    date_key               INTEGER          NOT NULL,
    hour_start             TIMESTAMPTZ      NOT NULL,
    condition_key          INTEGER,
    temperature            DOUBLE PRECISION,
    apparent_temperature   DOUBLE PRECISION,
    humidity               DOUBLE PRECISION,
    cloud_cover            DOUBLE PRECISION,
    wind_speed             DOUBLE PRECISION,
    precip_intensity       DOUBLE PRECISION,
    minutes                SMALLINT         NOT NULL,
    PRIMARY KEY (house_id, hour_start)
)
DISTSTYLE KEY
DISTKEY (house_id)
COMPOUND SORTKEY (date_key, house_id);
