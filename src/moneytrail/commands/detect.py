"""`moneytrail detect`, `score`, `evaluate` and `evaluate-amlsim`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moneytrail.commands.common import (
    EngineOption,
    HomeOption,
    JsonOption,
    emit_json,
    err_console,
    progress,
    resolve,
    table,
)
from moneytrail.errors import UserError

if TYPE_CHECKING:
    from moneytrail.detect.score.pool import Labelled

RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Folder of rule specs (*.yaml) instead of the built-in pack.")
]


def _open(home: Path | None, engine: str | None) -> Any:
    from moneytrail.warehouse import open_engine

    return open_engine(resolve(home, engine))


def _home_and_labels(item: str) -> tuple[Path, Path]:
    home, sep, labels = item.partition("=")
    if not sep or not home or not labels:
        raise UserError(f"--also-train takes HOME=LABELS (a warehouse folder and its labels folder), not {item!r}")
    if not Path(labels).is_dir():
        raise UserError(f"labels folder not found: {labels}")
    return Path(home), Path(labels)


def _training_part_of(warehouse: Any, labels: Path | None, key_file: Path) -> Labelled:
    """The warehouse's account features, who paid whom and holder links, and (with `labels`) its labelled accounts."""
    from moneytrail.detect.evaluate import load_labels
    from moneytrail.detect.prepare import prepare
    from moneytrail.detect.score.model import account_frame
    from moneytrail.detect.score.pool import Labelled
    from moneytrail.detect.score.stacking import score_links, score_pairs
    from moneytrail.tokens import load_key

    prepare(warehouse)
    frame = account_frame(warehouse)
    pairs, links = score_pairs(warehouse), score_links(warehouse)
    accounts = load_labels(labels, load_key(key_file), warehouse).accounts if labels is not None else {}
    return Labelled(frame, accounts, pairs, links)


