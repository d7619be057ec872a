"""Small HomeC-shaped files for tests, built from the contract (so they follow it by construction)."""

from __future__ import annotations

from pathlib import Path

from smarthome_assets.homec import contract

HEADER = ",".join(contract.RAW_HEADER)


def row(minute: int, *, cloud_cover: str = "0.25", use: str = "1.5", **overrides: str) -> str:
    """One well-formed data line for minute `minute` of the file."""
    values = {c.raw: "0.1" for c in contract.POWER_COLUMNS}
    values.update({"use [kW]": use, "House overall [kW]": use, "gen [kW]": "0.01", "Solar [kW]": "0.01"})
    values.update(
        {
            "time": str(contract.TIME_ORIGIN + minute),
            "temperature": "35.5",
            "icon": "clear-night",
            "humidity": "0.6",
            "visibility": "10",
            "summary": "Clear",
            "apparentTemperature": "30.1",
            "pressure": "1012.5",
            "windSpeed": "6.2",
            "cloudCover": cloud_cover,
            "windBearing": "221",
            "precipIntensity": "0",
            "dewPoint": "19.75",
            "precipProbability": "0",
        }
    )
    values.update(overrides)
    return ",".join(values[c] for c in contract.RAW_HEADER)


def write(path: Path, lines: list[str], *, header: str = HEADER, trailing_newline: bool = True) -> Path:
    text = "\n".join([header, *lines])
    path.write_text(text + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path


def minutes(n: int, start: int = 0) -> list[str]:
    return [row(m) for m in range(start, start + n)]
