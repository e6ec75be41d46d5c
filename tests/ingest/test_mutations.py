"""Property tests: mutated CSV and XML thrown at the readers through the loader.

Whatever the mutation: no crash, a refused file says why in one line and loads nothing,
otherwise `read = loaded + quarantined` and every quarantined record is in the quarantine
table with its reason. 4 x 250 = 1,000 inputs.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moneytrail.ingest import readers
from moneytrail.tokens import load_key
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import literal
from moneytrail.warehouse.load import Loader

FIXTURE = Path(__file__).parent / "fixtures" / "coalition"
ALPHABET = [*'0123456789abcXYZ,;"\n\r<>/&.-+: \té€\x00', "</Amt>", "<Ntry>", '"",', "NaN", "1e999", "-5"]
EXAMPLES = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

mutation = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "truncate", "byte"]),
    st.floats(min_value=0, max_value=1, allow_nan=False),
    st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=4).map("".join),
)


def _mutate(data: bytes, mutations: list[tuple[str, float, str]]) -> bytes:
    for op, where, payload in mutations:
        at = int(where * len(data))
        text = payload.encode("utf-8")
        if op == "replace":
            data = data[:at] + text + data[at + len(text) :]
        elif op == "insert":
            data = data[:at] + text + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + len(text) :]
        elif op == "truncate":
            data = data[: max(at, len(data) // 2)]
        else:  # a raw byte that may break UTF-8
            data = data[:at] + bytes([0x80 + len(payload) * 13 % 127]) + data[at + 1 :]
    return data


class Harness:
    """One warehouse per test; every example gets its own file, checked on its own rows."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.loader = Loader(DuckDBEngine(), load_key(tmp / "keys.json"), readers())
        self.counter = itertools.count()

    def check(self, data: bytes, name: str, member: str, fmt: str, options: dict[str, object], one_row: bool) -> None:
        path = self.tmp / f"{next(self.counter)}-{name}"
        path.write_bytes(data)
        result = self.loader.ingest_file(path, member, fmt, options)
        engine = self.loader.engine
        where = f"source_file = {literal(str(path))}"
        rows = engine.query(f"SELECT count(*) FROM transactions WHERE {where}").column(0)[0].as_py()
        if result.status == "refused":
            assert result.reason and "\n" not in result.reason
            assert rows == 0
            return
        if result.status == "skipped":  # the same bytes as an earlier example
            return
        assert result.read == result.loaded + result.quarantined
        found = engine.query(
            f"SELECT count(DISTINCT location) AS n, count(*) FILTER (WHERE reason IS NULL OR reason = '') AS blank "
            f"FROM quarantine WHERE {where}"
        ).to_pylist()[0]
        assert found == {"n": result.quarantined, "blank": 0}
        if one_row:  # one row per loaded record in these formats
            assert rows == result.loaded


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return Harness(tmp_path_factory.mktemp("mutations"))


@pytest.mark.slow
@EXAMPLES
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_p2p_csv(harness: Harness, mutations: list[tuple[str, float, str]]) -> None:
    data = _mutate((FIXTURE / "p2p_app" / "payments_p01.csv").read_bytes(), mutations)
    harness.check(data, "payments.csv", "p2p_app", "csv", {"mapping": "p2p_payments"}, one_row=True)


@pytest.mark.slow
@EXAMPLES
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_clearing_csv(harness: Harness, mutations: list[tuple[str, float, str]]) -> None:
    data = _mutate((FIXTURE / "cardnet" / "clearing_p01.csv").read_bytes(), mutations)
    harness.check(data, "clearing.csv", "cardnet", "cards", {}, one_row=True)


@pytest.mark.slow
@EXAMPLES
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_camt053_xml(harness: Harness, mutations: list[tuple[str, float, str]]) -> None:
    data = _mutate((FIXTURE / "bank_us" / "camt053_p01.xml").read_bytes(), mutations)
    harness.check(data, "camt053.xml", "bank_us", "iso20022", {}, one_row=True)


@pytest.mark.slow
@EXAMPLES
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_pacs008_xml(harness: Harness, mutations: list[tuple[str, float, str]]) -> None:
    data = _mutate((FIXTURE / "bank_us" / "pacs008_p01.xml").read_bytes(), mutations)
    harness.check(data, "pacs008.xml", "bank_us", "iso20022", {}, one_row=True)
