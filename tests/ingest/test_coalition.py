"""A whole coalition in the docs/FORMATS.md layout through `--manifest`: nothing quarantined,
no raw identifier in any shared table, the same identifier gives the same token at every member."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

from moneytrail.commands.ingest import manifest_files
from moneytrail.tokens import CoalitionKey, account_key, normalise_identifier, token
from moneytrail.warehouse.engine import Engine
from moneytrail.warehouse.load import Loader, ingest_files

FIXTURE = Path(__file__).parent / "fixtures" / "coalition"
# columns of the fixture files that hold personal identifiers
IDENTIFIER_COLUMNS = {
    "account", "customer_id", "full_name", "given_name", "surname", "phone", "email", "pan", "wallet_no",
    "payout_account", "receiver_phone", "funding_account", "external_account", "sender_name", "receiver_name",
    "user_id", "account_id", "sender_id", "from_wallet", "to_wallet", "from_name", "principal_name", "address",
    "device_id", "sender_user_id", "receiver_user_id",
}  # fmt: skip
PUBLIC = re.compile(r"^(1|3|bc1)[A-Za-z0-9]{20,}$")  # on-chain addresses are public by design


def _raw_identifiers() -> set[str]:
    values: set[str] = set()
    for path in FIXTURE.rglob("*.csv"):
        with path.open() as handle:
            for row in csv.DictReader(handle):
                values.update(v for k, v in row.items() if k in IDENTIFIER_COLUMNS and v and not PUBLIC.match(v))
    for path in FIXTURE.rglob("*.xml"):
        values.update(re.findall(r"<Id>([A-Z0-9]{8,})</Id>", path.read_text()))
        values.update(re.findall(r"<Nm>([^<]+)</Nm>", path.read_text()))
    return {v for v in values if len(v) >= 5}


def _ingest(loader: Loader) -> dict[str, float | int]:
    files, members = manifest_files(FIXTURE / "manifest.json")
    loader.upsert_members(members)
    return ingest_files(loader, files).summary()


def _shared_tables(engine: Engine) -> list[str]:
    # the vaults and the quarantine are the member's own: they hold what it sent, raw
    return [t for t in engine.tables() if not t.startswith("vault_") and t != "quarantine"]


def test_manifest_loads_everything_with_no_raw_identifier_shared(duck_loader: Loader) -> None:
    engine, loader = duck_loader.engine, duck_loader
    summary = _ingest(loader)
    manifest = json.loads((FIXTURE / "manifest.json").read_text())
    assert summary["files"] == len(manifest["files"])
    assert summary["quarantined"] == 0 and summary["read"] == summary["loaded"] > 0
    assert engine.count("quarantine") == 0
    raw = _raw_identifiers()
    assert {"GB82WEST12345698765432", "4539120012345678", "+639171234567", "John Miller"} <= raw
    for name in _shared_tables(engine):
        for column in engine.table(name).columns:
            if not pa.types.is_string(column.type):
                continue
            leaked = raw & {v for v in column.to_pylist() if v is not None}
            assert not leaked, f"raw identifiers in {name}: {sorted(leaked)[:3]}"
    # ingesting the same files again changes nothing
    before = {t: engine.count(t) for t in engine.tables()}
    again = _ingest(loader)
    assert again["files"] == 0 and again["skipped"] == len(manifest["files"])
    assert {t: engine.count(t) for t in engine.tables()} == before


@pytest.mark.slow
def test_loader_on_every_engine(engine: Engine, loader: Loader) -> None:
    """A small slice on DuckDB and Spark: keys resolved, re-ingest a no-op, quarantine on both."""
    bank = FIXTURE / "bank_us"
    files = [
        (bank / "accounts.csv", "bank_us", "csv", {"mapping": "bank_accounts"}),
        (bank / "camt053_p01.xml", "bank_us", "iso20022", {}),
    ]
    first = ingest_files(loader, files).summary()
    assert (first["files"], first["read"], first["quarantined"]) == (2, 5, 0)
    rows = engine.query("SELECT src_account, dst_account FROM transactions ORDER BY txn_id").to_pylist()
    # the statement account and the internal transfer's payee are both bank_us accounts
    assert all(r["src_account"].startswith("bank_us:") for r in rows)
    assert rows[0]["dst_account"].startswith("bank_us:") and rows[1]["dst_account"] is None
    again = ingest_files(loader, files).summary()
    assert again["skipped"] == 2 and engine.count("transactions") == 2


def test_tokens_match_across_members(duck_loader: Loader, key: CoalitionKey) -> None:
    _ingest(duck_loader)
    engine = duck_loader.engine

    def keys(sql: str) -> set[str]:
        return {v for v in engine.query(sql).column(0).to_pylist() if v is not None}

    wallet = token("account", normalise_identifier("+639171234567"), key)
    # the remitter's payout phone is the e-wallet's account: same token, the e-wallet holds it
    assert f"ext:{wallet}" in keys("SELECT dst_account FROM transactions WHERE member_id = 'remitter'")
    assert account_key("ewallet_ph", "+639171234567", key) in keys("SELECT account_key FROM accounts")
    # the exchange's funding IBAN is bank_gb's account; the remitter's funding PAN is bank_us's card
    iban = token("account", normalise_identifier("GB82 WEST 1234 5698 7654 32"), key)
    assert iban in keys("SELECT src_token FROM transactions WHERE member_id = 'exchange'")
    assert iban in keys("SELECT account_token FROM accounts WHERE member_id = 'bank_gb'")
    pan = token("account", "4539120012345678", key)
    assert pan in keys("SELECT src_token FROM transactions WHERE member_id = 'remitter'")
    assert pan in keys("SELECT account_token FROM accounts WHERE member_id = 'bank_us'")
    # the cardnet holds the PANs it clears: cpty resolves to its own key
    assert f"cardnet:{pan}" in keys("SELECT src_account FROM transactions WHERE member_id = 'cardnet'")
    # the same person at two members: equal name, phone and e-mail tokens
    same = (
        engine.query(
            "SELECT count(DISTINCT member_id) FROM parties WHERE name_token = "
            f"'{token('name', normalise_identifier('John Miller', 'name'), key)}' "
            f"AND phone_token = '{token('phone', '+19185550188', key)}'"
        )
        .column(0)[0]
        .as_py()
    )
    assert same == 2
    # the names a payment gives its payer and payee become surname tokens, comparable with KYC's:
    # the remitter's receiver "Ana Cruz" carries the e-wallet holder's surname token, and so does
    # the creditor of bank_us's pacs.008 wire
    cruz = token("surname", normalise_identifier("Cruz", "surname"), key)
    assert cruz in keys("SELECT surname_token FROM parties WHERE member_id = 'ewallet_ph'")
    assert cruz in keys("SELECT dst_surname_token FROM transactions WHERE member_id = 'remitter'")
    assert cruz in keys("SELECT dst_surname_token FROM transactions WHERE member_id = 'bank_us' AND channel = 'wire'")
    miller = token("surname", "miller", key)
    assert miller in keys("SELECT src_surname_token FROM transactions WHERE member_id = 'remitter'")
    # the internet company's report of a commercial abuse site is a shared indicator
    hot = engine.query("SELECT kind, value, typology, source FROM hotlist ORDER BY kind").to_pylist()
    assert hot == [
        {
            "kind": "descriptor",
            "value": "BRIGHTPIXEL*SOFTWARE",
            "typology": "merchant_laundering",
            "source": "internet_co",
        },
        {"kind": "mid", "value": "MID000000999", "typology": "merchant_laundering", "source": "internet_co"},
        {
            "kind": "url",
            "value": "https://bp-gallery.example/vip",
            "typology": "merchant_laundering",
            "source": "internet_co",
        },
    ]
    # the vault maps a member's tokens back to its own raw values
    vault = engine.query(f"SELECT raw FROM vault_bank_gb WHERE token = '{iban}'").column(0).to_pylist()
    assert vault == ["GB82WEST12345698765432"]


@pytest.mark.slow
def test_a_warehouse_made_before_a_column_existed_takes_new_files(engine: Engine, key: CoalitionKey) -> None:
    """A home from an older moneytrail lacks columns added since: the loader adds them (NULL for old rows)."""
    from moneytrail.ingest import readers

    bank = FIXTURE / "bank_us"
    old_loader = Loader(engine, key, readers())
    ingest_files(old_loader, [(bank / "camt053_p01.xml", "bank_us", "iso20022", {})])
    added = ["src_surname_token", "dst_surname_token"]  # the columns of 1a2ae89
    engine.write_table("transactions", engine.table("transactions").drop_columns(added))
    before = engine.count("transactions")

    result = ingest_files(Loader(engine, key, readers()), [(bank / "pacs008_p01.xml", "bank_us", "iso20022", {})])

    assert result.summary()["quarantined"] == 0 and result.summary()["loaded"] > 0
    rows = engine.query(f"SELECT source_file, {', '.join(added)} FROM transactions").to_pylist()
    assert len(rows) == before + result.summary()["loaded"]
    old = [r for r in rows if r["source_file"].endswith("camt053_p01.xml")]
    new = [r for r in rows if r["source_file"].endswith("pacs008_p01.xml")]
    assert len(old) == before and all(r[c] is None for r in old for c in added)
    assert new and all(r["src_surname_token"] and r["dst_surname_token"] for r in new)
