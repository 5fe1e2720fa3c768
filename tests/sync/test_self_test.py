"""``gravy-desktop --self-test``, run as an installed user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dynamodb_local import DynamoDBLocal, free_port


def self_test(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("gravy-desktop")
    return subprocess.run(
        [str(script), "--self-test", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen"},
    )


def test_the_self_test_passes_offline_and_names_every_step() -> None:
    done = self_test()
    assert done.returncode == 0, done.stdout + done.stderr
    for step in (
        "ok: database opened and migrated",
        "ok: template saved",
        "ok: template found by search",
        "ok: change queued for sync",
        "ok: main window opened and closed",
        "self-test passed",
    ):
        assert step in done.stdout
    assert "OS keyring" in done.stdout  # ok, or a warning saying what is missing


@pytest.mark.dynamodb
def test_the_self_test_pushes_to_an_endpoint_and_fails_when_it_cannot(
    dynamodb_local: DynamoDBLocal,
) -> None:
    done = self_test("--endpoint-url", dynamodb_local.endpoint_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok: pushed to {dynamodb_local.endpoint_url} (2 sent" in done.stdout
    unreachable = f"http://127.0.0.1:{free_port()}"
    failed = self_test("--endpoint-url", unreachable)
    assert failed.returncode == 1
    assert f"FAILED: pushed to {unreachable}" in failed.stdout
    assert "self-test FAILED (1 step)" in failed.stdout
