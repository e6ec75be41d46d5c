"""Identifier normalisation, keyed tokens, key rotation and chain address checks."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.tokens import (
    CoalitionKey,
    IdentifierError,
    account_key,
    check_address,
    load_key,
    normalise_array,
    normalise_identifier,
    normaliser,
    rotate_key,
    token,
    token_array,
)
from moneytrail.tokens.normalise import normalise_iban
from moneytrail.tokens.tokenise import Tokeniser


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys.json"


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("ch29 0900 0000 2500 9423 9", "account", "CH2909000000250094239"),
        ("GB82 WEST 1234 5698 7654 32", "account", "GB82WEST12345698765432"),
        ("+63 917 123 4567", "account", "+639171234567"),
        ("+63 (917) 123-4567", "phone", "+639171234567"),
        ("4111-1111-1111-1111", "account", "4111111111111111"),
        ("acc-00123/x", "account", "ACC00123X"),
        (" Ana.Cruz@Example.COM ", "email", "ana.cruz@example.com"),
        ("  José  O'Brien ", "name", "jose o brien"),
        # a surname is a name's last word: KYC's "Dela Cruz" and a payment's "Juan dela Cruz" agree
        (" Dela Cruz ", "surname", "cruz"),
        ("Juan dela Cruz", "surname", "cruz"),
        ("Miller", "surname", "miller"),
    ],
)
def test_normalise_identifier(raw: str, kind: str, expected: str) -> None:
    assert normalise_identifier(raw, kind) == expected


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("not-an-email", "email"), ("+1 2", "phone"), ("   ", "name"), ("+1 (2)", "phone"), (" -/ ", "account")],
)
def test_bad_identifiers_are_refused_with_a_reason(raw: str, kind: str) -> None:
    with pytest.raises(IdentifierError) as error:
        normalise_identifier(raw, kind)
    assert str(error.value)


def test_iban_check_digits() -> None:
    assert normalise_iban("gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"
    with pytest.raises(IdentifierError, match="invalid IBAN"):
        normalise_iban("DE89370400440532013001")
    # a placeholder IBAN in a member's file is still that member's account number
    assert normalise_identifier("LT00 7180 0000 0000 0000") == "LT007180000000000000"


def test_phone_without_country_needs_a_region() -> None:
    assert normalise_identifier("0917 123 4567", "phone", region="PH") == "+639171234567"


def test_key_created_once_and_rotated(key_file: Path) -> None:
    first = load_key(key_file)
    assert load_key(key_file) == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    old, new = rotate_key(key_file)
    assert old == first and new.version == first.version + 1 and new.key_id == first.key_id
    assert load_key(key_file) == new
    saved = json.loads(key_file.read_text())
    assert [item["version"] for item in saved["retired"]] == [1]
    assert token("account", "X1", old) != token("account", "X1", new)


def test_token_shape_and_kind_namespace(key_file: Path) -> None:
    key = load_key(key_file)
    value = token("account", "+639171234567", key)
    assert len(value) == 32 and all(c in string.hexdigits for c in value)
    assert token("phone", "+639171234567", key) != value
    # a remitter's payout phone and an e-wallet's account phone share the account namespace
    assert account_key("REM", "+63 917 123 4567", key) == f"REM:{value}"


@pytest.mark.parametrize("kind", ["account", "device", "email"])
@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.none(), st.text(max_size=30), st.from_regex(r"\A\+[0-9 ()-]{6,16}\Z"), st.just(" +63 917 123 4567 ")
        ),
        max_size=40,
    )
)
def test_column_helpers_agree_with_scalar_ones(kind: str, values: list[str | None]) -> None:
    func = normaliser(kind)
    normalised, reasons = normalise_array(pa.array(values, pa.string()), kind)
    for raw, norm, reason in zip(values, normalised.to_pylist(), reasons.to_pylist(), strict=True):
        if raw is None:
            assert norm is None and reason is None
            continue
        try:
            expected = func(raw)
        except IdentifierError as error:
            assert norm is None and reason == str(error)
        else:
            assert norm == expected and reason is None


def test_token_array_matches_scalar(key_file: Path) -> None:
    key = load_key(key_file)
    values = ["A1", None, "B2", "A1"]
    assert token_array("account", pa.array(values), key).to_pylist() == [
        None if v is None else token("account", v, key) for v in values
    ]


@pytest.mark.parametrize(
    ("address", "chain", "valid"),
    [
        ("12c6DSiU4Rq3P4ZxziKxzrL5LmMBrzjrJX", "btc", True),  # block 1 coinbase output
        ("12c6DSiU4Rq3P4ZxziKxzrL5LmMBrzjrJY", "btc", False),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "btc", True),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "btc", True),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx", "btc", False),
        ("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", "btc", True),
        ("0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1", "eth", True),
        ("0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB", "eth", False),
        ("TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", "trx", True),
    ],
)
def test_chain_addresses(address: str, chain: str, valid: bool) -> None:
    assert (check_address(address, chain) is None) is valid


@settings(max_examples=40, deadline=None)
@given(
    batches=st.lists(st.lists(st.one_of(st.none(), st.sampled_from("abcdefghij")), max_size=12), max_size=6),
    memo_size=st.integers(min_value=1, max_value=8),
)
def test_tokeniser_memo_across_batches_matches_scalar(batches: list[list[str | None]], memo_size: int) -> None:
    """The Arrow memo (reused across batches, reset when full) never changes a token."""
    secret = CoalitionKey("k", 1, b"s" * 32, "2026-01-01")
    tokeniser = Tokeniser(secret, memo_size=memo_size)
    for batch in batches:
        for kind in ("account", "device"):
            got = tokeniser.array(kind, pa.array(batch, pa.string())).to_pylist()
            assert got == [None if v is None else token(kind, v, secret) for v in batch]


@settings(max_examples=40, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.one_of(st.none(), st.sampled_from(["a1", " A-1 ", "b2", "", "+44 20 7946 0958", "x"])), max_size=8),
        max_size=6,
    ),
    memo_size=st.integers(min_value=1, max_value=6),
)
def test_raw_memo_across_batches_matches_scalar(batches: list[list[str | None]], memo_size: int) -> None:
    """Raw values looked up in the memo (reused across batches, reset when full) normalise and
    tokenise as they would alone."""
    secret = CoalitionKey("k", 1, b"s" * 32, "2026-01-01")
    tokeniser = Tokeniser(secret, memo_size=memo_size)
    for batch in batches:
        values = pa.array(sorted(set(batch), key=str), pa.string())  # distinct, as the loader passes them
        normalised, reasons, tokens = tokeniser.raw_array("account", values)
        expected_normalised, expected_reasons = normalise_array(values, "account")
        assert normalised.to_pylist() == expected_normalised.to_pylist()
        assert reasons.to_pylist() == expected_reasons.to_pylist()
        assert tokens.to_pylist() == [
            None if v is None else token("account", v, secret) for v in normalised.to_pylist()
        ]


@settings(max_examples=40, deadline=None)
@given(
    files=st.lists(
        st.lists(st.lists(st.sampled_from(["a1", "b2", "c3", "d4", "e5"]), max_size=5), max_size=4), max_size=3
    ),
    memo_size=st.integers(min_value=1, max_value=8),
)
def test_claim_once_per_file(files: list[list[list[str]]], memo_size: int) -> None:
    """A value is claimed (goes to the vault) the first time a file shows it, and again only in a
    later file, or after the memo overflowed (memory stays bounded)."""
    tokeniser = Tokeniser(CoalitionKey("k", 1, b"s" * 32, "2026-01-01"), memo_size=memo_size)
    for batches in files:
        tokeniser.new_file()
        claimed: list[str] = []
        for batch in batches:
            values = pa.array(sorted(set(batch)), pa.string())
            *_, slots = tokeniser.raw_slots("account", values)
            firsts = tokeniser.claim("account", slots)
            claimed += [v for v, first in zip(values.to_pylist(), firsts, strict=True) if first]
        shown = {v for batch in batches for v in batch}
        assert set(claimed) == shown
        if memo_size >= 5:  # never overflowed: each value once
            assert len(claimed) == len(shown)
