"""The FastAPI application: `/v1/*` JSON API and the analyst UI, every request audited."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from moneytrail import __version__
from moneytrail.config import Settings, settings
from moneytrail.errors import UserError
from moneytrail.model.vocabulary import typologies, typology_title
from moneytrail.store import Store, hash_api_key
from moneytrail.store.models import ApiKey, User
from moneytrail.warehouse import literal
from moneytrail.web.deps import AppState

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
SUMMARY_TABLES = ("transactions", "accounts", "parties", "merchants", "wallets", "quarantine", "alerts")


def _actor(state: AppState, request: Request) -> str | None:
    """The user behind the request's API key; None for a bad key, 'local' without one."""
    key = request.headers.get("x-api-key")
    if not key:
        return "local"
    with state.store.session() as session:
        row = session.execute(
            sa.select(User.email).join(ApiKey, ApiKey.user_id == User.user_id).where(
                ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None)
            )
        ).first()
    return row[0] if row else None


def create_app(config: Settings | None = None) -> FastAPI:
    config = config or settings()
    require_key = os.environ.get("MONEYTRAIL_REQUIRE_API_KEY", "") in {"1", "true", "yes"}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(config.database_url)
        store.upgrade()
        app.state.mt = AppState(config=config, store=store)
        yield
        app.state.mt.close()

    app = FastAPI(title="moneytrail", version=__version__, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def audit_every_access(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        state: AppState = request.app.state.mt
        actor = _actor(state, request)
        if actor is None or (require_key and actor == "local" and request.url.path.startswith("/v1/")):
            state.store.audit(actor or "invalid-key", "denied", "http", request.url.path)
            return JSONResponse({"detail": "a valid X-API-Key is required"}, status_code=401)
        response = await call_next(request)
        if not request.url.path.startswith("/static"):
            state.store.audit(
                actor, request.method, "http", request.url.path,
                query=str(request.url.query), status=response.status_code,
            )
        return response

    def state_of(request: Request) -> AppState:
        mt: AppState = request.app.state.mt
        return mt

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/v1/summary")
    def summary(request: Request) -> dict[str, Any]:
        return _summary(state_of(request))

    @app.get("/v1/alerts")
    def alerts(
        request: Request,
        typology: str | None = None,
        subject: str | None = None,
        limit: int = Query(100, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        return _alerts(state_of(request), typology, subject, limit)

    @app.get("/v1/subjects/{subject:path}")
    def subject_detail(request: Request, subject: str) -> dict[str, Any]:
        state = state_of(request)
        risk = _risk(state, subject, 1)
        found = _alerts(state, None, subject, 1000)
        if not risk and not found:
            raise HTTPException(404, f"no alerts for {subject}")
        return {"subject": subject, "risk": risk[0] if risk else None, "alerts": found}

    @app.get("/v1/trace")
    def trace_api(
        request: Request,
        start: str = Query(..., alias="from", description="MEMBER:ACCOUNT, token, address, MID or URL"),
        hops: int = Query(4, ge=1, le=12),
        direction: str = Query("forward", pattern="^(forward|backward)$"),
        attribution: str = Query("haircut", pattern="^(haircut|poison|fifo)$"),
        min_amount: float = Query(0.0, ge=0),
    ) -> dict[str, Any]:
        from moneytrail.trace import trace

        state = state_of(request)
        try:
            with state.warehouse() as engine:
                if not engine.has_table("transactions"):
                    raise HTTPException(404, "no transactions loaded yet")
                result = trace(engine, start, hops, direction, attribution=attribution,
                               min_amount=min_amount, home=state.config.home)
        except UserError as error:
            raise HTTPException(404, str(error)) from error
        body: dict[str, Any] = result.to_json()
        return body

    @app.get("/trace", response_class=HTMLResponse)
    def trace_page(
        request: Request, start: str = Query("", alias="from"), hops: int = 4,
        direction: str = "forward", attribution: str = "haircut", share: float = 1.0,
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "trace.html",
            {"start": start, "hops": hops, "direction": direction, "attribution": attribution, "share": share,
             "title": "Follow the money"},
        )

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> HTMLResponse:
        state = state_of(request)
        data = _summary(state)
        return templates.TemplateResponse(
            request, "dashboard.html", {"summary": data, "top": _risk(state, None, 25), "title": "Overview"}
        )

    @app.get("/alerts", response_class=HTMLResponse)
    def alerts_page(request: Request, typology: str | None = None) -> HTMLResponse:
        rows = _alerts(state_of(request), typology, None, 500)
        return templates.TemplateResponse(
            request, "alerts.html", {"alerts": rows, "typology": typology, "title": "Alerts"}
        )

    @app.get("/subjects/{subject:path}", response_class=HTMLResponse)
    def subject_page(request: Request, subject: str) -> HTMLResponse:
        state = state_of(request)
        risk = _risk(state, subject, 1)
        return templates.TemplateResponse(
            request, "subject.html",
            {"subject": subject, "risk": risk[0] if risk else None, "alerts": _alerts(state, None, subject, 500),
             "title": subject},
        )

    return app


def _summary(state: AppState) -> dict[str, Any]:
    counts = {name: (int(state.query(f"SELECT count(*) FROM {name}").column(0)[0].as_py())
                     if state.has_table(name) else 0) for name in SUMMARY_TABLES}
    by_typology: list[dict[str, Any]] = []
    if state.has_table("alerts"):
        rows = state.query(
            "SELECT typology, count(*) AS alerts, count(DISTINCT subject) AS subjects "
            "FROM alerts GROUP BY typology ORDER BY alerts DESC"
        ).to_pylist()
        known = set(typologies())
        by_typology = [
            {**row, "title": typology_title(row["typology"]) if row["typology"] in known else row["typology"]}
            for row in rows
        ]
    networks: list[dict[str, Any]] = []
    if state.has_table("suspicious_networks"):
        networks = state.query(
            "SELECT component, nodes, flagged_nodes, total_score FROM suspicious_networks "
            "WHERE flagged_nodes > 0 ORDER BY total_score DESC, component LIMIT 15"
        ).to_pylist()
    return {"tables": counts, "alerts_by_typology": by_typology, "networks": networks}


def _alerts(state: AppState, typology: str | None, subject: str | None, limit: int) -> list[dict[str, Any]]:
    if not state.has_table("alerts"):
        return []
    where = ["TRUE"]
    if typology:
        where.append(f"typology = {literal(typology)}")
    if subject:
        where.append(f"subject = {literal(subject)}")
    sql = f"SELECT * FROM alerts WHERE {' AND '.join(where)} ORDER BY score DESC, alert_id LIMIT {int(limit)}"
    rows: list[dict[str, Any]] = state.query(sql).to_pylist()
    return rows


def _risk(state: AppState, subject: str | None, limit: int) -> list[dict[str, Any]]:
    if not state.has_table("risk_summary"):
        return []
    where = f"WHERE subject = {literal(subject)}" if subject else ""
    order = "ORDER BY 1" if subject else "ORDER BY total_score DESC, subject"
    columns = state.query("SELECT * FROM risk_summary LIMIT 0").column_names
    if "total_score" not in columns:
        order = "ORDER BY subject"
    sql = f"SELECT * FROM risk_summary {where} {order} LIMIT {int(limit)}"
    rows: list[dict[str, Any]] = state.query(sql).to_pylist()
    return rows
