"""Hostile files: every one gives a named error or a counted quarantine, never a traceback or a silent loss.

Each test counts the file's lines itself, on the bytes (`physical_data_lines`), never with the reader's
parser: a test that checks the parser with the parser's own count cannot catch a parser that joins lines.
"""

from __future__ import annotations

import gzip
import re
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smarthome_assets.homec import contract
from smarthome_assets.homec.reader import PARSE_BLOCK_BYTES, SourceFormatError, TimeAxis, read_days, time_span
from smarthome_assets_tests.support.homec_files import HEADER, minutes, row, write

_LINE_END = re.compile(rb"\r\n|\r|\n")


def physical_data_lines(data: bytes) -> int:
    """Lines after the header, counted on the bytes: a line ends at \\n, \\r\\n or \\r; a last line without
    an ending still counts."""
    if data.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)
    if not data:
        return 0
    endings = len(_LINE_END.findall(data))
    return endings + (0 if data.endswith((b"\n", b"\r")) else 1) - 1


def read_all(path, axis: TimeAxis | None = None):
    days, report = read_days(path, path.name, axis)
    tables = list(days)
    assert report.data_lines == physical_data_lines(path.read_bytes())
    assert report.staged_rows + len(report.quarantined) + report.joined_lines == report.data_lines
    assert sum(t.num_rows for _, t in tables) == report.staged_rows
    return tables, report


def excerpt_lines(excerpt_path) -> list[bytes]:
    return excerpt_path.read_bytes().split(b"\n")[:-1]  # LF endings, one at the end


def with_stray_quote(lines: list[bytes], line_no: int, field: int = 5) -> None:
    fields = lines[line_no - 1].split(b",")
    fields[field] = b'"' + fields[field]
    lines[line_no - 1] = b",".join(fields)


def test_one_stray_quote_quarantines_one_line_and_loses_nothing(tmp_path, excerpt_path):
    lines = excerpt_lines(excerpt_path)
    with_stray_quote(lines, 1001)
    path = tmp_path / "quote.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _tables, report = read_all(path)
    assert report.data_lines == 2838 and report.staged_rows == 2837
    (q,) = report.quarantined
    assert (q.line, q.column) == (1001, "Furnace 1 [kW]") and "double quote" in q.reason


def test_two_stray_quotes_never_make_a_multi_line_value(tmp_path, excerpt_path):
    lines = excerpt_lines(excerpt_path)
    with_stray_quote(lines, 1001, field=23)  # summary
    with_stray_quote(lines, 1003, field=23)
    path = tmp_path / "quotes.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    tables, report = read_all(path)
    assert sorted(q.line for q in report.quarantined) == [1001, 1003] and report.staged_rows == 2836
    summaries = [s for _, t in tables for s in t.column("summary").to_pylist()]
    assert not any("\n" in s or '"' in s for s in summaries)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r", "mixed"])
def test_every_line_ending_reads_the_same_rows(tmp_path, excerpt_path, ending):
    lines = excerpt_lines(excerpt_path)
    if ending == "mixed":
        endings = [b"\n", b"\r\n", b"\r"]
        data = b"".join(line + endings[i % 3] for i, line in enumerate(lines))
    else:
        data = ending.join(lines) + ending
    path = tmp_path / "endings.csv"
    path.write_bytes(data)
    tables, report = read_all(path)
    assert report.staged_rows == 2838 and not report.quarantined
    assert tables[-1][1].column("source_line").to_pylist()[-1] == 2839


@pytest.mark.parametrize(
    "debris", [b"\0" * 300, b"\xff\xfe\x00garbage\x81", b"1451627238,0.5,\x00\x00\x00", b"\x00\n\x00\n\xff"]
)
def test_binary_debris_at_the_end_is_quarantined_and_counted(tmp_path, excerpt_path, debris):
    path = tmp_path / "crashed.csv"
    path.write_bytes(excerpt_path.read_bytes() + debris)
    _tables, report = read_all(path)
    assert report.staged_rows == 2838 and report.quarantined
    assert all(q.line > 2839 for q in report.quarantined)


