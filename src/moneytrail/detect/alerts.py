"""Run the rule pack: evidence rows per rule, then one alert per (rule, subject), then a risk summary."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from moneytrail.detect.lists import lists_version
from moneytrail.detect.rulespec import RuleSpec, hits_table, render
from moneytrail.warehouse.engine import Engine

MAX_EVIDENCE = 1000  # evidence ids kept per alert; the count is always exact
REPORT_SCORE = 3.0  # [proposed] total score that makes a subject reportable (INDICATORS.md)

ALERTS = pa.schema(
    [
        pa.field("alert_id", pa.string(), nullable=False),
        pa.field("rule_id", pa.string(), nullable=False),
        pa.field("typology", pa.string(), nullable=False),
        pa.field("subject_kind", pa.string(), nullable=False),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("member_id", pa.string()),
        pa.field("window_start", pa.timestamp("us", tz="UTC")),
        pa.field("window_end", pa.timestamp("us", tz="UTC")),
        pa.field("score", pa.float64()),
        pa.field("evidence_count", pa.int64()),
        pa.field("evidence_txn_ids", pa.list_(pa.string())),
        pa.field("parameters", pa.string()),
        pa.field("explanation", pa.string()),
    ]
)

RISK_SUMMARY = pa.schema(
    [
        pa.field("subject_kind", pa.string(), nullable=False),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("member_id", pa.string()),
        pa.field("total_score", pa.float64()),
        pa.field("alert_count", pa.int64()),
        pa.field("rules", pa.list_(pa.string())),
        pa.field("typologies", pa.list_(pa.string())),
        pa.field("top_typology", pa.string()),
        pa.field("hard", pa.bool_()),
        pa.field("reportable", pa.bool_()),
        pa.field("explanation", pa.string()),
    ]
)

_AGGREGATE = """
SELECT h.subject, min(d.member_id) AS member_min, max(d.member_id) AS member_max,
    min(d.ts) AS window_start, max(d.ts) AS window_end, max(h.weight) AS weight,
    count(*) AS evidence_count, array_agg(h.txn_id) AS evidence
FROM {hits} h JOIN detect_txn d ON d.txn_id = h.txn_id
GROUP BY h.subject
"""


@dataclass
class RuleRun:
    spec: RuleSpec
    values: dict[str, Any]
    alerts: int


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def run_rules(
    engine: Engine,
    specs: list[RuleSpec],
    overrides: dict[str, dict[str, Any]] | None = None,
    on_rule: Callable[[RuleSpec], None] | None = None,
) -> tuple[pa.Table, list[RuleRun]]:
    """Run every rule over `detect_txn`; return the alerts (one per rule and subject)."""
    rows: dict[str, list[Any]] = {name: [] for name in ALERTS.names}
    runs: list[RuleRun] = []
    for spec in specs:
        values = spec.values((overrides or {}).get(spec.id))
        engine.create_table(hits_table(spec.id), render(spec, values))
        result = engine.query(_AGGREGATE.format(hits=hits_table(spec.id))).to_pylist()
        parameters = json.dumps({**values, "lists_version": lists_version()}, sort_keys=True)
        for hit in sorted(result, key=lambda r: str(r["subject"])):
            evidence = sorted(str(t) for t in hit["evidence"])
            start = _utc(hit["window_start"])
            key = f"{spec.id}|{hit['subject']}|{start.isoformat() if start else ''}"
            rows["alert_id"].append(hashlib.sha1(key.encode()).hexdigest()[:20])
            rows["rule_id"].append(spec.id)
            rows["typology"].append(spec.typology)
            rows["subject_kind"].append(spec.subject_kind)
            rows["subject"].append(str(hit["subject"]))
            rows["member_id"].append(hit["member_min"] if hit["member_min"] == hit["member_max"] else None)
            rows["window_start"].append(start)
            rows["window_end"].append(_utc(hit["window_end"]))
            rows["score"].append(round(spec.score * float(hit["weight"]), 6))
            rows["evidence_count"].append(int(hit["evidence_count"]))
            rows["evidence_txn_ids"].append(evidence[:MAX_EVIDENCE])
            rows["parameters"].append(parameters)
            rows["explanation"].append(_explain(spec, values, int(hit["evidence_count"])))
        runs.append(RuleRun(spec, values, len(result)))
        if on_rule:
            on_rule(spec)
    return pa.table(rows, schema=ALERTS), runs


def _explain(spec: RuleSpec, values: dict[str, Any], count: int) -> str:
    try:
        text = spec.explain.format(n=count, **values)
    except (KeyError, IndexError, ValueError):
        text = spec.title
    return f"[{spec.number}] {text}"


def risk_summary(alerts: pa.Table, specs: list[RuleSpec]) -> pa.Table:
    """Merge alerts per subject: total score, rules fired, and a readable explanation."""
    hard = {s.id for s in specs if s.hard}
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for alert in alerts.to_pylist():
        grouped[(alert["subject_kind"], alert["subject"])].append(alert)
    rows: dict[str, list[Any]] = {name: [] for name in RISK_SUMMARY.names}
    for (kind, subject), items in sorted(grouped.items()):
        items.sort(key=lambda a: (-a["score"], a["rule_id"]))
        by_typology: dict[str, float] = defaultdict(float)
        for a in items:
            by_typology[a["typology"]] += a["score"]
        total = round(sum(a["score"] for a in items), 6)
        members = {a["member_id"] for a in items}
        is_hard = any(a["rule_id"] in hard for a in items)
        top = max(sorted(by_typology), key=lambda t: by_typology[t])
        rows["subject_kind"].append(kind)
        rows["subject"].append(subject)
        rows["member_id"].append(members.pop() if len(members) == 1 else None)
        rows["total_score"].append(total)
        rows["alert_count"].append(len(items))
        rows["rules"].append([a["rule_id"] for a in items])
        rows["typologies"].append(sorted(by_typology))
        rows["top_typology"].append(top)
        rows["hard"].append(is_hard)
        rows["reportable"].append(is_hard or total >= REPORT_SCORE)
        rows["explanation"].append(
            f"score {total:g} ({top}); " + "; ".join(f"{a['explanation']} (+{a['score']:g})" for a in items)
        )
    return pa.table(rows, schema=RISK_SUMMARY)


def drop_hits(engine: Engine, specs: list[RuleSpec]) -> None:
    for spec in specs:
        engine.drop_table(hits_table(spec.id))
