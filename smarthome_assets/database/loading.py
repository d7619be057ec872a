"""Load clean days into PostgreSQL: replace exactly a day range, both tables or neither.

A load first makes the month partitions of its days (migration 0006). For each table the loaded homes' rows in
the range are deleted and Arrow batches streamed in by binary COPY (encoded by binary_copy.py while the server
takes the previous batch), each home's row count in `home_rows` moves by the difference, and every day of the
range gets a new version (the API's cache key). The two tables load at once on two connections and commit by two-phase
commit, a `load_decision` row recording the outcome so the next load finishes what a killed one prepared; a
server without prepared transactions gets one transaction instead. A caller's `before_commit` may refuse the
load (a failed blocking check) once every row is in, seeing what each table then holds per home and day. The
homes' statistics are refreshed right after, and the month partitions written are analysed.
docs/DESIGN_NOTES.md has the protocol and the measurements."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg2
import pyarrow as pa
import pyarrow.compute as pc

from smarthome_assets.database import queries
from smarthome_assets.database.binary_copy import BinaryCopyStream
from smarthome_assets.database.connection import PostgresDatabase

#: Clean table ("weather" / "energy") -> a function opening that table's batches for the range.
BatchReaders = Mapping[str, Callable[[], pa.RecordBatchReader]]
#: Called with the load (its rows, and what each table holds per home and day inside the load's transaction)
#: once every row is in, before anything commits: raises to roll the load back; may write what must be there
#: when the rows are (the loaded homes' `home` rows) on a connection of its own.
BeforeCommit = Callable[["OperationalLoad"], None]
#: Bytes psycopg2 asks the COPY stream for at a time.
COPY_CHUNK_BYTES = 1 << 20


@dataclass
class OperationalLoad:
    rows: dict[str, int] = field(default_factory=dict)  # clean table -> rows loaded
    homes: list[int] = field(default_factory=list)
    concurrent: bool = False  # two connections + two-phase commit, or one transaction
    #: clean table -> (house_id, ISO day) -> rows the table holds in the range, counted in the load's transaction
    counts: dict[str, dict[tuple[int, str], int]] = field(default_factory=dict)


def day_range_bounds(days: list[date]) -> tuple[datetime, datetime]:
    first, last = min(days), max(days)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return start, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


class UnknownHomeError(RuntimeError):
    """Rows for a house_id that is not in `home`: the homes asset must run first."""


def _require_homes(cur, homes: list[int]) -> None:
    if not homes:
        return
    cur.execute(queries.MISSING_HOMES, (homes,))
    missing = [row[0] for row in cur.fetchall()]
    if missing:
        raise UnknownHomeError(f"house_id(s) {missing} are not in the `home` table; materialize `homes` first")


def load_range(
    db: PostgresDatabase,
    readers: BatchReaders,
    homes: list[int],
    days: list[date],
    concurrent: bool | None = None,
    before_commit: BeforeCommit | None = None,
) -> OperationalLoad:
    """Replace the given days of the given homes in `weather` and `energy_consuming_device`.

    `concurrent`: None chooses by the server (two-phase commit when it allows prepared transactions).
    Every home with rows must be in `home` when the load commits (after `before_commit`), or nothing is.
    """
    homes = sorted(homes)
    start, end = day_range_bounds(days)
    result = OperationalLoad(homes=homes)
    with _autocommit(db) as lock:
        lock.execute(queries.LOCK_LOADS)  # one load at a time per database, released when the session ends
        lock.execute(queries.ENSURE_MONTH_PARTITIONS, (min(days), max(days)))  # a new month gets its partitions
        _load_locked(db, readers, homes, start, end, concurrent, result, before_commit)
    return result


def _about_to_commit(db: PostgresDatabase, loaded: list[int], before_commit: BeforeCommit | None, result) -> None:
    """The caller's last word, then the check that every loaded home is in `home`."""
    if before_commit is not None:
        before_commit(result)
    with _autocommit(db) as cur:
        _require_homes(cur, loaded)


def _load_locked(db, readers: BatchReaders, homes, start, end, concurrent, result, before_commit) -> None:
    recover_prepared_loads(db)
    loaded = homes
    with _transaction(db) as cur:
        cur.execute(queries.HOMES_WITH_READINGS_IN, {"start": start, "end": end})
        homes = result.homes = sorted(set(homes) | {row[0] for row in cur.fetchall()})
        if concurrent is None:
            cur.execute(queries.MAX_PREPARED)
            concurrent = cur.fetchone()[0] >= len(queries.LOADED_TABLES)
        if not concurrent:
            for table in queries.LOADED_TABLES:
                result.rows[table], result.counts[table] = _replace(cur, table, readers[table], homes, start, end)
            _about_to_commit(db, loaded, before_commit, result)
            _finish(cur, homes)  # in the same transaction; a concurrent load refreshes them after its commit
    if concurrent:
        decide = lambda: _about_to_commit(db, loaded, before_commit, result)  # noqa: E731
        _load_concurrently(db, readers, homes, start, end, decide, result)
        result.concurrent = True
        # The homes' statistics and the two tables' planner statistics at once, on three connections (half
        # the time of one after the other); `home` itself is analysed once its rows are refreshed.
        with ThreadPoolExecutor(max_workers=3) as pool:
            jobs = [pool.submit(_refresh_homes, db, homes)]
            jobs += [pool.submit(_analyze, db, *_partitions(t, start, end)) for t in queries.LOADED_TABLES]
        for job in jobs:
            job.result()
        _analyze(db, "home")
    else:
        _analyze(db, "home", *(p for t in queries.LOADED_TABLES for p in _partitions(t, start, end)))


