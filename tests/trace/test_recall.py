"""Generator data end to end: tracing forward from the labelled payers of each injected scheme
reaches the scheme's beneficiaries and operators, across members and through an exchange onto the chain."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from moneytrail.cli import main
from moneytrail.tokens import account_key, load_key
from moneytrail.trace import open_index, trace
from moneytrail.warehouse.duckdb_engine import DuckDBEngine

HOPS = 6
STARTS = ("payer", "victim")
ENDS = ("facilitator", "operator", "merchant", "mule")
CHAINS = ("btc",)  # labels of on-chain addresses carry the chain as their member


def _is_address(node: str) -> bool:
    """A bitcoin address (tokens are 32 lower-case hex digits)."""
    return (
        re.fullmatch(r"[0-9a-f]{32}", node) is None and re.fullmatch(r"(1|3|bc1)[0-9A-Za-z]{20,60}", node) is not None
    )


def _cli(args: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code in (0, None)


@pytest.mark.slow
def test_forward_traces_reach_beneficiaries_and_operators(tmp_path: Path) -> None:
    synth, home = tmp_path / "synth", tmp_path / "home"
    _cli(["synth", "--out", str(synth), "--transactions", "4000", "--seed", "11", "--json"])
    _cli(["ingest", "--home", str(home), "--manifest", str(synth / "manifest.json"), "--json"])
    key = load_key(home / "keys.json")
    engine = DuckDBEngine(home / "warehouse.duckdb")
    index = open_index(engine, home)

    def node(label: dict[str, str]) -> str:
        if label["member_id"] in CHAINS:
            return label["account"]
        return account_key(label["member_id"], label["account"], key).split(":", 1)[1]

    def paid(label: dict[str, str]) -> bool:
        number = index.node_number(node(label))
        return number is not None and bool(index.in_ptr[number + 1] > index.in_ptr[number])

    schemes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for label in pq.read_table(synth / "labels" / "accounts.parquet").to_pylist():
        schemes[label["scheme_id"]].append(label)
    exchange_accounts = {
        r["account_token"]
        for r in engine.query("SELECT account_token FROM accounts WHERE member_id = 'exchange'").to_pylist()
    }
    # the address a site gave the coalition's own test purchase is paid by that purchase, not by the scheme's
    # payers (each payer pays an address of its own): no forward trace from them can reach it
    test_purchase_addresses = {
        r["a"]
        for r in engine.query(
            "SELECT test_purchase_crypto_address AS a FROM site_reports WHERE test_purchase_crypto_address IS NOT NULL"
        ).to_pylist()
    }
    reached = expected = on_chain = 0
    via_exchange = False
    for labels in schemes.values():
        starts = [node(x) for x in labels if x["role"] in STARTS and index.node_number(node(x)) is not None]
        # Accounts that were paid at all: a labelled operator account the scheme never used cannot be reached.
        ends = [x for x in labels if x["role"] in ENDS and paid(x) and x["account"] not in test_purchase_addresses]
        if not starts or not ends:
            continue
        result = trace(index, starts, HOPS, attribution="haircut")
        found = {n.id for n in result.nodes}
        for end in ends:
            expected += 1
            if node(end) in found:
                reached += 1
                on_chain += end["member_id"] in CHAINS
        via_exchange |= any(e.source in exchange_accounts and _is_address(e.target) for e in result.edges)
    assert expected >= 10
    assert reached / expected >= 0.95
    assert on_chain >= 1 and via_exchange
