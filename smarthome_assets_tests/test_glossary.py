"""docs/GLOSSARY.md names each dataset once per layer: every name in its table must be the name the code, the
SQL and the API actually use, so the glossary cannot drift from the code (and the code cannot drift into a
second name for a layer without the glossary saying so)."""

from __future__ import annotations

import re

import pytest

from smarthome_assets.cleaning import rules
from smarthome_assets.database import queries
from smarthome_assets.exports import layout as export_layout
from smarthome_assets.homec import contract
from smarthome_assets.ingestion import layout as landing_layout
from smarthome_assets.ingestion.clean_days import TABLES
from smarthome_assets.lake import layout as lake_layout
from smarthome_assets.lake import query as lake_query
from smarthome_assets.lib import keys
from smarthome_assets_tests.support.paths import REPO

GLOSSARY = REPO / "docs" / "GLOSSARY.md"
DATASETS = ("energy", "weather", "homes")


def _table() -> dict[str, dict[str, list[str]]]:
    """layer -> dataset -> the backticked names of its cell (the first table of the glossary)."""
    text = GLOSSARY.read_text()
    rows = [line for line in text.split("\n## ")[0].splitlines() if line.startswith("| ") and "---" not in line]
    table = {}
    for line in rows[1:]:
        layer, *cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[layer] = {d: re.findall(r"`([^`]+)`", cell) for d, cell in zip(DATASETS, cells, strict=True)}
        table[layer]["layer"] = re.findall(r"`([^`]+)`", layer)
    return table


def _sql_tables(*paths) -> set[str]:
    text = "\n".join(p.read_text() for p in paths)
    return set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", text))


def test_every_layer_of_the_glossary_is_checked():
    assert len(_table()) == 9


def test_the_assets_are_named_as_in_the_glossary():
    named = {name for layer in _table().values() for name in layer["layer"] if not name.endswith(".py")}
    named.discard("lambda_api/")
    assert named == {key.to_user_string() for key in vars(keys).values() if hasattr(key, "to_user_string")} - {
        "dashboard"
    }


def test_the_csv_and_clean_names():
    table = _table()
    csv = table["CSV delivery (HomeC columns, `homec/contract.py`)"]
    assert csv["energy"] == [contract.POWER_COLUMNS[0].raw, contract.POWER_COLUMNS[-1].raw]
    assert csv["weather"] == [contract.WEATHER_COLUMNS[0].raw, contract.WEATHER_COLUMNS[-1].raw]
    assert csv["homes"] == [landing_layout.incoming_key("<home>", "")]
    clean = table["clean rows (assets `clean_devices`, `clean_weather`)"]
    for dataset, schema in (("energy", "ENERGY_SCHEMA"), ("weather", "WEATHER_SCHEMA")):
        assert clean[dataset] == [schema] and TABLES[dataset][2] is getattr(rules, schema)
    landed = table["landed delivery (asset `raw_csv`)"]
    assert landing_layout.source_key("<home>/<name>", "<version>") == landed["energy"][0]
    assert landed["homes"] == [landing_layout.REGISTRY_KEY]


def test_the_stores_and_the_api_use_the_glossary_names():
    table = _table()
    postgres = table["PostgreSQL (assets `rds_tables`, `homes`)"]
    migrated = _sql_tables(*(REPO / "smarthome_assets" / "database" / "migrations").glob("*.sql"))
    assert [queries.LOADED_TABLES["energy"]] == postgres["energy"] and [queries.LOADED_TABLES["weather"]] == postgres[
        "weather"
    ]
    assert set(postgres["energy"] + postgres["weather"] + postgres["homes"]) <= migrated
    routes = (REPO / "lambda_api" / "routes.py").read_text()
    api = table["API route (`lambda_api/`)"]
    for route in [*api["energy"], *api["weather"], *api["homes"]]:
        assert f'app.get(\n        "{route}"' in routes or f'app.get("{route}"' in routes, route
    exports = table["export files (asset `daily_exports`)"]
    for dataset in ("energy", "weather"):
        assert dataset in export_layout.DAY_TABLES
        assert export_layout.export_key(dataset, "2016-01-01", "x").startswith(exports[dataset][0])
    assert export_layout.homes_key("x").startswith(exports["homes"][0])
    warehouse = table["warehouse (asset `redshift_tables`)"]
    created = _sql_tables(REPO / "smarthome_assets" / "warehouse" / "sql" / "schema.sql")
    assert {name for d in DATASETS for name in warehouse[d]} <= created


@pytest.mark.parametrize("dataset", ["energy", "weather"])
def test_the_code_calls_each_dataset_by_one_name(dataset):
    """The dataset keys of the cleaning pass, the loader and the exports are the same two names."""
    assert dataset in TABLES and dataset in queries.LOADED_TABLES and dataset in export_layout.DAY_TABLES


def test_the_lake_uses_the_glossary_names():
    """Its files, its DuckDB views and Glue tables (deploy/terraform/lake.tf), and the named queries' tables."""
    table = _table()
    files = table["lake files (asset `lake_parquet`)"]
    for dataset in ("energy", "weather"):
        assert lake_layout.part_key(dataset, "2016-01-01").startswith(files[dataset][0])
    tables = table["lake tables (DuckDB views; on AWS the Glue tables, and Spectrum's schema lake)"]
    assert tables["energy"] == ["energy"] and tables["weather"] == ["weather"]
    assert set(lake_layout.TABLES) == {"energy", "weather"}
    terraform = (REPO / "deploy" / "terraform" / "lake.tf").read_text()
    assert re.search(r"lake_columns = \{\s*energy\s*=.*\n\s*weather\s*=", terraform)
    from smarthome_assets.warehouse.sql_files import SPECTRUM_SCHEMA

    assert SPECTRUM_SCHEMA == "lake"
    used = set()
    for named in lake_query.named_queries().values():
        used |= {n for pair in re.findall(r"(?:FROM|JOIN) (\w+)", named.sql) for n in [pair]}
    assert used == set(lake_layout.TABLES)


def test_every_zone_the_landing_layout_builds_is_in_the_glossary():
    """Each key `ingestion/layout.py` builds has its row in the glossary's table of zones."""
    zones = GLOSSARY.read_text().split("## The object store, zone by zone")[1]
    named = set(re.findall(r"^\| `([^`]+)`", zones, flags=re.MULTILINE))
    built = {
        landing_layout.incoming_key("<home>", "<name>.csv"),
        landing_layout.source_declaration_key("<home>"),
        landing_layout.source_key("<home>/<name>", "<version>"),
        landing_layout.manifest_key("<home>/<name>"),
        landing_layout.REGISTRY_KEY,
        landing_layout.staged_day_key("<day>", 0, "<name>", "<version>").replace("house_id=0", "house_id=<n>"),
        landing_layout.quarantine_key("<home>/<name>", "<sha256 prefix>"),
    }
    assert built <= named, built - named
