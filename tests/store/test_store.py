"""The operational store works the same on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from moneytrail.store import Store, hash_api_key
from moneytrail.store.models import Alert, ApiKey, AuditEvent, Case, HotlistIndicator, Member, User


def test_migrate_and_round_trip(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    with store.session() as session:
        session.add(Member(member_id="bank_us", name="First Bank", kind="bank", country="US"))
        session.flush()
        session.add(User(member_id="bank_us", email="analyst@bank.example", name="Ana Lyst", role="analyst"))
    with store.session() as session:
        user = session.scalars(sa.select(User)).one()
        assert user.member is not None and user.member.name == "First Bank"
        user_id = user.user_id
    plain = store.issue_api_key(user_id)
    with store.session() as session:
        key = session.scalars(sa.select(ApiKey)).one()
        assert key.key_hash == hash_api_key(plain)
        assert plain not in key.key_hash
        case = Case(title="Sender cluster to PH", typology="lsac")
        session.add(case)
        session.flush()
        session.add(
            Alert(
                alert_id="a1", member_id="bank_us", rule_id="R01", typology="lsac", subject="bank_us:abc",
                score=Decimal("2.5"), evidence={"txn_ids": ["t1", "t2"]}, case_id=case.case_id,
            )
        )
        session.add(HotlistIndicator(kind="address", value="1Abc", chain="btc", typology="sanctions", source="OFAC"))
    store.audit("analyst@bank.example", "view", "case", "1", reason="triage")
    with store.session() as session:
        alert = session.get(Alert, "a1")
        assert alert is not None and alert.evidence["txn_ids"] == ["t1", "t2"] and alert.score == Decimal("2.5")
        event = session.scalars(sa.select(AuditEvent)).one()
        assert event.detail == {"reason": "triage"} and event.at is not None
    store.dispose()


def test_hotlist_rejects_duplicates(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    with store.session() as session:
        session.add(HotlistIndicator(kind="mid", value="M1", typology="csam", source="hotline"))
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(HotlistIndicator(kind="mid", value="M1", typology="csam", source="hotline"))
    store.dispose()


def test_downgrade_removes_everything(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    store.downgrade("base")
    names = set(sa.inspect(store.engine).get_table_names())
    assert names <= {"alembic_version"}
    store.upgrade()
    assert {"alerts", "cases", "hotlist", "audit_events", "members", "users", "api_keys"} <= set(
        sa.inspect(store.engine).get_table_names()
    )
    store.dispose()
