"""IBM AMLworld ("Realistic Synthetic Financial Transactions for AML", Altman et al. 2023), as published:
`<NAME>_Trans.csv` (Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,
Amount Paid,Payment Currency,Payment Format,Is Laundering), `<NAME>_accounts.csv` (Bank Name,Bank ID,
Account Number,Entity ID,Entity Name) and `<NAME>_Patterns.txt` (BEGIN/END LAUNDERING ATTEMPT - <TYPE>
blocks of transaction lines). PATH is the `_Trans.csv` file or a folder holding one.

Amounts are the payer's (Amount Paid, Payment Currency). Laundering rows go to
`ground_truth_transactions`, their accounts to `ground_truth_accounts`, with the typology of the
pattern block they appear in (else aml_random).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from moneytrail.ingest.amlsim import label_names
from moneytrail.ingest.base import Batch, ReadContext, refuse
from moneytrail.ingest.schemas import (
    GROUND_TRUTH_TRANSACTIONS,
    STAGED_ACCOUNTS,
    STAGED_GROUND_TRUTH_ACCOUNTS,
    STAGED_TRANSACTIONS,
)
from moneytrail.ingest.stage import Stager

HEADER = [
    "Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received", "Receiving Currency",
    "Amount Paid", "Payment Currency", "Payment Format", "Is Laundering",
]  # fmt: skip
COLUMNS = [
    "ts", "from_bank", "from_account", "to_bank", "to_account", "amount_received", "receiving_currency",
    "amount_paid", "payment_currency", "payment_format", "is_laundering",
]  # fmt: skip
_BEGIN = re.compile(r"^BEGIN LAUNDERING ATTEMPT - ([A-Z-]+)")


def _files(path: Path) -> tuple[Path, Path | None, Path | None]:
    trans = path if path.is_file() else next(iter(sorted(path.glob("*_Trans.csv"))), None)
    if trans is None or not trans.name.endswith("_Trans.csv"):
        raise refuse(path, "not AMLworld: expected a <NAME>_Trans.csv file")
    prefix = trans.name.removesuffix("_Trans.csv")
    accounts = trans.with_name(f"{prefix}_accounts.csv")
    patterns = trans.with_name(f"{prefix}_Patterns.txt")
    return trans, accounts if accounts.exists() else None, patterns if patterns.exists() else None


def _patterns(path: Path | None) -> pa.Table:
    """One row per pattern line: the transaction's identity and the pattern's typology."""
    names = label_names()["amlworld"]
    rows: dict[str, list[str]] = {"ts": [], "from_account": [], "to_account": [], "amount_paid": [], "typology": []}
    current: str | None = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path else []:
        begin = _BEGIN.match(line)
        if begin:
            current = names.get(begin.group(1), label_names()["default"])
        elif line.startswith("END LAUNDERING ATTEMPT"):
            current = None
        elif current and line.count(",") == 10:
            fields = line.split(",")
            rows["ts"].append(fields[0])
            rows["from_account"].append(fields[2])
            rows["to_account"].append(fields[4])
            rows["amount_paid"].append(fields[7])
            rows["typology"].append(current)
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


def _sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_amlworld(path: Path, context: ReadContext) -> Iterator[Batch]:
    trans, accounts, patterns = _files(path)
    with trans.open(encoding="utf-8", errors="replace") as handle:
        header = [c.strip() for c in handle.readline().strip().split(",")]
    if header != HEADER:
        raise refuse(path, f"not AMLworld: {trans.name} header is not IBM's ({', '.join(HEADER[:3])}, ...)")
    names = label_names()
    member = context.member_id
    stager = Stager()
    con = stager.con
    try:
        currencies = " ".join(f"WHEN {_sql(k)} THEN {_sql(v)}" for k, v in names["amlworld_currencies"].items())
        channels = " ".join(f"WHEN {_sql(k)} THEN {_sql(v)}" for k, v in names["amlworld_channels"].items())
        columns = ", ".join(f"{_sql(c)}: 'VARCHAR'" for c in COLUMNS)
        con.execute(
            "CREATE TEMP TABLE _trans AS SELECT row_number() OVER () + 1 AS line, * FROM "
            f"read_csv({_sql(str(trans))}, header=true, auto_detect=false, columns={{{columns}}}, strict_mode=false)"
        )
        con.register("_patterns_in", _patterns(patterns))
        typology = _sql(names["default"])
        yield Batch(
            "transactions",
            *_stage_all(
                stager,
                f"""
            SELECT {_sql(member + ":t")} || line AS txn_id,
                   CAST(strptime(ts, '%Y/%m/%d %H:%M') AS VARCHAR) AS ts, amount_paid AS amount,
                   CASE payment_currency {currencies} ELSE payment_currency END AS currency,
                   CASE payment_format {channels} ELSE lower(payment_format) END AS channel,
                   from_account AS src_raw, 'own' AS src_scope, to_account AS dst_raw, 'own' AS dst_scope,
                   'line ' || line AS source_row
            FROM _trans""",
                STAGED_TRANSACTIONS,
            ),
        )
        laundering = f"""
            SELECT t.line, t.from_account, t.to_account, coalesce(any_value(p.typology), {typology}) AS typology
            FROM _trans t LEFT JOIN _patterns_in p ON p.ts = t.ts AND p.from_account = t.from_account
                 AND p.to_account = t.to_account AND p.amount_paid = t.amount_paid
            WHERE trim(t.is_laundering) = '1' GROUP BY ALL"""
        good = con.sql(
            f"SELECT 'amlworld' AS source, {_sql(member + ':t')} || line AS txn_id, typology, "
            f"CAST(NULL AS VARCHAR) AS source_file FROM ({laundering})"
        ).to_arrow_table()
        yield Batch("ground_truth_transactions", good.cast(GROUND_TRUTH_TRANSACTIONS), 0)
        yield Batch(
            "ground_truth_accounts",
            *_stage_all(
                stager,
                f"""
            SELECT DISTINCT 'amlworld' AS source, typology, account AS account_raw, 'line ' || min(line) AS source_row
            FROM (SELECT line, from_account AS account, typology FROM ({laundering})
                  UNION ALL SELECT line, to_account, typology FROM ({laundering})) GROUP BY ALL""",
                STAGED_GROUND_TRUTH_ACCOUNTS,
                records=False,
            ),
        )
        if accounts is not None:
            yield Batch(
                "accounts",
                *_stage_all(
                    stager,
                    f"""
                SELECT "Account Number" AS account_raw, 'bank' AS kind,
                       {_sql(accounts.name + ":")} || (row_number() OVER () + 1) AS source_row
                FROM read_csv({_sql(str(accounts))}, header=true, all_varchar=true)""",
                    STAGED_ACCOUNTS,
                    records=False,
                ),
            )
    finally:
        stager.close()


def _stage_all(stager: Stager, sql: str, schema: pa.Schema, records: bool = True) -> tuple[pa.Table, int, pa.Table]:
    rows = stager.con.sql(sql).to_arrow_table()
    good, bad = stager.stage(rows, schema)
    return good, rows.num_rows if records else 0, bad
