"""Where things live in the object store. One place, so every zone's key scheme is stated once.

raw/source/<file>                         the landed source file, byte for byte
raw/manifests/<file>.json                 its size, checksum, house_id and the reader's report
registry/homes.json                       file name -> house_id (stable: the same file, the same id)
staging/raw/date=<day>/house_id=<n>.arrow    the day's rows as text (Arrow IPC, see arrow_files.py)
clean/<table>/date=<day>/house_id=<n>.arrow  typed, cleaned rows for `weather` / `energy`
clean/reports/<table>/date=<day>/house_id=<n>.json  replacements counted while cleaning that day
quarantine/<file>/<sha256 prefix>.csv     rows that could not be loaded, with line and reason
"""

from __future__ import annotations

from datetime import date

REGISTRY_KEY = "registry/homes.json"


def source_key(file_name: str) -> str:
    return f"raw/source/{file_name}"


def manifest_key(file_name: str) -> str:
    return f"raw/manifests/{file_name}.json"


def staged_day_key(day: date | str, house_id: int) -> str:
    return f"staging/raw/date={day}/house_id={house_id}.arrow"


def clean_day_key(table: str, day: date | str, house_id: int) -> str:
    return f"clean/{table}/date={day}/house_id={house_id}.arrow"


def clean_report_key(table: str, day: date | str, house_id: int) -> str:
    return f"clean/reports/{table}/date={day}/house_id={house_id}.json"


def quarantine_key(file_name: str, sha256: str) -> str:
    return f"quarantine/{file_name}/{sha256[:16]}.csv"
