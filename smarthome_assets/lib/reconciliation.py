"""The reconciliation check result shared by the export and warehouse checks: one blocking result that
compares every measure (PostgreSQL, API, files, warehouse) per table and day."""

import dagster as dg

from smarthome_assets.exports import layout
from smarthome_assets.exports.reconcile import Counts, mismatches


def reconciliation_result(check_name: str, measures: dict[str, Counts]) -> dg.AssetCheckResult:
    """Passes when every measure agrees on every (table, day); totals and the first differences as metadata."""
    wrong = mismatches(measures)
    totals = {
        f"{name}_{table}_rows": sum(counts.get(table, {}).values())
        for name, counts in measures.items()
        for table in layout.DAY_TABLES
    }
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not wrong,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            **totals,
            "days_checked": len({d for c in measures.values() for t in c.values() for d in t}),
            "mismatched_days": len(wrong),
            "mismatches": dg.MetadataValue.json(dict(list(wrong.items())[:20])),
        },
    )
