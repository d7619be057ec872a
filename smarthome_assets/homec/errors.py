"""The one error a HomeC file can raise: it cannot be read as HomeC at all.

Everything the reader meets (a bad header, a compressed or binary file, a decoding or parsing failure,
an overflow) becomes this error, so the user sees one line that names the file, the line and column
when known, the reason and what to do, never a traceback from a library.
"""

from __future__ import annotations


class SourceFormatError(ValueError):
    """The file cannot be read as HomeC at all; says where (file, line, column), why, and what to do."""

    def __init__(self, file: str, message: str, *, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column, self.reason = file, line, column, message
        where = file + (f", line {line}" if line is not None else "")
        where += f", column {column!r}" if column is not None else ""
        super().__init__(f"{where}: {message}")
