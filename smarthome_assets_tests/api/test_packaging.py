"""The deployment package: `make lambda-zip` builds a zip for the python3.12 runtime that answers events on its
own in a clean folder. Terraform deploys it (deploy/terraform/lambda_api.tf; checked in test_deploy_terraform.py)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from lambda_api import packaging
from smarthome_assets_tests.support.api_database import create_api_database, drop_api_database, v1_event, v2_event
from smarthome_assets_tests.support.paths import REPO

FORBIDDEN = ("dagster", "pandas", "numpy", "smarthome_assets", "boto3", "botocore", "pyarrow")


@pytest.fixture(scope="module")
def python312() -> str:
    found = packaging.find_python312()
    if found is None:
        pytest.skip("python3.12 (the Lambda runtime's version) is not installed")
    return found


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory, python312) -> Path:
    return packaging.build(tmp_path_factory.mktemp("zip") / "lambda_api.zip")


def test_the_zip_holds_the_function_and_its_pinned_wheels_only(lambda_zip):
    names = zipfile.ZipFile(lambda_zip).namelist()
    tops = {name.split("/")[0] for name in names}
    assert "lambda_api" in tops and "aws_lambda_powertools" in tops and "psycopg2" in tops and "orjson" in tops
    assert not [t for t in tops if t.split("-")[0].lower() in FORBIDDEN]
    shipped = {n.removeprefix("lambda_api/") for n in names if n.startswith("lambda_api/") and n.endswith(".py")}
    assert "handler.py" in shipped and not shipped & packaging.NOT_SHIPPED
    assert "lambda_api/__pycache__/handler.cpython-312.pyc" in names  # byte-compiled for the runtime
    extensions = [n for n in names if n.endswith(".so")]
    assert extensions and all(re.search(r"(cpython-312-x86_64-linux-gnu|abi3)\.so$|\.libs/", n) for n in extensions)
    assert lambda_zip.stat().st_size < 50_000_000  # well under Lambda's 250 MB unzipped / 50 MB zipped


def test_the_zip_is_reproducible(lambda_zip, tmp_path):
    again = packaging.build(tmp_path / "again.zip")
    assert again.read_bytes() == lambda_zip.read_bytes()


_INVOKE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lambda_api.config import ApiConfig
from lambda_api.handler import configure, handler
configure(ApiConfig(database_url=sys.argv[2]))
results = [handler(event, None) for event in json.loads(sys.argv[3])]
import psycopg2, orjson, pydantic_core
print(json.dumps({
    "results": results,
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
    "files": [psycopg2.__file__, orjson.__file__, pydantic_core.__file__],
    "version": list(sys.version_info[:2]),
}))
"""


def test_the_unpacked_zip_answers_events_with_python312(lambda_zip, python312, pg_server, tmp_path):
    folder = tmp_path / "task"  # like /var/task: only the zip's contents
    zipfile.ZipFile(lambda_zip).extractall(folder)
    db = create_api_database(pg_server)
    try:
        events = [v2_event("/energy", "start=2016-01-02&end=2016-01-03&device=fridge_kw"), v1_event("/homes")]
        done = subprocess.run(
            [python312, "-I", "-S", "-c", _INVOKE, str(folder), db.reader_url, json.dumps(events)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
    finally:
        drop_api_database(db, pg_server)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["version"] == [3, 12]
    energy, homes = report["results"]
    assert energy["statusCode"] == 200 and json.loads(energy["body"])["count"] == 1440
    assert homes["statusCode"] == 200 and json.loads(homes["body"])["count"] == 2
    assert all(path.startswith(str(folder)) for path in report["files"])
    assert not set(report["modules"]) & set(FORBIDDEN)


def test_requirements_pin_the_locked_versions():
    def pins(path: Path) -> dict[str, str]:
        found = {}
        for line in path.read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==")
                found[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
        return found

    zip_pins = pins(packaging.REQUIREMENTS)
    locked = pins(REPO / "requirements" / "lock.txt")
    assert {"aws-lambda-powertools", "psycopg2-binary", "orjson", "pydantic"} <= zip_pins.keys()
    assert {name: locked.get(name) for name in zip_pins} == zip_pins
