"""`moneytrail score`: one LightGBM model per typology over rule hits, exposure and graph features.

Each typology gets its own one-versus-rest model, because the typologies are rare and unlike each
other: a multiclass model spends its trees separating typologies from each other instead of from
the ordinary accounts. Training uses labels (generator labels or case dispositions):

- a temporal split reports honest metrics: accounts first seen in the earliest 70% of the period
  train, the rest are scored and measured;
- the decision threshold of each typology is the lowest whose F1 on out-of-fold scores of the
  training accounts only (averaged over three draws of the folds) is within 0.01 of the best: a
  tie broken towards recall. The folds keep the labelled accounts that paid each other together,
  so a scheme is never half learnt and half judged;
- the saved model is the mean of those fold models, so that new accounts are scored by the very
  models whose scores set the threshold; it carries its feature list, the training data's time
  range, the thresholds and the test metrics;
- several labelled warehouses can be pooled (`pool`): the folds are then the warehouses, and the
  saved model scores an account by the upper median of its fold models (see `UPPER_MEDIAN`);
- each fold model is the mean of `NEGATIVE_DRAWS` fits on their own samples of ordinary accounts,
  and rows are taken in an order of their values (`content_order`): the coalition key, which
  orders accounts by token, does not change the model.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import lightgbm as lgb
import numpy as np
import pyarrow as pa
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components

from moneytrail.detect.graph.features import GraphParams, graph_features, transaction_edges
from moneytrail.detect.graph.flows import FLOW_COLUMNS, flow_features
from moneytrail.detect.rulespec import load_rules
from moneytrail.detect.score.exposure import PAIRS_TABLE, exposure_columns, exposure_features, payment_pairs
from moneytrail.detect.score.learn import (
    SCORE_PARAMS,
    Bag,
    best_threshold,
    content_order,
    feature_values,
    matrix,
    metrics,
    out_of_fold,
)
from moneytrail.detect.score.profile import payment_marks, profile_features
from moneytrail.detect.score.stacking import edges_of, second_stage, second_stage_columns
from moneytrail.errors import UserError
from moneytrail.warehouse.engine import Engine

TRAIN_SHARE = 0.7
MIN_POSITIVES = 4  # a typology with fewer labelled accounts gets no model
# v13: rows in a key-free order; each fold model a list of fits (v12: marked payments weighed by score)
MODEL_KIND = "lightgbm-one-vs-rest-v13"


def account_frame(engine: Engine, params: GraphParams | None = None, typologies: list[str] | None = None) -> pa.Table:
    """One row per account identity (token): graph, layering and exposure features plus each rule's summed score.

    Needs `detect_txn` (from `detect`) and reads `alerts` when present. `typologies` (default: those of the
    built-in rule pack) name the exposure columns, so that a model's features do not depend on which rules fired.
    """
    transaction_edges(engine)
    graph_features(engine, "gf_edges", params, table="score_graph_features")
    flow_features(engine, "gf_edges", table="score_flow_features")
    profile_columns = profile_features(engine, table="score_profile")
    payment_marks(engine)  # read by the second stage (`stacking.score_pairs`)
    typologies = typologies if typologies is not None else sorted({spec.typology for spec in load_rules()})
    payment_pairs(engine, "gf_edges")
    exposure_features(engine, PAIRS_TABLE, typologies, table="score_exposure")
    rules: list[str] = []
    if engine.has_table("alerts"):
        rules = sorted({str(r) for r in engine.query("SELECT DISTINCT rule_id FROM alerts").column(0).to_pylist()})
    pivots = ", ".join(f"sum(CASE WHEN a.rule_id = '{r}' THEN a.score ELSE 0 END) AS rule_{r}" for r in rules)
    rule_cols = ""
    if rules:
        engine.create_table(
            "score_rule_hits",
            f"""SELECT CASE WHEN a.subject_kind IN ('account', 'address') AND a.subject LIKE '%:%'
                     THEN substr(a.subject, strpos(a.subject, ':') + 1) ELSE a.subject END AS node, {pivots}
                FROM alerts a GROUP BY 1""",
        )
        rule_cols = ", " + ", ".join(f"coalesce(h.rule_{r}, 0) AS rule_{r}" for r in rules)
    flow_cols = ", ".join(f"coalesce(fl.{c}, 0) AS {c}" for c in FLOW_COLUMNS)
    exposure_cols = ", ".join(f"coalesce(x.{c}, 0) AS {c}" for c in exposure_columns(typologies))
    profile_cols = "".join(f", coalesce(pr.{c}, 0) AS {c}" for c in profile_columns)
    join_rules = "LEFT JOIN score_rule_hits h ON h.node = f.node" if rules else ""
    engine.create_table(
        "score_features",
        f"""SELECT f.*, {flow_cols}, {exposure_cols}{profile_cols}{rule_cols}
        FROM score_graph_features f LEFT JOIN score_flow_features fl ON fl.node = f.node
        LEFT JOIN score_exposure x ON x.node = f.node LEFT JOIN score_profile pr ON pr.node = f.node {join_rules}""",
    )
    first_seen = engine.query(
        """SELECT node, min(t) AS first_t FROM (SELECT src AS node, t FROM gf_edges UNION ALL
           SELECT dst AS node, t FROM gf_edges) x GROUP BY node"""
    )
    engine.register("score_first_seen", first_seen)
    return engine.query(
        "SELECT f.*, s.first_t AS _first_t FROM score_features f JOIN score_first_seen s ON s.node = f.node"
        " ORDER BY f.node"  # `train` reorders by value; equal rows keep this order: keep it the same run to run
    )


def _columns(frame: pa.Table) -> list[str]:
    return [c for c in frame.column_names if c not in ("node", "_first_t")]


NEGATIVES_PER_POSITIVE = 50  # ordinary accounts kept per labelled one when fitting (all are scored)
# ... and never fewer than this many: a typology with a few dozen accounts (trafficking: 38 at 2M
# transactions) otherwise sees ~2,000 of the ~220,000 ordinary accounts, too few to meet the ordinary
# accounts that look like it, which then outrank its unseen schemes (BENCHMARKS.md, 2026-12-03).
NEGATIVES_AT_LEAST = 20_000
# Each fold model is the mean of this many fits, each on its own sample of the ordinary accounts.
# Which ordinary accounts one sample keeps moved the thresholds and the top of the ranking enough
# to change how many unseen seeds met the bar from 7 of 10 to 4 of 10 (BENCHMARKS.md, 2026-12-07);
# two draws took twice as long to train and met it on no more seeds (session 7), so one it is.
NEGATIVE_DRAWS = 1


def _fit(x: np.ndarray, y: np.ndarray, seed: int, hard: np.ndarray | None = None) -> Bag:
    """Fit on every positive, every `hard` negative and a random sample of the other negatives
    (`NEGATIVES_PER_POSITIVE` per positive, at least `NEGATIVES_AT_LEAST`), `NEGATIVE_DRAWS` times
    with another sample each (once where the sample would be all of them): a `Bag` of the fits.

    A typology has a few hundred accounts among ~100k ordinary ones; the trees learn from the
    ordinary ones near the boundary, and a sample of them keeps those while fitting several times
    faster. The accounts of the other typologies are the negatives most like the positives (a
    layering stack looks like a scatter-gather): a 1-in-16 sample kept a handful of them, too few
    to learn the difference, so all are kept. Thresholds still come from out-of-fold scores over
    *all* held-out accounts, so they are set for the real class balance.
    """
    always = (y > 0) if hard is None else (y > 0) | hard
    negatives = np.flatnonzero(~always)
    wanted = max(int((y > 0).sum()) * NEGATIVES_PER_POSITIVE, NEGATIVES_AT_LEAST)
    sampled = len(negatives) > wanted
    rng = np.random.default_rng(seed)  # the first draw is the sample a single fit took
    members = []
    for _ in range(NEGATIVE_DRAWS if sampled else 1):
        keep = always.copy() if sampled else np.ones_like(always)
        if sampled:
            keep[rng.choice(negatives, size=wanted, replace=False)] = True
        members.append(lgb.LGBMClassifier(random_state=seed, **SCORE_PARAMS).fit(x[keep], y[keep]))
    return Bag(members)


# A probability within 1e-6 of 0 or 1 (log-odds past +-14) says "certain" and nothing finer: a
# threshold set out there (trafficking's came out at 1 - 5e-10) splits accounts the model is equally
# sure of by noise, and missed three of 18 on an unseen seed whose nearest unlabelled account was at
# 1 - 4e-5. Scores are held to [SCORE_FLOOR, 1 - SCORE_FLOOR] wherever thresholds are set or met.
SCORE_FLOOR = 1e-6


def _capped(scores: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(scores, SCORE_FLOOR, 1.0 - SCORE_FLOOR), dtype=np.float64)


OOF_REPEATS = 3  # out-of-fold scores averaged over this many fold draws
FOLDS = 3


def _repeated_out_of_fold(
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    groups: np.ndarray | None = None,
    hard: np.ndarray | None = None,
    sources: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[str]]]:
    """Out-of-fold scores averaged over `OOF_REPEATS` draws of the folds, and every fold's model (its fits' texts).

    The thresholds sit where the scores of a few hundred positives thin out; one draw of the folds
    moved them enough to change a typology's recall on unseen data by 0.1-0.4 (BENCHMARKS.md).
    The fold models are what the saved model averages: a model refit on all the data scores more
    confidently than the fold models whose scores set the threshold, so its scores would not
    meet the threshold on the same terms.

    With `sources` (per row, the warehouse 0..K-1 of K >= 2 pooled by `pool`), the folds are the
    warehouses, drawn once: each account is scored by the model that never saw its warehouse.
    """
    models: list[Bag] = []
    if sources is not None:
        held_out = out_of_fold(x, y, seed, _fit, int(sources.max()) + 1, models, sources, hard)
        return _capped(held_out), [m.texts() for m in models]
    draws = [out_of_fold(x, y, seed + r, _fit, FOLDS, models, groups, hard) for r in range(OOF_REPEATS)]
    return _capped(np.mean(draws, axis=0)), [m.texts() for m in models]


def _schemes(y: np.ndarray, pairs: pa.Table | None, links: pa.Table | None, nodes: list[str]) -> np.ndarray | None:
    """Per row: a group id shared by labelled accounts that paid each other or share a holder (-1: unlabelled)."""
    if pairs is None:
        return None
    edges = [edges_of(table, nodes) for table in (pairs, links) if table is not None]
    src = np.concatenate([e.src for e in edges])
    dst = np.concatenate([e.dst for e in edges])
    inside = (y[src] > 0) & (y[dst] > 0)
    graph = sparse.coo_matrix((np.ones(int(inside.sum())), (src[inside], dst[inside])), shape=(len(y), len(y))).tocsr()
    _, component = connected_components(graph, directed=False)
    component = component.astype(np.int64)
    # A component bigger than this would unbalance the folds (victims of several extortion rings who
    # paid the same mule, friends who happen to pay each other): cut it into pieces of neighbours.
    # With fewer than 2 * FOLDS labelled accounts every account is its own piece: each fold must
    # keep some to learn from.
    largest = max(1, int(y.sum()) // (2 * FOLDS))
    sizes = np.bincount(component[y > 0])
    fresh = len(y)
    for big in np.flatnonzero(sizes > largest):
        start = int(np.flatnonzero((component == big) & (y > 0))[0])
        order = breadth_first_order(graph, start, directed=False, return_predecessors=False)
        for k in range(0, len(order), largest):
            component[order[k:k + largest]] = fresh
            fresh += 1
    return np.where(y > 0, component, -1)


# Out-of-fold F1 within this of the best is a tie, broken towards recall: the F1 curve is flat at
# its top, and schemes never seen in training score lower than the out-of-fold scores of seen ones
# (BENCHMARKS.md, 2026-12-02), so the highest threshold of the tie misses them first.
F1_TIE = 0.01


def _f1_at_best(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(threshold, best F1): the lowest threshold whose F1 is within `F1_TIE` of the best, and that best."""
    best = metrics(y, scores, best_threshold(y, scores)).f1
    return best_threshold(y, scores, F1_TIE), best


