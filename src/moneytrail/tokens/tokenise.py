"""Keyed tokens: HMAC-SHA256 over `kind:normalised` with the coalition key, 32 hex digits."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.tokens.keys import CoalitionKey
from moneytrail.tokens.normalise import normalise_identifier

TOKEN_HEX = 32


def token(kind: str, normalised: str, key: CoalitionKey) -> str:
    """The coalition token of an already normalised identifier."""
    message = f"{kind}:{normalised}".encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()[:TOKEN_HEX]


def token_array(kind: str, normalised: pa.Array | pa.ChunkedArray, key: CoalitionKey) -> pa.Array:
    """Tokens of a column of normalised identifiers (nulls stay null), one HMAC per distinct value."""
    column = normalised.combine_chunks() if isinstance(normalised, pa.ChunkedArray) else normalised
    encoded = pc.dictionary_encode(column.cast(pa.string()))
    secret = key.secret
    prefix = f"{kind}:"
    digests = [
        hmac.new(secret, (prefix + value).encode(), hashlib.sha256).hexdigest()[:TOKEN_HEX]
        for value in encoded.dictionary.to_pylist()
    ]
    return pc.take(pa.array(digests, pa.string()), encoded.indices)


def account_key(member_id: str, raw_account: str, key: CoalitionKey) -> str:
    """The account key `MEMBER:TOKEN` of an account as written in that member's files.

    Trace (`--from MEMBER:ACCOUNT`) and detect (generator labels) call this to find an
    account in the warehouse.
    """
    return f"{member_id}:{token('account', normalise_identifier(raw_account, 'account'), key)}"


def external_account_key(raw_account: str, key: CoalitionKey) -> str:
    """The account key `ext:TOKEN` of a counterparty held at no member."""
    return f"ext:{token('account', normalise_identifier(raw_account, 'account'), key)}"
