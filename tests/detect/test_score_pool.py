"""Several labelled warehouses pooled for training: the folds are the warehouses."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pyarrow as pa

from moneytrail.detect.score.learn import content_order, feature_values
from moneytrail.detect.score.model import _fit, apply, train
from moneytrail.detect.score.pool import Labelled, pool


def _warehouse(k: int, n: int, rng: np.random.Generator, rule: str | None = None) -> Labelled:
    positive = rng.random(n) < 0.1
    columns: dict[str, object] = {
        "node": [f"a{i}" for i in range(n)],  # the same tokens in every warehouse: the prefix keeps them apart
        "fan_in_7d": np.where(positive, rng.normal(7 + k, 1.5, n), rng.normal(2, 1.5, n)),
    }
    if rule:
        columns[rule] = np.where(positive, 1.0, 0.0)
    columns["_first_t"] = rng.uniform(0, 180 * 86400, n)
    nodes = [f"a{i}" for i in range(n)]
    pairs = pa.table({"src": nodes[:-1], "dst": nodes[1:], "n": [1] * (n - 1)})
    links = pa.table({"src": nodes[:2], "dst": nodes[2:4], "kind": ["holder", "household"]})
    return Labelled(pa.table(columns), {"sextortion": {nodes[i] for i in np.flatnonzero(positive)}}, pairs, links)


def test_pooling_keeps_each_warehouses_accounts_apart_and_fills_absent_rule_columns() -> None:
    rng = np.random.default_rng(1)
    parts = [_warehouse(0, 50, rng, rule="rule_R1"), _warehouse(1, 40, rng)]
    pooled = pool(parts)
    nodes = pooled.frame.column("node").to_pylist()
    assert len(nodes) == len(set(nodes)) == 90
    assert nodes[0] == "w0|a0" and nodes[50] == "w1|a0"
    assert pooled.sources.tolist() == [0] * 50 + [1] * 40
    assert pooled.frame.column_names == ["node", "fan_in_7d", "rule_R1", "_first_t"]
    assert pooled.frame.column("rule_R1").to_pylist()[50:] == [0.0] * 40  # the rule never fired in the second
    expected = {f"w{k}|{a}" for k, part in enumerate(parts) for a in part.labelled["sextortion"]}
    assert pooled.labelled["sextortion"] == expected
    assert pooled.pairs is not None and pooled.links is not None
    assert pooled.pairs.num_rows == 49 + 39 and pooled.pairs.column("src").to_pylist()[49] == "w1|a0"
    assert set(pooled.links.column("kind").to_pylist()) == {"holder", "household"}
    alone = pool(parts[:1])
    assert alone.frame is parts[0].frame and alone.sources.tolist() == [0] * 50


def test_with_several_warehouses_each_fold_model_never_saw_the_warehouse_it_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pooled = pool([_warehouse(k, 400, rng) for k in range(3)])
    train(pooled.frame, pooled.labelled, tmp_path / "score.json", sources=pooled.sources)
    meta = json.loads((tmp_path / "score.json").read_text())
    assert meta["warehouses"] == 3
    saved = meta["typologies"]["sextortion"]["stages"]["1"]
    assert len(saved) == 3  # one model per held-out warehouse, drawn once
    x = feature_values(pooled.frame, "fan_in_7d").reshape(-1, 1)
    nodes = pooled.frame.column("node").to_pylist()
    y = np.array([n in pooled.labelled["sextortion"] for n in nodes], dtype=np.int64)
    order = content_order(x)  # `train` takes the rows in this order
    by_hand = set()
    for k in range(3):
        seen = order[pooled.sources[order] != k]
        by_hand.add(tuple(_fit(x[seen], y[seen], 0, np.zeros(len(seen), dtype=bool)).texts()))
    assert {tuple(fits) for fits in saved} == by_hand
    # each out-of-fold score was one model's: an account's score is the upper median of its fold
    # models' (the 2nd highest of 3), which reaches the threshold iff at least half of them do
    assert meta["combine"] == "upper_median"
    each = np.array([lgb.Booster(model_str=fits[0]).predict(x) for fits in saved])  # one fit each: all were kept
    threshold = meta["typologies"]["sextortion"]["threshold"]
    scored = apply(pooled.frame, tmp_path / "score.json")
    assert np.allclose(scored.column("score").to_numpy(), np.clip(np.sort(each, axis=0)[-2], 1e-6, 1 - 1e-6))
    flagged = scored.column("flagged").to_numpy(zero_copy_only=False)
    assert flagged.tolist() == ((each >= threshold).sum(axis=0) >= 2).tolist()
    assert 0 < flagged.sum() < len(nodes)
