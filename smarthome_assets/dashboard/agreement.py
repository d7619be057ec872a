"""The dashboard's table of the three stores: energy rows and kWh per month in PostgreSQL, the warehouse and the
lake, side by side, so that a reader sees them agree (or where they do not).

Each store is read on its own; one that cannot be read (not loaded yet) is shown as unavailable with the reason,
rather than hiding the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from smarthome_assets.database.connection import PostgresDatabase
from smarthome_assets.database.counts import energy_per_month
from smarthome_assets.lake.engine import Lake, connect, month_totals
from smarthome_assets.storage.object_store import ObjectStore
from smarthome_assets.warehouse import loader
from smarthome_assets.warehouse.resource import Warehouse

STORES = ("PostgreSQL", "warehouse", "lake")
#: kWh may differ by float rounding between engines (sums in a different order): shown to 3 decimals.
KWH_DECIMALS = 3


@dataclass(frozen=True)
class StoreAgreement:
    months: dict[str, dict[str, tuple[int, float]]]  # store -> YYYY-MM -> (rows, sum(use_kw))
    unavailable: dict[str, str]  # store -> why it could not be read

    def agrees(self, month: str) -> bool:
        values = [
            (rows, round(kw / 60, KWH_DECIMALS)) for rows, kw in (m.get(month, (0, 0.0)) for m in self.months.values())
        ]
        return not self.unavailable and len(set(values)) == 1


def read_agreement(postgres: PostgresDatabase, warehouse: Warehouse, store: ObjectStore, lake: Lake) -> StoreAgreement:
    readers: dict[str, Callable[[], dict[str, tuple[int, float]]]] = {
        "PostgreSQL": lambda: energy_per_month(postgres),
        "warehouse": lambda: loader.energy_per_month(warehouse, store),
        "lake": lambda: month_totals(connect(lake.root())),
    }
    months, unavailable = {}, {}
    for name, read in readers.items():
        try:
            months[name] = read()
        except Exception as exc:  # one store not ready must not hide the others
            unavailable[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    return StoreAgreement(months, unavailable)


def table_html(agreement: StoreAgreement) -> str:
    """An HTML table: a row per month, rows and kWh per store, and whether they agree."""
    months = sorted({m for per_month in agreement.months.values() for m in per_month})
    head = "".join(f"<th>{s} rows</th><th>{s} kWh</th>" for s in agreement.months)
    lines = [f'<table id="stores-agree"><thead><tr><th>month (UTC)</th>{head}<th>agree</th></tr></thead><tbody>']
    for month in months:
        cells = "".join(
            f"<td>{rows:,}</td><td>{kw / 60:,.{KWH_DECIMALS}f}</td>"
            for rows, kw in (per_month.get(month, (0, 0.0)) for per_month in agreement.months.values())
        )
        mark = "yes" if agreement.agrees(month) else "NO"
        lines.append(f'<tr data-agree="{mark}"><td>{month}</td>{cells}<td>{mark}</td></tr>')
    lines.append("</tbody></table>")
    for name, why in agreement.unavailable.items():
        lines.append(f'<p class="note">{html.escape(name)} unavailable: {html.escape(why)}</p>')
    return "\n".join(lines)
