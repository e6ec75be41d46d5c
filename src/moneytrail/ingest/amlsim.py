"""IBM AMLSim output: `nodes.csv` (nodeid,isFraud,init_balance,fraudStep) + `transactions.csv`
(sourceNodeId,targetNodeId,value,time in steps). Labels go to `ground_truth_accounts`.

`amlsim_tables(folder)` returns the plain Arrow tables (no tokens) for evaluation code.
Steps are read as days from `start` (option, default 2017-01-01); amounts as USD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from moneytrail.ingest.base import Batch, ReadContext, refuse
from moneytrail.ingest.schemas import STAGED_ACCOUNTS, STAGED_GROUND_TRUTH_ACCOUNTS, STAGED_TRANSACTIONS
from moneytrail.ingest.stage import Stager

NODE_COLUMNS = ("nodeid", "isFraud")
TRANSACTION_COLUMNS = ("sourceNodeId", "targetNodeId", "value", "time")


@cache
def label_names() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "data" / "labels.yaml").read_text())
    return data


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return [c.strip() for c in handle.readline().strip().split(",")]


def _typology(folder: Path, options: dict[str, Any]) -> str:
    if options.get("typology"):
        return str(options["typology"])
    names = label_names()
    meta = folder / "metadata.txt"
    if meta.exists():
        found = re.search(r"patterns:\s*[\d,]+\s+([A-Za-z-]+)", meta.read_text())
        if found and found.group(1).lower() in names["amlsim"]:
            return str(names["amlsim"][found.group(1).lower()])
    return str(names["default"])


def check_amlsim(path: Path) -> Path:
    folder = _folder(path)
    for name, columns in (("nodes.csv", NODE_COLUMNS), ("transactions.csv", TRANSACTION_COLUMNS)):
        file = folder / name
        if not file.exists():
            raise refuse(path, f"not an AMLSim sample: {name} is missing in {folder}")
        header = _header(file)
        missing = [c for c in columns if c not in header]
        if missing:
            raise refuse(path, f"not an AMLSim sample: {name} lacks columns {', '.join(missing)}")
    return folder


def amlsim_tables(path: Path) -> dict[str, pa.Table]:
    """{'nodes': nodeid,isFraud,..., 'transactions': sourceNodeId,targetNodeId,value,time} as typed Arrow."""
    folder = check_amlsim(path)
    con = duckdb.connect()
    try:
        nodes = con.sql(f"SELECT * FROM read_csv('{folder / 'nodes.csv'}', header=true)").to_arrow_table()
        txns = con.sql(f"SELECT * FROM read_csv('{folder / 'transactions.csv'}', header=true)").to_arrow_table()
    finally:
        con.close()
    return {"nodes": nodes, "transactions": txns}


def read_amlsim(path: Path, context: ReadContext) -> Iterator[Batch]:
    folder = check_amlsim(path)
    start = str(context.options.get("start", "2017-01-01"))
    typology = _typology(folder, context.options)
    member = context.member_id
    stager = Stager()
    con = stager.con
    nodes, txns = folder / "nodes.csv", folder / "transactions.csv"
    try:
        con.execute(
            f"CREATE TEMP TABLE _nodes AS SELECT row_number() OVER () + 1 AS line, * FROM "
            f"read_csv('{nodes}', header=true, all_varchar=true)"
        )
        accounts = con.sql(
            "SELECT nodeid AS account_raw, 'bank' AS kind, 'USD' AS currency, 'nodes.csv:' || line AS source_row "
            "FROM _nodes"
        ).to_arrow_table()
        good, bad = stager.stage(accounts, STAGED_ACCOUNTS)
        yield Batch("accounts", good, accounts.num_rows, bad)
        labels = con.sql(
            f"SELECT 'amlsim' AS source, {_sql(typology)} AS typology, nodeid AS account_raw, "
            "'nodes.csv:' || line AS source_row FROM _nodes WHERE trim(isFraud) IN ('1', 'true', 'True')"
        ).to_arrow_table()
        good, bad = stager.stage(labels, STAGED_GROUND_TRUTH_ACCOUNTS)
        yield Batch("ground_truth_accounts", good, 0, bad)
        stream = con.cursor()  # a result being streamed blocks its connection; staging needs one free
        reader = stream.sql(
            f"SELECT {_sql(member)} || ':t' || line AS txn_id, "
            f"CAST(TRY_CAST({_sql(start)} AS TIMESTAMPTZ) + to_days(TRY_CAST(time AS INTEGER)) AS VARCHAR) AS ts, "
            "value AS amount, 'USD' AS currency, 'wire' AS channel, sourceNodeId AS src_raw, 'own' AS src_scope, "
            "targetNodeId AS dst_raw, 'own' AS dst_scope, 'transactions.csv:' || line AS source_row, time AS _time "
            f"FROM (SELECT row_number() OVER () + 1 AS line, * FROM read_csv('{txns}', header=true, all_varchar=true))"
        ).to_arrow_reader(context.batch_rows)
        for record_batch in reader:
            table = pa.Table.from_batches([record_batch])
            good, bad = stager.stage(table, STAGED_TRANSACTIONS, [c for c in table.column_names if c != "_time"])
            yield Batch("transactions", good, table.num_rows, bad)
    finally:
        stager.close()


def _sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
