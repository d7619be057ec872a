"""The table `smarthome run` ends with: rows per table, quarantined rows and why, time, where things are.

One section per stage, in the data's order through the pipeline (SECTIONS); each is a function
(settings, resources) -> list of (label, value) rows, reading the stores as they are after the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

from smarthome_assets.dashboard import layout as dashboard_layout
from smarthome_assets.exports.layout import DayManifest
from smarthome_assets.exports.reconcile import newest_exported_day
from smarthome_assets.ingestion.landing import current_manifests, merged_reasons
from smarthome_assets.lake import layout as lake_layout
from smarthome_assets.lib.failures import step_failures
from smarthome_assets.settings import Settings
from smarthome_assets.warehouse.loader import table_rows

Section = Callable[[Settings, dict[str, Any]], list[tuple[str, str]]]


def database_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    db = resources["postgres"]
    rows = [("database", db.display_name())]
    with db.connect() as conn, conn.cursor() as cur:
        for table in ("home", "device", "weather", "energy_consuming_device"):
            cur.execute(f"SELECT count(*) FROM {table}")  # fixed table names
            rows.append((table, f"{cur.fetchone()[0]:,} rows"))
    return rows


def source_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    store = resources["object_store"]
    manifests = current_manifests(store)
    rows = [
        (
            m.file,
            f"house {m.house_id}: {m.data_lines:,} lines = {m.staged_rows:,} loaded "
            f"+ {m.quarantined_rows:,} quarantined"
            + (f" + {m.joined_lines:,} continuing multi-line records" if m.joined_lines else ""),
        )
        for m in manifests
    ]
    rows += [("  quarantined", f"{n:,} x {reason}") for reason, n in merged_reasons(manifests).items()]
    rows += [("  quarantine file", store.uri(m.quarantine_key)) for m in manifests if m.quarantine_key]
    rows.append(("object store", store.uri("")))
    return rows


def export_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    store = resources["object_store"]
    newest = newest_exported_day(store)
    manifest = DayManifest.load(store, newest) if newest else None
    if manifest is None:
        return [("exports", "none yet")]
    days = len(store.list_keys("exports/manifests/"))
    rows = [("days exported", f"{days:,} (newest {newest}, exported {manifest.exported_at})")]
    rows += [(f"  {table} {newest}", store.uri(f.key)) for table, f in manifest.files.items()]
    return rows


def warehouse_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    warehouse = resources["warehouse"]
    rows = [("warehouse", f"{warehouse.display_name()} ({warehouse.dialect} dialect)")]
    rows += [(table, f"{n:,} rows") for table, n in table_rows(warehouse, resources["object_store"]).items()]
    return rows


def lake_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    lake = resources["lake"]
    rows = []
    for table in lake_layout.TABLES:
        keys = lake.keys(table)
        rows.append((table, f"{len(keys):,} day files" + (f" ({keys[0]} ...)" if keys else "")))
    rows.append(("lake", lake.store.uri(lake_layout.PREFIX)))
    rows.append(("query it", 'smarthome query "select count(*) from energy"  (DuckDB; Athena on AWS)'))
    return rows


def dashboard_rows(settings: Settings, resources: dict[str, Any]) -> list[tuple[str, str]]:
    page = dashboard_layout.local_page(settings.dashboard_dir)
    if not page.is_file():
        return [("page", f"not rendered yet ({page}); materialize the `dashboard` asset")]
    return [
        ("page", f"{page}  ({page.stat().st_size / 1e6:.2f} MB, opens offline)"),
        ("served at", f"{dashboard_layout.local_url()}  (while `make api` / `smarthome api` runs)"),
        ("images", resources["object_store"].uri(dashboard_layout.PREFIX)),
    ]


#: The summary's sections, in the data's order through the pipeline.
SECTIONS: tuple[tuple[str, Section], ...] = (
    ("PostgreSQL (operational database)", database_rows),
    ("source files", source_rows),
    ("exports (daily CSV files through the API)", export_rows),
    ("warehouse (star schema)", warehouse_rows),
    ("lake (Parquet; DuckDB locally, Athena and Spectrum on AWS)", lake_rows),
    ("dashboard", dashboard_rows),
)


def _table(title: str, rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    width = max(len(label) for label, _ in rows)
    return [f"  {title}"] + [f"    {label.ljust(width)}  {value}" for label, value in rows]


def render(
    settings: Settings,
    resources: dict[str, Any],
    result: dg.ExecuteInProcessResult,
    seconds: float,
    rejected: Sequence[str] = (),
) -> str:
    """`rejected`: the files refused before the run, each as the reader's one line (file, line, column)."""
    status = "succeeded" if result.success and not rejected else "FAILED"
    lines = ["", f"smarthome run {status} in {seconds:.1f}s (run {result.run_id[:8]})"]
    lines += _table("files rejected (nothing of them was kept)", [(line, "") for line in rejected])
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name} ({e.severity.value})"
        for e in result.get_asset_check_evaluations()
        if not e.passed
    ]
    for title, section in SECTIONS:
        try:
            rows = section(settings, resources)
        except Exception as exc:  # a summary must not hide the run's own outcome
            rows = [("unavailable", f"{type(exc).__name__}: {exc}")]
        lines += _table(title, rows)
    if failed_checks:
        lines += _table("checks that did not pass", [(c, "") for c in failed_checks])
    if not result.success:
        failures = step_failures(result.all_events)  # the cause (file, line, column, reason), not Dagster's wrapper
        lines += [f"  step {step} failed: {cause}" for step, cause in failures.items()]
        if not failures:
            lines += [
                f"  run failed: {e.message}" for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"
            ]
    lines.append(f"  Dagster run history: DAGSTER_HOME={settings.dagster_home}; browse it with `make dev`")
    return "\n".join(lines)
