-- The commit decisions of two-phase loads (database/loading.py). A load COPYs `weather` and
-- `energy_consuming_device` on two connections at once, PREPAREs both transactions, records its decision here
-- in one small transaction, then COMMITs both PREPAREd transactions and deletes the record. A process that
-- dies in between leaves prepared transactions behind; the next load commits those with a decision and
-- rolls back the others, so both tables always move together.
CREATE TABLE load_decision (
    load_id     text        PRIMARY KEY,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
