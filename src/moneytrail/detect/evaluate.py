"""`evaluate`: per-typology precision, recall and F1 at account and transaction level, and the coalition lift.

Labels are the generator's `labels/accounts.parquet` and `labels/transactions.parquet`
(docs/INTERFACES.md). Accounts are compared by coalition identity: the account token (or the
public address for on-chain accounts), so an account seen by two members is one account.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from moneytrail.detect.pipeline import detect
from moneytrail.detect.prepare import prepare
from moneytrail.detect.rulespec import RuleSpec
from moneytrail.errors import UserError
from moneytrail.ingest.chains import guess_chain
from moneytrail.tokens import CoalitionKey, normalise_identifier, token
from moneytrail.warehouse.engine import Engine

MIN_TYPOLOGY_SCORE = 1.0  # an account counts as flagged for a typology at this summed alert score


@dataclass
class Labels:
    accounts: dict[str, set[str]]  # typology -> identities
    transactions: dict[str, set[str]]  # typology -> txn ids

    def typology_of(self) -> dict[str, str]:
        """identity -> typology (the first in name order where an account carries several)."""
        out: dict[str, str] = {}
        for typology in sorted(self.accounts, reverse=True):
            for who in self.accounts[typology]:
                out[who] = typology
        return out


def identity(account_key: str) -> str:
    """The coalition identity of an account key: its token (after the member or chain prefix)."""
    return account_key.split(":", 1)[1] if ":" in account_key else account_key


def raw_identity(raw_account: str, key: CoalitionKey) -> str:
    """The identity of a raw account as written in a member's files: its address if on-chain, else its token."""
    text = str(raw_account).strip()
    if guess_chain(text) is not None:
        return text
    return token("account", normalise_identifier(text, "account"), key)


def load_labels(folder: Path, key: CoalitionKey, engine: Engine) -> Labels:
    accounts_file, txns_file = folder / "accounts.parquet", folder / "transactions.parquet"
    if not accounts_file.exists():
        raise UserError(f"no labels/accounts.parquet in {folder}")
    accounts: dict[str, set[str]] = defaultdict(set)
    for row in pq.read_table(accounts_file).to_pylist():
        accounts[str(row["typology"])].add(raw_identity(str(row["account"]), key))
    transactions: dict[str, set[str]] = defaultdict(set)
    if txns_file.exists():
        rows = pq.read_table(txns_file)
        engine.register("eval_txn_labels", rows.select(["member_id", "source_ref", "typology"]))
        # a native id maps to MEMBER:ID; an on-chain flow is labelled by its hash and covers every row of it
        matched = engine.query(
            """SELECT t.txn_id, l.typology FROM eval_txn_labels l
            JOIN transactions t ON t.txn_id = l.member_id || ':' || l.source_ref
            UNION
            SELECT t.txn_id, l.typology FROM eval_txn_labels l JOIN transactions t ON t.tx_hash = l.source_ref"""
        ).to_pylist()
        for row in matched:
            transactions[str(row["typology"])].add(str(row["txn_id"]))
    return Labels(dict(accounts), dict(transactions))


def predictions(engine: Engine, alerts: pa.Table, min_score: float = MIN_TYPOLOGY_SCORE) -> Labels:
    """Accounts and transactions flagged per typology by a detection run's alerts."""
    score: dict[tuple[str, str], float] = defaultdict(float)
    txns: dict[str, set[str]] = defaultdict(set)
    for alert in alerts.to_pylist():
        txns[alert["typology"]].update(alert["evidence_txn_ids"])
        if alert["subject_kind"] in ("account", "address"):
            score[(alert["typology"], identity(alert["subject"]))] += alert["score"]
        elif alert["subject_kind"] == "token":
            score[(alert["typology"], alert["subject"])] += alert["score"]
    merchant_accounts = _merchant_accounts(engine, alerts)
    for alert in alerts.to_pylist():
        if alert["subject_kind"] == "merchant":
            for account in merchant_accounts.get(alert["subject"], ()):
                score[(alert["typology"], identity(account))] += alert["score"]
    flagged: dict[str, set[str]] = defaultdict(set)
    for (typology, who), total in score.items():
        if total >= min_score:
            flagged[typology].add(who)
    return Labels(dict(flagged), dict(txns))


