"""`python bot.py ingest` end to end, in a subprocess, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.settings import PROJECT_ROOT
from tests.conftest import OFAC_SNAPSHOTS

SNAPSHOTS = OFAC_SNAPSHOTS


def bot(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_ingest_cli_loads_diffs_refuses_and_serves(database_url: str, tmp_path: Path) -> None:
    first = bot(
        database_url, "ingest", "--as-of", "2024-02-20", str(SNAPSHOTS / "sdn_2024-02-20.csv")
    )
    assert first.returncode == 0, first.stderr
    assert "loaded 13,931 entries" in first.stdout
    assert "kept as the baseline" in first.stdout

    second = bot(database_url, "ingest", str(SNAPSHOTS / "sdn_2024-02-23.csv"))
    assert second.returncode == 0, second.stderr
    assert (
        "OFAC list files (sdn.csv or cons_prim.csv, with their add, alt and comments files): sdn_2024-02-23.csv"
        in (second.stdout)
    )
    assert "553 added (552 under RUSSIA-EO14024), 8 changed, 0 removed" in second.stdout

    again = bot(database_url, "ingest", str(SNAPSHOTS / "sdn_2024-02-23.csv"))
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout

    empty = tmp_path / "sdn.csv"
    empty.write_bytes(b"")
    refused = bot(database_url, "ingest", str(empty))
    assert refused.returncode == 1
    assert f"error: {empty}: the file is empty" in refused.stderr
    assert "Nothing was replaced; the previous data keeps serving." in refused.stderr

    said = bot(database_url, "say", "--as-of", "2024-03-01", "/brief sanctions wuhan maiwe")
    assert said.returncode == 0, said.stderr
    assert "WUHAN MAIWE COMMUNICATION CO LTD — entity — RUSSIA-EO14024" in said.stdout
    assert "list of 23 Feb 2024" in said.stdout

    digest = bot(database_url, "digest", "--as-of", "2024-02-24")
    assert digest.returncode == 0, digest.stderr
    assert "OFAC added 553 designations (552 under RUSSIA-EO14024" in digest.stdout
