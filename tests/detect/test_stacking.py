"""The score's second stage: counterparties' first-stage scores find accounts that look ordinary alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from moneytrail.detect.score.model import apply, train
from moneytrail.detect.score.stacking import (
    SHAPE_COLUMNS,
    edges_of,
    mark_columns,
    marked_scores,
    neighbour_columns,
    neighbour_scores,
    party_scores,
    score_links,
    second_stage,
    second_stage_columns,
    suspicious_shapes,
)
from moneytrail.warehouse.engine import Engine


def test_neighbour_scores_by_hand() -> None:
    pairs = pa.table({"src": ["a", "a", "b", "x"], "dst": ["h", "b", "h", "h"], "n": [2, 1, 1, 5]})
    scores = np.array([[0.1], [0.3], [0.9]])  # a, b, h ("x" is unknown: left out)
    got = neighbour_scores(edges_of(pairs, ["a", "b", "h"]), scores)
    assert neighbour_columns(["t"]) == ["nb_out_max_t", "nb_out_sum_t", "nb_in_max_t", "nb_in_sum_t"]
    # a paid h twice (2 of h's 3 payments in) and b once (all of b's); a sent 3 payments, b one
    assert np.allclose(got[0], [0.9 * 2 / 3, 0.9 * 2 / 3 + 0.3, 0.0, 0.0])
    assert np.allclose(got[2], [0.0, 0.0, 0.3, 0.1 * 2 / 3 + 0.3])


def test_marked_scores_by_hand() -> None:
    # v paid the hub h once at midnight (a micro-payment), o paid h 40 times by day; k paid r "for recovery"
    pairs = pa.table({
        "src": ["v", "o", "k", "o"], "dst": ["h", "h", "r", "r"], "n": [1, 40, 1, 1],
        "mark_out_micro_local": [1, 0, 0, 0], "mark_out_micro_local_night": [1, 0, 0, 0],
        "mark_in_recovery": [0, 0, 1, 0],
    })
    nodes = ["v", "o", "h", "k", "r"]
    scores = np.array([[0.0, 0.0], [0.0, 0.0], [0.9, 0.1], [0.2, 0.8], [0.0, 0.0]])  # lsac, sextortion
    got = marked_scores(edges_of(pairs, nodes), scores)
    columns = mark_columns(["lsac", "sextortion"])
    assert got.shape == (5, len(columns))
    rows = {n: dict(zip(columns, row, strict=True)) for n, row in zip(nodes, got, strict=True)}
    assert rows["v"]["mark_out_micro_local_night_lsac"] == 0.9 and rows["v"]["mark_out_micro_local_sextortion"] == 0.1
    assert all(value == 0 for value in rows["o"].values())  # it paid the same hub, unmarked
    assert rows["r"]["mark_in_recovery_sextortion"] == 0.8 and rows["k"]["mark_in_recovery_sextortion"] == 0
    assert rows["v"]["mark_out_micro_local_weighed_lsac"] == 0.9  # one marked payment to a 0.9 account
    assert rows["r"]["mark_in_recovery_weighed_sextortion"] == 0.8 and rows["r"]["mark_in_recovery_weighed_lsac"] == 0.2
    assert columns[:4] == ["mark_out_micro_local_lsac", "mark_out_micro_local_sextortion",
                           "mark_out_micro_local_weighed_lsac", "mark_out_micro_local_weighed_sextortion"]
    # pairs without mark columns (a table made before marks existed) give zeros, not an error
    plain = marked_scores(edges_of(pairs.select(["src", "dst", "n"]), nodes), scores)
    assert plain.shape == got.shape and not plain.any()


def test_marked_payments_weighed_by_score_count_each_payment() -> None:
    # a viewer paid the wallet w three micro fees (two at night) and the shop s one; a shopper paid w once
    pairs = pa.table({
        "src": ["viewer", "viewer", "shopper"], "dst": ["w", "s", "w"], "n": [5, 1, 1],
        "mark_out_micro_local": [3, 1, 1], "mark_out_micro_local_night": [2, 0, 0], "mark_in_recovery": [0, 0, 0],
    })
    nodes = ["viewer", "shopper", "w", "s"]
    scores = np.array([[0.0], [0.0], [0.9], [0.1]])
    got = marked_scores(edges_of(pairs, nodes), scores)
    rows = {n: dict(zip(mark_columns(["lsac"]), row, strict=True)) for n, row in zip(nodes, got, strict=True)}
    assert rows["viewer"]["mark_out_micro_local_lsac"] == rows["shopper"]["mark_out_micro_local_lsac"] == 0.9
    assert np.isclose(rows["viewer"]["mark_out_micro_local_weighed_lsac"], 3 * 0.9 + 0.1)
    assert np.isclose(rows["viewer"]["mark_out_micro_local_night_weighed_lsac"], 2 * 0.9)
    assert np.isclose(rows["shopper"]["mark_out_micro_local_weighed_lsac"], 0.9)


def test_suspicious_shapes_by_hand() -> None:
    # a -> b -> c -> a is a cycle; x fans out to y and z; o is ordinary and pays a
    pairs = pa.table({"src": ["a", "b", "c", "x", "x", "o"], "dst": ["b", "c", "a", "y", "z", "a"], "n": [1] * 6})
    nodes = ["a", "b", "c", "x", "y", "z", "o"]
    scores = np.array([[0.9], [0.5], [0.3], [0.2], [0.2], [0.2], [0.0]])
    shapes = suspicious_shapes(edges_of(pairs, nodes), scores)
    got = {n: dict(zip(SHAPE_COLUMNS, row, strict=True)) for n, row in zip(nodes, shapes, strict=True)}
    assert got["a"]["sg_in"] == 1 and got["a"]["sg_cycle"] == 3  # o's payment is not suspicious
    assert (got["x"]["sg_out"], got["x"]["sg_payee_in_min"], got["x"]["sg_cycle"]) == (2, 1, 0)
    assert (got["y"]["sg_in"], got["y"]["sg_payer_out_max"], got["y"]["sg_out"]) == (1, 2, 0)
    assert got["a"]["sg_reach2"] == 1 and got["x"]["sg_reach2"] == 0
    assert all(v == 0 for v in got["o"].values())


def test_second_stage_does_not_depend_on_the_order_of_the_pairs() -> None:
    # 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit; LightGBM would bin them apart
    nodes = ["a", "b", "c", "h"]
    scores = np.array([[0.1], [0.2], [0.3], [0.0]])
    forward = pa.table({"src": ["a", "b", "c"], "dst": ["h", "h", "h"], "n": [1, 1, 1]})
    backward = pa.table({"src": ["c", "b", "a"], "dst": ["h", "h", "h"], "n": [1, 1, 1]})
    raw = [neighbour_scores(edges_of(p, nodes), scores)[3, 3] for p in (forward, backward)]
    assert raw[0] != raw[1]  # the noise is real ...
    assert np.array_equal(second_stage(forward, None, nodes, scores), second_stage(backward, None, nodes, scores))


def test_party_scores_take_the_riskiest_linked_account() -> None:
    links = pa.table({"src": ["bank1", "remit1", "bank1", "x"], "dst": ["remit1", "bank1", "wallet1", "bank1"]})
    scores = np.array([[0.1, 0.0], [0.9, 0.2], [0.3, 0.7]])  # bank1, remit1, wallet1 ("x" is unknown)
    got = party_scores(edges_of(links, ["bank1", "remit1", "wallet1"]), scores)
    assert np.allclose(got, [[0.9, 0.7], [0.1, 0.0], [0.0, 0.0]])
    paid = pa.table({"src": ["bank1"], "dst": ["remit1"], "n": [1]})
    both = second_stage(paid, links, ["bank1", "remit1", "wallet1"], scores)
    assert both.shape[1] == len(second_stage_columns(["t1", "t2"]))


@pytest.mark.slow
def test_score_links_join_holders_by_phone_or_email_and_households_by_device_or_address(engine: Engine) -> None:
    engine.write_table("accounts", pa.table({
        "member_id": ["bank", "bank", "remit", "wallet", "shop", "wallet"],
        "account_token": ["b1", "b2", "r1", "w1", "s1", "w2"],
        "party_id": ["P1", "P2", "R1", "W1", "S1", "W2"],
    }))
    engine.write_table("parties", pa.table({
        "member_id": ["bank", "bank", "remit", "wallet", "shop", "wallet"],
        "party_id": ["P1", "P2", "R1", "W1", "S1", "W2"],
        "phone_token": ["ph1", "ph2", "ph1", None, "ph3", "ph4"],
        "email_token": ["em1", "em2", None, "em1", "em3", None],
        "device_token": [None, "d2", None, "d1", None, "d1"],
        "address_token": ["ad1", "ad2", None, "ad3", "ad2", "ad4"],
    }))
    got = {(r["kind"], r["src"], r["dst"]) for r in score_links(engine).to_pylist()}
    # b1 shares a phone with r1 and an e-mail with w1; w1 and w2 share a device; b2 and s1 an address
    holder = {("b1", "r1"), ("r1", "b1"), ("b1", "w1"), ("w1", "b1")}
    household = {("w1", "w2"), ("w2", "w1"), ("b2", "s1"), ("s1", "b2")}
    assert got == {("holder", *pair) for pair in holder} | {("household", *pair) for pair in household}


def test_household_links_feed_their_own_columns() -> None:
    links = pa.table({"src": ["w1", "w2"], "dst": ["w2", "w1"], "kind": ["household", "household"]})
    scores = np.array([[0.8], [0.1]])  # w1, w2
    no_payments = pa.table({"src": pa.array([], pa.string()), "dst": pa.array([], pa.string()), "n": []})
    w2 = second_stage(no_payments, links, ["w1", "w2"], scores)[1]
    got = dict(zip(second_stage_columns(["t"]), w2, strict=True))
    assert got["house_max_t"] == pytest.approx(0.8) and got["party_max_t"] == 0.0  # a household is not one person


def _world(seed: int) -> tuple[pa.Table, pa.Table, dict[str, set[str]]]:
    """Hubs stand out on their own feature; their payers only by paying a hub."""
    rng = np.random.default_rng(seed)
    hubs = [f"h{seed}_{i}" for i in range(30)]
    payers = [f"p{seed}_{i}" for i in range(120)]
    ordinary = [f"o{seed}_{i}" for i in range(1500)]
    nodes = hubs + payers + ordinary
    signal = np.r_[rng.normal(8, 1, len(hubs)), rng.normal(1, 1, len(payers) + len(ordinary))]
    noise = rng.normal(0, 1, len(nodes))
    frame = pa.table({"node": nodes, "signal": signal, "noise": noise, "_first_t": rng.uniform(0, 1e7, len(nodes))})
    src = [p for p in payers] + [str(o) for o in rng.choice(ordinary, 3000)]
    dst = [hubs[i % len(hubs)] for i in range(len(payers))] + [str(o) for o in rng.choice(ordinary, 3000)]
    pairs = pa.table({"src": src, "dst": dst, "n": [1] * len(src)})
    return frame, pairs, {"lsac": set(hubs) | set(payers)}


def test_second_stage_finds_the_payers_of_flagged_hubs(tmp_path: Path) -> None:
    frame, pairs, labelled = _world(1)
    meta = train(frame, labelled, tmp_path / "m.json", pairs=pairs)
    assert meta["typologies"]["lsac"]["stage"] == 2  # chosen on the training accounts' out-of-fold F1
    unseen, unseen_pairs, truth = _world(2)
    scored = apply(unseen, tmp_path / "m.json", pairs=unseen_pairs).to_pylist()
    found = {r["node"] for r in scored if "lsac" in r["flagged_typologies"]}
    assert len(found & truth["lsac"]) / len(truth["lsac"]) > 0.9  # payers too, not just the 30 hubs
    assert len(found & truth["lsac"]) / max(len(found), 1) > 0.9
    flagged_payer = next(r for r in scored if r["node"].startswith("p2_") and r["flagged"])
    assert "nb_out_max_lsac" in flagged_payer["explanation"]


def _chain_world(seed: int) -> tuple[pa.Table, pa.Table, dict[str, set[str]]]:
    """Hubs stand out on their own feature; collectors pay a hub; feeders pay a collector, two hops out."""
    frame, pairs, labelled = _world(seed)
    rng = np.random.default_rng(seed + 100)
    collectors = [f"p{seed}_{i}" for i in range(120)]
    feeders = [f"f{seed}_{i}" for i in range(240)]
    extra = pa.table({"node": feeders, "signal": rng.normal(1, 1, len(feeders)),
                      "noise": rng.normal(0, 1, len(feeders)), "_first_t": rng.uniform(0, 1e7, len(feeders))})
    feeding = pa.table({"src": feeders, "dst": [collectors[i % len(collectors)] for i in range(len(feeders))],
                        "n": [1] * len(feeders)})
    labels = {"lsac": labelled["lsac"] | set(feeders)}
    return pa.concat_tables([frame, extra]), pa.concat_tables([pairs, feeding]), labels


def test_a_third_stage_reaches_the_payers_of_the_payers(tmp_path: Path) -> None:
    frame, pairs, labelled = _chain_world(1)
    meta = train(frame, labelled, tmp_path / "m.json", pairs=pairs)
    assert meta["typologies"]["lsac"]["stage"] == 3  # its out-of-fold F1 beat the first two stages'
    unseen, unseen_pairs, truth = _chain_world(2)
    scored = apply(unseen, tmp_path / "m.json", pairs=unseen_pairs).to_pylist()
    found = {r["node"] for r in scored if "lsac" in r["flagged_typologies"]}
    feeders = {n for n in truth["lsac"] if n.startswith("f2_")}
    assert len(found & feeders) / len(feeders) > 0.9
    assert len(found & truth["lsac"]) / max(len(found), 1) > 0.9
