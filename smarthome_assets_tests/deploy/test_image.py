"""The image's install steps work: the Dockerfile's COPY and `pip install` steps, replayed into a clean venv
(no Docker engine runs here), give an environment that loads the code location as the ECS tasks do.

The steps are read from the Dockerfile itself, so the test follows it: every COPY is copied into a build folder,
every `python -m pip install ...` runs there with the clean venv's Python. The shared pip cache keeps it to
about a minute once the main venv exists.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smarthome_assets_tests.support.deploy_tools import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def dockerfile_steps() -> list[tuple[str, list[str]]]:
    """("COPY", [sources..., dest]) and ("PIP", [pip arguments]) in file order; other steps are not installs."""
    steps: list[tuple[str, list[str]]] = []
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "COPY":
            steps.append(("COPY", shlex.split(rest)))
        elif instruction == "RUN":
            for command in rest.split("&&"):
                words = shlex.split(command)
                if words[:4] == ["python", "-m", "pip", "install"]:
                    steps.append(("PIP", words[4:]))
    return steps


def test_the_dockerfile_installs_the_runtime_lock_with_hashes_then_the_project_without_deps():
    pips = [args for kind, args in dockerfile_steps() if kind == "PIP"]
    assert pips[0][-2:] == ["-r", "requirements/runtime-lock.txt"] and "--require-hashes" in pips[0]
    assert "--no-deps" in pips[1] and "--editable" in pips[1] and pips[1][-1] == "."
    assert "--no-build-isolation" in pips[1]  # else pip fetches setuptools for the build, unchecked


def _pins(path: Path) -> dict[str, str]:
    text = path.read_text().replace("\\\n", " ")
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
    return {name.lower().replace("_", "-"): version for name, version in found}


def test_the_runtime_lock_is_the_lock_without_test_packages_and_hashes_every_file():
    runtime, full = _pins(REPO / "requirements" / "runtime-lock.txt"), _pins(REPO / "requirements" / "lock.txt")
    entries = re.findall(
        r"^\S+==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}$", (REPO / "requirements" / "runtime-lock.txt").read_text(), re.M
    )
    assert len(entries) == len(runtime) > 50
    assert {n: v for n, v in runtime.items() if n in full} == {n: full[n] for n in runtime if n in full}
    assert not {"moto", "playwright", "pytest", "ruff", "hypothesis", "schemathesis"} & runtime.keys()
    assert {"dagster", "dagster-aws", "dagster-postgres", "psycopg2-binary", "boto3"} <= runtime.keys()


def test_the_image_is_built_for_the_platform_the_tasks_declare():
    """Defect 5: the task definitions and the Lambda say X86_64; a build without --platform on an arm64 machine
    gives an image that stops with "exec format error"."""
    ecs = (REPO / "deploy" / "terraform" / "ecs.tf").read_text()
    assert 'cpu_architecture        = "X86_64"' in ecs
    assert (
        'architectures                  = ["x86_64"]' in (REPO / "deploy" / "terraform" / "lambda_api.tf").read_text()
    )
    builds = [
        line
        for doc in (REPO / "docs" / "DEPLOY.md", REPO / "Dockerfile")
        for line in doc.read_text().splitlines()
        if "docker build" in line or "docker buildx build" in line
    ]
    assert builds and all("--platform linux/amd64" in line for line in builds), builds


def test_the_image_steps_in_a_clean_venv_load_the_code_location(tmp_path):
    context, venv = tmp_path / "app", tmp_path / "venv"
    context.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "DAGSTER_HOME"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", SMARTHOME_HOME=str(tmp_path / "home"), SMARTHOME_ENV="aws")
    for kind, args in dockerfile_steps():
        if kind == "COPY":
            *sources, dest = args
            for source in sources:
                target = context / dest / Path(source).name if dest.endswith("/") else context / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                if (REPO / source).is_dir():
                    shutil.copytree(REPO / source, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(REPO / source, target)
        else:
            args = [a for a in args if a != "--no-cache-dir"]  # reuse the machine's pip cache
            done = subprocess.run([python, "-m", "pip", "install", "--quiet", *args], cwd=context, env=env,
                                  capture_output=True, text=True, timeout=900)  # fmt: skip
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # `dg check defs` in the image's app folder, with the image's venv: the code location loads and validates.
    check = subprocess.run(
        [str(venv / "bin" / "dg"), "check", "defs"],
        cwd=context, env={**env, "VIRTUAL_ENV": str(venv)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "All definitions loaded successfully" in check.stdout + check.stderr
    # From elsewhere, the import finds the project the image installed (in place, as ECS runs it).
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run(
        [python, "-c", "import smarthome_assets, lambda_api; print(smarthome_assets.__file__)"],
        cwd=outside, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    assert str(context) in where
