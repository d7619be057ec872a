"""Property: whatever damage a HomeC file suffers, no line is lost and PostgreSQL holds exactly what loaded.

Hypothesis mutates the real excerpt at random (inserted quotes, separators, line endings, NUL and
non-UTF-8 bytes; deleted, duplicated and truncated spans; binary debris at the end) and, for every
mutation, lands the file, cleans it and loads it into a real PostgreSQL server, then checks:

* the file's physical data lines, counted here on the bytes (not by the reader), equal staged +
  quarantined;
* PostgreSQL holds exactly the staged rows, in both tables;
* or, when the file cannot be HomeC at all (e.g. a mutated `time` sends rows back to an earlier day),
  the reader raised its one-line named error and nothing was loaded.

Bounded (a few dozen examples, one database reused) so that it runs in `make test`.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import psycopg2
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from smarthome_assets.database.connection import PostgresUrl
from smarthome_assets.database.migrate import apply_migrations
from smarthome_assets.homec.reader import SourceFormatError, TimeAxis
from smarthome_assets.ingestion import arrow_files
from smarthome_assets.ingestion.clean_days import load_days
from smarthome_assets.ingestion.landing import deliver_local, land_delivery
from smarthome_assets.services import embedded_postgres
from smarthome_assets.storage.object_store import LocalObjectStore
from smarthome_assets_tests.support.paths import EXCERPT

pytestmark = pytest.mark.skipif(
    not EXCERPT.exists(), reason="the real HomeC excerpt (../shared/data/HomeC_excerpt.csv) is not present"
)

AXIS = TimeAxis(first_day=date(2016, 1, 1), last_day=date(2016, 12, 16))
_LINE_END = re.compile(rb"\r\n|\r|\n")
_INSERTS = [
    b'"',
    b'""',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xe9",
    b"\x1f\x8b",
    b"9",
    b".",
    b"-",
]


def physical_data_lines(data: bytes) -> int:
    """Lines after the header, on the bytes: a line ends at \\n, \\r\\n or \\r; an unended last line counts."""
    if not data:
        return 0
    return len(_LINE_END.findall(data)) + (0 if data.endswith((b"\n", b"\r")) else 1) - 1


@st.composite
def mutations(draw) -> list[tuple]:
    data = EXCERPT.read_bytes() if EXCERPT.exists() else b"\n"
    # mostly in the data lines (header damage is a named error on the first line, tested elsewhere)
    position = st.one_of(
        st.integers(min_value=data.index(b"\n") + 1, max_value=len(data)), st.integers(min_value=0, max_value=len(data))
    )
    kinds = st.sampled_from(["insert", "insert", "delete", "duplicate", "truncate", "debris"])
    operations = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(kinds)
        if kind == "insert":
            payload = draw(st.one_of(st.sampled_from(_INSERTS), st.binary(min_size=1, max_size=4)))
            operations.append(("insert", draw(position), payload))
        elif kind in ("delete", "duplicate"):
            operations.append((kind, draw(position), draw(st.integers(min_value=1, max_value=400))))
        elif kind == "truncate":
            operations.append(("truncate", draw(position), None))
        else:
            operations.append(("debris", None, draw(st.binary(min_size=1, max_size=300))))
    return operations


def mutate(data: bytes, operations: list[tuple]) -> bytes:
    for kind, at, arg in operations:
        at = min(at, len(data)) if at is not None else None
        if kind == "insert":
            data = data[:at] + arg + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + arg :]
        elif kind == "duplicate":
            data = data[: at + arg] + data[at : at + arg] + data[at + arg :]
        elif kind == "truncate":
            data = data[: max(at, 1)]
        else:
            data = data + arg
    return data


@pytest.fixture(scope="module")
def database(pg_server):
    """One migrated database for every example (emptied before each), with home 1 registered."""
    _admin, pgdata = pg_server
    name = f"t_prop_{uuid.uuid4().hex[:8]}"
    url = embedded_postgres.server_url(pgdata, name)
    apply_migrations(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO home (house_id, name, source_file) VALUES (1, 'home', 'home.csv')")
    yield url
    embedded_postgres.drop_database(pgdata, name)


def loaded_times(url: str) -> dict[str, list[int]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = {}
        for table in ("weather", "energy_consuming_device"):
            cur.execute(f"SELECT time_raw FROM {table} ORDER BY time_raw")
            out[table] = [r[0] for r in cur.fetchall()]
        return out


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(operations=mutations())
@example(operations=[("insert", 230_000, b'"')])  # a stray quote near line 1001
@example(operations=[("insert", 230_000, b'"'), ("insert", 231_000, b'"')])
@example(operations=[("debris", None, b"\0" * 64 + b"\xff\xfe")])
def test_no_line_is_lost_and_postgres_holds_exactly_the_loaded_rows(tmp_path_factory, database, operations):
    data = mutate(EXCERPT.read_bytes(), operations)
    folder = tmp_path_factory.mktemp("mutation")
    source = folder / "home.csv"
    source.write_bytes(data)
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM weather; DELETE FROM energy_consuming_device")

    store = LocalObjectStore(root=str(folder / "store"))
    delivery = deliver_local(store, source, AXIS.timeframe_origin)
    try:
        manifest = land_delivery(store, delivery, AXIS).manifest
    except SourceFormatError as exc:
        message = str(exc)
        assert message.startswith(delivery.path) and "\n" not in message
        assert "report this" not in message, message  # the catch-all for unforeseen errors: a bug to fix
        event(f"rejected: {exc.reason.split(':')[0].split('(')[0][:40]}")
        assert loaded_times(database) == {"weather": [], "energy_consuming_device": []}
        return
    assert manifest.data_lines == physical_data_lines(data)
    assert manifest.staged_rows + manifest.quarantined_rows + manifest.joined_lines == manifest.data_lines
    event("loaded, with quarantine" if manifest.quarantined_rows else "loaded, nothing quarantined")

    days = [date.fromisoformat(d) for d in manifest.rows_per_day]
    staged = sorted(
        t
        for day in manifest.rows_per_day
        for t in arrow_files.read_table(store, manifest.staged_key(day)).column("time_raw").to_pylist()
    )
    assert len(staged) == manifest.staged_rows
    if days:
        load_days(PostgresUrl(database_url=database), store, [manifest], days)
    assert loaded_times(database) == {"weather": staged, "energy_consuming_device": staged}
