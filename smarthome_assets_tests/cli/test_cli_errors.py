"""Issue 12: failures name their cause. The run summary shows the underlying error of a rejected file
(file, line, column, reason), and errors that used to reach the user as raw tracebacks (`OverflowError`,
`AttributeError: ... '_pool'` with the port in use, `AssertionError` with no text) are one line that says
what to do. Real CLI, real embedded server, real sockets."""

from __future__ import annotations

import socket

import dagster as dg
import psycopg2
import pytest

from smarthome_assets.cli.errors import one_line
from smarthome_assets.cli.main import main
from smarthome_assets.homec import contract
from smarthome_assets.lib.failures import step_failures


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTHOME_HOME", str(tmp_path / "home"))
    yield tmp_path
    main(["db", "down"])


def _row(time: int) -> str:
    return ",".join([str(time)] + ["0"] * 19 + ["clear-day", "0.5", "10", "Clear"] + ["0"] * 8)


def test_a_rejected_file_is_named_with_line_column_and_reason(home, capsys):
    bad = home / "short_header.csv"
    bad.write_text("time,use [kW],gen [kW]\n1451624400,1,2\n")
    assert main(["run", "--csv", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "smarthome run: rejected short_header/short_header.csv, line 1, column 'House overall [kW]': "
        f"missing column(s) {', '.join(repr(c) for c in contract.RAW_HEADER[3:])}\n"
    )
    assert "Traceback" not in captured.out + captured.err


def test_the_summary_names_a_rejected_file_beside_the_good_ones(home, capsys):
    bad, good = home / "bad" / "HomeC.csv", home / "good" / "HomeC.csv"
    bad.parent.mkdir()
    good.parent.mkdir()
    bad.write_text("time,use [kW],gen [kW]\n1451624400,1,2\n")
    good.write_text(",".join(contract.RAW_HEADER) + "\n" + _row(1451624400) + "\n")
    assert main(["run", "--csv", str(bad), "--csv", str(good)]) == 1
    out = capsys.readouterr().out
    assert "smarthome run FAILED" in out and "files rejected (nothing of them was kept)" in out
    assert "line 1, column 'House overall [kW]': missing column(s)" in out
    assert 'Execution of step "raw_csv" failed.' not in out


def test_a_time_no_date_can_hold_is_quarantined_with_its_reason(home, capsys):
    """It used to end in an OverflowError traceback; now the row is counted out with its reason."""
    path = home / "overflow.csv"
    path.write_text(",".join(contract.RAW_HEADER) + "\n" + _row(1451624400) + "\n" + _row(10**17) + "\n")
    assert main(["run", "--csv", str(path)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "2 lines = 1 loaded + 1 quarantined" in captured.out
    assert "time is not on the file's clock" in captured.out


@pytest.mark.parametrize("command", ["api", "dev"])
def test_a_port_in_use_is_one_line(home, capsys, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([command, "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"smarthome {command}: port {port} on 127.0.0.1 is already in use (another `smarthome api` or "
        "`make dev`?): stop that process, or choose another port with --port N\n"
    )


def test_an_unexpected_error_is_one_line_and_traceback_on_request(monkeypatch, capsys):
    def broken(args):
        raise AssertionError  # what a bare `assert` in library code raises (pytest rewrites test asserts)

    from smarthome_assets.cli import generate_command

    monkeypatch.setattr(generate_command, "run", broken)
    assert main(["generate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("smarthome generate: unexpected AssertionError (no message) at test_cli_errors.py:")
    assert err.rstrip().endswith("run again with --traceback and report it")
    with pytest.raises(AssertionError):
        main(["--traceback", "generate"])


def test_the_root_cause_of_a_step_is_its_own_exception(tmp_path):
    @dg.asset
    def silent() -> None:
        raise AssertionError

    @dg.asset
    def wrapped() -> None:
        try:
            int("x")
        except ValueError as exc:
            raise dg.Failure(description="could not parse") from exc

    result = dg.materialize([silent, wrapped], raise_on_error=False, instance=dg.DagsterInstance.ephemeral())
    failures = step_failures(result.all_events)
    assert failures["silent"] == "AssertionError (no message)"
    assert failures["wrapped"] == "ValueError: invalid literal for int() with base 10: 'x'"
    assert one_line(OSError(28, "No space left on device", "/data/x")).startswith("the disk is full (/data/x)")


def test_postgres_out_of_disk_reaching_the_cli_says_so():
    error = psycopg2.OperationalError("connection failed: FATAL:  could not write init file: No space left on device")
    assert one_line(error).startswith("PostgreSQL cannot write: the disk holding its data is full")


def test_a_generic_error_class_keeps_its_module():
    import csv
    import io

    @dg.asset
    def parses() -> None:
        list(csv.reader(io.StringIO("x" * 200_000)))

    result = dg.materialize([parses], raise_on_error=False, instance=dg.DagsterInstance.ephemeral())
    assert step_failures(result.all_events)["parses"] == "_csv.Error: field larger than field limit (131072)"
