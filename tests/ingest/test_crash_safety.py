"""An ingest killed half way (SIGKILL, no clean-up) and run again: no duplicate, no gap."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from moneytrail.ingest import readers
from moneytrail.tokens import load_key
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.load import Loader

_KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from moneytrail.ingest import readers
    from moneytrail.tokens import load_key
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine
    from moneytrail.warehouse.load import Loader

    home, folder = Path(sys.argv[1]), Path(sys.argv[2])
    loader = Loader(DuckDBEngine(home / "warehouse.duckdb"), load_key(home / "keys.json"), readers())

    def die(source, records):
        if records > 2_500:
            os.kill(os.getpid(), signal.SIGKILL)

    loader.ingest_file(folder, "amlsim", "amlsim", {}, on_batch=die, batch_rows=1_000)
    """
)


def _amlsim_sample(folder: Path, nodes: int = 300, transactions: int = 6_000) -> Path:
    """A small sample in AMLSim's own layout (nodes.csv + transactions.csv)."""
    folder.mkdir()
    lines = ["nodeid,isFraud,init_balance,fraudStep"] + [f"{n},{int(n % 50 == 0)},100.00,-1" for n in range(nodes)]
    (folder / "nodes.csv").write_text("\n".join(lines) + "\n")
    rows = ["sourceNodeId,targetNodeId,value,time"]
    rows += [f"{i % nodes},{(i * 7 + 1) % nodes},{i % 997 + 0.5:.2f},{i // 100}" for i in range(transactions)]
    (folder / "transactions.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_killed_ingest_rerun_has_no_duplicates_and_no_gaps(tmp_path: Path) -> None:
    folder = _amlsim_sample(tmp_path / "sample")
    done = subprocess.run([sys.executable, "-c", _KILLED_RUN, str(tmp_path), str(folder)], check=False)
    assert done.returncode == -9  # really killed, mid-file
    engine = DuckDBEngine(tmp_path / "warehouse.duckdb")
    partial = engine.count("transactions")
    assert 0 < partial < 6_000
    assert engine.query("SELECT status FROM ingest_files").column(0).to_pylist() == ["started"]

    loader = Loader(engine, load_key(tmp_path / "keys.json"), readers())
    result = loader.ingest_file(folder, "amlsim", "amlsim", {}, batch_rows=1_000)
    assert (result.status, result.read, result.quarantined) == ("loaded", 6_300, 0)
    assert engine.count("transactions") == 6_000
    assert engine.query("SELECT count(DISTINCT txn_id) FROM transactions").column(0)[0].as_py() == 6_000
    rows = engine.query("SELECT min(source_row) AS lo, count(DISTINCT source_row) AS n FROM transactions").to_pylist()
    assert rows[0]["n"] == 6_000  # every line of the file, once
    assert engine.count("accounts") == 300
    assert engine.count("ground_truth_accounts") == 6
    assert engine.query("SELECT status FROM ingest_files").column(0).to_pylist() == ["started", "done"]
    engine.close()