ROUNDS = 3  # stages: the first, then two rounds that see the neighbours' scores of the round before
# A later stage replaces a typology's best only where its out-of-fold F1 is higher by more than
# F1_TIE. The later stages read neighbours' scores, which move more from one data set to another
# than an account's own features: fan-in kept a third stage for +0.007 out-of-fold F1, and on two
# unseen seeds that stage ranked busy merchants (whose many customers include some launderers)
# above real hubs, average precision 0.93-0.98 against the first stage's 0.996-0.998
# (BENCHMARKS.md, 2026-12-06 (late)).


# How a saved model combines its fold models' scores. Trained on one warehouse, each account's
# out-of-fold score is itself a mean (of OOF_REPEATS models), and new accounts get the mean of
# all the fold models. Pooled, each account's out-of-fold score is one model's, so the threshold
# is set for one model's scores; a mean of several is less extreme, and fell short of it: the
# threshold flagged too few on unseen coalitions (lsac recall 0.83 with the mean, 0.84-0.88 for
# each fold model alone, seed 77, BENCHMARKS.md). The upper median keeps one model's scale: it
# reaches the threshold exactly when at least half of the fold models do.
MEAN, UPPER_MEDIAN = "mean", "upper_median"


class _Best(NamedTuple):
    """A typology's best stage so far: its number, the matrix it reads, its threshold and out-of-fold F1."""

    stage: int
    inputs: np.ndarray
    threshold: float
    f1: float


