"""`moneytrail score`: a LightGBM model over rule hits and graph features, per account identity.

Training uses labels (generator labels or case dispositions) with a temporal split: accounts
first seen in the earliest 70% of the period train, the rest test. The saved model carries its
feature list, the training data's time range, the threshold and the test metrics.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pyarrow as pa

from moneytrail.detect.graph.features import GraphParams, graph_features, transaction_edges
from moneytrail.detect.score.learn import fit, matrix, metrics
from moneytrail.errors import UserError
from moneytrail.warehouse.engine import Engine

TRAIN_SHARE = 0.7


def account_frame(engine: Engine, params: GraphParams | None = None) -> pa.Table:
    """One row per account identity (token): graph features plus the summed alert score of every rule.

    Needs `detect_txn` (from `detect`) and reads `alerts` when present.
    """
    transaction_edges(engine)
    graph_features(engine, "gf_edges", params, table="score_graph_features")
    rules: list[str] = []
    if engine.has_table("alerts"):
        rules = sorted({str(r) for r in engine.query("SELECT DISTINCT rule_id FROM alerts").column(0).to_pylist()})
    pivots = ", ".join(f"sum(CASE WHEN a.rule_id = '{r}' THEN a.score ELSE 0 END) AS rule_{r}" for r in rules)
    if rules:
        engine.create_table(
            "score_rule_hits",
            f"""SELECT CASE WHEN a.subject_kind IN ('account', 'address') AND a.subject LIKE '%:%'
                     THEN substr(a.subject, strpos(a.subject, ':') + 1) ELSE a.subject END AS node, {pivots}
                FROM alerts a GROUP BY 1""",
        )
        rule_cols = ", ".join(f"coalesce(h.rule_{r}, 0) AS rule_{r}" for r in rules)
        sql = f"""SELECT f.*, {rule_cols} FROM score_graph_features f LEFT JOIN score_rule_hits h ON h.node = f.node"""
    else:
        sql = "SELECT * FROM score_graph_features"
    engine.create_table("score_features", sql)
    first_seen = engine.query(
        """SELECT node, min(t) AS first_t FROM (SELECT src AS node, t FROM gf_edges UNION ALL
           SELECT dst AS node, t FROM gf_edges) x GROUP BY node"""
    )
    engine.register("score_first_seen", first_seen)
    return engine.query(
        "SELECT f.*, s.first_t AS _first_t FROM score_features f JOIN score_first_seen s ON s.node = f.node"
    )


def _columns(frame: pa.Table) -> list[str]:
    return [c for c in frame.column_names if c not in ("node", "_first_t")]


def train(frame: pa.Table, typology_of: dict[str, str], out: Path, seed: int = 0) -> dict[str, Any]:
    """Train a multiclass model (class 0 = no typology) on the earliest accounts, test on the latest; save it."""
    nodes = [str(n) for n in frame.column("node").to_pylist()]
    first = np.asarray(frame.column("_first_t").to_numpy(zero_copy_only=False), dtype=np.float64)
    classes = ["none", *sorted({typology_of[n] for n in nodes if n in typology_of})]
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[typology_of[n]] if n in typology_of else 0 for n in nodes], dtype=np.int64)
    if (y > 0).sum() < 4:
        raise UserError("too few labelled accounts in the warehouse to train a score (need at least 4)")
    columns = _columns(frame)
    x = matrix(frame, columns, nodes)
    cut = float(np.quantile(first, TRAIN_SHARE))
    train_rows, test_rows = first <= cut, first > cut
    if (y[train_rows] > 0).sum() < 2:
        raise UserError("the training period holds too few labelled accounts")
    model = fit(x[train_rows], y[train_rows], seed)
    tested: dict[str, Any] = {}
    if test_rows.any():
        probabilities = np.asarray(model.predict_proba(x[test_rows]), dtype=np.float64)
        any_risk = 1.0 - probabilities[:, list(model.classes_).index(0)] if 0 in model.classes_ else np.zeros(len(y))
        tested = metrics((y[test_rows] > 0).astype(np.int64), any_risk, 0.5).as_dict()
    meta = {
        "kind": "lightgbm-multiclass",
        "classes": [classes[int(c)] for c in model.classes_],
        "features": columns,
        "threshold": 0.5,
        "training_range": {
            "from": datetime.fromtimestamp(float(first.min()), UTC).isoformat(),
            "to": datetime.fromtimestamp(cut, UTC).isoformat(),
        },
        "split": f"temporal: accounts first seen up to the {int(TRAIN_SHARE * 100)}th percentile train",
        "train_accounts": int(train_rows.sum()),
        "test_accounts": int(test_rows.sum()),
        "metrics": tested,
        "model": model.booster_.model_to_string(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(meta))
    return {k: v for k, v in meta.items() if k != "model"}


def apply(frame: pa.Table, model_file: Path) -> pa.Table:
    """Scores for every account identity; `flagged` where the score reaches the saved threshold."""
    if not model_file.exists():
        raise UserError(f"no model at {model_file}: train one with `moneytrail score --train LABELS`")
    meta = json.loads(model_file.read_text())
    booster = lgb.Booster(model_str=meta["model"])
    nodes = [str(n) for n in frame.column("node").to_pylist()]
    present = set(frame.column_names)
    x = np.column_stack(
        [
            np.asarray(frame.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
            if c in present
            else np.zeros(frame.num_rows)  # a rule that never fired here scores 0
            for c in meta["features"]
        ]
    )
    classes = list(meta.get("classes", ["none", "risk"]))
    raw = np.asarray(booster.predict(x), dtype=np.float64) if len(nodes) else np.zeros((0, len(classes)))
    probabilities = raw.reshape(len(nodes), -1) if raw.ndim == 2 else np.column_stack([1 - raw, raw])
    none = classes.index("none") if "none" in classes else None
    risk = 1.0 - probabilities[:, none] if none is not None else probabilities.max(axis=1)
    best = np.array(classes, dtype=object)[probabilities.argmax(axis=1)] if len(nodes) else np.array([], dtype=object)
    flagged = (risk >= float(meta["threshold"])) & (best != "none")
    return pa.table(
        {
            "node": pa.array(nodes, pa.string()),
            "score": pa.array(risk, pa.float64()),
            "typology": pa.array([str(b) for b in best], pa.string()),
            "flagged": pa.array(flagged, pa.bool_()),
        }
    )
