"""The whole rule pack gives identical alerts on DuckDB and on Spark over one small combined dataset."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from detect_fixtures import at, holder, load, txn

from moneytrail.detect.pipeline import detect
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Engine


def _scenario() -> dict[str, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    parties: list[dict[str, Any]] = []
    # LSAC: one night-time, even-amount sender to PH with cover stories; three senders to one beneficiary
    for d in (0, 3, 6):
        rows.append(
            txn(
                src_account="m1:off",
                dst_account="ph:girl",
                ts=at(d, hours=-7),
                amount=50,
                dst_country="PH",
                reference="school fees",
                member_id="m1",
            )
        )
        rows.append(
            txn(
                src_account=f"m{d + 2}:s{d}",
                dst_account="ph:girl",
                ts=at(d),
                amount=40,
                dst_country="PH",
                src_country="AU",
                member_id=f"m{d + 2}",
                reference="@sweet_girl",
            )
        )
    # beneficiary side: micro inbound then cash out
    for i in range(5):
        rows.append(
            txn(
                src_account=f"ext:f{i % 2}",
                dst_account="ph:wallet",
                ts=at(i * 2),
                amount=30,
                src_country="GB",
                dst_country="PH",
                member_id="ph",
            )
        )
        rows.append(
            txn(
                src_account="ph:wallet",
                dst_account=None,
                channel="cash",
                ts=at(i * 2, hours=3),
                amount=30,
                member_id="ph",
                src_country="PH",
            )
        )
    # sextortion: a minor's burst to NG, then gift cards
    a, p = holder("m1:teen", "p_teen", "ph_teen", age_band="<18")
    accounts.append(a)
    parties.append(p)
    rows += [
        txn(src_account="m1:teen", dst_account="ext:scam", channel="p2p", ts=at(1, hours=h), amount=v, dst_country="NG")
        for h, v in ((0, 100), (10, 300))
    ]
    rows.append(txn(src_account="m1:teen", dst_account="ext:shop", channel="card", mcc="5947", ts=at(2)))
    # holders across members (rules 11, 12, 18): the teen's and the LSAC sender's cards at a bank, same phones
    for key, party, phone in (("bank:tcard", "b_teen", "ph_teen"), ("m1:off", "p_off", "ph_off"),
                              ("bank:ocard", "b_off", "ph_off")):
        a, p = holder(key, party, phone, kind="card" if key.startswith("bank") else "bank")
        accounts.append(a)
        parties.append(p)
    rows += [
        txn(src_account=f"net:{pan}", dst_account="net:shop", channel="card", mcc=mcc, ts=at(day), member_id="net")
        for pan, mcc, day in (("tcard", "5947", 1.5), ("ocard", "5967", 4), ("ocard", "5734", 5))
    ]
    # crypto: exposure to a hotlisted address, recurring micro payments
    for d in (0, 7, 14):
        row = txn(
            src_account="x1:fan",
            dst_account="btc:1Vendor",
            ts=at(d, hours=-10),
            amount=21,
            channel="crypto",
            chain="btc",
            member_id="x1",
            src_country=None,
            dst_country=None,
        )
        row["dst_token"] = "1Vendor"
        rows.append(row)
    # merchants and trafficking
    rows += [
        txn(
            src_account=f"ext:c{i}",
            dst_account="acq:bad",
            merchant_id="bad",
            channel="card",
            ts=at(d),
            amount=29,
            member_id="acq",
            dst_country="NL",
        )
        for i in range(3)
        for d in (0, 30)
    ]
    rows += [
        txn(
            src_account="m1:t",
            dst_account=f"acq:h{d % 2}",
            merchant_id=f"h{d % 2}",
            mcc="7011",
            channel="card",
            ts=at(d),
            amount=90,
        )
        for d in range(4)
    ]
    rows.append(txn(src_account="m1:t", dst_account="acq:ads", merchant_id="ads", mcc="7311", channel="card", ts=at(2)))
    rows += [
        txn(src_account=None, dst_account="m1:funnel", channel="cash", ts=at(0, hours=h), device_id=loc, amount=3000)
        for h, loc in ((0, "NY"), (4, "TX"))
    ]
    rows.append(
        txn(src_account="m1:funnel", dst_account=None, channel="cash", ts=at(0, hours=20), device_id="CA", amount=5900)
    )
    merchants = [
        {
            "merchant_id": "bad",
            "member_id": "acq",
            "mid": "MID-BAD",
            "mcc": "5967",
            "country": "NL",
            "url": "https://bad.example",
            "declared_url": "https://shoes.example",
            "onboarded_at": datetime(2026, 2, 1, tzinfo=UTC),
            "projected_monthly_volume_usd": 50,
        }
    ]
    hotlist = [
        {"kind": "address", "value": "1Vendor", "chain": "btc", "typology": "csam_crypto", "source": "t"},
        {"kind": "mid", "value": "MID-BAD", "typology": "merchant_laundering", "source": "t"},
    ]
    return {"txns": rows, "accounts": accounts, "parties": parties, "merchants": merchants, "hotlist": hotlist}


def _normalised(engine: Engine) -> list[dict[str, Any]]:
    result = detect(engine)
    return sorted(result.alerts.to_pylist(), key=lambda a: (a["rule_id"], a["subject"]))


@pytest.mark.slow
def test_pack_identical_on_both_engines(engine: Engine, tmp_path: Path) -> None:
    data = _scenario()
    tables = {k: data[k] for k in ("accounts", "parties", "merchants", "hotlist")}
    reference = DuckDBEngine(tmp_path / "reference.duckdb")
    load(reference, data["txns"], **tables)
    expected = _normalised(reference)
    reference.close()
    load(engine, data["txns"], **tables)
    got = _normalised(engine)
    fired = {a["rule_id"] for a in expected}
    assert len(fired) >= 17, fired  # the scenario exercises most of the pack
    holders = {a["subject"] for a in expected if a["rule_id"] in ("sext_liquidity_hunt", "lsac_webcam_payments",
                                                                  "lsac_privacy_tooling")}
    assert {"net:tcard", "net:ocard"} <= holders  # the links between a holder's accounts work on both engines
    assert got == expected
    assert engine.count("alerts") == len(expected)
    assert engine.count("risk_summary") >= 1
