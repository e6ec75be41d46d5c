"""Rules stated per customer (11, 12, 18) follow the holder across members: phone or e-mail tokens.

A hand-made positive and a near-miss negative each (DuckDB); the pack's engine test runs them on Spark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from detect_fixtures import alerts_of, at, holder, load, subjects, txn

from moneytrail.detect.holders import SAME_HOLDER_TABLE, same_holder
from moneytrail.detect.prepare import register_reference_tables
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Engine


@pytest.fixture
def duck(tmp_path: Path) -> Engine:
    return DuckDBEngine(tmp_path / "w.duckdb")


def remit(sender: str, days: float) -> dict[str, Any]:
    return txn(src_account=sender, dst_account="ext:maria", ts=at(days), amount=50, dst_country="PH", src_country="US")


def card(pan: str, days: float, mcc: str, amount: float = 30) -> dict[str, Any]:
    return txn(member_id="net", src_account=f"net:{pan}", dst_account="net:shop" + mcc, ts=at(days), amount=amount,
               mcc=mcc, channel="card", dst_country="US", src_country="US")


def shop(merchant_id: str, name: str, mcc: str) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "member_id": "net", "name": name, "mcc": mcc}


def _lsac_world(
    duck: Engine, extra: list[dict[str, Any]], days: tuple[float, ...] = (100, 105, 112),
    merchants: list[dict[str, Any]] | None = None,
) -> None:
    """`rem:pos` sends small transfers on `days` (three in 30 days: rule 1); `bank:card1` is the same person's
    card at another member (same phone); `bank:card2` belongs to someone who sends nothing."""
    people = [holder("rem:pos", "r1", "ph1"), holder("bank:card1", "b1", "ph1", kind="card"),
              holder("bank:card2", "b2", "ph2", kind="card")]
    rows = [remit("rem:pos", d) for d in days] + [txn(ts=at(400), src_account="m1:x", dst_account="m1:y")]
    load(duck, rows + extra, accounts=[p[0] for p in people], parties=[p[1] for p in people], merchants=merchants)


def test_same_holder_links_accounts_by_phone_within_a_member_when_asked(duck: Engine) -> None:
    _lsac_world(duck, [])
    register_reference_tables(duck)
    same_holder(duck)
    got = {(r["token"], r["other_token"]) for r in duck.query(f"SELECT * FROM {SAME_HOLDER_TABLE}").to_pylist()}
    assert got == {("pos", "card1"), ("card1", "pos")}
    same_holder(duck, member_id="bank")  # one member's own records: the remitter's customer is not there
    assert duck.query(f"SELECT count(*) FROM {SAME_HOLDER_TABLE}").column(0)[0].as_py() == 0


def test_rule12_webcam_payments_by_the_senders_card(duck: Engine) -> None:
    _lsac_world(duck, [card("card1", 20, "5967"), card("card1", 21, "5411"), card("card2", 20, "5967")])
    # the sender's own card pays a webcam site; groceries are no evidence; a stranger's webcam payment is legal
    assert subjects(duck, "lsac_webcam_payments") == {"net:card1"}


def test_rule12_needs_rule_1(duck: Engine) -> None:
    _lsac_world(duck, [card("card1", 20, "5967")], days=(100, 105))
    assert subjects(duck, "lsac_small_frequent") == set()  # two transfers are not a pattern
    assert subjects(duck, "lsac_webcam_payments") == set()


def test_rule11_privacy_tooling_within_90_days(duck: Engine) -> None:
    # 40 days before the first transfer counts; 200 days after the last does not; a stranger's VPN is no evidence
    _lsac_world(duck, [card("card1", 60, "5734", 10), card("card1", 312, "5817", 10), card("card2", 100, "5734", 10)])
    found = subjects(duck, "lsac_privacy_tooling")
    assert found == {"net:card1"}


def test_rule11_reads_the_merchant_name_where_known(duck: Engine) -> None:
    # a named VPN counts whatever its MCC; a named word processor under 5734 does not; an unnamed 5734 shop does
    shops = [shop("net:vpn", "Harbor Secure VPN", "5999"), shop("net:office", "Corner Apps 12", "5734")]
    _lsac_world(duck, [
        {**card("card1", 101, "5999"), "merchant_id": "net:vpn", "txn_id": "net:t1"},
        {**card("card1", 102, "5734"), "merchant_id": "net:office", "txn_id": "net:t2"},
        {**card("card1", 103, "5734"), "merchant_id": "net:unlisted", "txn_id": "net:t3"},
    ], merchants=shops)
    hits = alerts_of(duck, "lsac_privacy_tooling")
    assert {a["subject"] for a in hits} == {"net:card1"}
    assert {t for a in hits for t in a["evidence_txn_ids"]} == {"net:t1", "net:t3"}


def test_rule11_not_around_the_transfers(duck: Engine) -> None:
    _lsac_world(duck, [card("card1", 312, "5817", 10)])
    assert subjects(duck, "lsac_privacy_tooling") == set()


def _sextortion_world(duck: Engine, extra: list[dict[str, Any]]) -> None:
    """`p2p:teen` (a minor) pays a burst to a payee in NG; `bank:tcard` is the teen's debit card at a bank."""
    people = [holder("p2p:teen", "t1", "ph7", age_band="<18"), holder("bank:tcard", "t2", "ph7", kind="card"),
              holder("p2p:adult", "a1", "ph8", age_band="45-64"), holder("bank:acard", "a2", "ph8", kind="card")]
    burst = [txn(member_id="p2p", src_account=src, dst_account="ext:scam", ts=at(0, hours=h), amount=a, channel="p2p",
                 dst_country="NG") for src in ("p2p:teen", "p2p:adult") for h, a in ((0, 100), (20, 300))]
    rows = [*burst, txn(ts=at(40), src_account="m1:x", dst_account="m1:y")]
    load(duck, rows + extra, accounts=[p[0] for p in people], parties=[p[1] for p in people])


