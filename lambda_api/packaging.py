"""Build the Lambda deployment zip: `python -m lambda_api.packaging --out build/lambda_api.zip`.

The zip holds `lambda_api/` (its runtime modules only) and the wheels pinned in
`lambda_api/requirements.txt`, installed for the python3.12 x86_64 runtime (cp312, manylinux2014) with
`--no-deps`, so it holds exactly what is listed, whatever machine builds it. Entries are written in a
fixed order with fixed timestamps: the same inputs give the same bytes.

The code is byte-compiled for Python 3.12 when a python3.12 is at hand: /var/task is read-only, so
without shipped .pyc files every cold start compiles all modules again (about 3x the import time). The
.pyc use unchecked hashes, so the zip's fixed timestamps do not invalidate them.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REQUIREMENTS = PACKAGE_DIR / "requirements.txt"
#: Files of lambda_api/ that are for building and deploying, not for the function.
NOT_SHIPPED = {"packaging.py", "requirements.txt", "template.yaml"}
PLATFORM_ARGS = [
    "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.12",
    "--only-binary=:all:", "--no-deps",
]  # fmt: skip
_FIXED_TIME = (2016, 1, 1, 0, 0, 0)


def install_wheels(target: Path, requirements: Path = REQUIREMENTS) -> None:
    """pip-install the pinned wheels for the Lambda runtime into `target`."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               *PLATFORM_ARGS, "--target", str(target), "-r", str(requirements)]  # fmt: skip
    subprocess.run(command, check=True)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache)  # bytecode of the build machine's Python, if pip wrote any


def copy_function_code(target: Path) -> None:
    """lambda_api's own modules, without build files and caches."""
    destination = target / "lambda_api"
    destination.mkdir(parents=True, exist_ok=True)
    for source in sorted(PACKAGE_DIR.glob("*.py")):
        if source.name not in NOT_SHIPPED:  # only .py: no __pycache__ of the build machine
            shutil.copy2(source, destination / source.name)


def find_python312() -> str | None:
    """A working python3.12 (on PATH or under pyenv), or None."""
    candidates = [
        shutil.which("python3.12"),
        *sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.12*/bin/python3.12"))),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def compile_bytecode(target: Path) -> bool:
    """Byte-compile everything under `target` for the runtime's Python; False when no 3.12 is found."""
    python = find_python312()
    if python is None:
        print("warning: no python3.12 found; the zip ships without .pyc (slower cold starts)", file=sys.stderr)
        return False
    # -s/-p: record the paths the code will have in Lambda (/var/task/...), not this build's temp folder;
    # a fixed hash seed keeps set constants in a fixed order: both make the .pyc files reproducible
    command = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
               "-s", str(target), "-p", "/var/task", str(target)]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return True


def write_zip(source: Path, out: Path) -> None:
    """Zip `source` deterministically (sorted entries, fixed times)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def build(out: Path, requirements: Path = REQUIREMENTS) -> Path:
    with tempfile.TemporaryDirectory(prefix="lambda-pkg-") as tmp:
        staging = Path(tmp) / "pkg"
        install_wheels(staging, requirements)
        copy_function_code(staging)
        compile_bytecode(staging)
        write_zip(staging, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/lambda_api.zip"))
    args = parser.parse_args(argv)
    out = build(args.out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB (python3.12, x86_64, handler lambda_api.handler.handler)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
