"""`moneytrail ingest` as a user runs it: JSON summary, refusal in one line with exit 2, idempotent re-runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "coalition"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "moneytrail.cli", *args], capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_ingest_manifest_json_and_rerun(tmp_path: Path) -> None:
    first = _run("ingest", "--home", str(tmp_path), "--manifest", str(FIXTURE / "manifest.json"), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert {"files", "read", "loaded", "quarantined", "seconds"} <= set(summary)
    assert summary["read"] == summary["loaded"] + summary["quarantined"] and summary["quarantined"] == 0
    again = json.loads(
        _run("ingest", "--home", str(tmp_path), "--manifest", str(FIXTURE / "manifest.json"), "--json").stdout
    )
    assert (again["files"], again["read"], again["skipped"]) == (0, 0, summary["files"])


def test_wrong_format_is_refused_in_one_line(tmp_path: Path) -> None:
    done = _run("ingest", "--home", str(tmp_path), "--member", "bank_us", "--format", "iso20022",
                str(FIXTURE / "bank_us" / "accounts.csv"))  # fmt: skip
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "accounts.csv" in lines[0] and "not" in lines[0]
