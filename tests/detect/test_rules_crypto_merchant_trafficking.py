"""CSAM/crypto rules 21-25, merchant rules 28-31, trafficking rules 32-33: positive and near-miss (DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from detect_fixtures import alerts_of, at, load, subjects, txn

from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Engine

HOT = [
    {"kind": "address", "value": "1Vendor", "chain": "btc", "typology": "csam_crypto", "source": "test"},
    {"kind": "address", "value": "1Mixer", "chain": "btc", "typology": "mixer", "source": "test"},
]


@pytest.fixture
def duck(tmp_path: Path) -> Engine:
    return DuckDBEngine(tmp_path / "w.duckdb")


def chain_row(src: str, dst: str, days: float, amount: float, **kw: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "src_account": src,
        "dst_account": dst,
        "ts": at(days),
        "amount": amount,
        "channel": "crypto",
        "chain": "btc",
        "member_id": "x1",
        "src_country": None,
        "dst_country": None,
    }
    fields.update(kw)
    row = txn(**fields)
    for side in ("src", "dst"):
        account = row[f"{side}_account"]
        if account and account.startswith("btc:"):
            row[f"{side}_token"] = account[4:]
    return row


def test_rule21_direct_exposure(duck: Engine) -> None:
    load(
        duck,
        [
            chain_row("x1:cust", "btc:1Vendor", 0, 30),  # exchange withdrawal straight to the vendor
            chain_row("btc:1Payer", "btctx:h1", 1, 31),  # on-chain: payer -> tx -> vendor (+ change)
            chain_row("btctx:h1", "btc:1Vendor", 1, 30),
            chain_row("btctx:h1", "btc:1Payer", 1, 0.9),
            chain_row("btc:1Clean", "btctx:h2", 1, 31),  # near miss: same shape, unlisted output
            chain_row("btctx:h2", "btc:1Shop", 1, 30),
            chain_row("x1:other", "btc:1Shop", 0, 30),
        ],
        hotlist=HOT,
    )
    found = alerts_of(duck, "csam_direct_exposure")
    assert {a["subject"] for a in found} == {"x1:cust", "btc:1Payer", "btc:1Vendor"}  # and the vendor itself
    assert all(a["score"] == 3.0 for a in found)


def test_rule21_site_cluster_and_soft_second_hop(duck: Engine) -> None:
    load(
        duck,
        [
            # the vendor sweeps the listed address with a payer's own deposit address (common input)
            chain_row("btc:1Vendor", "btctx:sweep", 30, 0.01),
            chain_row("btc:1Deposit7", "btctx:sweep", 30, 0.02),
            chain_row("btctx:sweep", "btc:1Collector", 30, 0.029),
            chain_row("x1:buyer", "btc:1Deposit7", 3, 0.02),  # paid the cluster, not the listed address
            txn(member_id="x1", src_account="ext:bank", dst_account="x1:buyer", channel="wire", ts=at(3, hours=-2)),
            txn(member_id="x1", src_account="ext:old", dst_account="x1:buyer", channel="wire", ts=at(1)),  # too early
            chain_row("x1:mixed", "btc:1Hop", 4, 0.02),  # paid an intake that forwards to the cluster
            chain_row("btc:1Hop", "btctx:hop", 5, 0.02),
            chain_row("btctx:hop", "btc:1Deposit7", 5, 0.019),
            chain_row("x1:other", "btc:1Elsewhere", 3, 0.02),  # near miss: unrelated address
            # an exchange withdrawal: the ledger row names the customer, the hot wallet is no subject
            chain_row("x1:cust2", "btc:1Deposit7", 3, 0.02, tx_hash="wd"),
            chain_row("btc:1Hot", "btctx:wd", 3, 0.5, tx_hash="wd"),
            chain_row("btctx:wd", "btc:1Deposit7", 3, 0.02, tx_hash="wd"),
        ],
        hotlist=HOT,
    )
    found = {a["subject"]: a for a in alerts_of(duck, "csam_direct_exposure")}
    vendor = {"btc:1Vendor", "btc:1Deposit7"}
    assert set(found) == {"x1:buyer", "x1:cust2", "btc:1Hop", "x1:mixed", "ext:bank", *vendor}
    assert found["x1:buyer"]["score"] == 3.0
    assert 1.0 < found["x1:mixed"]["score"] < 3.0  # hop 2 is soft
    assert found["ext:bank"]["score"] == 1.5  # the payer's funding account: soft


def test_rule22_recurring_micro(duck: Engine) -> None:
    night = [chain_row("x1:fan", "btc:1Site", d, 21.0 + d * 0.1, ts=at(d, hours=-10)) for d in (0, 7, 14)]
    varied = [chain_row("x1:shopper", "btc:1Site", d, a, ts=at(d, hours=-10)) for d, a in ((0, 12), (7, 30), (14, 45))]
    daytime = [chain_row("x1:day", "btc:1Site", d, 21.0, ts=at(d, hours=2)) for d in (0, 7, 14)]
    load(duck, night + varied + daytime)
    assert subjects(duck, "csam_recurring_micro") == {"x1:fan"}


def test_rule23_retro_hunt(duck: Engine) -> None:
    load(
        duck,
        [
            chain_row("x1:old", "btc:1Vendor", -3 * 365, 25),
            chain_row("x1:ancient", "btc:1Vendor", -6 * 365, 25),
            chain_row("x1:now", "btc:1Shop", 0, 25),
        ],
        hotlist=HOT,
    )
    assert subjects(duck, "csam_retro_hunt") == {"x1:old"}


def test_rule24_obfuscation(duck: Engine) -> None:
    load(
        duck,
        [
            txn(member_id="x1", src_account="b1:acct", dst_account="x1:quick", channel="wire", ts=at(0), amount=500),
            chain_row("x1:quick", "btc:1Mixer", 0.5, 0.01),
            txn(member_id="x1", src_account="b1:acct", dst_account="x1:slow", channel="wire", ts=at(0), amount=500),
            chain_row("x1:slow", "btc:1Mixer", 3, 0.01),
            txn(member_id="x1", src_account="b1:acct", dst_account="x1:xmr", channel="wire", ts=at(0), amount=500),
            chain_row("x1:xmr", "xmr:addr", 0.2, 1.0, chain="xmr"),
        ],
        hotlist=HOT,
    )
    assert subjects(duck, "csam_obfuscation") == {"x1:quick", "x1:xmr"}


def test_rule25_prepaid_onramp(duck: Engine) -> None:
    load(
        duck,
        [
            txn(member_id="x1", src_account="c1:card", dst_account="x1:buyer", channel="card", ts=at(0), amount=100),
            chain_row("x1:buyer", "btc:1Cold", 0, 0.002, ts=at(0, hours=0.5)),
            txn(member_id="x1", src_account="c1:debit", dst_account="x1:normal", channel="card", ts=at(0), amount=100),
            chain_row("x1:normal", "btc:1Cold", 0, 0.002, ts=at(0, hours=0.5)),
            txn(member_id="x1", src_account="c1:card", dst_account="x1:hosted", channel="card", ts=at(0), amount=100),
            chain_row("x1:hosted", "btc:1Ex", 0, 0.002, ts=at(0, hours=0.5)),
        ],
        accounts=[
            {"account_key": "c1:card", "member_id": "c1", "kind": "prepaid"},
            {"account_key": "c1:debit", "member_id": "c1", "kind": "card"},
        ],
        wallets=[{"address": "1Ex", "chain": "btc", "member_id": "x2", "kind": "deposit"}],
    )
    assert subjects(duck, "csam_prepaid_onramp") == {"x1:buyer"}


def card(merchant: str, days: float, amount: float = 29, src: str = "ext:card1", **kw: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "src_account": src,
        "dst_account": f"acq:{merchant}",
        "merchant_id": merchant,
        "channel": "card",
        "ts": at(days),
        "amount": amount,
        "member_id": "acq",
        "src_country": "US",
        "dst_country": "NL",
    }
    fields.update(kw)
    return txn(**fields)


def merchant(merchant_id: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "merchant_id": merchant_id,
        "member_id": "acq",
        "mid": f"MID-{merchant_id}",
        "mcc": "5967",
        "country": "NL",
        "url": f"https://{merchant_id}.example",
        "declared_url": f"https://{merchant_id}.example",
        "onboarded_at": datetime(2026, 2, 1, tzinfo=UTC),
    }
    row.update(kw)
    return row


def test_rule28_hotlisted_merchant(duck: Engine) -> None:
    load(
        duck,
        [card("bad", 0), card("good", 0)],
        merchants=[merchant("bad", url="https://badsite.example"), merchant("good")],
        hotlist=[{"kind": "url", "value": "https://BADSITE.example", "typology": "merchant_laundering"}],
    )
    found = alerts_of(duck, "merchant_hotlisted")
    assert {a["subject"] for a in found} == {"bad"}


def test_rule28_payer_side(duck: Engine) -> None:
    refund = card("bad", 40, src="acq:bad", dst_account="ext:refunded", channel="card")
    load(
        duck,
        [
            card("bad", 0, src="ext:buyer"),
            card("bad", 30, src="ext:buyer"),
            card("bad", 10, src="ext:refunded"),
            refund,
            card("good", 0, src="ext:shopper"),
        ],
        merchants=[merchant("bad", url="https://badsite.example"), merchant("good")],
        hotlist=[{"kind": "url", "value": "https://badsite.example", "typology": "merchant_laundering"}],
    )
    found = {a["subject"]: a for a in alerts_of(duck, "merchant_hotlisted_payer")}
    assert set(found) == {"ext:buyer", "ext:refunded"}  # the merchant's own refund row names no payer
    assert found["ext:buyer"]["evidence_count"] == 2


def test_rule29_url_mismatch(duck: Engine) -> None:
    load(
        duck,
        [card("m_a", 0), card("m_b", 0), card("m_c", 0), card("m_d", 0)],
        merchants=[
            merchant("m_a", url="https://hidden.example"),  # observed site not declared
            merchant("m_b", mid="MID-shared"),
            merchant("m_c", mid="MID-shared", url="https://other.example"),
            merchant("m_d"),
        ],
    )
    assert subjects(duck, "merchant_url_mismatch") == {"m_a", "m_b", "m_c"}


def test_rule30_subscription_profile(duck: Engine) -> None:
    rows = [card("subs", d, src=f"ext:c{i}") for i in range(4) for d in (0, 30)]
    rows += [card("subs_domestic", d, src=f"ext:c{i}", src_country="NL") for i in range(4) for d in (0, 30)]
    rows += [card("subs_old", d, src=f"ext:c{i}") for i in range(4) for d in (0, 30)]
    load(
        duck,
        rows,
        merchants=[
            merchant("subs"),
            merchant("subs_domestic"),
            merchant("subs_old", onboarded_at=datetime(2024, 1, 1, tzinfo=UTC)),
        ],
    )
    assert subjects(duck, "merchant_subscription_profile") == {"subs"}


def test_rule31_volume_spike(duck: Engine) -> None:
    load(
        duck,
        [card("spike", 0, amount=1000), card("spike", 1, amount=700), card("calm", 0, amount=1000)],
        merchants=[
            merchant("spike", projected_monthly_volume_usd=1000),
            merchant("calm", projected_monthly_volume_usd=1000),
        ],
    )
    assert subjects(duck, "merchant_volume_spike") == {"spike"}


def cash(acct: str, hours: float, loc: str, deposit: bool, amount: float = 3000) -> dict[str, object]:
    return txn(
        src_account=None if deposit else acct,
        dst_account=acct if deposit else None,
        channel="cash",
        ts=at(0, hours=hours),
        device_id=loc,
        amount=amount,
    )


def test_rule32_funnel(duck: Engine) -> None:
    load(
        duck,
        [
            cash("m1:funnel", 0, "NY-1", True),
            cash("m1:funnel", 5, "TX-2", True),
            cash("m1:funnel", 20, "CA-9", False, 5900),
            cash("m1:local", 0, "NY-1", True),
            cash("m1:local", 5, "TX-2", True),
            cash("m1:local", 20, "TX-2", False, 5900),
            cash("m1:late", 0, "NY-1", True),
            cash("m1:late", 5, "TX-2", True),
            cash("m1:late", 80, "CA-9", False, 5900),
        ],
    )
    found = alerts_of(duck, "trafficking_funnel")
    assert {a["subject"] for a in found} == {"m1:funnel"}
    assert found[0]["evidence_count"] == 3


def test_rule32_funnel_location_from_statement(duck: Engine) -> None:
    def post(acct: str, days: float, region: str, deposit: bool) -> dict[str, object]:
        return txn(
            src_account=None if deposit else acct,
            dst_account=acct if deposit else None,
            channel="cash",
            ts=at(days),
            amount=4000 if deposit else 3800,
            reference=f"BRANCH=BR{len(region)}01;CITY=Somewhere;REGION={region}",
        )

    rows = [post("m1:funnel", 0, "TX", True), post("m1:funnel", 1, "GA", False)]
    rows += [post("m1:funnel", 6, "OH", True), post("m1:funnel", 7, "GA", False)]
    rows += [post("m1:home", 0, "GA", True), post("m1:home", 1, "GA", False)]  # near miss: same region
    rows += [post("m1:home", 6, "GA", True), post("m1:home", 7, "GA", False)]
    load(duck, rows)
    found = alerts_of(duck, "trafficking_funnel")
    assert {a["subject"] for a in found} == {"m1:funnel"}
    assert found[0]["evidence_count"] == 4


def test_rule33_lifestyle(duck: Engine) -> None:
    def spend(acct: str, days: float, mcc: str, mid: str) -> dict[str, object]:
        return txn(
            src_account=acct, dst_account=f"acq:{mid}", merchant_id=mid, mcc=mcc, channel="card", ts=at(days), amount=90
        )

    rows = [spend("m1:t", d, "7011", f"hotel{d % 2}") for d in range(4)] + [spend("m1:t", 2, "7311", "ads")]
    rows += [spend("m1:tourist", d, "7011", f"hotel{d % 2}") for d in range(4)]
    rows += [spend("m1:oneplace", d, "7011", "hotel0") for d in range(4)] + [spend("m1:oneplace", 2, "7311", "ads")]
    load(duck, rows)
    assert subjects(duck, "trafficking_lifestyle") == {"m1:t"}


def test_rule28_site_report_test_purchase_joins_the_hotlist(duck: Engine) -> None:
    from detect_fixtures import rows_table

    from moneytrail.ingest.schemas import SITE_REPORTS

    load(duck, [card("sold", 0), card("scam", 0)], merchants=[merchant("sold"), merchant("scam")])
    reports = [
        {
            "report_id": "r1",
            "member_id": "net",
            "url": "https://x.example",
            "category": "csam_commercial",
            "test_purchase_mid": "MID-sold",
        },
        {
            "report_id": "r2",
            "member_id": "net",
            "url": "https://y.example",
            "category": "scam",
            "test_purchase_mid": "MID-scam",
        },
    ]
    duck.write_table("site_reports", rows_table(SITE_REPORTS, reports))
    assert subjects(duck, "merchant_hotlisted") == {"sold"}
