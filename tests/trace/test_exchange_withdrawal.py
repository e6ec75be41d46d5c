"""An exchange withdrawal seen in the ledger and on chain reaches the address once."""

from __future__ import annotations

import pytest
from trace_helpers import at, transactions

from moneytrail.trace import TraceIndex, trace
from moneytrail.warehouse.engine import Engine

HASH = "ab" * 32


def _rows() -> list[dict[str, object]]:
    return [
        # fiat in: the customer's bank pays the exchange account
        {"txn_id": "bank:1", "member_id": "bank", "ts": at(0), "amount": 100, "amount_usd": 100,
         "src_account": "bank:payer", "dst_account": "exchange:cust", "src_token": "payer", "dst_token": "cust"},
        # the exchange's ledger: the customer withdraws to an address, with the chain's hash
        {"txn_id": "exchange:W1", "member_id": "exchange", "ts": at(1), "amount": 100, "amount_usd": 100,
         "channel": "crypto", "chain": "btc", "tx_hash": HASH, "src_account": "exchange:cust",
         "dst_account": "btc:1Vendor", "src_token": "cust", "dst_token": "1Vendor"},
        # the same movement on chain: hot wallet -> tx -> vendor address (+ change)
        {"txn_id": f"btc:{HASH}:in:0", "member_id": "exchange", "ts": at(1), "amount": 150, "amount_usd": 150,
         "channel": "crypto", "chain": "btc", "tx_hash": HASH, "src_account": "btc:1Hot",
         "dst_account": f"btctx:{HASH}", "src_token": "1Hot", "dst_token": f"btctx:{HASH}"},
        {"txn_id": f"btc:{HASH}:out:0", "member_id": "exchange", "ts": at(1), "amount": 100, "amount_usd": 100,
         "channel": "crypto", "chain": "btc", "tx_hash": HASH, "src_account": f"btctx:{HASH}",
         "dst_account": "btc:1Vendor", "src_token": f"btctx:{HASH}", "dst_token": "1Vendor"},
        {"txn_id": f"btc:{HASH}:out:1", "member_id": "exchange", "ts": at(1), "amount": 49, "amount_usd": 49,
         "channel": "crypto", "chain": "btc", "tx_hash": HASH, "src_account": f"btctx:{HASH}",
         "dst_account": "btc:1Hot", "src_token": f"btctx:{HASH}", "dst_token": "1Hot"},
        # the vendor consolidates
        {"txn_id": "btc:cd:in:0", "member_id": "exchange", "ts": at(5), "amount": 100, "amount_usd": 100,
         "channel": "crypto", "chain": "btc", "tx_hash": "cd", "src_account": "btc:1Vendor",
         "dst_account": "btctx:cd", "src_token": "1Vendor", "dst_token": "btctx:cd"},
        {"txn_id": "btc:cd:out:0", "member_id": "exchange", "ts": at(5), "amount": 100, "amount_usd": 100,
         "channel": "crypto", "chain": "btc", "tx_hash": "cd", "src_account": "btctx:cd",
         "dst_account": "btc:1Operator", "src_token": "btctx:cd", "dst_token": "1Operator"},
    ]


def test_withdrawal_counts_once_and_the_trace_reaches_the_operator(engine: Engine) -> None:
    engine.write_table("transactions", transactions(_rows()))
    index = TraceIndex.from_engine(engine)
    result = trace(index, "payer", hops=6, attribution="haircut")
    vendor = result.node("1Vendor")
    assert vendor is not None and vendor.received == pytest.approx(100.0)
    operator = result.node("1Operator")
    assert operator is not None and operator.received == pytest.approx(100.0)
    into_vendor = [e for e in result.edges if e.target == "1Vendor"]
    assert [e.txn_ids for e in into_vendor] == [["exchange:W1"]]