def _merchant_accounts(engine: Engine, alerts: pa.Table) -> dict[str, set[str]]:
    merchants = sorted({a["subject"] for a in alerts.to_pylist() if a["subject_kind"] == "merchant"})
    if not merchants:
        return {}
    engine.register("eval_merchants", pa.table({"merchant_id": pa.array(merchants, pa.string())}))
    rows = engine.query(
        """SELECT DISTINCT d.merchant_id, d.dst_account FROM detect_txn d
        JOIN eval_merchants m ON m.merchant_id = d.merchant_id WHERE d.dst_account IS NOT NULL
            AND d.amount > 0 AND d.channel NOT IN ('refund', 'chargeback')"""
    ).to_pylist()
    out: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        out[row["merchant_id"]].add(row["dst_account"])
    return out


def model_predictions(engine: Engine, model: Path, alerts: pa.Table) -> dict[str, set[str]]:
    """Accounts the learned model flags, per predicted typology (reads `detect_txn`)."""
    from moneytrail.detect.score.model import account_frame, apply
    from moneytrail.detect.score.stacking import score_links, score_pairs

    engine.write_table("alerts", alerts)  # rule hits are model features
    scored = apply(account_frame(engine), model, pairs=score_pairs(engine), links=score_links(engine)).to_pylist()
    out: dict[str, set[str]] = defaultdict(set)
    for row in scored:
        for typology in row["flagged_typologies"]:
            out[typology].add(row["node"])
    return dict(out)


def scores(truth: dict[str, set[str]], predicted: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    out = {}
    for typology in sorted(set(truth) | set(predicted)):
        real, found = truth.get(typology, set()), predicted.get(typology, set())
        hit = len(real & found)
        precision = hit / len(found) if found else 0.0
        recall = hit / len(real) if real else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[typology] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": len(real),
        }
    return out


def micro_f1(truth: dict[str, set[str]], predicted: dict[str, set[str]]) -> float:
    real = {(t, a) for t, items in truth.items() for a in items}
    found = {(t, a) for t, items in predicted.items() for a in items}
    hit = len(real & found)
    if not hit:
        return 0.0
    precision, recall = hit / len(found), hit / len(real)
    return round(2 * precision * recall / (precision + recall), 4)


def evaluate(
    engine: Engine,
    labels_dir: Path,
    key: CoalitionKey,
    specs: list[RuleSpec] | None = None,
    lift: bool = True,
    min_score: float = MIN_TYPOLOGY_SCORE,
    model: Path | None = None,
) -> dict[str, Any]:
    """Detection on the coalition's tokens versus on each member's data alone, scored against labels."""
    labels = load_labels(labels_dir, key, engine)
    coalition = detect(engine, specs=specs, store=False)
    found = predictions(engine, coalition.alerts, min_score)
    if model is not None:
        found = Labels(model_predictions(engine, model, coalition.alerts), found.transactions)
    report: dict[str, Any] = {
        "account": scores(labels.accounts, found.accounts),
        "transaction": scores(labels.transactions, found.transactions),
    }
    if lift:
        members = [str(m) for m in engine.query("SELECT DISTINCT member_id FROM transactions").column(0).to_pylist()]
        alone: dict[str, set[str]] = defaultdict(set)
        for member in sorted(members):
            single = detect(engine, specs=specs, member_id=member, store=False)
            # the same detector on the member's own rows: the rules, or the model over that view's features
            flagged = (
                model_predictions(engine, model, single.alerts)
                if model is not None
                else predictions(engine, single.alerts, min_score).accounts
            )
            for typology, who in flagged.items():
                alone[typology] |= who
        prepare(engine)  # leave the coalition view in place for later steps
        if model is not None:
            engine.write_table("alerts", coalition.alerts)  # the model runs left the last member's alerts there
        report["lift"] = {
            "single_member_f1": micro_f1(labels.accounts, dict(alone)),
            "coalition_f1": micro_f1(labels.accounts, found.accounts),
        }
    return report
