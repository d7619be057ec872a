"""One container of a task definition, run as Fargate runs it, in a bubblewrap sandbox (Debian's `bwrap`).

- The image: this machine's root file system, read-only, with the image's own paths laid on top as the Dockerfile
  makes them: the application at its WORKDIR (/opt/dagster/app), DAGSTER_HOME with the instance's dagster.yaml,
  the project's venv on PATH (the image installs the same pinned packages; test_image.py checks those steps).
- `readonlyRootFilesystem`: everything is read-only but the task's volumes at their `mountPoints`.
- Volumes get the ownership Fargate gives a bind mount: root, mode 0755, unless the image declares a `VOLUME` at
  that path, in which case the path's ownership in the image (Dockerfile: `install -d -o -g -m`, or /tmp's 1777
  of the Debian base image). The process runs as the image's USER (uid 10001) through `setpriv`, not through a
  user namespace, so the kernel checks the real permission (a namespace mapped to root would hide defect 1).
- Network: the harness's own network namespace (awsvpc gives each task an ENI; here every task shares one private
  loopback), with an /etc/hosts that resolves the Cloud Map names, as the VPC's DNS would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The Debian base image's /tmp (python:*-slim): root, sticky and world-writable.
BASE_IMAGE_PATHS = {"/tmp": (0, 0, 0o1777)}
#: What Fargate gives a bind mount the image does not declare as a VOLUME.
FARGATE_BIND_MOUNT = (0, 0, 0o755)


@dataclass(frozen=True)
class Image:
    """What the Dockerfile declares that the runtime depends on."""

    user: int
    workdir: str
    env: dict[str, str]
    #: VOLUME paths -> (uid, gid, mode) of that path in the image.
    volumes: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(w.upper(), rest.strip()) for w, _, rest in (line.partition(" ") for line in lines)]


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), value).strip('"')


def read_image(dockerfile: Path = REPO / "Dockerfile") -> Image:
    env: dict[str, str] = {}
    user, workdir, declared, made = 0, "/", [], {}
    for instruction, rest in _instructions(dockerfile):
        if instruction == "ENV":
            for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', rest):
                env[key] = _expand(value, env)
        elif instruction == "WORKDIR":
            workdir = _expand(rest, env)
        elif instruction == "USER":
            user = int(rest.split(":")[0])
        elif instruction == "VOLUME":
            declared += json.loads(rest) if rest.startswith("[") else rest.split()
        elif instruction == "RUN":
            for command in re.split(r"&&|;", rest):
                words = shlex.split(command)
                if words[:2] != ["install", "-d"]:
                    continue
                opts, paths, rest_words = {}, [], iter(words[2:])
                for word in rest_words:
                    if word in ("-o", "-g", "-m"):
                        opts[word] = next(rest_words)
                    elif not word.startswith("-"):
                        paths.append(word)
                owner = (int(opts.get("-o", 0)), int(opts.get("-g", 0)), int(opts.get("-m", "755"), 8))
                made.update({_expand(p, env): owner for p in paths})
    ownership = {**BASE_IMAGE_PATHS, **made}
    volumes = {path: ownership.get(path, FARGATE_BIND_MOUNT) for path in (_expand(p, env) for p in declared)}
    return Image(user=user, workdir=workdir, env=env, volumes=volumes)


def make_volume(host_dir: Path, container_path: str, image: Image) -> tuple[int, int, int]:
    """The folder Fargate would mount at container_path, with the ownership it would have; returns it."""
    uid, gid, mode = image.volumes.get(container_path, FARGATE_BIND_MOUNT)
    host_dir.mkdir(parents=True, exist_ok=True)
    os.chown(host_dir, uid, gid)
    host_dir.chmod(mode)
    return uid, gid, mode


def _image_layers(image: Image, image_home: Path) -> list[str]:
    """The image's own paths over the read-only host root: the app, DAGSTER_HOME, Python reachable by uid 10001."""
    home = image.env.get("DAGSTER_HOME", "/opt/dagster/home")
    args = ["--perms", "0755", "--tmpfs", "/opt", "--perms", "0755", "--dir", str(Path(image.workdir).parent)]
    args += ["--ro-bind", str(REPO), image.workdir, "--ro-bind", str(image_home), home]
    python_root = Path(os.path.realpath(sys.executable)).parents[1]  # the base of the venv the containers use
    # A Python installed under a folder other users cannot enter (a private home): hide that folder behind an
    # empty one they can enter, with only the Python bound back in, as an image would have it readable.
    closed = next((p for p in reversed(python_root.parents) if p != Path("/") and not os.stat(p).st_mode & 0o001), None)
    if closed is not None:
        args += ["--perms", "0755", "--tmpfs", str(closed)]
        for folder in reversed(python_root.parents):  # the folders between, enterable (bwrap makes them 0700)
            if str(folder).startswith(str(closed) + "/"):
                args += ["--perms", "0755", "--dir", str(folder)]
        args += ["--ro-bind", str(python_root), str(python_root)]
    return args


def prepare_image_home(folder: Path, image: Image) -> Path:
    """DAGSTER_HOME as the image has it: dagster.yaml from deploy/dagster.aws.yaml, and the mount points."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "deploy" / "dagster.aws.yaml", folder / "dagster.yaml")
    home = image.env.get("DAGSTER_HOME", "/opt/dagster/home")
    for path in image.volumes:
        if path.startswith(home + "/"):
            (folder / path[len(home) + 1 :]).mkdir(parents=True, exist_ok=True)
    (folder / "storage").mkdir(exist_ok=True)
    return folder


def bwrap_command(
    *,
    image: Image,
    image_home: Path,
    command: list[str],
    env: dict[str, str],
    mounts: list[tuple[Path, str, bool]],
    read_only_root: bool,
    hosts_file: Path,
    venv: Path,
) -> list[str]:
    """The bwrap + setpriv command line for one container; mounts are (host folder, container path, read_only)."""
    if shutil.which("bwrap") is None:
        raise RuntimeError("bubblewrap is not installed: `make ecs-deps` (Debian's bubblewrap)")
    args = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "task"]
    args += ["--ro-bind" if read_only_root else "--bind", "/", "/"]
    args += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/dev/shm"]
    args += _image_layers(image, image_home)
    args += ["--ro-bind", str(hosts_file), "/etc/hosts"]
    for host, container_path, read_only in mounts:
        args += ["--ro-bind" if read_only else "--bind", str(host), container_path]
    # A checkout under a mounted path (a clone in /tmp) would vanish under the task's volume: its venv and the
    # project the venv's editable install points at are bound again, read-only, over it.
    for path in (venv, REPO):
        if any(str(path).startswith(point.rstrip("/") + "/") for _, point, _ in mounts):
            args += ["--ro-bind", str(path), str(path)]
    args += ["--remount-ro", "/opt"]
    path = f"{venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    full_env = {"PATH": path, "HOME": image.env.get("DAGSTER_HOME", "/"), **image.env, **env}
    args += ["--clearenv", "--chdir", image.workdir]
    for key, value in full_env.items():
        args += ["--setenv", key, value]
    user = str(image.user)
    return [*args, "--", "setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
