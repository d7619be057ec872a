-- The operational schema: homes, the devices they report, and one row per home and minute of
-- weather and of device readings. Column names follow smarthome_assets/homec/contract.py
-- (smarthome_assets_tests/database/test_migrations.py checks they stay in step). Applied once, in a transaction, by migrate.py.

CREATE TABLE home (
    house_id        integer     PRIMARY KEY,
    name            text        NOT NULL UNIQUE,
    source_file     text        NOT NULL,
    source_sha256   text,
    first_reading   timestamptz,
    last_reading    timestamptz,
    weather_rows    bigint      NOT NULL DEFAULT 0,
    energy_rows     bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The device dimension: which kW columns a home reports, and what each one is.
CREATE TABLE device (
    house_id    integer NOT NULL REFERENCES home (house_id) ON DELETE CASCADE,
    device      text    NOT NULL,  -- the column in energy_consuming_device, e.g. furnace_1_kw
    name        text    NOT NULL,  -- what people call it, e.g. Furnace 1
    raw_column  text    NOT NULL,  -- the HomeC header, e.g. Furnace 1 [kW]
    unit        text    NOT NULL,
    kind        text    NOT NULL CHECK (kind IN ('aggregate', 'appliance', 'generation')),
    PRIMARY KEY (house_id, device)
);

-- weather and energy_consuming_device carry house_id without a FOREIGN KEY: the per-row trigger it adds
-- more than doubles the bulk load time (docs/DESIGN_NOTES.md). The loader checks instead,
-- in the same transaction, that every loaded house_id is in `home` (database/loading.py).
CREATE TABLE weather (
    house_id             integer          NOT NULL,
    timeframe            timestamptz      NOT NULL,
    time_raw             bigint           NOT NULL,
    temperature          double precision NOT NULL,
    icon                 text,
    humidity             double precision NOT NULL,
    visibility           double precision NOT NULL,
    summary              text,
    apparent_temperature double precision NOT NULL,
    pressure             double precision NOT NULL,
    wind_speed           double precision NOT NULL,
    cloud_cover          double precision NOT NULL,
    wind_bearing         double precision NOT NULL,
    precip_intensity     double precision NOT NULL,
    dew_point            double precision NOT NULL,
    precip_probability   double precision NOT NULL,
    PRIMARY KEY (house_id, timeframe)
);

CREATE TABLE energy_consuming_device (
    house_id         integer          NOT NULL,
    timeframe        timestamptz      NOT NULL,
    time_raw         bigint           NOT NULL,
    use_kw           double precision NOT NULL,
    gen_kw           double precision NOT NULL,
    house_overall_kw double precision NOT NULL,
    dishwasher_kw    double precision NOT NULL,
    furnace_1_kw     double precision NOT NULL,
    furnace_2_kw     double precision NOT NULL,
    home_office_kw   double precision NOT NULL,
    fridge_kw        double precision NOT NULL,
    wine_cellar_kw   double precision NOT NULL,
    garage_door_kw   double precision NOT NULL,
    kitchen_12_kw    double precision NOT NULL,
    kitchen_14_kw    double precision NOT NULL,
    kitchen_38_kw    double precision NOT NULL,
    barn_kw          double precision NOT NULL,
    well_kw          double precision NOT NULL,
    microwave_kw     double precision NOT NULL,
    living_room_kw   double precision NOT NULL,
    solar_kw         double precision NOT NULL,
    PRIMARY KEY (house_id, timeframe)
);

-- The primary keys serve one home's time range; BRIN serves time ranges across all homes at almost
-- no cost (rows arrive in time order).
CREATE INDEX weather_timeframe_brin ON weather USING brin (timeframe);
CREATE INDEX energy_consuming_device_timeframe_brin ON energy_consuming_device USING brin (timeframe);
