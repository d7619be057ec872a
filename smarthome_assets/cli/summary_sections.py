"""The ingestion sections of the run summary (other domains register theirs in their own modules;
summary.SECTION_MODULES sets the order)."""

from __future__ import annotations

from smarthome_assets.cli.summary import section
from smarthome_assets.ingestion.assets import current_manifests
from smarthome_assets.ingestion.checks import merged_reasons


@section("PostgreSQL (operational database)")
def database_rows(settings, resources):
    db = resources["postgres"]
    rows = [("database", db.display_name())]
    with db.connect() as conn, conn.cursor() as cur:
        for table in ("home", "device", "weather", "energy_consuming_device"):
            cur.execute(f"SELECT count(*) FROM {table}")  # fixed table names
            rows.append((table, f"{cur.fetchone()[0]:,} rows"))
    return rows


@section("source files")
def sources(settings, resources):
    store = resources["object_store"]
    rows = []
    for m in current_manifests(store):
        rows.append(
            (
                m.file,
                f"house {m.house_id}: {m.data_lines:,} lines = {m.staged_rows:,} loaded "
                f"+ {m.quarantined_rows:,} quarantined",
            )
        )
    for reason, n in merged_reasons(current_manifests(store)).items():
        rows.append(("  quarantined", f"{n:,} x {reason}"))
    for m in current_manifests(store):
        if m.quarantine_key:
            rows.append(("  quarantine file", store.uri(m.quarantine_key)))
    rows.append(("object store", store.uri("")))
    return rows
