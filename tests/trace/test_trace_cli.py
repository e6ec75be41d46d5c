"""`moneytrail trace` end to end on a small warehouse: across members, onto the chain; FtM and GEXF outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from trace_helpers import at, transactions

from moneytrail.cli import main
from moneytrail.model.schemas import ACCOUNTS, MERCHANTS
from moneytrail.tokens import account_key, load_key
from moneytrail.warehouse.duckdb_engine import DuckDBEngine

PAYER_IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """bank_a's customer pays an e-wallet customer (both members report it), who tops up an
    exchange account, which withdraws to an address that pays on through a bitcoin transaction."""
    key = load_key(tmp_path / "keys.json")
    payer = account_key("bank_a", PAYER_IBAN, key)
    payer_token = payer.split(":", 1)[1]
    rows = [
        dict(txn_id="bank_a:1", member_id="bank_a", src_account=payer, dst_account="ext:W1", src_token=payer_token,
             dst_token="W1", amount=100, amount_usd=100, ts=at(1)),
        dict(txn_id="ewal:9", member_id="ewal", src_account="ext:" + payer_token, dst_account="ewal:W1",
             src_token=payer_token, dst_token="W1", amount=100, amount_usd=100, ts=at(1.5)),
        dict(txn_id="ewal:10", member_id="ewal", src_account="ewal:W1", dst_account="ext:X1", src_token="W1",
             dst_token="X1", amount=80, amount_usd=80, ts=at(2)),
        dict(txn_id="xch:w1", member_id="xch", src_account="xch:X1", dst_account="btc:1Kid", src_token="X1",
             dst_token="1Kid", amount=0.002, amount_usd=80, currency="BTC", channel="crypto", ts=at(3),
             chain="btc", tx_hash="h1"),
        dict(txn_id="btc:h2:in:0", member_id="btc", src_account="btc:1Kid", dst_account="btctx:h2", src_token="1Kid",
             dst_token="btctx:h2", amount=0.002, amount_usd=80, currency="BTC", channel="crypto", ts=at(4),
             chain="btc", tx_hash="h2"),
        dict(txn_id="btc:h2:out:0", member_id="btc", src_account="btctx:h2", dst_account="btc:1Op",
             src_token="btctx:h2", dst_token="1Op", amount=0.002, amount_usd=80, currency="BTC", channel="crypto",
             ts=at(4), chain="btc", tx_hash="h2"),
        dict(txn_id="card:7", member_id="card", src_account="card:P9", dst_account="card:M1", src_token="P9",
             dst_token="M1", merchant_id="m1", amount=30, amount_usd=30, channel="card", ts=at(5)),
    ]  # fmt: skip
    engine = DuckDBEngine(tmp_path / "warehouse.duckdb")
    merchants = [{"merchant_id": "m1", "member_id": "card", "mid": "MID42", "url": "https://www.shop.example/pay"}]
    engine.write_table("merchants", pa.Table.from_pylist(merchants, schema=MERCHANTS))
    engine.write_table("transactions", transactions(rows))
    accounts = [
        {"account_key": payer, "member_id": "bank_a", "account_token": payer_token, "kind": "bank"},
        {"account_key": "ewal:W1", "member_id": "ewal", "account_token": "W1", "kind": "ewallet"},
        {"account_key": "xch:X1", "member_id": "xch", "account_token": "X1", "kind": "exchange"},
    ]
    engine.write_table("accounts", pa.Table.from_pylist(accounts, schema=ACCOUNTS))
    engine.write_table("hotlist", pa.table({"kind": ["address"], "value": ["1Op"]}))
    engine.close()
    return tmp_path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def test_trace_follows_money_across_members_and_onto_the_chain(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["trace", "--home", str(home), "--from", f"bank_a:{PAYER_IBAN}", "--hops", "6",
                         "--format", "json"], capsys)  # fmt: skip
    assert code == 0
    body = json.loads(out)
    nodes = {n["id"]: n for n in body["nodes"]}
    assert {"W1", "X1", "1Kid", "btctx:h2", "1Op"} <= set(nodes)
    assert nodes["W1"]["member"] == "ewal" and nodes["X1"]["kind"] == "exchange"
    # Both members reported the same 100: it is one payment, so W1 received 100, not 200.
    assert nodes["W1"]["received"] == pytest.approx(100)
    assert nodes["1Op"]["received"] == pytest.approx(80) and nodes["1Op"]["risk"] == 1.0
    edge = next(e for e in body["edges"] if e["target"] == "1Kid")
    assert edge["currency"] == "BTC" and edge["amount"] == pytest.approx(0.002) and edge["txn_ids"] == ["xch:w1"]
    assert (home / "trace" / "index" / "meta.json").exists()  # cached for the next trace

    code, out, _ = _run(["trace", "--home", str(home), "--from", "1Op", "--direction", "backward",
                         "--hops", "6", "--json"], capsys)  # fmt: skip
    assert code == 0
    back = {n["id"]: n for n in json.loads(out)["nodes"]}
    assert back[next(iter(back))]["role"] == "start"
    assert any(n["member"] == "bank_a" for n in back.values())


def test_unknown_start_is_one_line_and_exit_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["trace", "--home", str(home), "--from", "bank_a:NOPE123"], capsys)
    assert code == 2
    # One message (rich wraps it at the terminal width), no traceback.
    assert err.startswith("error: nothing to trace from 'bank_a:NOPE123'") and err.count("error:") == 1
    assert "Traceback" not in err


def test_ftm_output_loads_back_with_followthemoney(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from followthemoney import ValueEntity, model
    from followthemoney.cli.util import path_entities

    target = tmp_path / "trace.ftm.json"
    code, _, _ = _run(["trace", "--home", str(home), "--from", "ewal:W1", "--hops", "5", "--format", "ftm",
                       "-o", str(target)], capsys)  # fmt: skip
    assert code == 0
    entities = list(path_entities(target, ValueEntity, cleaned=False))
    schemata = {e.schema.name for e in entities}
    assert {"Payment", "BankAccount", "CryptoWallet", "LegalEntity"} <= schemata
    for entity in entities:
        model.get_proxy(entity.to_dict(), cleaned=False).schema.validate(entity.to_dict())
    payments = [e for e in entities if e.schema.name == "Payment"]
    assert all(e.get("payer") and e.get("beneficiary") for e in payments)
    ids = {e.id for e in entities}
    assert all(ref in ids for e in payments for ref in e.get("payer") + e.get("beneficiary"))


def test_gexf_output_opens_in_networkx(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import networkx as nx

    target = tmp_path / "trace.gexf"
    code, _, _ = _run(["trace", "--home", str(home), "--from", "W1", "--hops", "5", "--format", "gexf",
                       "-o", str(target)], capsys)  # fmt: skip
    assert code == 0
    graph = nx.read_gexf(target)
    assert graph.has_edge("X1", "1Kid")
    assert graph.nodes["X1"]["kind"] == "exchange"
    assert graph.edges["X1", "1Kid"]["attributed"] == pytest.approx(80)


def test_components_and_clusters_commands(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["trace-components", "--home", str(home), "--json"], capsys)
    assert code == 0
    body = json.loads(out)
    # Everything in the fixture is one chain of payments (the payer's two account keys share a token).
    assert body["components"] == 2 and body["nodes"] == 8  # and the card payment P9 -> M1
    code, out, _ = _run(["trace-clusters", "--home", str(home), "--json"], capsys)
    assert code == 0
    assert json.loads(out)["clusters"] == 0  # no transaction spends two addresses together


@pytest.mark.parametrize("start", ["MID42", "shop.example", "https://shop.example/"])
def test_a_merchant_is_found_by_mid_or_url(home: Path, start: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["trace", "--home", str(home), "--from", start, "--direction", "backward", "--json"], capsys)
    assert code == 0
    body = json.loads(out)
    assert [n["id"] for n in body["nodes"] if n["role"] == "start"] == ["M1"]
    assert {n["id"] for n in body["nodes"]} == {"M1", "P9"}
