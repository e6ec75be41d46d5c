"""API objects (pydantic): what the REST API and `--json` output speak."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class Member(BaseModel):
    member_id: str
    name: str
    kind: str
    country: str | None = None


class IngestSummary(BaseModel):
    files: int = 0
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    skipped_files: int = 0
    seconds: float = 0.0


class Alert(BaseModel):
    alert_id: str
    rule_id: str
    typology: str
    subject: str = Field(description="account key, merchant id, token or address the rule fired on")
    window_start: datetime | None = None
    window_end: datetime | None = None
    score: float
    evidence_txn_ids: list[str] = []
    parameters: dict[str, object] = {}
    explanation: str = ""


class TraceEdge(BaseModel):
    src: str
    dst: str
    amount: Decimal
    currency: str
    ts: datetime
    txn_ids: list[str]
    attributed: Decimal