def _training_part(home: Path, labels: Path, engine: str | None) -> Labelled:
    if not home.is_dir():
        raise UserError(f"warehouse folder not found: {home}")
    config = resolve(home, engine)
    with _open(home, engine) as warehouse:
        return _training_part_of(warehouse, labels, config.key_file)


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_command(
        home: HomeOption = None,
        engine: EngineOption = None,
        rules: RulesOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Run the rule pack over the warehouse: alerts (one per rule hit) and a risk summary per subject."""
        from moneytrail.detect.pipeline import detect
        from moneytrail.detect.rulespec import load_rules

        specs = load_rules(rules)
        with _open(home, engine) as warehouse, progress(not as_json) as bar:
            task = bar.add_task("rules", total=len(specs))
            result = detect(warehouse, specs=specs, on_rule=lambda _spec: bar.advance(task))
        summary = result.summary.to_pylist()
        reportable = [s for s in summary if s["reportable"]]
        per_rule = {run.spec.id: run.alerts for run in result.runs}
        if as_json:
            emit_json(
                {
                    "alerts": result.alerts.num_rows,
                    "subjects": len(summary),
                    "reportable": len(reportable),
                    "networks": result.networks,
                    "per_rule": per_rule,
                    "top": [
                        {k: s[k] for k in ("subject_kind", "subject", "total_score", "explanation")}
                        for s in sorted(reportable, key=lambda s: -s["total_score"])[:20]
                    ],
                }
            )
            return
        table(
            "alerts per rule",
            ["rule", "typology", "alerts"],
            [[run.spec.id, run.spec.typology, run.alerts] for run in result.runs],
        )
        table(
            "highest risk",
            ["subject", "score", "explanation"],
            [
                [s["subject"], f"{s['total_score']:g}", s["explanation"]]
                for s in sorted(reportable, key=lambda s: -s["total_score"])[:15]
            ],
        )
        err_console.print(
            f"{result.alerts.num_rows:,} alerts, {len(reportable):,} reportable subjects "
            f"in {result.networks:,} suspicious networks (table suspicious_networks)"
        )

    @app.command("score")
    def score_command(
        home: HomeOption = None,
        engine: EngineOption = None,
        train_labels: Annotated[
            Path | None, typer.Option("--train", help="Labels folder (labels/accounts.parquet) to train a new model.")
        ] = None,
        model: Annotated[
            Path | None, typer.Option("--model", help="Model file (default HOME/models/score.json).")
        ] = None,
        also_train: Annotated[
            list[str] | None,
            typer.Option(
                "--also-train",
                help="HOME=LABELS: another labelled warehouse (an earlier period, a sister coalition) pooled into "
                "training; with several, each warehouse is held out in turn to set the thresholds. Repeatable.",
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Apply (or first train) the LightGBM score over rule hits and graph features; writes `account_scores`."""
        from moneytrail.detect.score.model import apply, train
        from moneytrail.detect.score.pool import pool

        config = resolve(home, engine)
        model_file = model or config.home / "models" / "score.json"
        extra = [_home_and_labels(item) for item in also_train or []]
        if extra and train_labels is None:
            raise UserError("--also-train pools warehouses for training: give this warehouse's labels with --train")
        parts = [_training_part(other, labels, engine) for other, labels in extra]  # each opened and closed in turn
        with _open(home, engine) as warehouse:
            own = _training_part_of(warehouse, train_labels, config.key_file)
            trained: dict[str, Any] | None = None
            if train_labels is not None:
                pooled = pool([own, *parts])
                trained = train(pooled.frame, pooled.labelled, model_file, pairs=pooled.pairs, links=pooled.links,
                                sources=pooled.sources)
            scores = apply(own.frame, model_file, pairs=own.pairs, links=own.links)
            warehouse.write_table("account_scores", scores)
        flagged = int(sum(scores.column("flagged").to_pylist()))
        if as_json:
            emit_json({"accounts": scores.num_rows, "flagged": flagged, "model": str(model_file), "trained": trained})
            return
        if trained:
            fields = ("kind", "training_range", "split", "accounts")
            table("model", ["field", "value"], [[k, str(trained[k])] for k in fields])
            table(
                "per typology (test: accounts first seen late in the period)",
                ["typology", "labelled", "threshold", "precision", "recall", "f1"],
                [
                    [t, m["support"], f"{m['threshold']:.3f}"]
                    + [f"{m['metrics'].get(k, 0):.3f}" for k in ("precision", "recall", "f1")]
                    for t, m in trained["typologies"].items()
                ],
            )
        top = sorted((r for r in scores.to_pylist() if r["flagged"]), key=lambda r: -r["score"])[:10]
        if top:
            table("highest-scored accounts", ["account", "why"], [[r["node"], r["explanation"]] for r in top])
        err_console.print(f"{scores.num_rows:,} accounts scored, {flagged:,} flagged (model {model_file})")

    @app.command("evaluate")
    def evaluate_command(
        labels: Annotated[Path, typer.Option("--labels", help="The generator's labels folder.")],
        home: HomeOption = None,
        engine: EngineOption = None,
        rules: RulesOption = None,
        no_lift: Annotated[bool, typer.Option("--no-lift", help="Skip the single-member runs.")] = False,
        model: Annotated[
            Path | None, typer.Option("--model", help="Score accounts with this trained model (from `score --train`).")
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Precision, recall and F1 per typology (accounts and transactions) and the coalition's lift."""
        from moneytrail.detect.evaluate import evaluate
        from moneytrail.detect.rulespec import load_rules
        from moneytrail.tokens import load_key

        if not labels.is_dir():
            raise UserError(f"labels folder not found: {labels}")
        config = resolve(home, engine)
        with _open(home, engine) as warehouse:
            report = evaluate(
                warehouse, labels, load_key(config.key_file), load_rules(rules), lift=not no_lift, model=model
            )
        if as_json:
            emit_json(report)
            return
        for level in ("account", "transaction"):
            table(
                f"{level} level",
                ["typology", "precision", "recall", "f1", "support"],
                [[t, m["precision"], m["recall"], m["f1"], m["support"]] for t, m in report[level].items()],
            )
        if "lift" in report:
            err_console.print(
                f"lift: single-member F1 {report['lift']['single_member_f1']} -> "
                f"coalition F1 {report['lift']['coalition_f1']}"
            )

    @app.command("evaluate-amlsim")
    def evaluate_amlsim_command(
        folder: Annotated[Path, typer.Argument(help="AMLSim sample folder (nodes.csv, transactions.csv).")],
        baseline: Annotated[bool, typer.Option("--baseline", help="Degree and amount features only.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Account-level precision, recall, F1 and PR-AUC (seeds 0-4, stratified 50/50 split)."""
        from moneytrail.detect.amlsim import evaluate_amlsim

        with progress(not as_json) as bar:
            task = bar.add_task("seeds", total=5)
            report = evaluate_amlsim(folder, baseline=baseline, on_seed=lambda _s: bar.advance(task))
        if as_json:
            emit_json(report)
            return
        table(
            report["detector"],
            ["metric", "mean", "std"],
            [[k, report[k]["mean"], report[k]["std"]] for k in ("precision", "recall", "f1", "pr_auc")],
        )