def test_rule18_gift_cards_on_the_victims_card_at_another_member(duck: Engine) -> None:
    _sextortion_world(duck, [card("tcard", 1.5, "5947", 100), card("acard", 1.5, "5947", 100)])
    # the card that bought and the account that paid the burst; the adult made no rule-16 burst
    assert subjects(duck, "sext_liquidity_hunt") == {"net:tcard", "p2p:teen"}


def test_rule18_not_new_for_the_holder(duck: Engine) -> None:
    # the teen's card buys a USD 60 gift card every week: USD 100 after the burst is the customer's habit
    habit = [card("tcard", -7 * week, "5947", 60) for week in range(1, 13)]
    _sextortion_world(duck, [*habit, card("tcard", 1.5, "5947", 100)])
    assert subjects(duck, "sext_victim_burst") == {"p2p:teen"}
    assert subjects(duck, "sext_liquidity_hunt") == set()


def test_rule18_one_earlier_gift_card_does_not_hide_the_hunt(duck: Engine) -> None:
    # a birthday gift card a month before: USD 100 within hours of the burst is still far from the habit
    _sextortion_world(duck, [card("tcard", -30, "5947", 50), card("tcard", 1.5, "5947", 100)])
    assert subjects(duck, "sext_liquidity_hunt") == {"net:tcard", "p2p:teen"}


def test_rule18_each_burst_has_its_own_window(duck: Engine) -> None:
    # an earlier burst to another payee 20 days before does not move the window of the later one
    earlier = [txn(member_id="p2p", src_account="p2p:teen", dst_account="ext:scam0", ts=at(-20, hours=h), amount=a,
                   channel="p2p", dst_country="NG") for h, a in ((0, 80), (10, 200))]
    _sextortion_world(duck, [*earlier, card("tcard", 1.5, "5947", 100)])
    assert subjects(duck, "sext_liquidity_hunt") == {"net:tcard", "p2p:teen"}