def train(
    frame: pa.Table,
    labelled: dict[str, set[str]],
    out: Path,
    seed: int = 0,
    pairs: pa.Table | None = None,
    links: pa.Table | None = None,
    rounds: int = ROUNDS,
    sources: np.ndarray | None = None,
) -> dict[str, Any]:
    """Train one model per labelled typology (typology -> account identities); save them with their thresholds.

    With `pairs` (src, dst, n: who paid whom) and `links` (src, dst: the same holder at two members),
    later stages also see the neighbours' scores of the stage before (`stacking.second_stage`): stage
    2 the first stage's, stage 3 those of each typology's best stage so far, so evidence travels one
    hop further per stage (victim -> mule -> the mule's exchange account -> the operator's wallet).
    A typology keeps a later stage only where its out-of-fold F1 on the training accounts beats its
    best so far by more than `F1_TIE`. `sources` (per row, from `pool`) names the warehouse of each
    account when several are pooled: the folds are then the warehouses.
    """
    pooled_warehouses = 1 if sources is None else len(np.unique(sources))
    sources = sources if pooled_warehouses > 1 else None  # one warehouse: the usual repeated folds
    nodes = [str(n) for n in frame.column("node").to_pylist()]
    first = np.asarray(frame.column("_first_t").to_numpy(zero_copy_only=False), dtype=np.float64)
    columns = _columns(frame)
    x = matrix(frame, columns, nodes)
    order = content_order(x)  # folds and samples are drawn by position: a key-free order (see there)
    x, first, nodes = x[order], first[order], [nodes[i] for i in order]
    sources = None if sources is None else sources[order]
    cut = float(np.quantile(first, TRAIN_SHARE)) if len(first) else 0.0
    early, late = first <= cut, first > cut
    present = set(nodes)
    enough = {t for t in labelled if MIN_POSITIVES <= len(labelled[t] & present) <= len(nodes) - MIN_POSITIVES}
    skipped = sorted(set(labelled) - enough)
    typologies = [t for t in sorted(labelled) if t not in skipped]
    if not typologies:
        raise UserError(f"too few labelled accounts to train a score (need {MIN_POSITIVES} per typology)")
    ys = {t: np.fromiter((n in labelled[t] for n in nodes), dtype=np.int64, count=len(nodes)) for t in typologies}
    groups = {t: _schemes(ys[t], pairs, links, nodes) for t in typologies}
    labelled_any = np.any(np.column_stack([ys[t] for t in typologies]) > 0, axis=1)
    hard = {t: labelled_any & (ys[t] == 0) for t in typologies}  # another typology's accounts
    first_stage = {t: _repeated_out_of_fold(x, ys[t], seed, groups[t], hard[t], sources) for t in typologies}
    oof = np.column_stack([first_stage[t][0] for t in typologies])  # each typology's best stage so far
    best = {t: _Best(1, x, *_f1_at_best(ys[t], oof[:, j])) for j, t in enumerate(typologies)}
    stages: dict[str, dict[str, list[list[str]]]] = {t: {"1": first_stage[t][1]} for t in typologies}
    stage_f1 = {t: {"1": round(best[t].f1, 4)} for t in typologies}  # out-of-fold F1 of every stage tried
    for stage in range(2, (rounds if pairs is not None else 1) + 1):
        xs = np.hstack([x, second_stage(pairs, links, nodes, oof)])  # every typology reads the stage before's
        for j, typology in enumerate(typologies):
            scores, ensemble = _repeated_out_of_fold(
                xs, ys[typology], seed, groups[typology], hard[typology], sources
            )
            threshold, f1 = _f1_at_best(ys[typology], scores)
            stage_f1[typology][str(stage)] = round(f1, 4)
            if f1 > best[typology].f1 + F1_TIE:  # a gain within the tie is fold noise (see ROUNDS)
                best[typology] = _Best(stage, xs, threshold, f1)
                stages[typology][str(stage)] = ensemble
                oof[:, j] = scores
    models: dict[str, Any] = {}
    for typology in typologies:
        y = ys[typology]
        stage, features, threshold, _ = best[typology]
        tested: dict[str, Any] = {}
        if y[early].sum() >= 2 and y[late].sum() >= 1:  # one model on the early accounts: an estimate, 9x cheaper
            fitted = _fit(features[early], y[early], seed, hard[typology][early])
            held = np.asarray(fitted.predict_proba(features[late]), dtype=np.float64)
            tested = metrics(y[late], _capped(held[:, 1]), threshold).as_dict()
        models[typology] = {"stage": stage, "threshold": threshold, "support": int(y.sum()), "metrics": tested,
                            "out_of_fold_f1": stage_f1[typology], "stages": stages[typology]}
    meta = {
        "kind": MODEL_KIND,
        "features": columns,
        "stage1_typologies": typologies,
        "typologies": models,
        "skipped": skipped,
        "training_range": {
            "from": datetime.fromtimestamp(float(first.min()), UTC).isoformat(),
            "to": datetime.fromtimestamp(float(first.max()), UTC).isoformat(),
        },
        "split": f"temporal: metrics on accounts first seen after the {int(TRAIN_SHARE * 100)}th percentile, "
        "the model combines (`combine`) the out-of-fold models whose scores set the thresholds",
        "accounts": len(nodes),
        "warehouses": pooled_warehouses,
        "combine": UPPER_MEDIAN if pooled_warehouses > 1 else MEAN,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(meta))
    summary = {k: v for k, v in meta.items() if k != "typologies"}
    summary["typologies"] = {t: {k: v for k, v in m.items() if k != "stages"} for t, m in models.items()}
    return summary


