"""LightGBM training, threshold choice and metrics shared by `score`, `evaluate` and `evaluate-amlsim`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sklearn.metrics import average_precision_score, precision_recall_curve, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

Matrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]

# Fixed hyper-parameters: chosen once, not tuned per dataset (the AMLSim protocol forbids it).
LGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "verbose": -1,
    "n_jobs": 1,  # OpenMP threads spin badly on a shared 2-core machine
    # LightGBM otherwise picks col-wise or row-wise histograms by timing both; pinned, as its docs
    # advise for reproducible results (with the graph kernels' ties broken by value, one warehouse now
    # trains one model: BENCHMARKS.md, 2026-12-06 evening).
    "deterministic": True,
    "force_col_wise": True,
}


# The coalition score's per-typology models: fixed once (chosen on one training seed, never on a test seed).
# Smaller trees than LGBM_PARAMS: a typology has a few hundred positives among ~100k accounts.
SCORE_PARAMS: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 10,
    "verbose": -1,
    "n_jobs": 2,
    "deterministic": True,
    "force_col_wise": True,
}


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    f1: float
    pr_auc: float
    threshold: float
    support: int

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "pr_auc": self.pr_auc,
            "threshold": self.threshold,
            "support": self.support,
        }


def feature_values(features: pa.Table, column: str) -> Matrix:
    """A feature column as the models see it: rounded to 9 decimals and to float32, held as float64.

    DuckDB's parallel sums and means differ in their last bits from run to run (and a net flow of
    zero comes out as -2e-13), and LightGBM bins a feature on its distinct values: that noise alone
    changed the trees, and so the thresholds, between two runs on the same warehouse (BENCHMARKS.md).
    The rounding absorbs it near zero (9 decimals) and at any scale (float32's 7 significant
    digits, plenty for a split): two runs on one warehouse then gave the same model. A value on a
    rounding boundary can still flip: two pooled trainings in session 8 differed (BENCHMARKS.md).
    """
    return steady(np.asarray(features.column(column).to_numpy(zero_copy_only=False), dtype=np.float64))


def steady(values: Matrix) -> Matrix:
    """`values` rounded to 9 decimals and to float32, held as float64: what `feature_values` does to a column."""
    return np.round(values, 9).astype(np.float32).astype(np.float64)


def matrix(features: pa.Table, columns: list[str], keys: list[str], key_column: str = "node") -> Matrix:
    """Rows of `features` in the order of `keys` (NaN where a key has no row), as a float matrix."""
    index = {k: i for i, k in enumerate(features.column(key_column).to_pylist())}
    values = (
        np.column_stack([feature_values(features, c) for c in columns])
        if columns
        else np.empty((features.num_rows, 0))
    )
    out = np.full((len(keys), len(columns)), np.nan)
    rows = np.array([index.get(k, -1) for k in keys], dtype=np.int64)
    present = rows >= 0
    out[present] = values[rows[present]]
    return out


class Classifier(Protocol):
    def predict_proba(self, x: Matrix) -> Any: ...


class Bag:
    """One fold's model fitted on several samples of the training rows: the mean of their probabilities."""

    def __init__(self, members: list[lgb.LGBMClassifier]) -> None:
        self.members = members

    def predict_proba(self, x: Matrix) -> npt.NDArray[np.float64]:
        return np.asarray(np.mean([m.predict_proba(x) for m in self.members], axis=0), dtype=np.float64)

    def texts(self) -> list[str]:
        return [str(m.booster_.model_to_string()) for m in self.members]


def predict(model: Classifier, x: Matrix) -> npt.NDArray[np.float64]:
    """Probability of the positive class."""
    return np.asarray(model.predict_proba(x), dtype=np.float64)[:, 1]


ORDER_SEED = 20261207  # fixed: the row order below must not change from run to run


def content_order(x: Matrix) -> npt.NDArray[np.int64]:
    """An order of the rows that depends on their values only, never on where they stand.

    Accounts arrive ordered by token, and tokens change with the coalition key; the folds and the
    samples of ordinary accounts are drawn by position, so the same data under another key trained
    another model (the same code met the bar on 7 and on 4 of ten unseen seeds, BENCHMARKS.md,
    2026-12-07). Each row's bits are hashed (a sum of products modulo 2**64, exact and the same in
    any order, then mixed); rows with equal values keep their given order among themselves. Hash
    `steady` values: summation noise in the last bits would move a row.
    """
    if not len(x):
        return np.zeros(0, dtype=np.int64)
    # -0.0 (a rounded -2e-13) and 0.0 are one value, as are NaNs of any payload
    bits = np.ascontiguousarray(np.where(np.isnan(x), np.nan, x + 0.0), dtype=np.float64).view(np.uint64)
    weights = np.random.default_rng(ORDER_SEED).integers(1, 2**63 - 1, size=x.shape[1], dtype=np.uint64)
    hashed = bits @ (weights | np.uint64(1)) if x.shape[1] else np.zeros(len(x), dtype=np.uint64)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):  # splitmix64's finaliser
        hashed = (hashed ^ (hashed >> np.uint64(shift))) * np.uint64(factor)
    hashed ^= hashed >> np.uint64(31)
    return np.argsort(hashed, kind="stable").astype(np.int64)


