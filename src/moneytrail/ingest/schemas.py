"""Arrow schemas of the ingest-side tables that `model.schemas` does not define yet.

`STAGED_*` are what readers hand to the loader: canonical columns with identifiers still
raw (`*_raw`) plus how to key them (`*_scope`); the loader swaps them for tokens.
"""

from __future__ import annotations

import pyarrow as pa

from moneytrail.model.schemas import ACCOUNTS, AMOUNT, PARTIES, TRANSACTIONS, TS, WALLETS

HOTLIST = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),  # address, account_token, mid, url, descriptor
        pa.field("value", pa.string(), nullable=False),
        pa.field("chain", pa.string()),
        pa.field("typology", pa.string()),
        pa.field("source", pa.string()),
        pa.field("listed_at", TS),
        pa.field("source_file", pa.string()),
    ]
)

SITE_REPORTS = pa.schema(
    [
        pa.field("report_id", pa.string(), nullable=False),
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("reported_at", TS, nullable=False),
        pa.field("url", pa.string()),
        pa.field("category", pa.string()),
        pa.field("payment_methods_seen", pa.string()),
        pa.field("test_purchase_result", pa.string()),
        pa.field("test_purchase_at", TS),
        pa.field("test_purchase_mid", pa.string()),
        pa.field("test_purchase_descriptor", pa.string()),
        pa.field("test_purchase_crypto_address", pa.string()),
        pa.field("test_purchase_amount", AMOUNT),
        pa.field("test_purchase_currency", pa.string()),
        pa.field("source_file", pa.string()),
    ]
)

GROUND_TRUTH_ACCOUNTS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("account_key", pa.string(), nullable=False),
        pa.field("typology", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),
    ]
)

GROUND_TRUTH_TRANSACTIONS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("txn_id", pa.string(), nullable=False),
        pa.field("typology", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),
    ]
)

VAULT = pa.schema(
    [
        pa.field("token", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("normalised", pa.string(), nullable=False),
        pa.field("key_version", pa.int32(), nullable=False),
        pa.field("source_file", pa.string()),
    ]
)

INGEST_FILES = pa.schema(
    [
        pa.field("file_hash", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # started, done
        pa.field("read", pa.int64()),
        pa.field("loaded", pa.int64()),
        pa.field("quarantined", pa.int64()),
        pa.field("key_id", pa.string()),
        pa.field("key_version", pa.int32()),
        pa.field("at", TS),
    ]
)

_RAW_TXN = [
    pa.field("src_raw", pa.string()),
    pa.field("src_scope", pa.string()),  # own, ext, cpty (own if the member holds it, else ext), public
    pa.field("dst_raw", pa.string()),
    pa.field("dst_scope", pa.string()),
    pa.field("src_name_raw", pa.string()),  # payer's and payee's names as the payment gives them
    pa.field("dst_name_raw", pa.string()),
]
_KEYED = {"src_account", "dst_account", "src_token", "dst_token", "src_surname_token", "dst_surname_token",
          "source_file", "member_id"}

STAGED_TRANSACTIONS = pa.schema([f for f in TRANSACTIONS if f.name not in _KEYED] + _RAW_TXN)

STAGED_ACCOUNTS = pa.schema(
    [f for f in ACCOUNTS if f.name not in {"account_key", "account_token", "party_id", "source_file", "member_id"}]
    + [
        pa.field("account_raw", pa.string()),
        pa.field("customer_raw", pa.string()),
        pa.field("source_row", pa.string()),
    ]
)

STAGED_PARTIES = pa.schema(
    [f for f in PARTIES if not f.name.endswith("_token") and f.name not in {"party_id", "source_file", "member_id"}]
    + [
        pa.field("customer_raw", pa.string()),
        pa.field("name_raw", pa.string()),
        pa.field("surname_raw", pa.string()),
        pa.field("phone_raw", pa.string()),
        pa.field("email_raw", pa.string()),
        pa.field("address_raw", pa.string()),
        pa.field("device_raw", pa.string()),
        pa.field("source_row", pa.string()),
    ]
)

STAGED_WALLETS = pa.schema(
    [f for f in WALLETS if f.name not in {"account_key", "member_id", "source_file"}]
    + [pa.field("account_raw", pa.string()), pa.field("source_row", pa.string())]
)

STAGED_GROUND_TRUTH_ACCOUNTS = pa.schema(
    [f for f in GROUND_TRUTH_ACCOUNTS if f.name not in {"account_key", "source_file"}]
    + [pa.field("account_raw", pa.string()), pa.field("source_row", pa.string())]
)

# Inputs of a bitcoin-etl export without enriched inputs: value and address unknown until the
# spent output (tx hash, index) is loaded; kept here so trace can resolve them, never guessed.
BTC_UNRESOLVED_INPUTS = pa.schema(
    [
        pa.field("tx_hash", pa.string(), nullable=False),
        pa.field("input_index", pa.int64(), nullable=False),
        pa.field("spent_transaction_hash", pa.string()),
        pa.field("spent_output_index", pa.int64()),
        pa.field("source_row", pa.string()),
        pa.field("source_file", pa.string()),
    ]
)

EXTRA_TABLES: dict[str, pa.Schema] = {
    "btc_unresolved_inputs": BTC_UNRESOLVED_INPUTS,
    "hotlist": HOTLIST,
    "site_reports": SITE_REPORTS,
    "ground_truth_accounts": GROUND_TRUTH_ACCOUNTS,
    "ground_truth_transactions": GROUND_TRUTH_TRANSACTIONS,
    "ingest_files": INGEST_FILES,
}