def _partitions(table: str, start: datetime, end: datetime) -> list[str]:
    """The month partitions of a loaded table that the range [start, end) touched."""
    return queries.month_partitions(table, start.date(), (end - timedelta(microseconds=1)).date())


def _refresh_homes(db: PostgresDatabase, homes: list[int]) -> None:
    with _transaction(db) as cur:
        _finish(cur, homes)


def _replace(cur, table: str, reader: Callable[[], pa.RecordBatchReader], homes, start, end) -> tuple[int, dict]:
    """Delete the range's rows of `homes`, COPY the new ones in, move each home's row count (`home_rows`) by the
    difference, give each of the range's days a new version, and count what the table now holds per home and
    day of the range (as the transaction sees it, before it commits)."""
    if not homes:
        return 0, {}  # no home has or had readings in the range: nothing to replace
    cur.execute(queries.MARK_VERSIONED_LOAD)
    cur.execute(queries.delete_range_counted(table), (homes, start, end))
    change = {house: -int(n) for house, n in cur.fetchall()}
    batches = reader()
    stream = BinaryCopyStream(_tallied(batches, change))
    cur.copy_expert(queries.copy_binary(table, batches.schema.names), stream, size=COPY_CHUNK_BYTES)
    if change:
        houses = sorted(change)
        cur.execute(queries.ADJUST_HOME_ROWS, (table, houses, [change[h] for h in houses]))
    cur.execute(queries.BUMP_DAY_VERSIONS, {"dataset": table, "start": start, "end": end})
    cur.execute(queries.count_per_day(table), (start, end))
    return stream.rows, {(house, str(day)): n for house, day, n in cur.fetchall()}


def _tallied(batches: Iterator[pa.RecordBatch], counts: dict[int, int]) -> Iterator[pa.RecordBatch]:
    """The same batches, each home's rows added to `counts` as they stream past."""
    for batch in batches:
        for item in pc.value_counts(batch.column("house_id")).to_pylist():
            counts[item["values"]] = counts.get(item["values"], 0) + item["counts"]
        yield batch


def _finish(cur, homes: list[int]) -> None:
    if homes:
        cur.execute(queries.refresh_home_stats(), {"homes": homes})


def _load_concurrently(db: PostgresDatabase, readers: BatchReaders, homes, start, end, decide, result) -> None:
    """Each table on its own connection, prepared; then `decide()` (raises to roll both back), the decision
    record, and both committed."""
    load_id = uuid.uuid4().hex
    gids = {table: f"{queries.LOAD_GID_PREFIX}{load_id}:{table}" for table in queries.LOADED_TABLES}

    def prepare(table: str) -> tuple[int, dict]:
        conn = psycopg2.connect(db.url())
        try:
            with conn.cursor() as cur:
                replaced = _replace(cur, table, readers[table], homes, start, end)
                cur.execute(f"PREPARE TRANSACTION '{gids[table]}'")  # a uuid and a fixed table name: no input
            return replaced
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=len(gids)) as pool:
        futures = {table: pool.submit(prepare, table) for table in gids}
        errors = [f.exception() for f in futures.values()]
    if any(errors):
        _resolve(db, [gid for table, gid in gids.items() if futures[table].exception() is None], commit=False)
        raise next(e for e in errors if e is not None)
    for table, future in futures.items():
        result.rows[table], result.counts[table] = future.result()
    try:
        decide()
    except BaseException:
        _resolve(db, list(gids.values()), commit=False)
        raise
    with _autocommit(db) as cur:
        cur.execute(queries.RECORD_DECISION, (load_id,))  # from here on, both commit (or recovery does)
        for gid in gids.values():
            cur.execute("COMMIT PREPARED %s", (gid,))
        cur.execute(queries.FORGET_DECISION, (load_id,))


@contextmanager
def _transaction(db: PostgresDatabase) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor in one transaction: committed when the block ends, rolled back on any error."""
    conn = psycopg2.connect(db.url())
    try:
        with conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


@contextmanager
def _autocommit(db: PostgresDatabase) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor outside any transaction block (COMMIT/ROLLBACK PREPARED and ANALYZE need one)."""
    conn = psycopg2.connect(db.url())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _resolve(db: PostgresDatabase, gids: list[str], *, commit: bool) -> None:
    with _autocommit(db) as cur:
        for gid in gids:
            cur.execute(("COMMIT" if commit else "ROLLBACK") + " PREPARED %s", (gid,))


def recover_prepared_loads(db: PostgresDatabase) -> dict[str, bool]:
    """Finish the two-phase loads a dead process left: commit those decided, roll back the others.

    Returns gid -> committed. Called by `load_range` under its lock, so no other load is half-way.
    """
    with _autocommit(db) as cur:
        cur.execute(queries.PREPARED_LOADS, (queries.LOAD_GID_PREFIX + "%",))
        gids = [row[0] for row in cur.fetchall()]
        if not gids:
            return {}
        cur.execute(queries.DECIDED_LOADS)
        decided = {row[0] for row in cur.fetchall()}
    outcome = {gid: gid.split(":")[1] in decided for gid in gids}
    _resolve(db, [g for g, commit in outcome.items() if commit], commit=True)
    _resolve(db, [g for g, commit in outcome.items() if not commit], commit=False)
    with _autocommit(db) as cur:
        for load_id in decided:
            cur.execute(queries.FORGET_DECISION, (load_id,))
    return outcome


def _analyze(db: PostgresDatabase, *tables: str) -> None:
    """Fresh statistics for the planner: autovacuum may not have analysed the tables minutes after a big load,
    and the API's one-day query then takes several times longer (docs/DESIGN_NOTES.md)."""
    with _autocommit(db) as cur:
        cur.execute(queries.analyze(tables))
