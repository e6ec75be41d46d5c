"""`moneytrail detect`, `evaluate`, `score` and `evaluate-amlsim` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from detect_fixtures import at, load, txn

from moneytrail.cli import main
from moneytrail.tokens import account_key, external_account_key, load_key
from moneytrail.warehouse.duckdb_engine import DuckDBEngine


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return json.loads(capsys.readouterr().out)


def _coalition(home: Path) -> Path:
    """Two members: m1 sees a sender paying a PH beneficiary, m2 sees two more senders paying her."""
    key = load_key(home / "keys.json")
    girl = external_account_key("PH-777", key)  # held at no member these two see
    rows, labels = [], []
    for member, senders in (("m1", ["A-1"]), ("m2", ["B-1", "B-2"])):
        for raw in senders:
            sender = account_key(member, raw, key)
            labels.append({"member_id": member, "account": raw, "typology": "lsac", "role": "payer", "scheme_id": "s1"})
            for d in (0, 4, 9):
                rows.append(
                    txn(
                        member_id=member,
                        src_account=sender,
                        dst_account=girl,
                        ts=at(d),
                        amount=40,
                        src_country="AU",
                        dst_country="PH",
                    )
                )
    rows += [
        txn(member_id="m2", src_account=account_key("m2", "B-9", key), dst_account="ext:shop", ts=at(d))
        for d in range(5)
    ]
    labels.append(
        {"member_id": "ph", "account": "PH-777", "typology": "lsac", "role": "facilitator", "scheme_id": "s1"}
    )
    engine = DuckDBEngine(home / "warehouse.duckdb")
    load(engine, rows)
    engine.close()
    folder = home / "labels"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(labels), folder / "accounts.parquet")
    return folder


def test_detect_and_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = _coalition(tmp_path)
    out = _run(["detect", "--home", str(tmp_path), "--json"], capsys)
    assert out["per_rule"]["lsac_many_senders"] == 1  # type: ignore[index]
    assert out["alerts"] >= 4  # type: ignore[operator]
    report = _run(["evaluate", "--home", str(tmp_path), "--labels", str(labels), "--json"], capsys)
    lsac = report["account"]["lsac"]  # type: ignore[index]
    assert lsac["support"] == 4 and lsac["recall"] == 1.0 and lsac["precision"] == 1.0
    lift = report["lift"]  # type: ignore[index]
    # alone, no member sees three senders to one beneficiary, so the beneficiary is missed
    assert lift["coalition_f1"] == 1.0 and lift["single_member_f1"] < lift["coalition_f1"]


def test_evaluate_amlsim_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    n = 300
    fraud = set(range(0, 300, 15))
    hubs = sorted(fraud)[:4]
    with (tmp_path / "nodes.csv").open("w") as nodes:
        nodes.write("nodeid,isFraud,init_balance,fraudStep\n")
        nodes.writelines(f"{i},{int(i in fraud)},100.0,-1\n" for i in range(n))
    with (tmp_path / "transactions.csv").open("w") as edges:
        edges.write("sourceNodeId,targetNodeId,value,time\n")
        for _ in range(1500):
            a, b = rng.integers(0, n, 2)
            edges.write(f"{a},{b},{rng.uniform(100, 600):.2f},{rng.integers(1, 60)}\n")
        for f in sorted(fraud - set(hubs)):  # fan-in of small amounts into a hub
            edges.write(f"{f},{hubs[f % 4]},{rng.uniform(2, 5):.2f},{rng.integers(1, 60)}\n")
    report = _run(["evaluate-amlsim", str(tmp_path), "--json"], capsys)
    for metric in ("precision", "recall", "f1", "pr_auc"):
        assert set(report[metric]) == {"mean", "std"}  # type: ignore[arg-type]
        assert 0.0 <= report[metric]["mean"] <= 1.0  # type: ignore[index]
    assert report["seeds"] == [0, 1, 2, 3, 4]


@pytest.mark.slow
def test_score_train_then_evaluate_with_model_and_lift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synth, home = tmp_path / "synth", tmp_path / "home"
    _run(["synth", "--out", str(synth), "--transactions", "6000", "--seed", "12", "--json"], capsys)
    _run(["ingest", "--home", str(home), "--manifest", str(synth / "manifest.json"), "--json"], capsys)
    stored = _run(["detect", "--home", str(home), "--json"], capsys)["alerts"]
    model = tmp_path / "score.json"
    trained = _run(
        ["score", "--home", str(home), "--train", str(synth / "labels"), "--model", str(model), "--json"], capsys
    )["trained"]
    assert trained["kind"] == "lightgbm-one-vs-rest-v13" and trained["typologies"]  # type: ignore[index]
    report = _run(
        ["evaluate", "--home", str(home), "--labels", str(synth / "labels"), "--model", str(model), "--json"], capsys
    )
    judged = report["account"]  # type: ignore[assignment]
    # in-sample (the model saw these accounts): the typologies it has a model for are found
    found = [t for t in trained["typologies"] if judged[t]["recall"] > 0]  # type: ignore[index]
    assert len(found) >= len(trained["typologies"]) // 2  # type: ignore[arg-type]
    lift = report["lift"]  # type: ignore[index]
    assert 0.0 <= lift["single_member_f1"] <= 1.0 and 0.0 < lift["coalition_f1"] <= 1.0
    engine = DuckDBEngine(home / "warehouse.duckdb")
    try:
        assert engine.count("alerts") == stored  # the per-member runs leave the coalition's alerts behind
    finally:
        engine.close()


@pytest.mark.slow
def test_score_pools_labelled_warehouses_for_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    homes = []
    for seed in (21, 22):
        synth, home = tmp_path / f"synth{seed}", tmp_path / f"home{seed}"
        _run(["synth", "--out", str(synth), "--transactions", "6000", "--seed", str(seed), "--json"], capsys)
        _run(["ingest", "--home", str(home), "--manifest", str(synth / "manifest.json"), "--json"], capsys)
        _run(["detect", "--home", str(home), "--json"], capsys)
        homes.append((home, synth / "labels"))
    (first, first_labels), (second, second_labels) = homes
    model = tmp_path / "pooled.json"
    base = ["score", "--home", str(first), "--model", str(model), "--json"]
    with pytest.raises(SystemExit) as refused:  # pooling needs this warehouse's labels too
        main([*base, "--also-train", f"{second}={second_labels}"])
    assert refused.value.code == 2
    with pytest.raises(SystemExit) as malformed:
        main([*base, "--train", str(first_labels), "--also-train", str(second)])
    assert malformed.value.code == 2
    assert "HOME=LABELS" in capsys.readouterr().err
    done = _run([*base, "--train", str(first_labels), "--also-train", f"{second}={second_labels}"], capsys)
    trained = done["trained"]
    assert trained["warehouses"] == 2  # type: ignore[index]
    engine = DuckDBEngine(first / "warehouse.duckdb")
    try:
        scored = engine.count("account_scores")  # the scores are this warehouse's only
    finally:
        engine.close()
    assert trained["accounts"] > scored == done["accounts"]  # type: ignore[index,operator]
