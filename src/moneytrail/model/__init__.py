"""Canonical table schemas (Arrow) and API models (pydantic)."""

from moneytrail.model.schemas import (
    ACCOUNTS,
    AMOUNT,
    MEMBERS,
    MERCHANTS,
    PARTIES,
    QUARANTINE,
    TABLES,
    TRANSACTIONS,
    WALLETS,
)

__all__ = [
    "ACCOUNTS",
    "AMOUNT",
    "MEMBERS",
    "MERCHANTS",
    "PARTIES",
    "QUARANTINE",
    "TABLES",
    "TRANSACTIONS",
    "WALLETS",
]
