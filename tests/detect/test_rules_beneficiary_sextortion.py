"""LSAC beneficiary-side rules 13-15 and sextortion rules 16-20: positive and near-miss each (DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pytest
from detect_fixtures import alerts_of, at, load, person, subjects, txn

from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Engine


@pytest.fixture
def duck(tmp_path: Path) -> Engine:
    return DuckDBEngine(tmp_path / "w.duckdb")


def inbound(dst: str, sender: str, days: float, amount: float = 40, **kw: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "src_account": sender,
        "dst_account": dst,
        "ts": at(days),
        "amount": amount,
        "src_country": "GB",
        "dst_country": "PH",
        "member_id": dst.split(":")[0],
    }
    fields.update(kw)
    return txn(**fields)


def micro(dst: str, senders: list[str], n: int = 5) -> list[dict[str, object]]:
    return [inbound(dst, senders[i % len(senders)], i * 2) for i in range(n)]


def test_rule13_micro_inbound(duck: Engine) -> None:
    load(
        duck,
        micro("ph:wallet1", ["ext:a", "ext:b"])
        + micro("ph:one_sender", ["ext:a"])
        + micro("ph:few", ["ext:a", "ext:b"], n=4)
        # near miss: a merchant taking small foreign card payments is not receiving transfers
        + [inbound("ph:shop", f"ext:c{i}", i, channel="card") for i in range(6)],
    )
    assert subjects(duck, "lsac_micro_inbound") == {"ph:wallet1"}


def test_rule13_sender_from_the_remitters_record(duck: Engine) -> None:
    rows = []
    for dst, senders in (("ph:ring", ["rem:a", "rem:b"]), ("ph:family", ["rem:c", "rem:c"])):
        for i in range(6):
            ref = f"GT{dst[3:]}{i}"
            # the remitter names the sender; the e-wallet's credit names the partner and carries its reference
            rows.append(inbound(dst, senders[i % 2], i * 2, member_id="rem", txn_id=f"rem:{ref}", src_country="US"))
            rows.append(inbound(dst, "ext:partner", i * 2, reference=f"partner_ref={ref.lower()}", src_country="US"))
    load(duck, rows)
    assert subjects(duck, "lsac_micro_inbound") == {"ph:ring"}


def test_rule14_receive_cash_out(duck: Engine) -> None:
    rows = micro("ph:cashout", ["ext:a", "ext:b"]) + micro("ph:saver", ["ext:a", "ext:b"])
    rows += [
        txn(
            src_account="ph:cashout",
            dst_account=None,
            channel="cash",
            ts=at(i * 2, hours=5),
            amount=40,
            member_id="ph",
            src_country="PH",
        )
        for i in range(5)
    ]
    rows += [
        txn(
            src_account="ph:saver",
            dst_account=None,
            channel="cash",
            ts=at(20),
            amount=200,
            member_id="ph",
            src_country="PH",
        )
    ]
    load(duck, rows)
    found = alerts_of(duck, "lsac_receive_cash_out")
    assert {a["subject"] for a in found} == {"ph:cashout"}
    assert found[0]["evidence_count"] == 10


def test_rule15_family_cluster(duck: Engine) -> None:
    rows = micro("ph:w1", ["ext:a", "ext:b"]) + micro("ph2:w2", ["ext:c", "ext:d"])  # share a device
    rows += micro("ph:w3", ["ext:x", "ext:y"]) + micro("ph2:w4", ["ext:x", "ext:y"])  # share senders
    rows += micro("ph:w5", ["ext:p", "ext:q"]) + micro("ph2:w6", ["ext:p", "ext:r"])  # one shared sender only
    accounts, parties = [], []
    for key, device in (
        ("ph:w1", "D1"),
        ("ph2:w2", "D1"),
        ("ph:w3", "D3"),
        ("ph2:w4", "D4"),
        ("ph:w5", "D5"),
        ("ph2:w6", "D6"),
    ):
        a, p = person(key, "h_" + key.replace(":", "_"), device_token=device)
        accounts.append(a)
        parties.append(p)
    load(duck, rows, accounts=accounts, parties=parties)
    assert subjects(duck, "lsac_family_cluster") == {"ph:w1", "ph2:w2", "ph:w3", "ph2:w4"}


def _young(key: str, party: str, band: str) -> tuple[dict[str, object], dict[str, object]]:
    return person(key, party, age_band=band)


def pay(src: str, dst: str, hours: float, amount: float, **kw: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "src_account": src,
        "dst_account": dst,
        "ts": at(0, hours=hours),
        "amount": amount,
        "channel": "p2p",
        "dst_country": "NG",
    }
    fields.update(kw)
    return txn(**fields)


def _victims(
    duck: Engine,
    extra: list[dict[str, object]],
    holders: tuple[tuple[str, str, str], ...] | list[tuple[str, str, str]] = (),
) -> None:
    a1, p1 = _young("m1:teen", "p1", "<18")
    a2, p2 = _young("m1:adult", "p2", "45-64")
    a3, p3 = _young("m1:bigfirst", "p3", "<18")
    rows = [pay("m1:teen", "ext:scam", 0, 100), pay("m1:teen", "ext:scam", 20, 300)]
    rows += [pay("m1:adult", "ext:scam", 0, 100), pay("m1:adult", "ext:scam", 20, 300)]
    rows += [pay("m1:bigfirst", "ext:scam", 0, 400), pay("m1:bigfirst", "ext:scam", 20, 300)]
    rows += [txn(ts=at(40), src_account="m1:other", dst_account="ext:z")]  # data runs 40 days
    more = [_young(*h) for h in holders]
    load(duck, rows + extra, accounts=[a1, a2, a3, *(m[0] for m in more)], parties=[p1, p2, p3, *(m[1] for m in more)])


def test_rule16_victim_burst(duck: Engine) -> None:
    friend = [pay("m2:pal", "m1:friendly", -48, 20, member_id="m2", src_country="US")]  # paid the teen before
    friend += [pay("m1:friendly", "m2:pal", 0, 30), pay("m1:friendly", "m2:pal", 5, 40)]
    wires = [pay("m1:cashout", "ext:ownbank", h, 100, channel="wire") for h in (0, 5)]  # not a P2P/app rail
    _victims(duck, friend + wires, holders=[("m1:friendly", "p7", "<18"), ("m1:cashout", "p8", "18-24")])
    found = alerts_of(duck, "sext_victim_burst")
    assert {a["subject"] for a in found} == {"m1:teen"}
    assert found[0]["score"] == pytest.approx(1.5 * 2 * 1.5)  # minor, JOC-SEXT payee


def test_rule17_abrupt_stop(duck: Engine) -> None:
    _victims(
        duck,
        [pay("m1:teen2", "ext:s2", 0, 50), pay("m1:teen2", "ext:s2", 10, 60), pay("m1:teen2", "ext:s2", 24 * 8, 60)],
        holders=[("m1:teen2", "p9", "18-24")],
    )
    assert subjects(duck, "sext_victim_burst") == {"m1:teen", "m1:teen2"}
    assert subjects(duck, "sext_abrupt_stop") == {"m1:teen"}


def test_rule18_liquidity_hunt(duck: Engine) -> None:
    _victims(
        duck,
        [
            txn(src_account="m1:teen", dst_account="ext:shop", ts=at(1), mcc="5947", channel="card"),
            txn(src_account="m1:adult", dst_account="ext:shop", ts=at(1), mcc="5947", channel="card"),
        ],
    )
    assert subjects(duck, "sext_liquidity_hunt") == {"m1:teen"}


def test_rule18_not_new(duck: Engine) -> None:
    # a weekly USD 50 gift card for twelve weeks: one more after the burst is the customer's habit
    buys = [txn(src_account="m1:teen", dst_account="ext:shop", ts=at(d), mcc="5947", channel="card")
            for d in [-7 * week for week in range(1, 13)] + [1]]
    _victims(duck, buys)
    assert subjects(duck, "sext_liquidity_hunt") == set()


def test_rule19_mule_collector(duck: Engine) -> None:
    accounts, parties, rows = [], [], []
    for i in range(6):
        a, p = _young(f"m{i}:kid{i}", f"k{i}", "<18")
        accounts.append(a)
        parties.append(p)
        rows.append(pay(f"m{i}:kid{i}", "ext:mule", i * 10, 100, member_id=f"m{i}", dst_country="US"))
        rows.append(pay(f"m{i}:kid{i}", "ext:keeper", i * 10, 100, member_id=f"m{i}", dst_country="US"))
        rows.append(pay(f"m{i}:kid{i}", "ext:few", i * 10, 100, member_id=f"m{i}", dst_country="US"))
    # the mule's own bank (m9) shows it forwarding to a remitter abroad; the keeper keeps the money
    rows += [
        txn(
            member_id="m9",
            src_account="m9:mule",
            src_token="mule",
            dst_account="ext:payout",
            channel="remittance",
            src_country="US",
            dst_country="NG",
            ts=at(0, hours=i * 10 + 2),
            amount=100,
        )
        for i in range(6)
    ]
    rows += [
        txn(
            member_id="m9",
            src_account="m9:few",
            src_token="few",
            dst_account="ext:payout",
            channel="remittance",
            src_country="US",
            dst_country="NG",
            ts=at(0, hours=i * 10 + 2),
            amount=100,
        )
        for i in range(6)
    ]
    rows = [r for r in rows if not (r["dst_token"] == "few" and r["member_id"] in ("m4", "m5"))]
    load(duck, rows, accounts=accounts, parties=parties)
    assert subjects(duck, "sext_mule_collector") == {"mule"}


def test_rule20_recovery_scam(duck: Engine) -> None:
    _victims(
        duck,
        [
            pay("m1:teen", "ext:fixer", 24 * 5, 200, reference="data recovery service"),
            pay("m1:adult", "ext:fixer", 24 * 5, 200, reference="data recovery service"),
            pay("m1:bigfirst", "ext:fixer", 24 * 5, 200, reference="pizza"),
        ],
    )
    assert subjects(duck, "sext_recovery_scam") == {"m1:teen", "ext:fixer"}  # the victim and the scammer


def test_rule20_after_the_latest_burst(duck: Engine) -> None:
    # the teen's first burst was 60 days before the one the "recovery" payment follows
    earlier = [pay("m1:teen", "ext:old", -24 * 60, 80), pay("m1:teen", "ext:old", -24 * 60 + 10, 150)]
    _victims(duck, [*earlier, pay("m1:teen", "ext:fixer", 24 * 5, 200, reference="data recovery service")])
    assert subjects(duck, "sext_recovery_scam") == {"m1:teen", "ext:fixer"}
