"""Layering (flow) and exposure features on hand-made graphs, the same on DuckDB and Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest

from moneytrail.detect.graph.flows import flow_features
from moneytrail.detect.score.exposure import exposure_features, payment_pairs
from moneytrail.warehouse.engine import Engine

DAY = 86400.0


def _flow_edges() -> pa.Table:
    rows = [
        # four payers send ~1,000 into "hub" within a day (amounts straddle a band edge); "q" sends 10
        ("p0", "hub", 0.0, 950.0), ("p1", "hub", 3600.0, 1000.0), ("p2", "hub", 7200.0, 1020.0),
        ("p3", "hub", 10800.0, 980.0), ("q", "hub", 14400.0, 10.0),
        # "a" pays "m" 5,000; a day later "m" passes 4,800 on to "b", and 100 to "c" the day after
        ("a", "m", 10 * DAY, 5000.0), ("m", "b", 11 * DAY, 4800.0), ("m", "c", 12 * DAY, 100.0),
        # "s" fans ~2,000 out to three receivers in two days; "r1" also got 20 from "s" a month later
        ("s", "r1", 20 * DAY, 2000.0), ("s", "r2", 21 * DAY, 2100.0), ("s", "r3", 22 * DAY, 1950.0),
        ("s", "r1", 50 * DAY, 20.0),
    ]
    return pa.table({
        "src": [r[0] for r in rows], "dst": [r[1] for r in rows],
        "t": [r[2] for r in rows], "amount": [r[3] for r in rows],
    })


@pytest.mark.slow
def test_flow_features_on_both_engines(engine: Engine) -> None:
    engine.write_table("edges", _flow_edges())
    flow_features(engine, "edges")
    rows = {r["node"]: r for r in engine.table("flow_features").to_pylist()}
    assert rows["hub"]["sim_fan_in"] == 4  # the 10 from "q" is in another band
    assert rows["p0"]["into_sim_fan_in"] == 4 and rows["q"]["into_sim_fan_in"] == 1
    assert rows["s"]["sim_fan_out"] == 3 and rows["r2"]["from_sim_fan_out"] == 3
    m = rows["m"]
    assert (m["passthrough"], m["relay"]) == (1, 1)  # 4,800 relays the 5,000; the 100 does neither
    assert m["relay_share"] == pytest.approx(0.5)
    assert rows["a"]["out_nb_relay"] == 1 and rows["b"]["in_nb_relay"] == 1
    assert rows["hub"]["relay"] == 0 and rows["a"]["relay"] == 0  # nothing in before it paid
    # one-off counterparties: "s" paid "r1" twice, so only r2 and r3 count
    assert rows["hub"]["sim_fan_in_once"] == 4 and rows["s"]["sim_fan_out_once"] == 2
    assert rows["r2"]["from_sim_fan_out_once"] == 2 and rows["r1"]["from_sim_fan_out_once"] == 0
    assert rows["p1"]["into_sim_fan_in_once"] == 4
    assert (rows["s"]["once_out"], rows["r1"]["once_in"], rows["hub"]["once_in"]) == (2, 0, 5)
    assert rows["m"]["relay_once"] == 1 and rows["a"]["out_nb_relay_once"] == 1 and rows["b"]["in_nb_relay_once"] == 1


@pytest.mark.slow
def test_exposure_features_on_both_engines(engine: Engine) -> None:
    engine.write_table(
        "edges",
        pa.table({
            "src": ["u", "u", "u", "v", "w"], "dst": ["fac", "fac", "other", "shop", "u"],
            "t": [1.0, 2.0, 3.0, 4.0, 5.0], "amount": [100.0, 100.0, 300.0, 50.0, 70.0],
        }),
    )
    engine.write_table(
        "alerts",
        pa.table({
            "subject_kind": ["account", "merchant"], "subject": ["ewallet_ph:fac", "M1"],
            "typology": ["lsac", "merchant_laundering"], "score": [2.0, 1.5],
        }),
    )
    engine.write_table(
        "detect_txn",
        pa.table(
            {
                "merchant_id": ["M1", None, "M1"], "dst_token": ["shop", "fac", "v"],
                "amount": [50.0, 100.0, 50.0], "channel": ["card", "p2p", "refund"],  # the refund goes back to "v"
            },
            schema=pa.schema([("merchant_id", pa.string()), ("dst_token", pa.string()), ("amount", pa.float64()),
                              ("channel", pa.string())]),
        ),
    )
    payment_pairs(engine, "edges", "pairs")
    exposure_features(engine, "pairs", ["lsac", "merchant_laundering"])
    rows = {r["node"]: r for r in engine.table("exposure_features").to_pylist()}
    u = rows["u"]
    assert u["out_max_lsac"] == 2.0 and u["out_sum_lsac"] == 4.0  # two payments to a flagged facilitator
    assert u["out_share_lsac"] == pytest.approx(0.4) and u["own_lsac"] == 0
    assert rows["fac"]["own_lsac"] == 2.0 and rows["fac"]["in_max_lsac"] == 0
    assert rows["shop"]["own_merchant_laundering"] == 1.5  # a merchant's alert lands on its settlement account
    assert rows["v"]["out_share_merchant_laundering"] == 1.0 and rows["v"]["own_merchant_laundering"] == 0
    assert rows["w"]["out_max_lsac"] == 0  # two hops away: not exposed
