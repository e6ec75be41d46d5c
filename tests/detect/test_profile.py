"""Payment-profile features on a hand-made `detect_txn`, the same on DuckDB and Spark."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from moneytrail.detect.score.profile import MARKS_TABLE, load_profiles, payment_marks, profile_features
from moneytrail.errors import UserError
from moneytrail.warehouse.engine import Engine

COLUMNS = {
    "txn_id": pa.string(), "member_id": pa.string(), "src_token": pa.string(), "dst_token": pa.string(),
    "channel": pa.string(), "src_country": pa.string(), "dst_country": pa.string(), "local_hour": pa.int32(),
    "amount": pa.float64(), "amount_eur": pa.float64(), "reference": pa.string(), "src_surname": pa.string(),
    "dst_surname": pa.string(), "src_age_band": pa.string(), "mcc": pa.string(), "merchant_id": pa.string(),
    "merchant_name": pa.string(), "relationship": pa.string(),
}
# the names of the merchants the acquirer's file names (the other card payments' merchants have none)
MERCHANT_NAMES = {"cardnet:c4": "corner apps 12", "cardnet:c5": "star vpn"}
# what the remitter's sender declared the receiver to be (the other payments declare nothing)
RELATIONSHIPS = {"remitter:t1": "friend", "remitter:t2": "friend", "remitter:t3": "sister"}


def _txn(rows: list[tuple[object, ...]]) -> pa.Table:
    names = [n for n in COLUMNS if n not in ("src_age_band", "mcc", "merchant_id", "merchant_name", "relationship")]
    data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    data["src_age_band"] = [r[len(names)] if len(r) > len(names) else "25-34" for r in rows]
    data["mcc"] = [r[3].split(":")[1] if r[0].startswith("cardnet:") else None for r in rows]
    data["merchant_id"] = [None] * len(rows)
    data["merchant_name"] = [MERCHANT_NAMES.get(str(r[0])) for r in rows]
    data["relationship"] = [RELATIONSHIPS.get(str(r[0])) for r in rows]
    return pa.table(data, schema=pa.schema(list(COLUMNS.items())))


def _rows() -> list[tuple[object, ...]]:
    return [
        # txn, member, src, dst, channel, from, to, local hour, amount, EUR, reference, surnames
        # "u" in the US sends four remittances to the Philippines: three at night, three small, two even
        ("remitter:t1", "remitter", "u", "w1", "remittance", "US", "PH", 0, 60.0, 50.0, "school fees", "su", "sw"),
        ("remitter:t2", "remitter", "u", "w1", "remittance", "US", "PH", 23, 55.5, 47.0, "hi", "su", "sw"),
        ("remitter:t3", "remitter", "u", "w2", "remittance", "US", "PH", 2, 40.0, 34.0, "@angel_12", "su", "su"),
        ("remitter:t4", "remitter", "u", "w2", "remittance", "US", "PH", 12, 401.0, 340.0, "", "su", "su"),
        # "v" in Britain sends one to "w2" too
        ("remitter:t5", "remitter", "v", "w2", "remittance", "GB", "PH", 3, 20.0, 23.0, "", "sv", "su"),
        # ... "u" pays a neighbour at night at home: not to the corridor, but in the night share of its P2P
        ("p2p_app:n1", "p2p_app", "u", "x", "p2p", "US", "US", 1, 20.0, 17.0, "", "su", "sx"),
        # its bank "b" funded the first transfer; "b" also wired rent at home
        ("remitter:t1:funding", "remitter", "b", "u", "wire", "US", "US", 0, 62.99, 52.5, "", "su", "su"),
        ("bank_us:r", "bank_us", "b", "l", "wire", "US", "US", 10, 1000.0, 850.0, "rent", "su", "sl"),
        # the wallet's own record of t1 names the remittance partner "gs" as the sender
        ("ewallet_ph:c1", "ewallet_ph", "gs", "w1", "ewallet", "US", "PH", 0, 2900.0, 48.0,
         "partner_ref=t1", None, "sw"),
        # two teenagers and an adult pay "m" by P2P; one teenager pays "m2" too
        ("p2p_app:y1", "p2p_app", "k1", "m", "p2p", "US", "US", 20, 50.0, 43.0, "", "s1", "sm", "<18"),
        ("p2p_app:y2", "p2p_app", "k1", "m", "p2p", "US", "US", 21, 90.0, 77.0, "", "s1", "sm", "<18"),
        ("p2p_app:y3", "p2p_app", "k2", "m", "p2p", "US", "US", 20, 50.0, 43.0, "", "s2", "sm", "18-24"),
        ("p2p_app:y4", "p2p_app", "g", "m", "p2p", "US", "US", 20, 50.0, 43.0, "", "s3", "sm", "45-54"),
        ("p2p_app:y5", "p2p_app", "k2", "m2", "p2p", "US", "US", 20, 50.0, 43.0, "", "s2", "sx", "18-24"),
        # "pv" in the Philippines pays two wallets that foreign senders pay, PHP 100 at night and PHP 200 in
        # the evening (S10's access fees); "po" pays "w2" PHP 2,000 at noon
        ("ewallet_ph:v1", "ewallet_ph", "pv", "w1", "p2p", "PH", "PH", 23, 100.0, 1.6, "load", "sp", "sw"),
        ("ewallet_ph:v2", "ewallet_ph", "pv", "w2", "p2p", "PH", "PH", 22, 200.0, 3.2, "", "sp", "su"),
        ("ewallet_ph:o1", "ewallet_ph", "po", "w2", "p2p", "PH", "PH", 12, 2000.0, 32.0, "", "so", "su"),
        # the teenager "k1" then pays "rs" for "account recovery", and so does the adult "g" (rule 20)
        ("p2p_app:r1", "p2p_app", "k1", "rs", "p2p", "US", "US", 9, 150.0, 128.0, "account recovery", "s1", "sr",
         "<18"),
        ("p2p_app:r2", "p2p_app", "g", "rs", "p2p", "US", "US", 9, 99.0, 85.0, "legal fee", "s3", "sr", "45-54"),
        # a card purchase abroad is not a transfer
        ("cardnet:p", "cardnet", "u", "shop:5411", "card", "US", "PH", 0, 30.0, 25.0, "", "su", None),
        # "u"'s card at a webcam merchant (MCC 5967) at night and a VPN (5734) by day; a webcam refund
        ("cardnet:c1", "cardnet", "cu", "cam:5967", "card", "US", "US", 1, 20.0, 17.0, "", "su", None),
        ("cardnet:c2", "cardnet", "cu", "vpn:5734", "card", "US", "US", 14, 9.0, 8.0, "", "su", None),
        ("cardnet:c3", "cardnet", "cu", "cam:5967", "card", "US", "US", 2, -20.0, -17.0, "", "su", None),
        # ... the same show again at the same price, and a tip of 12.50, at night
        ("cardnet:c6", "cardnet", "cu", "cam:5967", "card", "US", "US", 0, 20.0, 17.0, "", "su", None),
        ("cardnet:c7", "cardnet", "cu", "cam:5967", "card", "US", "US", 3, 12.5, 10.6, "", "su", None),
        # ... and two named merchants: an office suite under the coarse 5734 (not tooling), a VPN under 5999
        ("cardnet:c4", "cardnet", "cu", "apps:5734", "card", "US", "US", 15, 9.0, 8.0, "", "su", None),
        ("cardnet:c5", "cardnet", "cu", "vpn:5999", "card", "US", "US", 16, 5.0, 4.0, "", "su", None),
        # "v" (young) pays an account in Nigeria twice, "z" once: two senders into a JOC-SEXT account
        ("remitter:n1", "remitter", "v", "ng", "remittance", "GB", "NG", 15, 300.0, 340.0, "", "sv", None, "18-24"),
        ("remitter:n2", "remitter", "v", "ng", "remittance", "GB", "NG", 16, 300.0, 340.0, "", "sv", None, "18-24"),
        ("remitter:n3", "remitter", "z", "ng", "remittance", "US", "NG", 16, 100.0, 85.0, "", "sz", None),
        # "tr" (rule 33): three hotel charges at two hotels (a refund is no stay), an ad site, a gift card
        # and a prepaid card
        ("cardnet:h1", "cardnet", "tr", "inn:7011", "card", "US", "GB", 23, 120.0, 110.0, "", "st", None),
        ("cardnet:h2", "cardnet", "tr", "inn:7011", "card", "US", "GB", 22, 120.0, 110.0, "", "st", None),
        ("cardnet:h3", "cardnet", "tr", "motel:7011", "card", "US", "US", 21, 80.0, 70.0, "", "st", None),
        ("cardnet:h4", "cardnet", "tr", "motel:7011", "card", "US", "US", 9, -80.0, -70.0, "", "st", None),
        ("cardnet:a1", "cardnet", "tr", "listings:7311", "card", "US", "US", 10, 40.0, 35.0, "", "st", None),
        ("cardnet:g1", "cardnet", "tr", "kiosk:5947", "card", "US", "US", 11, 200.0, 180.0, "", "st", None),
        ("cardnet:g2", "cardnet", "tr", "kiosk:6540", "card", "US", "US", 11, 100.0, 90.0, "", "st", None),
    ]


@pytest.mark.slow
def test_profile_features_on_both_engines(engine: Engine) -> None:
    engine.write_table("detect_txn", _txn(_rows()))
    columns = profile_features(engine)
    rows = {r["node"]: r for r in engine.table("profile_features").to_pylist()}
    assert set(columns) <= set(engine.table("profile_features").column_names)
    u = rows["u"]
    assert (u["lsac_out"], u["lsac_out_payees"]) == (4, 2)
    assert u["lsac_out_share"] == pytest.approx(4 / 6)  # of its six payments (the card purchase counts)
    assert u["lsac_out_night"] == pytest.approx(3 / 4)
    assert u["lsac_out_small"] == pytest.approx(3 / 4) and u["lsac_out_even"] == pytest.approx(2 / 4)
    assert u["lsac_out_cover"] == pytest.approx(1 / 4) and u["lsac_out_handle"] == pytest.approx(1 / 4)
    assert u["lsac_out_stranger"] == pytest.approx(2 / 4)
    assert (u["lsac_out_family"], u["lsac_out_declared_other"]) == (pytest.approx(1 / 4), pytest.approx(2 / 4))
    assert u["p2p_out_night"] == pytest.approx(4 / 5)  # five transfers, the card purchase is not one
    # per payee: two transfers to each wallet, both at night to "w1"; one small even one to each; the cover
    # story went to "w1", the handle to "w2"
    assert (u["lsac_pair_most"], u["lsac_pair_night"], u["lsac_pair_small_even"]) == (2, 2, 1)
    assert (u["lsac_pair_cover"], u["lsac_pair_handle"], rows["v"]["lsac_pair_most"]) == (1, 1, 1)
    b = rows["b"]  # the funding account carries the transfer it funded
    assert (b["lsac_out"], b["lsac_out_night"]) == (1, 1.0)
    assert b["lsac_out_share"] == pytest.approx(1 / 3)
    w1 = rows["w1"]  # three credits of two transfers, all from "u": the partner is not a second sender
    assert (w1["consumer_in"], w1["consumer_in_senders"]) == (3, 1)
    assert (w1["consumer_in_pair_most"], w1["consumer_in_pair_night"]) == (3, 3)  # all three from "u", at night
    assert (rows["w2"]["consumer_in_pair_most"], rows["w2"]["consumer_in_pair_night"]) == (2, 1)  # "u" twice, "v" once
    assert w1["consumer_in_stranger"] == pytest.approx(1.0) and w1["consumer_in_night"] == pytest.approx(1.0)
    assert rows["w2"]["consumer_in_stranger"] == pytest.approx(1 / 3)  # "u" shares its surname: family
    # two of w1's three credits were declared to a friend (the wallet's own record declares nothing)
    assert (w1["consumer_in_declared_other"], rows["w2"]["consumer_in_declared_other"]) == (pytest.approx(2 / 3), 0.0)
    # counterparties: the most foreign senders among the payees, the payers' mean night share
    assert u["lsac_payee_senders"] == 2 and rows["v"]["lsac_payee_senders"] == 2
    assert u["p2p_payee_senders"] == 2 and b["lsac_payee_senders"] == 1  # "b" funded the transfer to "w1"
    assert w1["consumer_payer_night"] == pytest.approx(3 / 4)
    assert rows["w2"]["consumer_payer_night"] == pytest.approx((3 / 4 + 3 / 4 + 1) / 3)
    assert rows["x"]["consumer_payer_night"] == 0.0
    m = rows["m"]  # two young payers, three of its four payments from them
    assert (m["young_in_payers"], m["young_in_share"]) == (2, 0.75)
    assert rows["k2"]["young_payee_payers"] == 2 and rows["g"]["young_payee_payers"] == 2
    assert rows["m2"]["young_in_payers"] == 1 and rows["u"]["young_payee_payers"] == 0
    assert rows["x"]["consumer_in"] == 0  # a transfer at home is not one from abroad
    assert rows["shop:5411"]["consumer_in"] == 0
    cu = rows["cu"]  # a refund is not a purchase
    assert (cu["webcam_out"], cu["privacy_out"], cu["card_out_night"]) == (3, 2, pytest.approx(4 / 7))
    assert (cu["webcam_out_night"], cu["webcam_out_amounts"]) == (1.0, 2)  # 20.00 twice and 12.50 once
    pv, w2 = rows["pv"], rows["w2"]  # micro-payments at home: the payees' foreign senders and micro payers
    assert (pv["micro_out"], pv["micro_out_night"]) == (2, pytest.approx(1 / 2))
    assert (pv["micro_payee_senders"], pv["micro_payee_micro_payers"]) == (2, 1)
    assert (w2["micro_in_payers"], w2["micro_in_night"], w1["micro_in_night"]) == (1, 0.0, 1.0)
    assert (rows["po"]["micro_out"], rows["po"]["micro_payee_senders"]) == (0, 0)
    assert (pv["micro_pair_most"], pv["micro_pair_night"], rows["po"]["micro_pair_most"]) == (1, 1, 0)
    rs = rows["rs"]  # two payers named a recovery service; one of them is young
    assert (rs["recovery_in_payers"], rs["recovery_payer_young"], rs["recovery_in_max_eur"]) == (2, 1.0, 128.0)
    assert (rows["k1"]["recovery_out_max_eur"], rows["g"]["recovery_out_max_eur"], u["recovery_out_max_eur"]) == (
        128.0, 85.0, 0.0)
    assert (rows["k1"]["young_out"], rows["g"]["young_out"], rows["m"]["recovery_in_payers"]) == (1.0, 0.0, 0)
    marks = payment_marks(engine)  # the pairs with a marked payment, and how many
    marked = {(r["src"], r["dst"]): tuple(r[c] for c in marks) for r in engine.table(MARKS_TABLE).to_pylist()}
    assert marks == ["mark_out_micro_local", "mark_out_micro_local_night", "mark_in_recovery"]
    assert marked == {("pv", "w1"): (1, 1, 0), ("pv", "w2"): (1, 0, 0), ("k1", "rs"): (0, 0, 1), ("g", "rs"): (0, 0, 1)}
    ng = rows["ng"]
    assert (ng["sext_in"], ng["sext_in_senders"], ng["sext_in_young"]) == (3, 2, pytest.approx(2 / 3))
    assert (rows["v"]["sext_out"], rows["v"]["sext_payee_senders"], rows["u"]["sext_payee_senders"]) == (2, 2, 0)
    tr = rows["tr"]
    assert (tr["hotel_out"], tr["hotel_out_places"], tr["ad_site_out"], tr["ad_site_out_sites"]) == (3, 2, 1, 1)
    assert (tr["stored_value_out"], tr["stored_value_out_max_eur"]) == (2, 180.0)
    # MCC 5999 (miscellaneous retail, where kiosks sell gift cards) is coarse: "cu"'s VPN under it counts
    assert (cu["hotel_out"], cu["ad_site_out"]) == (0, 0)
    assert (cu["stored_value_out"], cu["stored_value_out_max_eur"]) == (1, 4.0)


def test_profiles_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "profiles.yaml"
    bad.write_text("version: 1\nsets: {night: local_hour < 5}\nfeatures:\n  f: {side: out, share: nights}\n")
    with pytest.raises(UserError, match="unknown set 'nights'"):
        load_profiles(bad)
    bad.write_text("version: 1\nsets: {night: local_hour < 5}\nfeatures:\n  f: {side: up, count: night}\n")
    with pytest.raises(UserError, match="needs a side"):
        load_profiles(bad)
    bad.write_text("version: 1\nsets: {night: local_hour < 5}\nfeatures:\n  f: {side: out, share: night}\n"
                   "  g: {side: out, counterparty_max: f}\n")
    with pytest.raises(UserError, match="of the other side"):
        load_profiles(bad)
    bad.write_text("version: 1\nsets: {night: local_hour < 5}\nfeatures:\n  f: {side: out, pair_max: nights}\n")
    with pytest.raises(UserError, match="unknown set 'nights'"):
        load_profiles(bad)
    assert "lsac_out_night" in load_profiles().columns
