"""Ingest speed and memory: CSV rows/s and ISO 20022 entries/s, end to end (read -> tokenise -> write
to DuckDB), and peak memory as files grow. Targets: CSV >= 300,000 rows/s, ISO 20022 >= 30,000
entries/s, memory flat.

    .venv/bin/python bench/bench_ingest.py [--csv-rows 1000000] [--xml-entries 200000] [--repeat 3]
        [--formats csv iso20022] [--before SRC] [--scales 0.25 1]

Each measurement runs in a fresh process (so peak RSS is that ingest's own) on a fresh warehouse
(with MONEYTRAIL_DUCKDB_MEMORY_LIMIT as the CLI reads it),
and reports wall seconds and the process's CPU seconds (less sensitive to a busy machine). With
`--before SRC` (the `src` folder of another checkout, e.g. a git worktree of an older commit) every
case also runs on that code, interleaved with this one (after, before, after, ...). `--scales` are the
file sizes, as multiples of --csv-rows and --xml-entries: `--scales 0.5 1 2 4` shows whether peak
memory stays flat as files grow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

_RUN = """
import json, os, resource, sys, time
from pathlib import Path
from moneytrail.ingest import readers
from moneytrail.tokens import load_key
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.load import Loader
path, home, member, fmt = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
options = json.loads(sys.argv[5])
engine = DuckDBEngine(home / "warehouse.duckdb", memory_limit=os.environ.get("MONEYTRAIL_DUCKDB_MEMORY_LIMIT"))
loader = Loader(engine, load_key(home / "keys.json"), readers())
started = time.perf_counter()
result = loader.ingest_file(path, member, fmt, options)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"read": result.read, "loaded": result.loaded, "quarantined": result.quarantined,
                  "seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""


