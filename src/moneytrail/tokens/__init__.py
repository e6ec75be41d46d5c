"""Identifier normalisation and keyed coalition tokens; bilateral PSI in `tokens.psi`."""

from moneytrail.ingest.chains import check_address, guess_chain
from moneytrail.tokens.keys import CoalitionKey, load_key, rotate_key
from moneytrail.tokens.normalise import (
    KINDS,
    IdentifierError,
    normalise_array,
    normalise_identifier,
    normaliser,
)
from moneytrail.tokens.tokenise import account_key, external_account_key, token, token_array

__all__ = [
    "KINDS",
    "CoalitionKey",
    "IdentifierError",
    "account_key",
    "check_address",
    "external_account_key",
    "guess_chain",
    "load_key",
    "normalise_array",
    "normalise_identifier",
    "normaliser",
    "rotate_key",
    "token",
    "token_array",
]
