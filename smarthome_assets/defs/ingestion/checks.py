"""Asset checks of the ingestion assets, and the tables they show in the UI.

Checks run inside the ingestion pass (check specs on its multi-asset) because they use what it just
measured; blocking ones stop what follows, for the cases where loading would be worse than stopping: lost
rows, duplicate or null keys, counts that do not reconcile.
"""

from __future__ import annotations

import dagster as dg

from smarthome_assets.database import queries
from smarthome_assets.database.counts import HomeDayCounts
from smarthome_assets.homec import contract
from smarthome_assets.ingestion.clean_days import CleanResult
from smarthome_assets.ingestion.landing import Manifest, merged_reasons
from smarthome_assets.lib.checks import ERROR, WARN, reconciliation_result
from smarthome_assets.lib.keys import CLEAN_DEVICES, CLEAN_WEATHER, HOMES, RAW_CSV, RDS_TABLES

RAW_CSV_CHECKS = [
    dg.AssetCheckSpec(
        "rows_accounted_for",
        asset=RAW_CSV,
        blocking=True,
        description="Every physical line of every file (counted on its bytes, apart from the CSV parser) is staged "
        "or quarantined: none lost.",
    ),
    dg.AssetCheckSpec(
        "no_quarantined_rows",
        asset=RAW_CSV,
        description="Warns when rows were quarantined (the real file has one junk last row).",
    ),
]