def write_p2p_csv(path: Path, rows: int, users: int = 100_000) -> None:
    """A p2p_payments file (docs/FORMATS.md layout) written by DuckDB."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'ZP' || lpad(CAST(i AS VARCHAR), 12, '0') AS payment_id,
                  strftime(TIMESTAMP '2025-01-01' + to_seconds(i * 13 % 15552000), '%Y-%m-%dT%H:%M:%S') || '-08:00'
                    AS created_at,
                  CASE WHEN i % 10 = 0 THEN 'add_funds' WHEN i % 10 = 1 THEN 'cash_out' ELSE 'payment' END AS type,
                  CASE WHEN i % 10 = 0 THEN NULL ELSE 'ZP' || lpad(CAST(i * 7 % {users} AS VARCHAR), 7, '0') END
                    AS sender_user_id,
                  CASE WHEN i % 10 = 1 THEN NULL ELSE 'ZP' || lpad(CAST(i * 11 % {users} AS VARCHAR), 7, '0') END
                    AS receiver_user_id,
                  printf('%.2f', (i % 50000) / 100.0 + 1) AS amount, 'USD' AS currency,
                  CASE WHEN i % 3 = 0 THEN 'pizza' ELSE '' END AS note,
                  CASE WHEN i % 10 IN (0, 1) THEN '44' || lpad(CAST(i % 50000 AS VARCHAR), 8, '0') END
                    AS external_account,
                  CASE WHEN i % 10 IN (0, 1) THEN 'Liberty Federal Bank' END AS external_institution,
                  'US' AS receiver_country, 'dev-' || lpad(CAST(i % {users} AS VARCHAR), 12, '0') AS device_id,
                  '198.51.100.' || CAST(i % 250 AS VARCHAR) AS ip
           FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


def write_camt053(path: Path, entries: int, accounts: int = 2_000) -> None:
    """A camt.053.001.08 statement file with `entries` entries, one TxDtls each."""
    per_account = max(1, entries // accounts)
    with path.open("w") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
            "<BkToCstmrStmt><GrpHdr><MsgId>bench</MsgId><CreDtTm>2025-02-01T00:00:00+00:00</CreDtTm></GrpHdr>\n"
        )
        written = 0
        for account in range(accounts):
            if written >= entries:
                break
            out.write(
                f"<Stmt><Id>S{account}</Id><Acct><Id><Othr><Id>44{account:08d}</Id></Othr></Id><Ccy>USD</Ccy></Acct>\n"
            )
            for k in range(min(per_account, entries - written)):
                n = written + k
                credit = n % 2 == 0
                side = "Dbtr" if credit else "Cdtr"
                out.write(
                    f'<Ntry><Amt Ccy="USD">{n % 9000 + 1}.25</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>'
                    f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2025-01-{n % 28 + 1:02d}T10:00:00-06:00</DtTm></BookgDt>"
                    f"<AcctSvcrRef>R{n:012d}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
                    f"<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
                    f'<AcctSvcrRef>R{n:012d}</AcctSvcrRef></Refs><Amt Ccy="USD">{n % 9000 + 1}.25</Amt>'
                    f"<RltdPties><{side}><Pty><Nm>Party {n % 5000}</Nm><PstlAdr><Ctry>US</Ctry></PstlAdr></Pty>"
                    f"</{side}>"
                    f"<{side}Acct><Id><Othr><Id>77{n % 50000:08d}</Id></Othr></Id></{side}Acct></RltdPties>"
                    f"<RmtInf><Ustrd>invoice {n}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n"
                )
            written += min(per_account, entries - written)
            out.write("</Stmt>\n")
        out.write("</BkToCstmrStmt></Document>\n")


def measure(path: Path, member: str, fmt: str, options: dict[str, object], src: str | None = None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": src} if src else None
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [sys.executable, "-c", _RUN, str(path), home, member, fmt, json.dumps(options)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(
    label: str, path: Path, member: str, fmt: str, options: dict[str, object], repeat: int, before: str | None
) -> list[dict[str, object]]:
    trees: list[tuple[str, str | None]] = [("this", None)] + ([("before", before)] if before else [])
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    for _ in range(repeat):  # interleaved: the machine's load moves both alike
        for name, src in trees:
            runs[name].append(measure(path, member, fmt, options, src))
    summaries = []
    for name, _ in trees:
        seconds = statistics.median(r["seconds"] for r in runs[name])
        rows = runs[name][0]["read"]
        summary = {
            "case": label,
            "code": name,
            "records": int(rows),
            "median_s": round(seconds, 2),
            # every run, in order: on a machine whose speed swings, the spread says how far a median holds
            "runs_s": [round(r["seconds"], 2) for r in runs[name]],
            "per_s": int(rows / seconds),
            "median_cpu_s": round(statistics.median(r.get("cpu_s", 0.0) for r in runs[name]), 2),
            "peak_mib": round(max(r["peak_mib"] for r in runs[name])),
            "quarantined": int(runs[name][0]["quarantined"]),
            "load_avg": round(os.getloadavg()[0], 1),
        }
        print(json.dumps(summary), flush=True)
        summaries.append(summary)
    return summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xml-entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", nargs="+", choices=["csv", "iso20022"], default=["csv", "iso20022"])
    parser.add_argument("--before", help="src folder of the code to compare with, run interleaved")
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 1.0], help="file sizes, x --csv-rows etc.")
    args = parser.parse_args()
    print(f"# load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for rows in [int(args.csv_rows * k) for k in args.scales] if "csv" in args.formats else ():
            path = tmp / f"payments_{rows}.csv"
            started = time.perf_counter()
            write_p2p_csv(path, rows)
            print(f"# wrote {path.name} in {time.perf_counter() - started:.1f}s", flush=True)
            mapping: dict[str, object] = {"mapping": "p2p_payments"}
            run(f"csv p2p_payments {rows:,}", path, "p2p_app", "csv", mapping, args.repeat, args.before)
            path.unlink()
        for entries in [int(args.xml_entries * k) for k in args.scales] if "iso20022" in args.formats else ():
            path = tmp / f"camt053_{entries}.xml"
            write_camt053(path, entries)
            run(f"iso20022 camt.053 {entries:,}", path, "bank_us", "iso20022", {}, args.repeat, args.before)
            path.unlink()


if __name__ == "__main__":
    main()
