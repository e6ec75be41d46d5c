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


class Tokeniser:
    """Column tokeniser with the HMAC key schedule done once and a bounded memo across batches.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)); copying the two pre-keyed SHA-256 states
    costs half of building a new HMAC object per value.
    """

    def __init__(self, key: CoalitionKey, memo_size: int = 200_000) -> None:
        block = (
            key.secret.ljust(64, b"\0")
            if len(key.secret) <= 64
            else hashlib.sha256(key.secret).digest().ljust(64, b"\0")
        )
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._memo: dict[str, str] = {}
        self._memo_size = memo_size

    def one(self, message: str) -> str:
        found = self._memo.get(message)
        if found is None:
            inner = self._inner.copy()
            inner.update(message.encode())
            outer = self._outer.copy()
            outer.update(inner.digest())
            found = outer.hexdigest()[:TOKEN_HEX]
            if len(self._memo) >= self._memo_size:
                self._memo.clear()  # memory stays bounded on any file size
            self._memo[message] = found
        return found

    def array(self, kind: str, normalised: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Tokens of a column of normalised identifiers (nulls stay null), one HMAC per distinct value."""
        column = normalised.combine_chunks() if isinstance(normalised, pa.ChunkedArray) else normalised
        encoded = pc.dictionary_encode(column.cast(pa.string()))
        prefix = f"{kind}:"
        memo, inner_state, outer_state = self._memo, self._inner, self._outer
        digests: list[str] = []
        append = digests.append
        for value in encoded.dictionary.to_pylist():  # the hot loop: locals only, no call per value
            message = prefix + value
            found = memo.get(message)
            if found is None:
                inner = inner_state.copy()
                inner.update(message.encode())
                outer = outer_state.copy()
                outer.update(inner.digest())
                found = outer.hexdigest()[:TOKEN_HEX]
                if len(memo) >= self._memo_size:
                    memo.clear()  # memory stays bounded on any file size
                memo[message] = found
            append(found)
        return pc.take(pa.array(digests, pa.string()), encoded.indices)


def token_array(kind: str, normalised: pa.Array | pa.ChunkedArray, key: CoalitionKey) -> pa.Array:
    """Tokens of a column of normalised identifiers (nulls stay null)."""
    return Tokeniser(key).array(kind, normalised)


def account_key(member_id: str, raw_account: str, key: CoalitionKey) -> str:
    """The account key `MEMBER:TOKEN` of an account as written in that member's files.

    Trace (`--from MEMBER:ACCOUNT`) and detect (generator labels) call this to find an
    account in the warehouse.
    """
    return f"{member_id}:{token('account', normalise_identifier(raw_account, 'account'), key)}"


def external_account_key(raw_account: str, key: CoalitionKey) -> str:
    """The account key `ext:TOKEN` of a counterparty held at no member."""
    return f"ext:{token('account', normalise_identifier(raw_account, 'account'), key)}"
