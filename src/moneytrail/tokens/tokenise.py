"""Keyed tokens: HMAC-SHA256 over `kind:normalised` with the coalition key, 32 hex digits."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.tokens.keys import CoalitionKey
from moneytrail.tokens.normalise import normalise_array, normalise_identifier

TOKEN_HEX = 32
_RAW_MEMO = pa.schema(
    [
        pa.field("raw", pa.string()),
        pa.field("normalised", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("token", pa.string()),
    ]
)


def token(kind: str, normalised: str, key: CoalitionKey) -> str:
    """The coalition token of an already normalised identifier."""
    message = f"{kind}:{normalised}".encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()[:TOKEN_HEX]


class Tokeniser:
    """Column tokeniser with the HMAC key schedule done once and a bounded memo across batches.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)); copying the two pre-keyed SHA-256 states
    costs half of building a new HMAC object per value.
    """

    def __init__(self, key: CoalitionKey, memo_size: int = 500_000) -> None:
        block = (
            key.secret.ljust(64, b"\0")
            if len(key.secret) <= 64
            else hashlib.sha256(key.secret).digest().ljust(64, b"\0")
        )
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._memo: dict[str, str] = {}
        self._memo_size = memo_size
        self._known: dict[str, tuple[pa.Array, pa.Array]] = {}  # kind -> (values, tokens), for `array`
        self._raw: dict[str, pa.Table] = {}  # kind -> raw, normalised, reason, token; for `raw_array`
        self._claimed: dict[str, np.ndarray] = {}  # kind -> per `_raw` row: claimed in this file (`claim`)

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
        """Tokens of a column of normalised identifiers (nulls stay null), one HMAC per distinct value.

        Values already seen (per kind, up to `memo_size` of them) are looked up in Arrow, not
        hashed again: a file's identifiers repeat across its batches.
        """
        column = normalised.combine_chunks() if isinstance(normalised, pa.ChunkedArray) else normalised
        encoded = pc.dictionary_encode(column.cast(pa.string()))
        uniques = encoded.dictionary
        known_values, known_tokens = self._known.get(kind, (pa.array([], pa.string()), pa.array([], pa.string())))
        found: pa.Array | None = pc.index_in(uniques, value_set=known_values)
        new_values = pc.filter(uniques, pc.is_null(found))
        if len(new_values):
            new_tokens = pa.array(self._digests(f"{kind}:", new_values.to_pylist()), pa.string())
            known_values = pa.concat_arrays([known_values, new_values])
            known_tokens = pa.concat_arrays([known_tokens, new_tokens])
            found = pc.index_in(uniques, value_set=known_values)
            if len(known_values) > self._memo_size:  # memory stays bounded: keep this batch's values only
                known_values, known_tokens, found = uniques, pc.take(known_tokens, found), None
            self._known[kind] = (known_values, known_tokens)
        if found is None:
            return pc.take(known_tokens, encoded.indices)
        return pc.take(pc.take(known_tokens, found), encoded.indices)

    def raw_array(self, kind: str, raw: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
        """(normalised, reasons, tokens) of distinct raw identifiers (`normalise_array`, then
        `array`). Raw values seen before (per kind, up to `memo_size`) are looked up, not
        normalised and hashed again: a file's identifiers repeat across its batches."""
        normalised, reasons, tokens, _ = self.raw_slots(kind, raw)
        return normalised, reasons, tokens

    def raw_slots(self, kind: str, raw: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray]:
        """`raw_array`, plus each value's slot in the memo (for `claim`; -1 for a null)."""
        known = self._raw.get(kind)
        if known is None:
            known = pa.table({"raw": [], "normalised": [], "reason": [], "token": []}, schema=_RAW_MEMO)
        claimed = self._claimed.get(kind, np.zeros(0, dtype=bool))
        found = pc.index_in(raw, value_set=known.column("raw"))
        unseen = pc.and_(pc.is_null(found), pc.is_valid(raw))
        new = pc.filter(raw, unseen)
        if len(new):
            normalised, reasons = normalise_array(new, kind)
            fresh = pa.table([new, normalised, reasons, self.array(kind, normalised)], schema=_RAW_MEMO)
            # the new values go to the end of the memo, in order: their positions follow
            flags = unseen.to_numpy(zero_copy_only=False)
            positions = pa.array(np.cumsum(flags) - 1 + known.num_rows, pa.int32())
            found = pc.if_else(unseen, positions, found)
            known = pa.concat_tables([known, fresh]).combine_chunks()  # one chunk: `take` is faster
            claimed = np.concatenate([claimed, np.zeros(len(new), dtype=bool)])
            if known.num_rows > self._memo_size:  # memory stays bounded: keep this batch's values only
                kept = pc.unique(pc.drop_null(found))
                known, claimed = known.take(kept), claimed[kept.to_numpy()]
                found = pc.index_in(raw, value_set=known.column("raw"))
            self._raw[kind], self._claimed[kind] = known, claimed
        normalised, reasons, tokens = (
            pc.take(known.column(c).combine_chunks(), found) for c in ("normalised", "reason", "token")
        )
        slots = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
        return normalised, reasons, tokens, slots

    def claim(self, kind: str, slots: np.ndarray) -> np.ndarray:
        """Which of these memo slots (distinct, from `raw_slots` of the latest call for `kind`) are
        claimed for the first time since `new_file`; they are claimed now. The loader puts a raw
        value in the member's vault once per file this way. After the memo has overflowed a value
        can be claimed again (a second vault row for it: harmless, and memory stays bounded)."""
        claimed = self._claimed.get(kind, np.zeros(0, dtype=bool))  # no memo yet: no slots either
        first: np.ndarray = ~claimed[slots]
        claimed[slots] = True
        return first

    def new_file(self) -> None:
        """Nothing is claimed any more (see `claim`)."""
        for claimed in self._claimed.values():
            claimed[:] = False

    def _digests(self, prefix: str, values: list[str]) -> list[str]:
        inner_state, outer_state = self._inner, self._outer
        digests: list[str] = []
        append = digests.append
        for value in values:  # the hot loop: locals only, no call per value
            inner = inner_state.copy()
            inner.update((prefix + value).encode())
            outer = outer_state.copy()
            outer.update(inner.digest())
            append(outer.hexdigest()[:TOKEN_HEX])
        return digests


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
