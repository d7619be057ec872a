"""What every domain's checks share: the two severities and the reconciliation result.

Reconciliation is the seed's check at every hop, done by a machine: the same rows counted by each store
they pass through (staged files, PostgreSQL, the API, export files, the warehouse), compared per table and
key (a day, or a home and day). Any disagreement fails the check, which blocks what follows.
"""

import dagster as dg

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN

#: measure (a store) -> table -> key (an ISO day, or "house 3 2016-01-02") -> rows
Measures = dict[str, dict[str, dict[str, int]]]


def mismatches(measures: Measures) -> dict[str, dict[str, int]]:
    """`table key` -> {measure: rows} wherever the measures disagree (a key a measure lacks counts 0)."""
    found: dict[str, dict[str, int]] = {}
    tables = sorted({table for counts in measures.values() for table in counts})
    for table in tables:
        for key in sorted({key for counts in measures.values() for key in counts.get(table, {})}):
            values = {name: counts.get(table, {}).get(key, 0) for name, counts in measures.items()}
            if len(set(values.values())) > 1:
                found[f"{table} {key}"] = values
    return found


def reconciliation_result(
    check_name: str, measures: Measures, keys_name: str = "days", asset_key: dg.AssetKey | None = None
) -> dg.AssetCheckResult:
    """Passes when every measure agrees on every (table, key); totals and the first differences as metadata.
    `asset_key`: the checked asset, needed where one step materializes several."""
    wrong = mismatches(measures)
    totals = {
        f"{name}_{table}_rows": sum(rows.values())
        for name, counts in measures.items()
        for table, rows in counts.items()
    }
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not wrong,
        severity=ERROR,
        metadata={
            **totals,
            f"{keys_name}_checked": len({k for c in measures.values() for t in c.values() for k in t}),
            f"mismatched_{keys_name}": len(wrong),
            "mismatches": dg.MetadataValue.json(dict(list(wrong.items())[:20])),
        },
    )
