"""The reader on good and bad input: clear errors naming file, line and column, or counted quarantine."""

from __future__ import annotations

import pytest

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import SourceFormatError, read_days, time_span
from smarthome_assets_tests.support.homec_files import HEADER, minutes, row, write


def read_all(path):
    days, report = read_days(path, path.name)
    tables = list(days)
    return tables, report


def test_the_real_excerpt_loads_every_row(excerpt_path):
    tables, report = read_all(excerpt_path)
    assert report.data_lines == report.staged_rows == 2838
    assert not report.quarantined
    assert [str(d) for d, _ in tables] == ["2016-01-01", "2016-01-02", "2016-01-03"]
    first = tables[0][1]
    assert str(first.column("timeframe")[0].as_py()) == "2016-01-01 05:00:00+00:00"
    assert first.column("time_raw")[0].as_py() == contract.TIME_ORIGIN
    assert first.column("source_line")[0].as_py() == 2
    assert sum(t.column("cloud_cover").to_pylist().count("cloudCover") for _, t in tables) == 58


def test_timeframe_is_origin_plus_minutes(tmp_path):
    tables, _ = read_all(write(tmp_path / "h.csv", minutes(3, start=1140)))  # 2016-01-02 00:00 UTC onward
    day, table = tables[0]
    assert str(day) == "2016-01-02"
    assert [str(t) for t in table.column("timeframe").to_pylist()] == [
        "2016-01-02 00:00:00+00:00",
        "2016-01-02 00:01:00+00:00",
        "2016-01-02 00:02:00+00:00",
    ]


def test_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceFormatError, match=r"empty\.csv: the file is empty"):
        read_days(path, path.name)


def test_header_only_gives_no_rows_and_no_loss(tmp_path):
    tables, report = read_all(write(tmp_path / "h.csv", []))
    assert tables == [] and report.data_lines == 0


@pytest.mark.parametrize(
    ("header", "message", "column"),
    [
        (HEADER.replace("cloudCover", "cloud_cover"), "missing column", "cloudCover"),
        (HEADER.replace(",Solar [kW]", ""), "missing column", "Solar [kW]"),
        (HEADER + ",extra", "unexpected column", "extra"),
        (HEADER.replace("use [kW],gen [kW]", "gen [kW],use [kW]"), "out of order", "use [kW]"),
    ],
)
def test_wrong_headers_name_the_column(tmp_path, header, message, column):
    path = write(tmp_path / "bad.csv", minutes(2), header=header)
    with pytest.raises(SourceFormatError, match=message) as info:
        read_days(path, path.name)
    assert info.value.line == 1 and info.value.column == column and "bad.csv, line 1" in str(info.value)


def test_malformed_rows_are_quarantined_with_their_lines(tmp_path):
    lines = minutes(10)
    lines[3] = "1,2,3"  # too few fields (line 5)
    lines[6] = lines[6] + ",surplus"  # too many (line 8)
    path = write(tmp_path / "h.csv", lines)
    tables, report = read_all(path)
    assert report.data_lines == 10 and report.staged_rows == 8
    assert sorted((q.line, q.reason.split(":")[0]) for q in report.quarantined) == [
        (5, "wrong number of fields"),
        (8, "wrong number of fields"),
    ]
    staged_lines = tables[0][1].column("source_line").to_pylist()
    assert staged_lines == [2, 3, 4, 6, 7, 9, 10, 11]


def test_truncated_last_line_is_quarantined(tmp_path):
    lines = minutes(5)
    lines[-1] = lines[-1][:25]
    _tables, report = read_all(write(tmp_path / "h.csv", lines, trailing_newline=False))
    assert report.staged_rows == 4 and [q.line for q in report.quarantined] == [6]


def test_junk_last_row_like_the_real_file(tmp_path):
    junk = "This is a junk row" + "," * 31
    _tables, report = read_all(write(tmp_path / "h.csv", [*minutes(4), junk]))
    assert report.staged_rows == 4
    assert [(q.line, q.reason, q.column) for q in report.quarantined] == [
        (6, "time is not an integer unix timestamp", "time")
    ]


def test_duplicated_minute_keeps_the_first(tmp_path):
    lines = minutes(4)
    lines.insert(2, row(1, use="9.9"))  # minute 1 again, on line 4
    tables, report = read_all(write(tmp_path / "h.csv", lines))
    assert report.staged_rows == 4 and report.data_lines == 5
    (q,) = report.quarantined
    assert q.line == 4 and q.reason == "duplicate minute: same time as line 3"
    assert tables[0][1].column("use_kw").to_pylist() == ["1.5"] * 4


def test_not_utf8_line_is_quarantined_with_line_and_column(tmp_path):
    """Bytes that are not UTF-8 damage one line (crash debris, a stray latin-1 byte): that line is
    quarantined with its column, the others load."""
    path = write(tmp_path / "latin1.csv", minutes(3))
    data = path.read_bytes().replace(b"clear-night", "cl\xe9ar".encode("latin-1"), 1)
    path.write_bytes(data)
    _tables, report = read_all(path)
    (q,) = report.quarantined
    assert (q.line, q.column, q.reason.split(":")[0]) == (2, "icon", "not UTF-8 text")
    assert report.staged_rows == 2 and report.data_lines == 3


def test_rows_out_of_day_order_are_a_clear_error(tmp_path):
    lines = minutes(2, start=1140) + minutes(2, start=0)
    with pytest.raises(SourceFormatError, match="sort the file by time"):
        read_all(write(tmp_path / "h.csv", lines))


def test_time_span_reads_head_and_tail(tmp_path, excerpt_path):
    assert time_span(excerpt_path) == (contract.TIME_ORIGIN, contract.TIME_ORIGIN + 2837)
    junk = "junk" + "," * 31
    assert time_span(write(tmp_path / "h.csv", [*minutes(3), junk])) == (contract.TIME_ORIGIN, contract.TIME_ORIGIN + 2)


def test_malformed_rows_in_different_blocks_keep_exact_lines(tmp_path):
    """A 20-day file (~5 MB) spans several 2 MB parse blocks; the restart pass must still find each line."""
    from smarthome_assets.homec.generator import generate_home

    path = tmp_path / "home.csv"
    generate_home(path, rows=20 * 1440, seed=1)
    lines = path.read_text().splitlines(keepends=True)
    for line_no in (7, 9_000, 27_000):  # 1-based lines, in the first, a middle and the last block
        lines[line_no - 1] = "1,2,3\n"
    path.write_text("".join(lines))
    tables, report = read_all(path)
    junk_line = len(lines)
    assert sorted(q.line for q in report.quarantined) == [7, 9_000, 27_000, junk_line]
    assert report.data_lines == report.staged_rows + 4 == 20 * 1440 + 1
    staged_lines = [line for _, t in tables for line in t.column("source_line").to_pylist()]
    assert staged_lines == [line for line in range(2, junk_line) if line not in (7, 9_000, 27_000)]