def clean_check_specs(asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """The two checks of each clean table: what must hold to load (blocking), and what is only warned about.

    One check per concern rather than per measure: Dagster stores each check's planned record once per day of
    a run (a year's range: 351 rows a check), and the measures of one concern travel in its metadata."""
    plausible = "Each home has 1,440 rows on each day (partial days warned); values inside physical ranges (kW >= 0; "
    plausible += "humidity, cloud cover in 0..1; temperature -60..130 F; wind bearing 0..359)"
    if asset == CLEAN_DEVICES:
        plausible += "; use == House overall and gen == Solar on every row"
    return [
        dg.AssetCheckSpec(
            "rows_and_keys",
            asset=asset,
            blocking=True,
            description="Cleaning kept every staged row (clean rows == staged rows for the range), and "
            "(house_id, timeframe) is unique and never null. Judged before the load commits.",
        ),
        dg.AssetCheckSpec("values_plausible", asset=asset, description=plausible + "."),
    ]


HOMES_CHECKS = [
    dg.AssetCheckSpec(
        "every_home_has_its_devices",
        asset=HOMES,
        blocking=True,
        description="Each home this run loaded (those with rows in its days) has its 18 devices in the device "
        "table. Homes another run has not reached yet are not judged here: they are registered when landed, "
        "and exist in PostgreSQL once a run loads one of their days.",
    ),
]

RDS_CHECKS = [
    dg.AssetCheckSpec(
        "row_counts_match_clean",
        asset=RDS_TABLES,
        blocking=True,
        description="PostgreSQL rows per home and day == cleaned rows, in both tables (counted in the load's "
        "transaction and judged before it commits).",
    ),
]


ALL_CHECKS = [
    *RAW_CSV_CHECKS,
    *clean_check_specs(CLEAN_WEATHER),
    *clean_check_specs(CLEAN_DEVICES),
    *HOMES_CHECKS,
    *RDS_CHECKS,
]


def raw_csv_results(manifests: list[Manifest]) -> list[dg.AssetCheckResult]:
    unbalanced = {m.file: m.data_lines - m.staged_rows - m.quarantined_rows - m.joined_lines for m in manifests}
    unbalanced = {file: lost for file, lost in unbalanced.items() if lost}
    quarantined = sum(m.quarantined_rows for m in manifests)
    return [
        dg.AssetCheckResult(
            asset_key=RAW_CSV,
            check_name="rows_accounted_for",
            passed=not unbalanced,
            severity=ERROR,
            description="; ".join(
                f"{m.file}: {m.data_lines:,} lines in the file but {m.staged_rows:,} staged + "
                f"{m.quarantined_rows:,} quarantined + {m.joined_lines:,} joined into multi-line records: a reader "
                "fault, nothing was loaded; report it with the file"
                for m in manifests
                if m.file in unbalanced
            )
            or None,
            metadata={
                "data_lines": sum(m.data_lines for m in manifests),
                "staged": sum(m.staged_rows for m in manifests),
                "quarantined": quarantined,
                "joined_into_records": sum(m.joined_lines for m in manifests),
                "unbalanced_files": dg.MetadataValue.json(unbalanced),
            },
        ),
        dg.AssetCheckResult(
            asset_key=RAW_CSV,
            check_name="no_quarantined_rows",
            passed=quarantined == 0,
            severity=WARN,
            metadata={
                "quarantined": quarantined,
                "reasons": dg.MetadataValue.json(merged_reasons(manifests)),
                "quarantine_files": dg.MetadataValue.json([m.quarantine_key for m in manifests if m.quarantine_key]),
            },
        ),
    ]


def clean_results(result: CleanResult, asset: dg.AssetKey) -> list[dg.AssetCheckResult]:
    q = result.quality
    lost = result.staged_rows - q.rows
    broken = {
        "rows lost in cleaning": lost,
        "duplicate (house_id, timeframe) keys": q.duplicate_keys,
        "null keys": q.null_keys,
    }
    doubtful = {
        "home-days without 1,440 rows": len(q.incomplete_days),
        "values outside physical ranges": sum(q.out_of_range.values()),
    }
    if asset == CLEAN_DEVICES:
        doubtful["rows where use != House overall or gen != Solar"] = sum(q.pair_mismatches.values())
    return [
        dg.AssetCheckResult(
            asset_key=asset,
            check_name="rows_and_keys",
            passed=not any(broken.values()),
            severity=ERROR,
            description="; ".join(f"{n:,} {what}" for what, n in broken.items() if n) or None,
            metadata={
                "staged_rows": result.staged_rows,
                "clean_rows": q.rows,
                "duplicate_keys": q.duplicate_keys,
                "null_keys": q.null_keys,
            },
        ),
        dg.AssetCheckResult(
            asset_key=asset,
            check_name="values_plausible",
            passed=not any(doubtful.values()),
            severity=WARN,
            description="; ".join(f"{n:,} {what}" for what, n in doubtful.items() if n) or None,
            metadata={
                "incomplete_days": len(q.incomplete_days),
                "incomplete_day_examples": dg.MetadataValue.json(dict(list(q.incomplete_days.items())[:10])),
                "out_of_range": dg.MetadataValue.json(q.out_of_range),
                **({"pair_mismatches": dg.MetadataValue.json(q.pair_mismatches)} if asset == CLEAN_DEVICES else {}),
            },
        ),
    ]


def homes_results(loaded: list[int], registered: int, devices: dict[int, int]) -> list[dg.AssetCheckResult]:
    """`loaded`: the house_ids this run upserted; `devices`: house_id -> devices PostgreSQL holds for it."""
    expected = len(contract.POWER_COLUMNS)
    short = {house: devices.get(house, 0) for house in loaded if devices.get(house) != expected}
    return [
        dg.AssetCheckResult(
            asset_key=HOMES,
            check_name="every_home_has_its_devices",
            passed=not short,
            severity=ERROR,
            metadata={
                "homes_loaded_by_this_run": len(loaded),
                "homes_registered": registered,
                "homes_missing_devices": str(short),
            },
        )
    ]


def rds_results(expected: dict[tuple[int, str], int], loaded: HomeDayCounts) -> list[dg.AssetCheckResult]:
    """`expected`: (house_id, day) -> rows staged for it (the same for both tables); `loaded`: what PostgreSQL
    holds per table, counted inside the load's transaction before its commit."""

    def by_home_day(counts: dict[tuple[int, str], int]) -> dict[str, int]:
        return {f"house {house} {day}": n for (house, day), n in counts.items()}

    measures = {
        "clean": {queries.LOADED_TABLES[t]: by_home_day(expected) for t in loaded},
        "postgres": {queries.LOADED_TABLES[t]: by_home_day(counts) for t, counts in loaded.items()},
    }
    return [reconciliation_result("row_counts_match_clean", measures, keys_name="home_days", asset_key=RDS_TABLES)]


def files_markdown(manifests: list[Manifest], statuses: dict[str, str] | None = None) -> str:
    """`statuses`: what this run did with each delivery (landed, unchanged); absent means landed before."""
    lines = [
        "| file | house | MB | sha256 | data lines | staged | quarantined | this run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in manifests:
        lines.append(
            f"| {m.file} | {m.house_id} | {m.size_bytes / 1e6:.1f} | `{m.sha256[:12]}` | {m.data_lines:,} "
            f"| {m.staged_rows:,} | {m.quarantined_rows:,} | {(statuses or {}).get(m.file, 'landed before the run')} |"
        )
    return "\n".join(lines)


def replacements_markdown(result: CleanResult) -> str:
    if not result.report.replacements:
        return "No values needed replacing."
    lines = ["| column | replaced | examples (line: value) |", "|---|---|---|"]
    for column, rep in sorted(result.report.replacements.items()):
        examples = ", ".join(f"{line}: `{text}`" for line, text in rep.examples)
        lines.append(f"| {column} | {rep.count:,} | {examples} |")
    return "\n".join(lines)


def homes_markdown(rows, devices: dict[int, int]) -> str:
    lines = [
        "| house_id | name | source file | first reading | last reading | weather rows | energy rows | devices |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for house_id, name, source, first, last, weather_rows, energy_rows in rows:
        lines.append(
            f"| {house_id} | {name} | {source} | {first or ''} | {last or ''} | {weather_rows:,} "
            f"| {energy_rows:,} | {devices.get(house_id, 0)} |"
        )
    return "\n".join(lines)
