"""Where things live in the object store. One place, so every zone's key scheme is stated once.

The incoming zone (the one way data gets in; local directory `var/object_store/incoming/` by default,
`s3://<bucket>/<prefix>/incoming/` on AWS):

incoming/<home>/<name>.csv                a delivery: a HomeC-shaped CSV (header + rows), a whole history or
                                          a short delta (an hour, a day). Any number per home.
incoming/<home>/_source.json              optional: how this home's `time` column is read (below)

- `<home>` is the home's identity: one stable `house_id` for every delivery under it, whatever the file
  names. Letters, digits, `.`, `_`, `-` (no `/`). Two homes delivering identical bytes stay two homes.
- `<name>` is any file name ending in `.csv` (no `/`). Names starting with `.` or `_` are ignored, so a
  writer on the local directory writes `.<name>.csv.part` (or any dot-name) and renames it into place
  when complete; an S3 PUT is atomic already.
- Re-delivering the same `incoming/<home>/<name>.csv` with other bytes *replaces that delivery whole*:
  its previous version's rows go from every store, including days the new version no longer covers.
- Between deliveries of one home, the newest landing wins minute by minute (same `timeframe`): a late
  correction `day1-fix.csv` for a day replaces the rows it carries; hourly deltas add up.
- A delivery with the same bytes as another current delivery of the same home is a duplicate: nothing
  changes, and the sensor says so.
- `_source.json` declares the time axis, `{"time_axis": "row_position"}` (the default when the file is
  absent) or `{"time_axis": "unix_seconds"}`:
  - `row_position`: the Kaggle HomeC rule. `time` counts rows from 1451624400, one row a minute, so a
    row's instant is `timeframe_origin + (time - 1451624400) minutes`; `timeframe_origin` defaults to
    2016-01-01T05:00:00+00:00 and may be given in the file (ISO 8601).
  - `unix_seconds`: live feeds. `time` is the reading's real unix time in seconds (UTC).
  Changing it re-lands every delivery of the home.

The other zones (written by landing and the assets; nobody else writes there):

raw/source/<home>/<name>@<version>        a landed delivery, byte for byte
raw/manifests/<home>/<name>.json          its manifest: checksum, house_id, version, the reader's report.
                                          The commit marker: a landing writes everything under a new
                                          version first and switches this last (one atomic put).
registry/homes.json                       home -> house_id (stable; ids given in order of first landing)
staging/raw/date=<day>/house_id=<n>/<name>@<version>.arrow  one delivery's rows of that day, as text
clean/<table>/date=<day>/house_id=<n>.arrow  typed, cleaned rows for `weather` / `energy`; the replacements
                                          counted while cleaning that day in its schema metadata
quarantine/<home>/<name>/<sha256 prefix>.csv  rows that could not be loaded, with line and reason
"""

from __future__ import annotations

from datetime import date

INCOMING = "incoming/"
SOURCE_DECLARATION = "_source.json"
REGISTRY_KEY = "registry/homes.json"


def incoming_key(home: str, name: str) -> str:
    return f"{INCOMING}{home}/{name}"


def source_declaration_key(home: str) -> str:
    return f"{INCOMING}{home}/{SOURCE_DECLARATION}"


def source_key(delivery: str, version: str) -> str:
    """`delivery` is `<home>/<name>`, the delivery's path inside the incoming zone."""
    return f"raw/source/{delivery}@{version}"


def manifest_key(delivery: str) -> str:
    return f"raw/manifests/{delivery}.json"


def manifest_prefix() -> str:
    return "raw/manifests/"


def staged_day_key(day: date | str, house_id: int, name: str, version: str) -> str:
    return f"staging/raw/date={day}/house_id={house_id}/{name}@{version}.arrow"


def clean_day_key(table: str, day: date | str, house_id: int) -> str:
    return f"clean/{table}/date={day}/house_id={house_id}.arrow"


def quarantine_key(delivery: str, sha256: str) -> str:
    return f"quarantine/{delivery}/{sha256[:16]}.csv"
