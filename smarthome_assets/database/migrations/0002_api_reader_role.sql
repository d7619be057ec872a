-- The role the API Lambda logs in as: it may read the four served tables and nothing else.
-- Roles belong to the whole cluster while this migration runs once per database, so creating the role
-- tolerates its existing already (also when another database's migration creates it at the same moment).
-- Its password (or IAM authentication) is set by whoever deploys: see docs/API.md.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'smarthome_api_reader') THEN
        BEGIN
            CREATE ROLE smarthome_api_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
            ALTER ROLE smarthome_api_reader SET default_transaction_read_only = on;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently by a migration of another database
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO smarthome_api_reader', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO smarthome_api_reader;
GRANT SELECT ON home, device, weather, energy_consuming_device TO smarthome_api_reader;
