"""The score's folds keep a scheme's accounts together, and the saved model is the mean of its fold models."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.detect.score import model
from moneytrail.detect.score.learn import best_threshold, content_order, feature_values, grouped_folds
from moneytrail.detect.score.model import FOLDS, OOF_REPEATS, _fit, _schemes, apply, train


@settings(max_examples=200, deadline=None)
@given(
    groups=st.lists(st.integers(min_value=-1, max_value=12), min_size=6, max_size=80),
    folds=st.integers(min_value=2, max_value=4),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_grouped_folds_hold_every_row_once_and_each_group_whole(groups: list[int], folds: int, seed: int) -> None:
    group = np.array(groups, dtype=np.int64)
    y = (group >= 0).astype(np.int64)  # grouped rows are the labelled ones, as `_schemes` gives them
    splits = grouped_folds(y, group, folds, seed)
    assert len(splits) == folds
    held_in = np.full(len(y), -1)
    for f, (train_rows, held) in enumerate(splits):
        assert (held_in[held] == -1).all()  # no row held out twice
        held_in[held] = f
        assert sorted([*train_rows, *held]) == list(range(len(y)))
    assert (held_in >= 0).all()
    for g in np.unique(group[group >= 0]):
        assert len(set(held_in[group == g])) == 1  # a scheme is never split across folds
    positives = np.bincount(held_in[y > 0], minlength=folds)
    largest = np.bincount(group[group >= 0]).max() if (group >= 0).any() else 0
    assert positives.max() - positives.min() <= largest  # balanced up to one group
    negatives = np.bincount(held_in[y == 0], minlength=folds)
    assert negatives.max() - negatives.min() <= 1


def test_schemes_join_labelled_accounts_that_paid_each_other() -> None:
    loners = [f"l{i}" for i in range(8)]  # labelled accounts that paid no one labelled
    nodes = ["a", "b", "c", "d", "e", *loners]
    y = np.array([1, 1, 1, 0, 1] + [1] * len(loners))
    pairs = pa.table({"src": ["a", "b", "c", "e"], "dst": ["b", "d", "d", "d"], "n": [1, 1, 1, 1]})
    links = pa.table({"src": ["e"], "dst": ["c"]})  # the same holder at two members
    groups = _schemes(y, pairs, links, nodes)
    assert groups is not None
    assert groups[0] == groups[1]  # paid each other
    assert groups[2] == groups[4]  # one holder
    assert groups[0] != groups[2]  # d is not labelled: paying it joins nothing
    assert groups[3] == -1
    assert len(set(groups[5:])) == len(loners)
    assert _schemes(y, None, None, nodes) is None


def test_a_long_chain_of_labelled_accounts_is_cut_into_pieces_of_neighbours() -> None:
    n = 200
    nodes = [f"n{i}" for i in range(n)]
    y = np.ones(n, dtype=np.int64)
    pairs = pa.table({"src": nodes[:-1], "dst": nodes[1:], "n": [1] * (n - 1)})
    groups = _schemes(y, pairs, None, nodes)
    assert groups is not None
    sizes = np.bincount(groups)
    sizes = sizes[sizes > 0]
    assert sizes.max() <= n // (2 * FOLDS) and sizes.sum() == n
    # pieces follow the chain: every piece is a run of consecutive accounts
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        assert members.max() - members.min() == len(members) - 1


def test_the_saved_model_is_the_mean_of_its_fold_models(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 900
    positive = rng.random(n) < 0.08
    frame = pa.table(
        {
            "node": [f"n{i}" for i in range(n)],
            "fan_in_7d": np.where(positive, rng.normal(8, 1.5, n), rng.normal(2, 1.5, n)),
            "_first_t": rng.uniform(0, 365 * 86400, n),
        }
    )
    labels = {"lsac": {f"n{i}" for i in np.flatnonzero(positive)}}
    train(frame, labels, tmp_path / "score.json")
    meta = json.loads((tmp_path / "score.json").read_text())
    assert meta["combine"] == "mean" and meta["warehouses"] == 1
    saved = meta["typologies"]["lsac"]
    assert len(saved["stages"]["1"]) == FOLDS * OOF_REPEATS
    assert all(len(fits) == 1 for fits in saved["stages"]["1"])  # 900 accounts: every one is kept, one fit
    x = feature_values(frame, "fan_in_7d").reshape(-1, 1)
    by_hand = np.mean([lgb.Booster(model_str=fits[0]).predict(x) for fits in saved["stages"]["1"]], axis=0)
    scored = apply(frame, tmp_path / "score.json")
    assert np.allclose(scored.column("score").to_numpy(), by_hand)
    assert scored.column("flagged").to_numpy(zero_copy_only=False).tolist() == (by_hand >= saved["threshold"]).tolist()


def test_summation_noise_in_the_features_does_not_change_the_model(tmp_path: Path) -> None:
    # two runs of the same SQL over the same warehouse: parallel sums differ in the last bits, and a
    # net flow of zero comes out as -2e-13 in one of them
    rng = np.random.default_rng(5)
    n = 900
    positive = rng.random(n) < 0.08
    mean_in = np.round(np.where(positive, rng.normal(300, 60, n), rng.normal(120, 60, n)), 2) / 7
    net_flow = np.where(rng.random(n) < 0.3, 0.0, np.round(rng.normal(0, 50, n), 2))
    noisy_mean = mean_in * (1 + rng.choice([-2.0, 0.0, 2.0], n) * np.finfo(np.float64).eps)
    noisy_flow = np.where(net_flow == 0, rng.choice([0.0, -2.2737367544323206e-13], n), net_flow)
    assert not np.array_equal(mean_in, noisy_mean)
    labels = {"sextortion": {f"n{i}" for i in np.flatnonzero(positive)}}
    saved = []
    for k, (mean, flow) in enumerate(((mean_in, net_flow), (noisy_mean, noisy_flow))):
        frame = pa.table(
            {"node": [f"n{i}" for i in range(n)], "in_mean": mean, "net_flow": flow, "_first_t": np.arange(n) * 3600.0}
        )
        train(frame, labels, tmp_path / f"run{k}.json")
        saved.append(json.loads((tmp_path / f"run{k}.json").read_text())["typologies"]["sextortion"])
    assert saved[0]["stages"] == saved[1]["stages"] and saved[0]["threshold"] == saved[1]["threshold"]


def _sampled_frame(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    positive = rng.random(n) < 0.01
    columns = {
        "fan_in_7d": np.where(positive, rng.normal(6, 2, n), rng.normal(2, 2, n)),
        "out_mean": rng.lognormal(3, 1, n),
        "_first_t": rng.uniform(0, 365 * 86400, n),
    }
    return columns, positive


def test_a_fold_model_is_the_mean_of_fits_on_their_own_samples_of_ordinary_accounts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model, "NEGATIVES_AT_LEAST", 300)  # 3,000 accounts: small enough to be sampled
    monkeypatch.setattr(model, "NEGATIVE_DRAWS", 2)
    columns, positive = _sampled_frame(np.random.default_rng(4), 3000)
    x = np.column_stack([columns["fan_in_7d"], columns["out_mean"]])
    y = positive.astype(np.int64)
    bag = _fit(x, y, 0)
    assert len(bag.members) == 2
    texts = bag.texts()
    assert len(set(texts)) == len(texts)  # each fit saw another sample
    by_hand = np.mean([lgb.Booster(model_str=text).predict(x) for text in texts], axis=0)
    assert np.allclose(bag.predict_proba(x)[:, 1], by_hand)
    monkeypatch.setattr(model, "NEGATIVES_AT_LEAST", 5000)  # more than there are: every one kept, once
    assert len(_fit(x, y, 0).members) == 1


def test_another_coalition_key_trains_the_same_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A new key gives every account another token, so the rows (ordered by token) come in another
    # order; the folds and the samples of ordinary accounts must not follow it.
    monkeypatch.setattr(model, "NEGATIVES_AT_LEAST", 300)
    monkeypatch.setattr(model, "NEGATIVE_DRAWS", 2)  # every draw of the samples follows the values
    rng = np.random.default_rng(11)
    n = 3000
    columns, positive = _sampled_frame(rng, n)
    saved = []
    for key, order in enumerate((np.arange(n), rng.permutation(n))):
        tokens = [f"key{key}-{i}" for i in range(n)]
        frame = pa.table({"node": [tokens[i] for i in order], **{c: v[order] for c, v in columns.items()}})
        train(frame, {"lsac": {tokens[i] for i in np.flatnonzero(positive)}}, tmp_path / f"key{key}.json")
        saved.append(json.loads((tmp_path / f"key{key}.json").read_text())["typologies"]["lsac"])
    assert all(len(fits) == 2 for fits in saved[0]["stages"]["1"])  # the samples were drawn
    assert saved[0]["stages"] == saved[1]["stages"] and saved[0]["threshold"] == saved[1]["threshold"]
    assert saved[0]["metrics"] == saved[1]["metrics"]


def test_the_row_order_depends_on_the_values_only() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(500, 4))
    x[rng.random((500, 4)) < 0.2] = np.nan
    shuffle = rng.permutation(500)
    assert (shuffle[content_order(x[shuffle])] == content_order(x)).all()
    assert sorted(content_order(x).tolist()) == list(range(500))
    assert not (content_order(x) == np.arange(500)).all()


def test_a_few_labelled_accounts_that_all_paid_each_other_still_leave_each_fold_some_to_learn_from() -> None:
    nodes = [f"n{i}" for i in range(40)]
    y = np.zeros(40, dtype=np.int64)
    y[:4] = 1  # one small ring: four accounts paying each other in a circle
    pairs = pa.table({"src": nodes[:4], "dst": [*nodes[1:4], nodes[0]], "n": [1] * 4})
    groups = _schemes(y, pairs, None, nodes)
    assert groups is not None
    for train_rows, _ in grouped_folds(y, groups, FOLDS, 0):
        assert y[train_rows].sum() > 0


def test_a_tie_in_f1_is_broken_towards_recall() -> None:
    y = np.array([0] * 98 + [1] * 2)
    scores = np.concatenate([np.linspace(0, 0.5, 98), [0.9, 0.95]])
    scores[97] = 0.8  # F1 1.0 at 0.9; at 0.8 three are flagged, two rightly: F1 0.8
    assert best_threshold(y, scores) == 0.9
    assert best_threshold(y, scores, tie=0.1) == 0.9  # 0.8 is not within 0.1 of the best
    assert best_threshold(y, scores, tie=0.25) == 0.8  # within the tie: the lower threshold


def test_every_account_of_another_typology_is_kept_as_a_negative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stack accounts look like scatter-gather accounts in all but one feature; ordinary accounts look
    # like neither. A sample of 50 ordinary accounts per positive keeps only a few stack accounts: too
    # few for a tree to learn the one feature that tells them apart. (The floor on the sample is
    # lifted: at this size it would keep every account.)
    monkeypatch.setattr(model, "NEGATIVES_AT_LEAST", 0)
    rng = np.random.default_rng(3)
    n_ordinary, n_each = 12_000, 60
    layered = np.r_[np.zeros(n_ordinary), np.ones(2 * n_each)] + rng.normal(0, 0.05, n_ordinary + 2 * n_each)
    one_target = np.r_[rng.random(n_ordinary), np.ones(n_each), np.zeros(n_each)]
    nodes = [f"n{i}" for i in range(len(layered))]
    frame = pa.table(
        {"node": nodes, "layered": layered, "one_target": one_target, "_first_t": np.arange(len(nodes)) * 60.0}
    )
    scatter = set(nodes[n_ordinary:n_ordinary + n_each])
    stack = set(nodes[n_ordinary + n_each:])
    train(frame, {"aml_scatter_gather": scatter, "aml_stack": stack}, tmp_path / "model.json")
    scored = apply(frame, tmp_path / "model.json").to_pylist()
    flagged = {r["node"] for r in scored if "aml_scatter_gather" in r["flagged_typologies"]}
    assert len(flagged & scatter) >= 0.9 * n_each
    assert not flagged & stack
    hard = np.zeros(len(nodes), dtype=bool)
    hard[n_ordinary + n_each:] = True
    y = np.zeros(len(nodes), dtype=np.int64)
    y[n_ordinary:n_ordinary + n_each] = 1
    x = np.column_stack([layered, one_target])
    rows = [[_rows_seen(m) for m in bag.members] for bag in (_fit(x, y, 0), _fit(x, y, 0, hard))]
    # each fit: its sample, then its sample and every stack account
    assert rows == [[n_each * 51] * model.NEGATIVE_DRAWS, [n_each * 51 + n_each] * model.NEGATIVE_DRAWS]


def _rows_seen(fit: lgb.LGBMClassifier) -> int:
    return int(fit.booster_.dump_model()["tree_info"][0]["tree_structure"]["internal_count"])


def test_a_rare_typology_still_sees_a_floor_of_ordinary_accounts() -> None:
    # 30 positives would keep 1,500 of 30,000 ordinary accounts; the floor keeps 20,000, and every
    # hard negative on top. With fewer ordinary accounts than the floor, all are kept.
    rng = np.random.default_rng(5)
    for n_ordinary, expected in (
        (30_000, [30 + 10 + model.NEGATIVES_AT_LEAST] * model.NEGATIVE_DRAWS),
        (12_000, [30 + 12_000]),  # all kept: one fit, the draws would be the same
    ):
        y = np.r_[np.zeros(n_ordinary, dtype=np.int64), np.ones(30, dtype=np.int64)]
        x = np.column_stack([y + rng.normal(0, 0.3, len(y)), rng.random(len(y))])
        hard = np.zeros(len(y), dtype=bool)
        hard[:10] = True
        assert [_rows_seen(m) for m in _fit(x, y, 0, hard).members] == expected
