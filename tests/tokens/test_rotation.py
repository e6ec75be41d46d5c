"""Key rotation re-tokenises the warehouse: every token and key is what a fresh ingest with the new key gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.ingest import readers
from moneytrail.tokens import load_key
from moneytrail.warehouse.engine import Engine
from moneytrail.warehouse.load import Loader, ingest_files
from moneytrail.warehouse.load_rotate import rotate

FIXTURE = Path(__file__).parents[1] / "ingest" / "fixtures" / "coalition"
FILES = [
    (FIXTURE / "remitter" / "customers.csv", "remitter", "csv", {"mapping": "kyc_remitter"}),
    (FIXTURE / "remitter" / "transfers_p01.csv", "remitter", "csv", {"mapping": "remitter_transfers"}),
    (FIXTURE / "exchange" / "btc_transactions_p01.jsonl", "exchange", "bitcoin-etl", {}),
]
COLUMNS = {
    "transactions": "txn_id, src_account, dst_account, src_token, dst_token, device_id",
    "accounts": "account_key, account_token, party_id",
    "parties": "party_id, name_token, phone_token, email_token, device_token",
}


def _snapshot(engine: Engine) -> dict[str, list[dict[str, object]]]:
    return {t: engine.query(f"SELECT {c} FROM {t} ORDER BY 1, 2").to_pylist() for t, c in COLUMNS.items()}


@pytest.mark.slow
def test_rotation_gives_the_tokens_a_fresh_ingest_would(engine: Engine, tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    ingest_files(Loader(engine, load_key(keys), readers()), FILES)
    before = _snapshot(engine)
    done = rotate(engine, keys)
    assert done["key_version"] == 2 and done["identifiers"] > 0
    after = _snapshot(engine)
    assert after != before
    # a second warehouse ingested from scratch with the new key agrees exactly
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    fresh = DuckDBEngine(tmp_path / "fresh.duckdb")
    ingest_files(Loader(fresh, load_key(keys), readers()), FILES)
    assert _snapshot(fresh) == after
    # on-chain addresses are public, not tokens: untouched
    chain = [r for r in after["transactions"] if str(r["txn_id"]).startswith("btc:")]
    assert chain and all(str(r["dst_account"]).startswith(("btc", "btctx")) for r in chain)
    versions = engine.query("SELECT DISTINCT key_version FROM vault_remitter").column(0).to_pylist()
    assert versions == [2]
