"""DuckDB over the lake: the local engine (Athena and Redshift Spectrum are AWS's).

`energy` and `weather` are views over `lake/<table>/date=*/*.parquet` with Hive partitioning, so a filter on
`date` skips every other day's file (EXPLAIN ANALYZE shows `Scanning Files: 1/351`). The lake is read where it
lies when the object store is a directory; from S3 the day files are first mirrored into a local folder
(only what changed: size and ETag), since DuckDB's S3 support is an extension it would have to download.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from smarthome_assets.lake import layout
from smarthome_assets.lake.glue import GlueCatalog
from smarthome_assets.storage.object_store import ObjectStore


@dataclass(frozen=True)
class Lake:
    """The lake of one object store, where an S3 lake is mirrored for DuckDB (`cache_dir`), and the Glue
    catalog its days are registered in for Redshift Spectrum (AWS only)."""

    store: ObjectStore
    cache_dir: str = ""
    glue: GlueCatalog | None = None

    @property
    def is_local(self) -> bool:
        return self.store.local_path(layout.PREFIX) is not None

    def register_days(self, days: Iterable[date | str]) -> dict[str, int]:
        """Glue partitions for Spectrum (nothing to do without a catalog: locally, DuckDB reads the folders)."""
        return self.glue.register_days(self.store, days) if self.glue else {}

    def root(self, days: Iterable[date | str] | None = None) -> Path:
        """A local folder holding `lake/` as the store has it now: the store's own folder, or the mirror
        (brought up to date for `days`, or for the whole lake)."""
        local = self.store.local_path(layout.PREFIX)
        if local is not None:
            return local
        if not self.cache_dir:
            raise ValueError("an S3 lake needs a cache_dir to mirror its files into")
        mirror = Path(self.cache_dir) / "lake"
        prefixes = (
            [layout.day_prefix(t, d) for d in days for t in layout.TABLES] if days is not None else [layout.PREFIX]
        )
        for prefix in prefixes:
            sync_prefix(self.store, prefix, mirror.parent)
        return mirror

    def keys(self, table: str | None = None) -> list[str]:
        prefix = layout.table_prefix(table) if table else layout.PREFIX
        return [k for k in self.store.list_keys(prefix) if k.endswith(".parquet")]


def sync_prefix(store: ObjectStore, prefix: str, into: Path) -> None:
    """Make `into/<prefix>` hold exactly the store's objects under `prefix` (changed ones downloaded)."""
    remote = {k: v for k, v in store.list_fingerprints(prefix).items() if k.endswith(".parquet")}
    base = into / prefix
    for path in base.rglob("*.parquet") if base.exists() else []:
        key = path.relative_to(into).as_posix()
        if key not in remote:
            path.unlink()
            path.with_name(f".{path.name}.fp").unlink(missing_ok=True)
    for key, fingerprint in remote.items():
        target = into / key
        stamp = target.with_name(f".{target.name}.fp")
        if target.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        store.get_file(key, tmp)
        os.replace(tmp, target)
        stamp.write_text(fingerprint)


def _empty_with_partition(table: str) -> pa.Table:
    schema = layout.SCHEMAS[table].append(pa.field(layout.PARTITION_COLUMN, pa.date32()))
    return schema.empty_table()


def create_views(conn: duckdb.DuckDBPyConnection, root: Path) -> None:
    """`energy` and `weather` over the lake under `root` (an empty typed table when a table has no file yet)."""
    conn.execute("SET TimeZone = 'UTC'")
    for table in layout.TABLES:
        folder = root / table
        if any(folder.glob(f"{layout.PARTITION_COLUMN}=*/*.parquet")):
            pattern = str(folder / f"{layout.PARTITION_COLUMN}=*" / "*.parquet").replace("'", "''")
            conn.execute(
                f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, "
                "hive_types = {'date': DATE})"
            )
        else:
            conn.register("lake_empty", _empty_with_partition(table))
            conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM lake_empty")
            conn.unregister("lake_empty")


def connect(root: Path, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake's views (no extension is installed or loaded from the network)."""
    conn = duckdb.connect(database, config={"autoinstall_known_extensions": False})
    create_views(conn, root)
    return conn


#: (table, ISO day) -> rows; ISO day -> sum(use_kw)
@dataclass(frozen=True)
class DayTotals:
    rows: dict[str, dict[str, int]]
    use_kw: dict[str, float]


def day_totals(conn: duckdb.DuckDBPyConnection, days: list[date]) -> DayTotals:
    """Rows of each table and sum(use_kw) per day over `days`, through the views (only those days' files
    are read). Every day of `days` is present, 0 when the lake has no row for it."""
    first, last = min(days), max(days)
    rows = {table: {str(day): 0 for day in days} for table in layout.TABLES}
    use = {str(day): 0.0 for day in days}
    for table in layout.TABLES:
        extra = ", sum(use_kw)" if table == "energy" else ""
        found = conn.execute(
            f"SELECT {layout.PARTITION_COLUMN}, count(*){extra} FROM {table} "
            f"WHERE {layout.PARTITION_COLUMN} BETWEEN ? AND ? GROUP BY 1",
            [first, last],
        ).fetchall()
        for record in found:
            day = str(record[0])
            if day in rows[table]:
                rows[table][day] = int(record[1])
                if extra:
                    use[day] = float(record[2] or 0.0)
    return DayTotals(rows=rows, use_kw=use)


def month_totals(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, float]]:
    """`YYYY-MM` -> (energy rows, sum(use_kw)) over the whole lake, for the dashboard's agreement table."""
    found = conn.execute(
        f"SELECT strftime({layout.PARTITION_COLUMN}, '%Y-%m'), count(*), sum(use_kw) FROM energy GROUP BY 1"
    ).fetchall()
    return {str(m): (int(n), float(s or 0.0)) for m, n, s in found}
