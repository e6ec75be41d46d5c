"""`evaluate-amlsim`: the project's detector on a labelled AMLSim sample under a fixed protocol.

Protocol (issue 5): stratified 50/50 split of accounts, seeds 0-4, decision threshold chosen on
the training half (out-of-fold), account-level precision, recall, F1 and PR-AUC on the test half,
mean and std over seeds. Features are computed without labels over the whole graph, as IBM's
Graph Feature Preprocessor does; the labels only train LightGBM.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.model_selection import train_test_split

from moneytrail.detect.graph.features import GraphParams, graph_features
from moneytrail.detect.score.learn import fit, matrix, mean_std, metrics, predict, threshold_on_training
from moneytrail.ingest.amlsim import amlsim_tables
from moneytrail.warehouse.duckdb_engine import DuckDBEngine

STEP_SECONDS = 86400  # one AMLSim step is read as one day, as the AMLSim reader does
DEGREE_COLUMNS = ["in_degree", "out_degree", "in_count", "out_count", "in_sum", "out_sum", "in_mean", "out_mean"]


def amlsim_features(folder: Path, params: GraphParams | None = None) -> tuple[pa.Table, list[str], np.ndarray]:
    """Graph features per account, the account ids and their labels."""
    tables = amlsim_tables(folder)
    nodes, txns = tables["nodes"], tables["transactions"]
    engine = DuckDBEngine()
    try:
        engine.register("amlsim_raw", txns)
        engine.create_table(
            "amlsim_edges",
            f"""SELECT CAST(sourceNodeId AS VARCHAR) AS src, CAST(targetNodeId AS VARCHAR) AS dst,
                CAST(time AS DOUBLE) * {STEP_SECONDS} AS t, CAST(value AS DOUBLE) AS amount FROM amlsim_raw""",
        )
        graph_features(engine, "amlsim_edges", params)
        features = engine.table("graph_features")
    finally:
        engine.close()
    ids = [str(v) for v in nodes.column("nodeid").to_pylist()]
    labels = np.array(
        [1 if str(v).strip() in ("1", "True", "true") else 0 for v in nodes.column("isFraud").to_pylist()]
    )
    return features, ids, labels


def evaluate_amlsim(
    folder: Path,
    seeds: range = range(5),
    baseline: bool = False,
    params: GraphParams | None = None,
    on_seed: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Mean and std over seeds of account-level precision, recall, F1 and PR-AUC on the test halves."""
    features, ids, labels = amlsim_features(folder, params)
    columns = DEGREE_COLUMNS if baseline else [c for c in features.column_names if c != "node"]
    x = matrix(features, columns, ids)
    per_seed = []
    for seed in seeds:
        train, test = train_test_split(np.arange(len(ids)), test_size=0.5, stratify=labels, random_state=seed)
        threshold = threshold_on_training(x[train], labels[train], seed)
        model = fit(x[train], labels[train], seed)
        per_seed.append(metrics(labels[test], predict(model, x[test]), threshold))
        if on_seed:
            on_seed(seed)
    return {
        "sample": str(folder),
        "detector": "degree and amount features + LightGBM" if baseline else "graph features + LightGBM",
        "accounts": len(ids),
        "positives": int(labels.sum()),
        "features": len(columns),
        "seeds": list(seeds),
        "precision": mean_std([m.precision for m in per_seed]),
        "recall": mean_std([m.recall for m in per_seed]),
        "f1": mean_std([m.f1 for m in per_seed]),
        "pr_auc": mean_std([m.pr_auc for m in per_seed]),
        "per_seed": [m.as_dict() for m in per_seed],
    }
