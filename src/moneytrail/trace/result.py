"""What a trace returns: the reached accounts and payments, with attributed value, as JSON, FtM or GEXF."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class TraceNode:
    id: str  # token, address, btctx:HASH or account key
    member: str | None = None  # member holding the account (None: external or on-chain)
    kind: str | None = None  # bank, ewallet, exchange, merchant, crypto_address, crypto_tx, external, ...
    role: str = "intermediary"  # start, intermediary, end
    risk: float = 0.0  # detector's score for the account, 1.0 when hotlisted
    hop: int = 0  # fewest hops from the start at which traced money reached it
    received: float = 0.0  # traced value that arrived
    sent: float = 0.0  # traced value passed on along traced payments
    retained: float = 0.0  # traced value it still holds (haircut, fifo); for poison, received
    account_keys: list[str] = field(default_factory=list)
    hotlisted: bool = False
    holder_kind: str | None = None  # person or company, when the member knows the holder


@dataclass
class TraceEdge:
    """The traced payments from one node to another (aggregated over transactions)."""

    source: str
    target: str
    amount: float  # total value of the payments, in `currency` (or the index's value unit)
    currency: str | None
    first_time: datetime
    last_time: datetime
    txn_ids: list[str]
    attributed: float  # how much of `value` is the traced money
    hop: int  # hops from the start (fewest over the payments)
    value: float = 0.0  # the payments' value in the unit attribution uses (USD where known)
    channel: str | None = None


@dataclass
class TraceResult:
    start: list[str]
    direction: str
    attribution: str
    hops: int
    nodes: list[TraceNode]
    edges: list[TraceEdge]
    since: datetime | None = None
    until: datetime | None = None
    min_amount: float = 0.0
    traced_value: float = 0.0  # value that left (forward) or reached (backward) the start
    dropped: float = 0.0  # traced value on payments below min_amount or the dust threshold
    cycles: list[list[str]] = field(default_factory=list)

    def node(self, node_id: str) -> TraceNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: {start, direction, ..., nodes: [...], edges: [...], cycles: [...]}."""

        def clean(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.astimezone(UTC).isoformat()
            if isinstance(value, float):
                return round(value, 8)
            if isinstance(value, list):
                return [clean(v) for v in value]
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            return value

        body = {
            "start": self.start,
            "direction": self.direction,
            "attribution": self.attribution,
            "hops": self.hops,
            "since": self.since,
            "until": self.until,
            "min_amount": self.min_amount,
            "traced_value": self.traced_value,
            "dropped": self.dropped,
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [asdict(e) for e in self.edges],
            "cycles": self.cycles,
        }
        return dict(clean(body))

    def to_ftm(self) -> list[dict[str, Any]]:
        """FollowTheMoney entities (dicts), made with followthemoney's own model."""
        from moneytrail.trace.export import ftm_entities

        return ftm_entities(self)

    def to_ftm_lines(self) -> str:
        """FtM JSON lines, one entity a line, as Aleph and `ftm` tools read them."""
        import json

        return "".join(json.dumps(entity, sort_keys=True) + "\n" for entity in self.to_ftm())

    def to_gexf(self) -> str:
        """GEXF 1.3 XML for Gephi."""
        from moneytrail.trace.export import gexf

        return gexf(self)