def fit(x: Matrix, y: Labels, seed: int) -> lgb.LGBMClassifier:
    model = lgb.LGBMClassifier(random_state=seed, **LGBM_PARAMS)
    model.fit(x, y)
    return model


def best_threshold(y: Labels, scores: npt.NDArray[np.float64], tie: float = 0.0) -> float:
    """The score threshold that maximises F1 on these labels; with `tie`, the lowest within `tie` of the max."""
    if y.sum() == 0:
        return 1.0
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = (2 * precision * recall / np.maximum(precision + recall, 1e-12))[:-1]
    if tie <= 0:
        return float(thresholds[int(np.nanargmax(f1))])
    return float(thresholds[int(np.flatnonzero(f1 >= np.nanmax(f1) - tie)[0])])  # thresholds ascend


def out_of_fold(
    x: Matrix,
    y: Labels,
    seed: int,
    fitter: Callable[..., Classifier] = fit,
    folds: int = 3,
    keep: list[Any] | None = None,
    groups: npt.NDArray[np.int64] | None = None,
    hard: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float64]:
    """Each row's score from a model that did not see it (stratified folds); the fold models go to `keep`.

    With `groups`, rows of one group (>= 0) are held out together (see `grouped_folds`). With `hard`,
    the fitter is called as `fitter(x, y, seed, hard)` with the training rows' part of it.
    """
    folds = max(2, min(folds, int(y.sum()), int((1 - y).sum())))
    scores = np.zeros(len(y))
    splits = (
        grouped_folds(y, groups, folds, seed)
        if groups is not None
        else StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y)
    )
    for train, held in splits:
        model = fitter(x[train], y[train], seed) if hard is None else fitter(x[train], y[train], seed, hard[train])
        scores[held] = predict(model, x[held])
        if keep is not None:
            keep.append(model)
    return scores


def grouped_folds(
    y: Labels, groups: npt.NDArray[np.int64], folds: int, seed: int
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(train, held) row indices per fold, stratified, with each group (>= 0) held out whole.

    Accounts of one scheme pay each other: split across folds, one fold's model has learnt the
    scheme from its other members, and the out-of-fold scores (hence the thresholds) come out
    more confident than scores on schemes never seen. Groups go to the fold with the fewest
    positives so far, largest first, in random order among equals; ungrouped rows (-1) are dealt
    out at random per class.
    """
    rng = np.random.default_rng(seed)
    fold_of = np.full(len(y), -1, dtype=np.int64)
    grouped = groups >= 0
    labels, sizes = np.unique(groups[grouped], return_counts=True)
    order = rng.permutation(len(labels))
    order = order[np.argsort(-sizes[order], kind="stable")]
    positives = np.zeros(folds)
    slot = np.full(int(labels.max()) + 1 if len(labels) else 0, -1, dtype=np.int64)
    for k in order:
        target = int(np.argmin(positives))
        slot[labels[k]] = target
        positives[target] += sizes[k]
    fold_of[grouped] = slot[groups[grouped]]
    for value in (0, 1):
        rows = np.flatnonzero(~grouped & (y == value))
        start = int(np.argmin(positives)) if value == 1 else 0
        fold_of[rng.permutation(rows)] = (start + np.arange(len(rows))) % folds
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(folds)]


def threshold_on_training(x: Matrix, y: Labels, seed: int, folds: int = 3) -> float:
    """Choose the threshold on out-of-fold scores of the training data only (never the test half)."""
    return best_threshold(y, out_of_fold(x, y, seed, fit, folds))


def metrics(y: Labels, scores: npt.NDArray[np.float64], threshold: float) -> Metrics:
    predicted = scores >= threshold
    precision, recall, f1, _ = precision_recall_fscore_support(y, predicted, average="binary", zero_division=0)
    pr_auc = float(average_precision_score(y, scores)) if y.sum() else 0.0
    return Metrics(float(precision), float(recall), float(f1), pr_auc, float(threshold), int(y.sum()))


def mean_std(values: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4)}
