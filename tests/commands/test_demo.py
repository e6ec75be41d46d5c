"""`moneytrail demo` runs the whole flow end to end and reports what it found."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moneytrail.cli", "demo", "--home", str(tmp_path), "--transactions", "5000",
         "--seed", "11", "--no-serve", "--json"],
        capture_output=True, text=True, check=False, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    ingest = summary["ingest"]
    assert ingest["read"] == ingest["loaded"] + ingest["quarantined"]
    assert ingest["loaded"] >= 5000
    assert summary["alerts"] > 0 and summary["queued_alerts"] == summary["alerts"]
    assert {"account", "transaction", "lift"} <= set(summary["quality"])
    assert (tmp_path / "warehouse.duckdb").exists() and (tmp_path / "moneytrail.db").exists()


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moneytrail.cli", "demo", "--home", str(tmp_path), "--transactions", "10"],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--transactions" in done.stderr
