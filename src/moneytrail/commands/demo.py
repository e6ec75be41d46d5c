"""`moneytrail demo`: the whole flow on the embedded default, end to end.

generate a synthetic coalition → ingest every member's files → detect → measure against
the generator's labels → put the alerts in the analyst queue → summarise → serve the UI.
"""

from __future__ import annotations

import shutil
import time
from decimal import Decimal
from typing import Annotated, Any

import pyarrow as pa
import typer

from moneytrail.commands.common import HomeOption, JsonOption, console, emit_json, err_console, progress, resolve, table
from moneytrail.config import Settings
from moneytrail.store import Store
from moneytrail.store.models import Alert as StoredAlert


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        home: HomeOption = None,
        transactions: Annotated[
            int, typer.Option("--transactions", min=1000, help="How many transactions to generate.")
        ] = 20_000,
        seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 1,
        serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the UI afterwards.")] = True,
        port: Annotated[int, typer.Option(help="Port for the UI.")] = 8000,
        as_json: JsonOption = False,
    ) -> None:
        """Generate a synthetic coalition, ingest it, detect, measure against the labels, and summarise."""
        config = resolve(home)
        summary = run_demo(config, transactions, seed, show_progress=not as_json)
        if as_json:
            emit_json(summary)
        else:
            _print(summary)
        if serve:
            from moneytrail.commands.web import serve_app

            serve_app(config, "127.0.0.1", port)


def _fresh_warehouse(config: Settings) -> None:
    """The demo owns its home: start from an empty warehouse so numbers are the run's own."""
    for path in (config.warehouse_path, config.warehouse_path.with_suffix(".duckdb.wal"), config.home / "trace-index"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def run_demo(config: Settings, transactions: int, seed: int, show_progress: bool = True) -> dict[str, Any]:
    from moneytrail.commands.ingest import manifest_files
    from moneytrail.detect.evaluate import evaluate
    from moneytrail.detect.pipeline import detect
    from moneytrail.ingest import readers
    from moneytrail.synth import generate
    from moneytrail.tokens import load_key
    from moneytrail.warehouse import open_engine
    from moneytrail.warehouse.load import Loader, ingest_files

    timings: dict[str, float] = {}
    data_dir = config.home / "demo-coalition"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    _fresh_warehouse(config)
    store = Store(config.database_url)
    store.upgrade()
    store.audit("cli", "demo", "home", str(config.home), transactions=transactions, seed=seed)

    with progress(show_progress) as bar:
        task = bar.add_task("generate", total=None)
        started = time.perf_counter()
        generated = generate(
            data_dir, transactions, seed, None,
            progress=lambda stage, done, total: bar.update(task, description=f"generate: {stage}",
                                                           completed=done, total=total),
        )
        timings["generate"] = time.perf_counter() - started

        files, members = manifest_files(data_dir / "manifest.json")
        bar.update(task, description="ingest", completed=0, total=len(files))
        started = time.perf_counter()
        engine = open_engine(config)
        try:
            loader = Loader(engine, load_key(config.key_file), readers())
            loader.upsert_members(members)
            ingested = ingest_files(loader, files, on_file=lambda _done: bar.advance(task))
            timings["ingest"] = time.perf_counter() - started

            bar.update(task, description="detect", completed=0, total=None)
            started = time.perf_counter()
            detection = detect(engine)
            timings["detect"] = time.perf_counter() - started

            bar.update(task, description="evaluate against the generator's labels")
            started = time.perf_counter()
            # evaluate's own runs don't store, so the alerts written above stay in the warehouse
            quality = evaluate(engine, data_dir / "labels", load_key(config.key_file), lift=True)
            timings["evaluate"] = time.perf_counter() - started
            per_member = engine.query(
                "SELECT member_id, count(*) AS transactions FROM transactions GROUP BY member_id ORDER BY member_id"
            ).to_pylist()
        finally:
            engine.close()
    queued = _queue_alerts(store, detection.alerts)
    store.dispose()

    reportable = [s for s in detection.summary.to_pylist() if s.get("reportable")]
    by_typology: dict[str, int] = {}
    for typology in detection.alerts.column("typology").to_pylist():
        by_typology[typology] = by_typology.get(typology, 0) + 1
    return {
        "home": str(config.home),
        "seed": seed,
        "generated": {"transactions": generated.transactions, "files": len(generated.files),
                      "exploitation_share": generated.exploitation_share},
        "ingest": ingested.summary(),
        "transactions_per_member": per_member,
        "alerts": detection.alerts.num_rows,
        "alerts_by_typology": dict(sorted(by_typology.items(), key=lambda kv: -kv[1])),
        "reportable_subjects": len(reportable),
        "suspicious_networks": detection.networks,
        "queued_alerts": queued,
        "top_subjects": [
            {k: s[k] for k in ("subject", "total_score", "explanation")}
            for s in sorted(reportable, key=lambda s: -s["total_score"])[:10]
        ],
        "quality": quality,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }


def _queue_alerts(store: Store, alerts: pa.Table) -> int:
    """Alerts go into the operational store's queue, where analysts work them."""
    import json

    with store.session() as session:
        for row in alerts.to_pylist():
            session.merge(
                StoredAlert(
                    alert_id=str(row["alert_id"]), member_id=row.get("member_id"), rule_id=str(row["rule_id"]),
                    typology=str(row["typology"]), subject=str(row["subject"]),
                    score=Decimal(str(round(float(row["score"] or 0), 4))),
                    explanation=str(row.get("explanation") or ""),
                    evidence={"txn_ids": list(row.get("evidence_txn_ids") or [])[:200],
                              "parameters": json.loads(row["parameters"]) if row.get("parameters") else {}},
                )
            )
    queued: int = alerts.num_rows
    return queued


def _print(summary: dict[str, Any]) -> None:
    ingest = summary["ingest"]
    table("moneytrail demo", ["step", "result"], [
        ["generated", f"{summary['generated']['transactions']:,} transactions in {summary['generated']['files']} files"
                      f" ({summary['generated']['exploitation_share']:.3%} exploitation)"],
        ["ingested", f"{ingest['loaded']:,} loaded, {ingest['quarantined']:,} quarantined of {ingest['read']:,} read"],
        ["detected", f"{summary['alerts']:,} alerts, {summary['reportable_subjects']:,} reportable subjects "
                     f"in {summary['suspicious_networks']:,} networks"],
        ["seconds", ", ".join(f"{k} {v}" for k, v in summary["seconds"].items())],
        ["home", summary["home"]],
    ])
    table("alerts by typology", ["typology", "alerts"], [[k, v] for k, v in summary["alerts_by_typology"].items()])
    account = summary["quality"]["account"]
    table("found vs the generator's labels (accounts)", ["typology", "precision", "recall", "f1", "support"],
          [[t, f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}", m["support"]]
           for t, m in account.items()])
    lift = summary["quality"].get("lift")
    if lift:
        console.print(f"coalition lift: F1 {lift['single_member_f1']:.2f} on each member's data alone → "
                      f"{lift['coalition_f1']:.2f} on the coalition's tokens together")
    table("highest-risk subjects", ["subject", "score", "why"],
          [[s["subject"], f"{s['total_score']:.2f}", s["explanation"]] for s in summary["top_subjects"]])
    err_console.print(f"Look closer: moneytrail serve --home {summary['home']}  ·  "
                      f"moneytrail trace --home {summary['home']} --from SUBJECT --hops 4", highlight=False)