class _Ensemble:
    """A typology's saved model: its fold models (each the mean of its fits), combined as `train` chose
    (`MEAN`, `UPPER_MEDIAN`)."""

    def __init__(self, folds: list[list[str]], combine: str = MEAN) -> None:
        self.folds = [[lgb.Booster(model_str=text) for text in fits] for fits in folds]
        self.combine = combine

    def predict(self, x: np.ndarray) -> np.ndarray:
        each = np.array([np.mean([b.predict(x) for b in fits], axis=0) for fits in self.folds])
        if self.combine == UPPER_MEDIAN:  # the ceil(K/2)-th highest of K: at a threshold iff half the models are
            return _capped(np.sort(each, axis=0)[-((len(each) + 1) // 2)])
        return _capped(each.mean(axis=0))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's mean contribution (log-odds) over the fold models; the last column is the bias."""
        each = [np.mean([b.predict(x, pred_contrib=True) for b in fits], axis=0) for fits in self.folds]
        return np.asarray(np.mean(each, axis=0), dtype=np.float64)


def apply(frame: pa.Table, model_file: Path, pairs: pa.Table | None = None, links: pa.Table | None = None) -> pa.Table:
    """One row per account: its riskiest typology, that model's score, and whether it reaches the threshold.

    Riskiest = the largest score relative to its typology's threshold; `flagged_typologies` lists every
    typology whose threshold the account reaches.
    """
    if not model_file.exists():
        raise UserError(f"no model at {model_file}: train one with `moneytrail score --train LABELS`")
    meta = json.loads(model_file.read_text())
    if meta.get("kind") != MODEL_KIND:
        raise UserError(f"{model_file} is not a {MODEL_KIND} model: train it again with `moneytrail score --train`")
    nodes = [str(n) for n in frame.column("node").to_pylist()]
    present = set(frame.column_names)
    x = np.column_stack(
        [
            feature_values(frame, c)
            if c in present
            else np.zeros(frame.num_rows)  # a rule that never fired here scores 0
            for c in meta["features"]
        ]
    ) if meta["features"] else np.zeros((frame.num_rows, 0))
    typologies = sorted(meta["typologies"])
    entries = [meta["typologies"][t] for t in typologies]
    thresholds = np.array([float(e["threshold"]) for e in entries])
    names = list(meta["features"])
    inputs = {j: (x, names) for j in range(len(typologies))}  # each typology's final inputs, for its explanation
    combine = str(meta.get("combine", MEAN))  # older models: the mean
    boosters = {j: _Ensemble(e["stages"]["1"], combine) for j, e in enumerate(entries)}
    scores = np.zeros((len(nodes), len(typologies)))
    for j, booster in boosters.items():
        if len(nodes):
            scores[:, j] = booster.predict(x)
    stage1 = [typologies.index(t) for t in meta["stage1_typologies"]]
    later_names = [*names, *second_stage_columns(meta["stage1_typologies"])]  # what every later stage reads
    for stage in range(2, max((int(e["stage"]) for e in entries), default=1) + 1):
        later = [j for j, e in enumerate(entries) if str(stage) in e["stages"]]
        if not later or not len(nodes):
            continue
        if pairs is None:
            raise UserError(f"{model_file} has later stages: they need who paid whom (apply it from the CLI)")
        xs = np.hstack([x, second_stage(pairs, links, nodes, scores[:, stage1])])
        for j in later:
            boosters[j] = _Ensemble(entries[j]["stages"][str(stage)], combine)
            scores[:, j] = boosters[j].predict(xs)
            inputs[j] = (xs, later_names)
    relative = scores / np.maximum(thresholds, 1e-9)
    best = relative.argmax(axis=1) if len(nodes) else np.zeros(0, dtype=np.int64)
    reached = scores >= thresholds
    explanations = [""] * len(nodes)
    for j, typology in enumerate(typologies):  # why, for the flagged accounts only: their top feature contributions
        rows = np.flatnonzero(reached.any(axis=1) & (best == j))
        if len(rows):
            seen, seen_names = inputs[j]
            contributions = boosters[j].contributions(seen[rows])
            for k, row in enumerate(rows):
                explanations[row] = _explain(
                    typology, scores[row, j], thresholds[j], contributions[k, :-1], seen[row], seen_names
                )
    return pa.table(
        {
            "node": pa.array(nodes, pa.string()),
            "score": pa.array(scores[np.arange(len(nodes)), best] if len(nodes) else [], pa.float64()),
            "typology": pa.array([typologies[b] for b in best], pa.string()),
            "flagged": pa.array(reached.any(axis=1), pa.bool_()),
            "flagged_typologies": pa.array(
                [[typologies[j] for j in np.flatnonzero(row)] for row in reached], pa.list_(pa.string())
            ),
            "explanation": pa.array(explanations, pa.string()),
        }
    )


def _explain(
    typology: str, score: float, threshold: float, contributions: np.ndarray, values: np.ndarray, features: list[str],
    top: int = 3,
) -> str:
    """`lsac 0.93 (threshold 0.71): out_share_lsac=0.8 (+2.10), ...`: the features that pushed the score up most."""
    order = [int(i) for i in np.argsort(-contributions)[:top] if contributions[i] > 0]
    reasons = ", ".join(f"{features[i]}={values[i]:.4g} (+{contributions[i]:.2f})" for i in order)
    return f"{typology} {score:.2f} (threshold {threshold:.2f}): {reasons or 'no single feature stands out'}"