def test_gzip_is_read_transparently_and_other_archives_are_named(tmp_path, excerpt_path):
    gz = tmp_path / "HomeC.csv.gz"
    gz.write_bytes(gzip.compress(excerpt_path.read_bytes()))
    _tables, report = read_all(gz)
    assert report.staged_rows == 2838
    assert time_span(gz) == (contract.TIME_ORIGIN, contract.TIME_ORIGIN + 2837)

    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gz.read_bytes()[: len(gz.read_bytes()) // 2])
    with pytest.raises(SourceFormatError, match=r"cut\.csv\.gz: the gzip data is damaged or cut short"):
        list(read_days(cut, cut.name)[0])

    corrupt = tmp_path / "corrupt.csv.gz"
    data = bytearray(gz.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xaa" * 64
    corrupt.write_bytes(bytes(data))
    with pytest.raises(SourceFormatError, match=r"corrupt\.csv\.gz: the gzip data is damaged or cut short"):
        list(read_days(corrupt, corrupt.name)[0])
    assert time_span(corrupt) is None

    archive = tmp_path / "HomeC.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(excerpt_path, "HomeC.csv")
    with pytest.raises(SourceFormatError, match=r"HomeC\.zip: the file is a zip archive, not CSV text: extract"):
        read_days(archive, archive.name)


def test_a_pandas_index_column_is_rejected_by_name(tmp_path):
    lines = [f"{i},{line}" for i, line in enumerate(minutes(3))]
    path = write(tmp_path / "indexed.csv", lines, header="," + HEADER)
    with pytest.raises(SourceFormatError, match=r"unnamed row index .*index=False") as info:
        read_days(path, path.name)
    assert info.value.line == 1


@pytest.mark.parametrize(("separator", "label"), [(";", "semicolons"), ("\t", "tabs")])
def test_other_separators_are_named(tmp_path, separator, label):
    lines = [line.replace(",", separator) for line in minutes(3)]
    path = write(tmp_path / "sep.csv", lines, header=HEADER.replace(",", separator))
    with pytest.raises(SourceFormatError, match=f"separated by {label}; HomeC separates them with commas"):
        read_days(path, path.name)


def test_time_in_milliseconds_is_named(tmp_path):
    lines = [row(m, time=str((contract.TIME_ORIGIN + m) * 1000)) for m in range(3)]
    path = write(tmp_path / "ms.csv", lines)
    with pytest.raises(SourceFormatError, match=r"line 2, column 'time': time is in milliseconds .*divide"):
        read_days(path, path.name)
    assert time_span(path) is None  # no OverflowError when the CLI picks the partitions

    one_bad_row = write(tmp_path / "one.csv", [row(0, time=str(contract.TIME_ORIGIN * 1000)), *minutes(3, start=1)])
    _tables, report = read_all(one_bad_row)  # one damaged first row does not condemn the file
    assert [q.line for q in report.quarantined] == [2] and report.staged_rows == 3


def test_time_as_a_float(tmp_path):
    lines = [row(m, time=f"{contract.TIME_ORIGIN + m}.0") for m in range(3)]
    lines.append(row(3, time=f"{contract.TIME_ORIGIN + 3}.5"))
    path = write(tmp_path / "float.csv", lines)
    assert time_span(path) == (contract.TIME_ORIGIN, contract.TIME_ORIGIN + 2)  # a fractional time is skipped
    tables, report = read_all(path)
    assert tables[0][1].column("time_raw").to_pylist() == [contract.TIME_ORIGIN + m for m in range(3)]
    assert [(q.line, q.reason) for q in report.quarantined] == [(5, "time is not a whole number of seconds")]


def test_a_first_time_with_two_minus_signs_is_quarantined_not_a_value_error(tmp_path):
    """Found by the property test: `--1451624400` passed a digits check and int() raised ValueError."""
    _tables, report = read_all(write(tmp_path / "minus.csv", [row(0, time=f"--{contract.TIME_ORIGIN}"), row(1)]))
    assert [(q.line, q.reason) for q in report.quarantined] == [(2, "time is not an integer unix timestamp")]


def test_time_too_big_for_int64_is_quarantined_not_an_overflow(tmp_path):
    lines = [*minutes(2), row(2, time="99999999999999999999999"), row(3, time=str(2**62))]
    _tables, report = read_all(write(tmp_path / "huge.csv", lines))
    assert sorted(q.line for q in report.quarantined) == [4, 5] and report.staged_rows == 2


def test_a_quoted_newline_is_one_record_with_its_white_space_normalised(tmp_path):
    """RFC 4180: `"Partly<newline>Cloudy"` is one value of one record over two physical lines. It is loaded
    as `Partly Cloudy`, and the second line is accounted for as part of it, not lost or quarantined."""
    lines = minutes(4)
    lines[1] = lines[1].replace(",Clear,", ',"Partly\nCloudy",')
    path = write(tmp_path / "multiline.csv", lines)
    tables, report = read_all(path)
    assert report.data_lines == 5 and report.staged_rows == 4 and report.joined_lines == 1
    assert report.quarantined == []
    [(_day, table)] = tables
    assert table.column("source_line").to_pylist() == [2, 3, 5, 6]
    assert table.column("summary").to_pylist()[1] == "Partly Cloudy"


def test_a_quoted_record_that_cannot_be_a_row_is_quarantined_once(tmp_path):
    """A comma inside a quoted value has no place in a HomeC row: the whole record, over both of its lines,
    is one quarantined record named as such; every other line loads."""
    lines = minutes(4)
    lines[2] = lines[2].replace(",Clear,", ',"Partly,\n Cloudy",')
    path = write(tmp_path / "comma.csv", lines)
    tables, report = read_all(path)
    assert report.data_lines == 5 and report.staged_rows == 3 and report.joined_lines == 1
    [q] = report.quarantined
    assert (q.line, q.column) == (4, "summary") and "one record, lines 4-5" in q.reason and "a comma" in q.reason
    assert tables[0][1].column("source_line").to_pylist() == [2, 3, 6]


def test_a_properly_quoted_value_on_one_line_is_loaded(tmp_path):
    lines = minutes(3)
    lines[0] = lines[0].replace(",Clear,", ',"Clear",')
    tables, report = read_all(write(tmp_path / "quoted.csv", lines))
    assert report.staged_rows == 3 and report.quarantined == [] and report.joined_lines == 0
    assert tables[0][1].column("summary").to_pylist()[0] == "Clear"


def test_lines_the_csv_module_chokes_on_are_quarantined(tmp_path):
    """NUL bytes and a 200 kB line raised `_csv.Error` from the old exact pass."""
    lines = [*minutes(3), "1451624403," + "9" * 200_000, "1451624404,\0" + ",0" * 30]
    _tables, report = read_all(write(tmp_path / "csv_error.csv", lines))
    assert sorted(q.line for q in report.quarantined) == [5, 6]


def test_blank_lines_are_counted(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(HEADER + "\n" + row(0) + "\n\n" + row(1) + "\n\n")
    _tables, report = read_all(path)
    assert [(q.line, q.reason) for q in report.quarantined] == [(3, "empty line"), (5, "empty line")]


def test_a_summary_wider_than_the_warehouse_is_quarantined_before_any_load(tmp_path):
    long = "Breezy and Partly Cloudy with Rain Later and Heavy Snow Overnight!!"  # 67 characters
    assert len(long) == 67
    lines = [*minutes(2), row(2, summary=long), row(3, summary="é" * 33)]  # 66 bytes in UTF-8
    _tables, report = read_all(write(tmp_path / "long.csv", lines))
    assert [(q.line, q.column, q.reason.split(":")[0]) for q in report.quarantined] == [
        (4, "summary", "summary too long"),
        (5, "summary", "summary too long"),
    ]
    assert "67 bytes" in report.quarantined[0].reason and "VARCHAR(64)" in report.quarantined[0].reason


def test_days_outside_the_partitions_name_the_days_and_the_partitions(tmp_path):
    axis = TimeAxis(first_day=date(2016, 1, 1), last_day=date(2016, 12, 16))
    far = contract.TIME_ORIGIN + 5 * 366 * 1440  # five years later
    path = write(tmp_path / "later.csv", [row(0, time=str(far + m)) for m in range(3)])
    with pytest.raises(SourceFormatError) as info:
        list(read_days(path, path.name, axis)[0])
    assert "none of the file's days (2021-01-04..2021-01-04) are in the partitions (2016-01-01..2016-12-16)" in str(
        info.value
    )


def test_a_newest_first_file_is_named_as_such_not_blamed_on_the_partitions(tmp_path):
    lines = list(reversed(minutes(3, start=0) + minutes(3, start=1140)))  # 2016-01-02 then 2016-01-01
    path = write(tmp_path / "newest_first.csv", lines)
    assert time_span(path) == (contract.TIME_ORIGIN, contract.TIME_ORIGIN + 1142)  # still the file's days
    with pytest.raises(SourceFormatError, match=r"from 2016-01-02 to 2016-01-01: the file looks sorted newest first"):
        list(read_days(path, path.name)[0])


def test_an_unexpected_library_error_becomes_one_named_line():
    from smarthome_assets.homec.reader import _describe

    for exc in (AssertionError(), OverflowError("Python int too large to convert to C long")):
        message = str(_describe("h.csv", exc))
        assert message.startswith("h.csv: cannot be read as HomeC (") and "\n" not in message
    assert "no detail" in str(_describe("h.csv", AssertionError()))


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(st.sampled_from([b"a", b",", b"\r", b"\n", b"\r\n"]), max_size=20).map(b"".join),
    chunk=st.integers(min_value=1, max_value=7),
)
def test_line_counting_and_splitting_agree_with_an_independent_count(data, chunk, monkeypatch):
    """However the bytes are cut into reads, the counter and the splitter see the same lines as a regex."""
    import io

    from smarthome_assets.homec import source_file

    monkeypatch.setattr(source_file, "_CHUNK", chunk)
    counter = source_file.LineCountingReader(io.BytesIO(data))
    while counter.read(chunk):
        pass
    lines = list(source_file.physical_lines(io.BytesIO(data)))
    expected = physical_data_lines(data) + 1 if data else 0
    assert counter.physical_lines == len(lines) == expected
    assert lines == _LINE_END.split(data)[:expected]


def test_a_step_back_in_days_between_two_parse_blocks_is_named_too():
    """Within a block the step back is seen in the block; between blocks only the previous day can show it."""
    import numpy as np
    import pyarrow as pa

    from smarthome_assets.homec.reader import _check_order

    block = pa.table({"source_line": pa.array([900, 901], pa.int32()), "time_raw": [1, 2]})
    days = np.array([16_801, 16_801])  # 2016-01-01
    _check_order("h.csv", block, days, date(2016, 1, 1))  # the same day continues: fine
    with pytest.raises(
        SourceFormatError, match=r"h\.csv, line 900, column 'time': rows go back in time, from 2016-01-05"
    ):
        _check_order("h.csv", block, days, date(2016, 1, 5))


def test_a_line_longer_than_a_parse_block_is_quarantined_not_a_parse_error(tmp_path):
    """pyarrow parses a line of 1.5 parse blocks (its text is then too wide: quarantined) but fails on one of 2.5
    blocks, which sends the file to the exact pass, where every line over 64 kB is quarantined as too long.
    Either way each is counted."""
    wide = row(3, summary="x" * (PARSE_BLOCK_BYTES * 3 // 2))
    _tables, report = read_all(write(tmp_path / "wide.csv", [*minutes(3), wide]))
    assert [(q.line, q.reason.split(":")[0]) for q in report.quarantined] == [(5, "summary too long")]

    huge = row(4, temperature="9" * (PARSE_BLOCK_BYTES * 5 // 2))
    _tables, report = read_all(write(tmp_path / "huge.csv", [*minutes(3), wide, huge, row(5)]))
    assert [(q.line, q.reason.split(":")[0]) for q in report.quarantined] == [
        (5, "line too long"),
        (6, "line too long"),
    ]
    assert all(len(q.text) <= 500 for q in report.quarantined) and report.staged_rows == 4
