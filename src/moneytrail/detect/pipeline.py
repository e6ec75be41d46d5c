"""`detect`: prepare the base table, run the rule pack, store `alerts` and `risk_summary`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from moneytrail.detect.alerts import RuleRun, drop_hits, risk_summary, run_rules
from moneytrail.detect.networks import suspicious_networks
from moneytrail.detect.prepare import prepare
from moneytrail.detect.rulespec import RuleSpec, load_rules
from moneytrail.warehouse.engine import Engine


@dataclass
class Detection:
    alerts: pa.Table
    summary: pa.Table
    runs: list[RuleRun]
    networks: int = 0  # components of the suspicious subgraph with a reportable subject (stored runs only)


def detect(
    engine: Engine,
    rules_dir: Path | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    member_id: str | None = None,
    store: bool = True,
    on_rule: Callable[[RuleSpec], None] | None = None,
    specs: list[RuleSpec] | None = None,
) -> Detection:
    """Run the rule pack over the warehouse's transactions (or one member's rows only)."""
    specs = specs if specs is not None else load_rules(rules_dir)
    prepare(engine, member_id=member_id)
    try:
        alerts, runs = run_rules(engine, specs, overrides, on_rule)
    finally:
        drop_hits(engine, specs)
    summary = risk_summary(alerts, specs)
    networks = 0
    if store:
        engine.write_table("alerts", alerts)
        engine.write_table("risk_summary", summary)
        networks = suspicious_networks(engine)
    return Detection(alerts, summary, runs, networks)
