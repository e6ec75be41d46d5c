"""The learned score: a multiclass LightGBM saved with its features, time range and metrics, then applied."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from moneytrail.detect.score.model import apply, train


def _frame(seed: int) -> tuple[pa.Table, dict[str, set[str]]]:
    rng = np.random.default_rng(seed)
    n = 600
    kind = rng.choice(["none", "lsac", "sextortion"], size=n, p=[0.8, 0.1, 0.1])
    fan_in = np.where(kind == "lsac", rng.normal(9, 1, n), rng.normal(2, 1, n))
    burst = np.where(kind == "sextortion", rng.normal(6, 1, n), rng.normal(1, 1, n))
    nodes = [f"n{seed}_{i}" for i in range(n)]
    frame = pa.table(
        {
            "node": nodes,
            "fan_in_7d": fan_in,
            "out_pair_burst_1d": burst,
            "_first_t": rng.uniform(0, 365 * 86400, n),
        }
    )
    labelled: dict[str, set[str]] = {"lsac": set(), "sextortion": set()}
    for node, k in zip(nodes, kind, strict=True):
        if k != "none":
            labelled[str(k)].add(node)
    return frame, labelled


def test_train_saves_model_and_metadata(tmp_path: Path) -> None:
    frame, labels = _frame(1)
    meta = train(frame, labels, tmp_path / "score.json")
    saved = json.loads((tmp_path / "score.json").read_text())
    assert saved["features"] == ["fan_in_7d", "out_pair_burst_1d"]
    assert set(saved["typologies"]) == {"lsac", "sextortion"}
    assert saved["training_range"]["from"] < saved["training_range"]["to"]
    for typology in ("lsac", "sextortion"):
        tested = meta["typologies"][typology]["metrics"]
        assert tested["support"] > 0 and tested["f1"] > 0.8  # measured on the late accounts, not trained on
        assert 0 < meta["typologies"][typology]["threshold"] < 1


def test_apply_on_new_accounts_finds_their_typology(tmp_path: Path) -> None:
    frame, labels = _frame(1)
    train(frame, labels, tmp_path / "score.json")
    unseen, truth = _frame(2)
    scored = apply(
        unseen.drop_columns(["out_pair_burst_1d"]).append_column(
            "out_pair_burst_1d", unseen.column("out_pair_burst_1d")
        ),
        tmp_path / "score.json",
    ).to_pylist()
    for row in scored:  # every flagged account says why, naming the features that raised its score
        if row["flagged"]:
            assert row["explanation"].startswith(f"{row['typology']} ")
            assert "fan_in_7d=" in row["explanation"] or "out_pair_burst_1d=" in row["explanation"]
        else:
            assert row["explanation"] == ""
    for typology, real in truth.items():
        found = {r["node"] for r in scored if typology in r["flagged_typologies"]}
        assert len(found & real) / max(len(found), 1) > 0.8  # precision on accounts it never saw
        assert len(found & real) / len(real) > 0.8  # recall
