"""Staging shortcuts give what the plain forms give: amount_usd from the per-month rates table equals
the ASOF join on the timestamp, and values are trimmed whether or not they carry spaces."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.ingest import stage
from moneytrail.ingest.schemas import STAGED_TRANSACTIONS

_ROW = st.fixed_dictionaries(
    {
        "ts": st.builds(
            "{}-{:02d}-{:02d}T{:02d}:{:02d}:00{}".format,
            st.integers(1969, 2030),
            st.integers(1, 12),
            st.integers(1, 28),
            st.integers(0, 23),
            st.sampled_from([0, 30, 59]),
            st.sampled_from(["Z", "+14:00", "-12:00", "+01:00", ""]),
        ),
        "amount": st.sampled_from(["1", "0.01", "12345678.12345678", " 7.5 ", "-3", "x"]),
        "currency": st.sampled_from(["USD", "EUR", "BTC", "GBP", " php", "XXX", ""]),
    }
)


def _staged(rows: list[dict[str, str]]) -> tuple[pa.Table, pa.Table]:
    table = pa.table(
        {
            "txn_id": [f"t{i}" for i in range(len(rows))],
            "ts": [r["ts"] for r in rows],
            "amount": [r["amount"] for r in rows],
            "currency": [r["currency"] for r in rows],
            "channel": ["p2p"] * len(rows),
            "source_row": [f"record {i}" for i in range(len(rows))],
        }
    )
    good, bad = stage.Stager().stage(table, STAGED_TRANSACTIONS)
    return good.sort_by("source_row"), bad.sort_by("location")


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=40))
def test_rates_by_period_equal_the_asof_join(rows: list[dict[str, str]]) -> None:
    assert stage._fx_period() == "month"  # the shipped table changes rates on month starts
    by_period = _staged(rows)
    with mock.patch.object(stage, "_fx_period", lambda: None):
        by_asof = _staged(rows)
    assert by_period[0].equals(by_asof[0])
    assert by_period[1].equals(by_asof[1])


def test_values_are_trimmed_and_blank_is_missing() -> None:
    good, bad = _staged(
        [
            {"ts": " 2025-03-01T10:00:00Z ", "amount": " 2.5", "currency": " usd "},
            {"ts": "2025-03-01T10:00:00Z", "amount": "   ", "currency": "EUR"},
        ]
    )
    assert good.select(["currency", "amount", "amount_usd"]).to_pylist() == [
        {"currency": "USD", "amount": Decimal("2.5"), "amount_usd": Decimal("2.5")}
    ]
    assert bad.select(["location", "field", "reason"]).to_pylist() == [
        {"location": "record 1", "field": "amount", "reason": "missing"}
    ]
