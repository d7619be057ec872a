"""Where landing's zones live in the object store: every key of the incoming, raw, staging and quarantine
zones is built here, so each scheme is stated once. The convention, zone by zone, and the
incoming zone's rules are in docs/GLOSSARY.md."""

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


def quarantine_key(delivery: str, sha256: str) -> str:
    return f"quarantine/{delivery}/{sha256[:16]}.csv"
