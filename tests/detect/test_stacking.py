"""The score's second stage: counterparties' first-stage scores find accounts that look ordinary alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from moneytrail.detect.score.model import apply, train
from moneytrail.detect.score.stacking import neighbour_columns, neighbour_scores


def test_neighbour_scores_by_hand() -> None:
    pairs = pa.table({"src": ["a", "a", "b", "x"], "dst": ["h", "b", "h", "h"], "n": [2, 1, 1, 5]})
    scores = np.array([[0.1], [0.3], [0.9]])  # a, b, h ("x" is unknown: left out)
    got = neighbour_scores(pairs, ["a", "b", "h"], scores)
    assert neighbour_columns(["t"]) == ["nb_out_max_t", "nb_out_sum_t", "nb_in_max_t", "nb_in_sum_t"]
    assert np.allclose(got[0], [0.9, 0.9 * 2 + 0.3, 0.0, 0.0])  # a paid h twice and b once
    assert np.allclose(got[2], [0.0, 0.0, 0.3, 0.1 * 2 + 0.3])  # h was paid by a (twice) and b


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
