"""Rule specs: one YAML file per rule, compiled to DuckDB SQL that the engines translate.

A spec's `sql` is a Jinja template that selects one row per evidence transaction:
`subject, txn_id, weight` (weight multiplies the rule's score). The template sees
`p` (the parameters, defaults overridden per run), `hits(rule_id)` (the evidence rows
of an earlier rule, for rules defined as "rule N and ..."), `burst_starts(rule_id, hours)`
(where each run of that rule's evidence payments per subject starts), `payout_senders()` (the
real sender of a payout leg that names the remittance partner), and the reference-data
helpers `in_list`, `mcc`, `keywords`, `merchant`, `values_in`, `days` and `hours`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from moneytrail.detect import lists
from moneytrail.errors import UserError
from moneytrail.warehouse.engine import check_name, literal

RULES_DIR = Path(__file__).with_name("rules")
SUBJECT_KINDS = ("account", "token", "merchant", "address")

_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    description: str = ""
    proposed: bool = False


@dataclass(frozen=True)
class RuleSpec:
    id: str
    number: int
    typology: str
    title: str
    description: str
    sources: tuple[str, ...]
    subject_kind: str
    score: float
    sql: str
    explain: str
    hard: bool = False
    coalition: bool = False
    after: tuple[str, ...] = ()
    parameters: dict[str, Parameter] = field(default_factory=dict)
    path: Path | None = None

    def values(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Parameter values for a run: defaults, then overrides for this rule's known parameters."""
        out = {name: param.default for name, param in self.parameters.items()}
        for name, value in (overrides or {}).items():
            if name not in self.parameters:
                raise UserError(f"rule {self.id} has no parameter {name!r}")
            out[name] = value
        return out


def hits_table(rule_id: str) -> str:
    return check_name(f"hits_{rule_id}")


def burst_starts(rule_id: str, gap_hours: float) -> str:
    """A subquery of `(subject, burst_t)`: each evidence payment of `rule_id` that follows no other
    of the same subject within `gap_hours` starts a burst. Rules stated "within N of a burst" judge
    each burst on its own, so an earlier, unrelated burst does not move their window."""
    gap = int(float(gap_hours) * 3600)
    return f"""(SELECT DISTINCT subject, t_s AS burst_t FROM (
        SELECT h.subject, d.t_s, lag(d.t_s) OVER (PARTITION BY h.subject ORDER BY d.t_s) AS prev_t
        FROM {hits_table(rule_id)} h JOIN detect_txn d ON d.txn_id = h.txn_id) evidence
    WHERE prev_t IS NULL OR t_s - prev_t > {gap})"""


def payout_senders() -> str:
    """A subquery of `(txn_id, src_token, src_surname)`: for each payout leg that names the
    remittance partner where the sender should be (an e-wallet credit carrying `partner_ref=`), the
    sender in the remitter's own record of that transfer: another member's row with that id and
    the same beneficiary token. Rules that count senders take this one, so the partner is not
    counted as a sender and the same transfer not as two (coalition)."""
    return """(SELECT p.txn_id, s.src_token, s.src_surname FROM (
        SELECT txn_id, member_id, dst_token,
            nullif(regexp_extract(reference, 'partner_ref=([a-z0-9_-]+)', 1), '') AS ref
        FROM detect_txn WHERE reference LIKE '%partner_ref=%') p
    JOIN (SELECT lower(regexp_extract(txn_id, ':([^:]+)$', 1)) AS ref, member_id, dst_token, src_token, src_surname
        FROM detect_txn WHERE dst_token IS NOT NULL) s
    ON s.ref = p.ref AND s.member_id <> p.member_id AND s.dst_token = p.dst_token)"""


def load_spec(path: Path) -> RuleSpec:
    try:
        raw = yaml.safe_load(path.read_text())
        params = {
            name: Parameter(name, spec["default"], spec.get("description", ""), bool(spec.get("proposed", False)))
            for name, spec in (raw.get("parameters") or {}).items()
        }
        spec = RuleSpec(
            id=check_name(raw["id"]),
            number=int(raw["number"]),
            typology=str(raw["typology"]),
            title=str(raw["title"]),
            description=str(raw.get("description", "")).strip(),
            sources=tuple(raw.get("sources", [])),
            subject_kind=str(raw.get("subject_kind", "account")),
            score=float(raw.get("score", 1.0)),
            sql=str(raw["sql"]),
            explain=str(raw.get("explain", raw["title"])).strip(),
            hard=bool(raw.get("hard", False)),
            coalition=bool(raw.get("coalition", False)),
            after=tuple(raw.get("after", [])),
            parameters=params,
            path=path,
        )
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise UserError(f"bad rule spec {path}: {error}") from None
    if spec.subject_kind not in SUBJECT_KINDS:
        raise UserError(f"bad rule spec {path}: subject_kind must be one of {SUBJECT_KINDS}")
    return spec


def load_rules(directory: Path | None = None) -> list[RuleSpec]:
    """All specs in a folder, ordered so that every rule comes after the rules it builds on."""
    folder = directory or RULES_DIR
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise UserError(f"no rule specs (*.yaml) in {folder}")
    specs = {s.id: s for s in (load_spec(p) for p in paths)}
    ordered: list[RuleSpec] = []
    seen: set[str] = set()

    def visit(spec: RuleSpec, stack: tuple[str, ...]) -> None:
        if spec.id in seen:
            return
        if spec.id in stack:
            raise UserError(f"rule dependency cycle: {' -> '.join((*stack, spec.id))}")
        for dep in spec.after:
            if dep not in specs:
                raise UserError(f"rule {spec.id} builds on unknown rule {dep}")
            visit(specs[dep], (*stack, spec.id))
        seen.add(spec.id)
        ordered.append(spec)

    for spec in sorted(specs.values(), key=lambda s: (s.number, s.id)):
        visit(spec, ())
    return ordered


def render_template(text: str, **extra: Any) -> str:
    """DuckDB SQL from a template with the rules' helpers (lists, keywords, MCC sets, hits, ...)."""
    return _env.from_string(text).render(
        hits=hits_table,
        burst_starts=burst_starts,
        payout_senders=payout_senders,
        in_list=lists.sql_in,
        mcc=lists.sql_mcc,
        keywords=lists.sql_keywords,
        merchant=lists.sql_merchant,
        values_in=lambda vals: "(" + ", ".join(literal(v) for v in vals) + ")",
        days=lambda n: int(float(n) * 86400),
        hours=lambda n: int(float(n) * 3600),
        **extra,
    )


def render(spec: RuleSpec, values: dict[str, Any]) -> str:
    """The rule's evidence query (DuckDB SQL): one row per (subject, txn_id) with its weight."""
    try:
        body = render_template(spec.sql, p=values)
    except jinja2.TemplateError as error:
        raise UserError(f"rule {spec.id}: {error}") from None
    return (
        "SELECT subject, txn_id, max(CAST(weight AS DOUBLE)) AS weight FROM (\n"
        + body
        + "\n) rule_rows WHERE subject IS NOT NULL AND txn_id IS NOT NULL GROUP BY subject, txn_id"
    )
