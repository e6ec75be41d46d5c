"""Canonical warehouse tables as Arrow schemas.

Every reader produces these columns; every engine stores them. Money is a decimal
(never a float): 38 digits with 8 after the point covers satoshis and large fiat sums.
Timestamps are UTC.

Identifiers that other members can read are tokens (see `moneytrail.tokens`):
`src_account`/`dst_account` are stable account keys `MEMBER:TOKEN` (or `ext:TOKEN`
for a counterparty at no member), `src_token`/`dst_token` are coalition tokens of
the counterparty identifiers, equal across members for the same identifier.
"""

from __future__ import annotations

import pyarrow as pa

AMOUNT = pa.decimal128(38, 8)
TS = pa.timestamp("us", tz="UTC")

TRANSACTIONS = pa.schema(
    [
        pa.field("txn_id", pa.string(), nullable=False),
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("amount", AMOUNT, nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("amount_usd", AMOUNT),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("src_account", pa.string()),
        pa.field("dst_account", pa.string()),
        pa.field("src_token", pa.string()),
        pa.field("dst_token", pa.string()),
        pa.field("src_country", pa.string()),
        pa.field("dst_country", pa.string()),
        # surname tokens of the names the payment itself carries for payer and payee (a wire's
        # debtor and creditor, a remittance's sender and receiver): the only surname there is for
        # a counterparty that no member holds
        pa.field("src_surname_token", pa.string()),
        pa.field("dst_surname_token", pa.string()),
        pa.field("mcc", pa.string()),
        pa.field("merchant_id", pa.string()),
        pa.field("reference", pa.string()),
        # the payer's declared relationship to the payee, where the channel asks for it (a remittance's
        # KYC field: parent, friend, ...); INDICATORS.md rule 2's "declared family profile"
        pa.field("relationship", pa.string()),
        pa.field("device_id", pa.string()),
        pa.field("ip", pa.string()),
        pa.field("chain", pa.string()),
        pa.field("tx_hash", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_row", pa.string()),
    ]
)

ACCOUNTS = pa.schema(
    [
        pa.field("account_key", pa.string(), nullable=False),
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("account_token", pa.string()),
        pa.field("party_id", pa.string()),
        pa.field("kind", pa.string()),  # bank, card, wallet, ewallet, exchange, merchant, crypto_address
        pa.field("country", pa.string()),
        pa.field("currency", pa.string()),
        pa.field("opened_at", TS),
        pa.field("source_file", pa.string()),
    ]
)

PARTIES = pa.schema(
    [
        pa.field("party_id", pa.string(), nullable=False),
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("kind", pa.string()),  # person, company
        pa.field("name_token", pa.string()),
        pa.field("surname_token", pa.string()),
        pa.field("birth_year", pa.int32()),
        pa.field("age_band", pa.string()),  # <18, 18-24, 25-44, 45-64, 65+
        pa.field("gender", pa.string()),
        pa.field("country", pa.string()),
        pa.field("phone_token", pa.string()),
        pa.field("email_token", pa.string()),
        pa.field("address_token", pa.string()),
        pa.field("device_token", pa.string()),
        pa.field("source_file", pa.string()),
    ]
)

MERCHANTS = pa.schema(
    [
        pa.field("merchant_id", pa.string(), nullable=False),
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("mid", pa.string()),
        pa.field("name", pa.string()),
        pa.field("descriptor", pa.string()),
        pa.field("mcc", pa.string()),
        pa.field("country", pa.string()),
        pa.field("url", pa.string()),
        pa.field("declared_url", pa.string()),
        pa.field("acquirer", pa.string()),
        pa.field("onboarded_at", TS),
        pa.field("terminated_at", TS),
        pa.field("projected_monthly_volume_usd", AMOUNT),
        pa.field("source_file", pa.string()),
    ]
)

WALLETS = pa.schema(
    [
        pa.field("address", pa.string(), nullable=False),
        pa.field("chain", pa.string(), nullable=False),
        pa.field("member_id", pa.string()),
        pa.field("account_key", pa.string()),  # exchange customer account that deposits/withdraws here
        pa.field("kind", pa.string()),  # deposit, withdrawal, hot, external
        pa.field("source_file", pa.string()),
    ]
)

MEMBERS = pa.schema(
    [
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("kind", pa.string()),  # bank, card_network, remitter, p2p, ewallet, exchange, internet
        pa.field("country", pa.string()),
    ]
)

QUARANTINE = pa.schema(
    [
        pa.field("member_id", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("location", pa.string()),  # row number or XPath
        pa.field("field", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.string()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "transactions": TRANSACTIONS,
    "accounts": ACCOUNTS,
    "parties": PARTIES,
    "merchants": MERCHANTS,
    "wallets": WALLETS,
    "members": MEMBERS,
    "quarantine": QUARANTINE,
}


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of the given schema."""
    return schema.empty_table()
