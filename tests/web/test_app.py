"""The API and UI answer from the warehouse, and every access is audited."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from moneytrail.config import settings
from moneytrail.store import Store
from moneytrail.store.models import AuditEvent, User
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.web.app import create_app


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with DuckDBEngine(tmp_path / "warehouse.duckdb") as engine:
        engine.write_table(
            "alerts",
            pa.table({
                "alert_id": ["a1", "a2", "a3"],
                "rule_id": ["R03", "R01", "R22"],
                "typology": ["lsac", "lsac", "csam_crypto"],
                "subject": ["ewallet_ph:tok1", "ewallet_ph:tok1", "bc1qvendor"],
                "score": [3.0, 1.5, 2.0],
                "evidence_txn_ids": [["t1", "t2"], ["t3"], ["t9"]],
                "explanation": ["7 senders in consumer countries in 30 days", "small frequent remittances",
                                "recurring"],
            }),
        )
        engine.write_table(
            "suspicious_networks",
            pa.table({"component": ["tok1", "quiet"], "nodes": [5, 3], "flagged_nodes": [2, 0],
                      "total_score": [4.5, 0.0]}),
        )
        engine.write_table(
            "risk_summary",
            pa.table({"subject": ["ewallet_ph:tok1", "bc1qvendor"], "total_score": [4.5, 2.0],
                      "explanation": ["R03 + R01", "R22"]}),
        )
    return tmp_path


def _client(home: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("MONEYTRAIL_DATABASE_URL", f"sqlite:///{home / 'store.db'}")
    return TestClient(create_app(settings(home)))


def test_api_and_pages(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _client(home, monkeypatch) as client:
        summary = client.get("/v1/summary").json()
        assert summary["tables"]["alerts"] == 3
        assert summary["networks"] == [{"component": "tok1", "nodes": 5, "flagged_nodes": 2, "total_score": 4.5}]
        assert summary["alerts_by_typology"][0] == {
            "typology": "lsac", "alerts": 2, "subjects": 1, "title": summary["alerts_by_typology"][0]["title"]
        }
        lsac = client.get("/v1/alerts", params={"typology": "lsac"}).json()
        assert [a["alert_id"] for a in lsac] == ["a1", "a2"]
        detail = client.get("/v1/subjects/ewallet_ph:tok1").json()
        assert detail["risk"]["total_score"] == 4.5 and len(detail["alerts"]) == 2
        assert client.get("/v1/subjects/nobody").status_code == 404
        page = client.get("/")
        assert page.status_code == 200 and "ewallet_ph:tok1" in page.text and "Alerts by typology" in page.text
        assert "Suspicious networks" in page.text and "/trace?from=tok1" in page.text
        assert "7 senders" in client.get("/alerts").text
        assert client.get("/subjects/bc1qvendor").status_code == 200
    store = Store(f"sqlite:///{home / 'store.db'}")
    with store.session() as session:
        paths = [e.object_id for e in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.event_id))]
    assert paths[:3] == ["/v1/summary", "/v1/alerts", "/v1/subjects/ewallet_ph:tok1"]
    store.dispose()


def test_api_key_required_when_configured(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONEYTRAIL_REQUIRE_API_KEY", "1")
    store = Store(f"sqlite:///{home / 'store.db'}")
    store.upgrade()
    with store.session() as session:
        user = User(email="analyst@bank.example", name="Ana", role="analyst")
        session.add(user)
        session.flush()
        user_id = user.user_id
    key = store.issue_api_key(user_id)
    with _client(home, monkeypatch) as client:
        assert client.get("/v1/alerts").status_code == 401
        assert client.get("/v1/alerts", headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.get("/v1/alerts", headers={"X-API-Key": key}).status_code == 200
    with store.session() as session:
        actors = {e.actor for e in session.scalars(sa.select(AuditEvent))}
    assert {"analyst@bank.example", "invalid-key"} <= actors
    store.dispose()


def test_trace_api_and_page(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from moneytrail.model.schemas import TRANSACTIONS

    start = datetime(2026, 3, 1, tzinfo=UTC)
    hops = [("payer", "mule", 100), ("mule", "operator", 80), ("operator", "elsewhere", 10)]
    rows = {f.name: [] for f in TRANSACTIONS}
    for i, (src, dst, amount) in enumerate(hops):
        values = {
            "txn_id": f"p2p:t{i}", "member_id": "p2p", "ts": start + timedelta(hours=i), "amount": Decimal(amount),
            "currency": "USD", "amount_usd": Decimal(amount), "channel": "p2p", "src_account": f"p2p:{src}",
            "dst_account": f"p2p:{dst}", "src_token": src, "dst_token": dst,
        }
        for name, column in rows.items():
            column.append(values.get(name))
    with DuckDBEngine(home / "warehouse.duckdb") as engine:
        engine.write_table("transactions", pa.table(rows, schema=TRANSACTIONS))
    with _client(home, monkeypatch) as client:
        body = client.get("/v1/trace", params={"from": "payer", "hops": 3}).json()
        reached = {node["id"] for node in body["nodes"]}
        assert {"payer", "mule", "operator", "elsewhere"} <= reached
        to_operator = next(e for e in body["edges"] if e["source"] == "mule" and e["target"] == "operator")
        assert to_operator["attributed"] == pytest.approx(80.0)
        assert client.get("/v1/trace", params={"from": "nobody-at-all"}).status_code == 404
        page = client.get("/trace", params={"from": "payer"})
        assert page.status_code == 200 and "cytoscape" in page.text
