"""Data-quality measurements of clean rows, gathered while cleaning (no second read of the data).

The asset checks turn these numbers into pass/fail: full days (1,440 rows a home), unique and non-null
keys, values inside physical ranges, and the equalities that hold on every real HomeC row. Many home-days
are measured per call (`Segments`), each judged on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from smarthome_assets.cleaning.rules import Segments
from smarthome_assets.homec import contract


@dataclass
class QualityStats:
    rows: int = 0
    incomplete_days: dict[str, int] = field(default_factory=dict)  # "day/house_id" -> rows
    duplicate_keys: int = 0
    null_keys: int = 0
    out_of_range: dict[str, int] = field(default_factory=dict)
    pair_mismatches: dict[str, int] = field(default_factory=dict)

    def observe(self, day: str, house_id: int, table: pa.Table) -> None:
        """One home-day's clean rows."""
        self.observe_rows(table, Segments.single(house_id, table.num_rows), [day])

    def observe_rows(self, table: pa.Table, segments: Segments, days: Sequence[str]) -> None:
        """Clean rows of several home-days; `days[i]` is the day of segment i."""
        self.rows += table.num_rows
        for day, house_id, rows in zip(days, segments.house_ids, segments.lengths, strict=True):
            if rows != contract.MINUTES_PER_DAY:
                self.incomplete_days[f"{day}/house {house_id}"] = int(rows)
        self.null_keys += sum(table.column(k).null_count for k in ("house_id", "timeframe"))
        self.duplicate_keys += _repeated_keys(table, segments)
        for name in table.column_names:
            column = contract.BY_NAME.get(name)
            if column is None or not column.is_numeric or column.kind is contract.ColumnKind.TIME:
                continue
            values = table.column(name).to_numpy()
            bad = 0
            if column.low is not None:
                bad += int(np.count_nonzero(values < column.low))
            if column.high is not None:
                bad += int(np.count_nonzero(values > column.high))
            if bad:
                self.out_of_range[name] = self.out_of_range.get(name, 0) + bad
        for left, right in contract.EQUAL_PAIRS:
            if left in table.column_names and right in table.column_names:
                differ = int(np.count_nonzero(table.column(left).to_numpy() != table.column(right).to_numpy()))
                if differ:
                    key = f"{left} != {right}"
                    self.pair_mismatches[key] = self.pair_mismatches.get(key, 0) + differ


def _repeated_keys(table: pa.Table, segments: Segments) -> int:
    """Rows whose (home-day, timeframe) an earlier row already has, whatever the order of the rows."""
    if table.num_rows < 2:
        return 0
    times = table.column("timeframe").cast(pa.int64()).to_numpy()
    of_row = segments.of_rows()
    order = np.lexsort((times, of_row))
    same = (of_row[order][1:] == of_row[order][:-1]) & (times[order][1:] == times[order][:-1])
    return int(np.count_nonzero(same))
