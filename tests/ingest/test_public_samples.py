"""bitcoin-etl, AMLSim and OFAC readers against the real samples in ../shared/data."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from moneytrail.errors import FormatError
from moneytrail.ingest import amlsim_tables
from moneytrail.ingest.base import ReadContext
from moneytrail.ingest.bitcoin_etl import read_bitcoin_etl
from moneytrail.warehouse.load import Loader, ingest_files


def _btc_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "bitcoin-etl").glob("*/expected_transactions.json"))


def test_bitcoin_etl_every_output_value_accounted_for(shared_data: Path, duck_loader: Loader) -> None:
    files = _btc_files(shared_data)
    result = ingest_files(duck_loader, [(p, "btc", "bitcoin-etl", {}) for p in files])
    assert result.summary()["quarantined"] == 0
    engine = duck_loader.engine
    for path in files:
        for line in path.read_text().splitlines():
            tx = json.loads(line)
            rows = engine.query(
                f"SELECT txn_id, src_account, dst_account, src_token, amount FROM transactions "
                f"WHERE tx_hash = '{tx['hash']}' AND source_file = '{path}'"
            ).to_pylist()
            outs = {r["txn_id"]: r for r in rows if ":out:" in r["txn_id"]}
            assert len(outs) == len(tx["outputs"])
            for output in tx["outputs"]:
                row = outs[f"btc:{tx['hash']}:out:{output['index']}"]
                assert row["amount"] == Decimal(output["value"]) / Decimal(10**8)
                assert row["src_account"] == f"btctx:{tx['hash']}" == row["src_token"]
                assert row["dst_account"] == f"btc:{output['addresses'][0]}"
            ins = [r for r in rows if ":in:" in r["txn_id"]]
            if tx["is_coinbase"]:
                assert ins == []
            enriched = [i for i in tx["inputs"] if i.get("value") is not None]
            assert sum(r["amount"] for r in ins) == sum(Decimal(i["value"]) for i in enriched) / Decimal(10**8)
    # an export without enriched inputs keeps its inputs as references, never guessed values
    assert engine.count("btc_unresolved_inputs") == 3


def test_bitcoin_etl_blocks_file_is_refused(shared_data: Path) -> None:
    with pytest.raises(FormatError, match="block records"):
        list(read_bitcoin_etl(shared_data / "bitcoin-etl" / "block_1" / "expected_blocks.json", ReadContext("btc")))


def test_amlsim_loads_with_labels(shared_data: Path, duck_loader: Loader) -> None:
    folder = shared_data / "amlsim" / "20K_fanin200"
    result = ingest_files(duck_loader, [(folder, "amlsim", "amlsim", {})])
    summary = result.summary()
    assert summary["quarantined"] == 0
    assert summary["read"] == 20_000 + 118_250
    engine = duck_loader.engine
    assert engine.count("transactions") == 118_250
    assert engine.count("accounts") == 20_000
    labels = engine.query("SELECT typology, count(*) AS n FROM ground_truth_accounts GROUP BY typology").to_pylist()
    assert labels == [{"typology": "aml_fan_in", "n": 954}]
    # labelled accounts are warehouse accounts, keyed like the transactions
    joined = (
        engine.query("SELECT count(*) FROM ground_truth_accounts g JOIN accounts a ON a.account_key = g.account_key")
        .column(0)[0]
        .as_py()
    )
    assert joined == 954
    plain = amlsim_tables(folder)
    assert plain["nodes"].num_rows == 20_000 and plain["transactions"].num_rows == 118_250


def test_ofac_lists_go_to_the_hotlist(shared_data: Path, duck_loader: Loader) -> None:
    result = ingest_files(duck_loader, [(shared_data / "ofac-crypto", "ofac", "ofac-crypto", {})])
    summary = result.summary()
    lines = sum(
        1 for f in (shared_data / "ofac-crypto").glob("*.txt") for line in f.read_text().splitlines() if line.strip()
    )
    assert summary["read"] == lines == summary["loaded"] + summary["quarantined"]
    engine = duck_loader.engine
    xbt = (
        engine.query("SELECT count(*) FROM hotlist WHERE chain = 'btc' AND source = 'OFAC' AND typology = 'sanctions'")
        .column(0)[0]
        .as_py()
    )
    assert xbt >= 430
    # whatever is not an address is reported with its reason, not dropped
    for row in engine.table("quarantine").to_pylist():
        assert row["reason"] and row["raw"]


def test_amlworld_as_ibm_published_it(duck_loader: Loader) -> None:
    """A few rows in IBM's exact layout (two `Account` columns, currency names, pattern blocks)."""
    folder = Path(__file__).parent / "fixtures" / "amlworld"
    result = ingest_files(duck_loader, [(folder / "TINY_Trans.csv", "amlworld", "amlworld", {})])
    summary = result.summary()
    assert (summary["read"], summary["quarantined"]) == (6, 0)
    engine = duck_loader.engine
    rows = engine.query("SELECT currency, channel, amount FROM transactions ORDER BY txn_id").to_pylist()
    assert {r["currency"] for r in rows} == {"USD", "EUR", "BTC"}
    assert {r["channel"] for r in rows} >= {"ach", "card", "crypto", "cheque"}
    labels = engine.query("SELECT typology, count(*) AS n FROM ground_truth_transactions GROUP BY 1 ORDER BY 1")
    assert labels.to_pylist() == [{"typology": "aml_fan_out", "n": 2}, {"typology": "aml_random", "n": 1}]
    accounts = engine.query("SELECT count(*) FROM ground_truth_accounts WHERE typology = 'aml_fan_out'").column(0)
    assert accounts[0].as_py() == 3  # the fan-out's source and its two targets
    assert engine.count("accounts") == 2
