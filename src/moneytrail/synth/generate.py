"""The generator's entry point: population, schemes, then ordinary life period by period, streamed to disk."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from moneytrail.errors import UserError
from moneytrail.synth import chain as chain_mod
from moneytrail.synth import clock, ordinary, ordinary_rows, reference, remittances, schemes, writers
from moneytrail.synth.chain import Chain
from moneytrail.synth.context import NAMESPACE, Context
from moneytrail.synth.frames import format_ts, schema
from moneytrail.synth.merchants import build_merchants
from moneytrail.synth.population import build_population
from moneytrail.synth.world import DAY, World

ROWS_PER_PERIOD = 500_000
# (member, kind) -> (file stem, format id, mapping or message)
TXN_FILES: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("bank_us", "camt"): ("bank_us/camt053", "iso20022", "camt.053.001.08"),
    ("bank_us", "pacs"): ("bank_us/pacs008", "iso20022", "pacs.008.001.08"),
    ("bank_gb", "camt"): ("bank_gb/camt053", "iso20022", "camt.053.001.08"),
    ("bank_gb", "pacs"): ("bank_gb/pacs008", "iso20022", "pacs.008.001.08"),
    ("cardnet", "clearing"): ("cardnet/clearing", "cards", None),
    ("remitter", "transfers"): ("remitter/transfers", "csv", "remitter_transfers"),
    ("p2p_app", "payments"): ("p2p_app/payments", "csv", "p2p_payments"),
    ("ewallet_ph", "ewallet"): ("ewallet_ph/transactions", "csv", "ewallet_ph_transactions"),
    ("exchange", "ledger"): ("exchange/ledger", "exchange", None),
}
Progress = Callable[[str, int, int], None]


@dataclass
class Summary:
    out: Path
    seed: int
    requested: int
    transactions: int = 0
    by_member: Counter[str] = field(default_factory=Counter)
    by_format: Counter[str] = field(default_factory=Counter)
    by_typology: Counter[str] = field(default_factory=Counter)
    schemes: Counter[str] = field(default_factory=Counter)
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exploitation_share(self) -> float:
        labelled = sum(v for k, v in self.by_typology.items() if k in schemes.EXPLOITATION)
        return labelled / max(self.transactions, 1)

    def as_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "seed": self.seed, "requested": self.requested,
                "transactions": self.transactions, "by_member": dict(sorted(self.by_member.items())),
                "by_format": dict(sorted(self.by_format.items())),
                "by_typology": dict(sorted(self.by_typology.items())), "schemes": dict(sorted(self.schemes.items())),
                "exploitation_share": round(self.exploitation_share, 6), "files": len(self.files)}


class _Output:
    def __init__(self, out: Path, summary: Summary) -> None:
        self.out = out
        self.summary = summary
        self.labels: list[pa.Table] = []

    def reference(self, path: str, member: str, fmt: str, mapping: str | None, table: pa.Table) -> None:
        writers.write_csv(table, self.out / path)
        entry: dict[str, Any] = {"path": path, "member_id": member, "format": fmt}
        if mapping:
            entry["mapping"] = mapping
        entry["rows"] = table.num_rows
        self.summary.files.append(entry)

    def movements(self, path: str, member: str, fmt: str, extra: dict[str, str], rows: int, labels: pa.Table) -> None:
        self.summary.files.append({"path": path, "member_id": member, "format": fmt, **extra, "rows": rows})
        self.summary.transactions += rows
        self.summary.by_member[member] += rows
        self.summary.by_format[fmt] += rows
        if labels.num_rows:
            self.labels.append(labels)
            for typ, count in Counter(labels.column("typology").to_pylist()).items():
                self.summary.by_typology[typ] += count


def _label_table(member: str, table: pa.Table) -> pa.Table:
    labelled = table.filter(pc.is_valid(table.column("_typ")))
    return pa.table({"member_id": pa.array([member] * labelled.num_rows, pa.string()),
                     "source_ref": labelled.column("_id"), "typology": labelled.column("_typ"),
                     "scheme_id": labelled.column("_sch")})


def _windows(world: World, periods: int) -> list[tuple[int, int]]:
    bounds = [round(p * world.days / periods) for p in range(periods + 1)]
    return [(bounds[p], bounds[p + 1]) for p in range(periods)]


def generate(out: Path, transactions: int, seed: int, config: Path | None = None,
             progress: Progress | None = None) -> Summary:
    """Write a synthetic coalition of about `transactions` movements into `out`."""
    if transactions < 1000:
        raise UserError("--transactions must be at least 1000")
    world = World.load(config)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise UserError(f"{out} is not empty: choose a new folder")
    summary = Summary(out=out, seed=seed, requested=transactions)
    output = _Output(out, summary)
    tick = progress or (lambda _stage, _done, _total: None)

    pop = build_population(np.random.default_rng([seed, 1]), world,
                           max(300, int(transactions * float(world["people_per_transaction"]))))
    some_names = [pop.full_name(i) for i in range(0, pop.n, max(pop.n // 200, 1))]
    merchants = build_merchants(np.random.default_rng([seed, 2]), world,
                                max(80, int(transactions * float(world["merchants_per_transaction"]))), some_names)
    btc = clock.btc_path(seed, world)
    scheme_chain = Chain(np.random.default_rng([seed, 3]), world.start, seed)
    ctx = Context(world=world, seed=seed, pop=pop, merchants=merchants, btc=btc,
                  rng=np.random.default_rng([seed, 4]), chain=scheme_chain)
    ctx.hot_wallets = scheme_chain.addresses(12)
    tick("schemes", 0, 1)
    schemes.run_all(ctx, transactions)
    _crypto_addresses(ctx)
    setup_rng = np.random.default_rng([seed, 5])
    ctx.rng = setup_rng
    cards = ordinary.build_cards(ctx)
    subscriptions = ordinary.build_subscriptions(ctx, cards)
    p2p_users = pop.holders("p2p_user")
    friends = ordinary.build_friends(ctx, p2p_users)
    reference.write_all(ctx, cards, out, output.reference)
    for _sid, typology, _params in ctx.schemes:
        summary.schemes[typology] += 1

    scheme_tables = {key: rows.table() for key, rows in ctx.rows.items()}
    scheme_rows = sum(t.num_rows for t in scheme_tables.values()) + len(scheme_chain.txs)
    ordinary_total = max(transactions - scheme_rows, 0)
    shares = {k: float(v) for k, v in world["shares"].items()}
    periods = max(6, math.ceil(transactions / ROWS_PER_PERIOD))
    windows = _windows(world, periods)
    for p, (first, last) in enumerate(windows):
        tick("periods", p, periods)
        frac = (last - first) / world.days
        target = {k: round(v * ordinary_total * frac) for k, v in shares.items()}
        pctx = Context(world=world, seed=seed, pop=pop, merchants=merchants, btc=btc,
                       rng=np.random.default_rng([seed, 100 + p]),
                       chain=Chain(np.random.default_rng([seed, 1000 + p]), world.start, seed),
                       id_base=(p + 1) * NAMESPACE)
        pctx.hot_wallets = ctx.hot_wallets
        pctx.chain.h160 = scheme_chain.h160  # one address book, so scripts need no decoding
        per = ordinary.Period(ctx=pctx, number=p + 1, first_day=first, last_day=last, cards=cards,
                              subscriptions=subscriptions, friends=friends, p2p_users=p2p_users)
        tables = _ordinary(per, target)
        window = (world.start + first * DAY, world.start + last * DAY)
        for key, table in scheme_tables.items():
            ts = table.column("_ts")
            mask = pc.and_(pc.greater_equal(ts, window[0]), pc.less(ts, window[1]))
            if p == 0:
                mask = pc.or_(mask, pc.less(ts, window[0]))
            if p == periods - 1:
                mask = pc.or_(mask, pc.greater_equal(ts, window[1]))
            tables.setdefault(key, []).append(table.filter(mask))
        _write_period(output, world, p + 1, window, tables)
        txs = [t for t in scheme_chain.txs if window[0] <= t["_ts"] < window[1]
               or (p == 0 and t["_ts"] < window[0]) or (p == periods - 1 and t["_ts"] >= window[1])]
        _write_chain(output, scheme_chain, p + 1, txs + pctx.chain.txs)
    tick("periods", periods, periods)
    output.reference("internet_co/site_reports.csv", "internet_co", "sites", None, reference.site_reports(ctx))
    summary.by_member["internet_co"] += 0
    _write_labels(out, ctx, output)
    _write_manifest(out, world, summary)
    return summary


def _crypto_addresses(ctx: Context) -> None:
    """Each exchange customer's unique deposit address and a self-custody wallet outside."""
    pop = ctx.pop
    who = pop.holders("exch_id")
    deposit = ctx.chain.addresses(len(who))
    own = ctx.chain.addresses(len(who))
    for col, values in (("deposit_address", deposit), ("own_wallet", own)):
        pop[col] = np.full(pop.n, None, dtype=object)
        pop[col][who] = values


def _ordinary(per: ordinary.Period, target: dict[str, int]) -> dict[tuple[str, str], list[pa.Table]]:
    ctx = per.ctx
    sent = remittances.remittances(per, target["remit"])
    ordinary_rows.exchange_sessions(per, target["ledger"])
    ordinary_rows.wires(per, target["pacs"])
    ordinary_rows.chain_background(per, max(target["chain"] - len(ctx.chain.txs), 0))
    tables: dict[tuple[str, str], list[pa.Table]] = {key: [rows.table()] for key, rows in ctx.rows.items()}
    for key, table in sent.items():
        tables.setdefault(key, []).append(table)
    payments, p2p_bank = ordinary.p2p_rows(per, target["p2p"])
    tables.setdefault(("p2p_app", "payments"), []).append(payments)
    tables.setdefault(("bank_us", "camt"), []).append(p2p_bank)

    def have(key: tuple[str, str]) -> int:
        return sum(t.num_rows for t in tables.get(key, []))

    key = ("ewallet_ph", "ewallet")
    tables.setdefault(key, []).append(ordinary.ewallet_rows(per, max(target["ewallet"] - have(key), 0)))
    for bank, share in (("bank_us", "camt_us"), ("bank_gb", "camt_gb")):
        key = (bank, "camt")
        tables.setdefault(key, []).append(ordinary.bank_rows(per, bank, max(target[share] - have(key), 0)))
    key = ("cardnet", "clearing")
    tables.setdefault(key, []).append(ordinary.card_rows(per, max(target["clearing"] - have(key), 0)))
    return tables


def _write_period(output: _Output, world: World, period: int, window: tuple[int, int],
                  tables: dict[tuple[str, str], list[pa.Table]]) -> None:
    for key in TXN_FILES:
        member, kind = key
        parts = [t.cast(schema(kind)) for t in tables.get(key, []) if t.num_rows]
        if not parts:
            continue
        table = pa.concat_tables(parts)
        table = writers.sort_rows(table.set_column(table.schema.get_field_index("_ts"), "_ts",
                                                   _inside(world, table.column("_ts"))))
        stem, fmt, extra = TXN_FILES[key]
        if kind == "camt":
            path = f"{stem}_p{period:02d}.xml"
            bic = world.member(member)["bic"]
            rows = writers.write_camt(table, output.out / path, member, bic, period, window,
                                      world.tz(world.member(member)["country"]))
            meta = {"message": str(extra)}
        elif kind == "pacs":
            path = f"{stem}_p{period:02d}.xml"
            created = format_ts(np.asarray([window[1] - 1]), np.asarray([0])).to_pylist()[0]
            rows = writers.write_pacs(table, output.out / path, member, world.member(member)["bic"], period, created)
            meta = {"message": str(extra)}
        else:
            path = f"{stem}_p{period:02d}.csv"
            writers.write_csv(writers.member_csv(kind, table), output.out / path)
            rows = table.num_rows
            meta = {"mapping": str(extra)} if extra else {}
        output.movements(path, member, fmt, meta, rows, _label_table(member, table))


def _inside(world: World, ts: pa.ChunkedArray) -> pa.Array:
    """Keep every movement inside the data span: one that spills over moves by a day, keeping its hour."""
    values = ts.to_numpy().astype(np.int64)
    values = np.where(values < world.start, values + DAY, values)
    values = np.where(values >= world.end, values - DAY, values)
    return pa.array(np.clip(values, world.start, world.end - 1))


def _write_chain(output: _Output, chain: Chain, period: int, txs: list[dict[str, Any]]) -> None:
    path = f"exchange/btc_transactions_p{period:02d}.jsonl"
    target = output.out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        chain_mod.write_jsonl(chain, txs, handle)
    labelled = [t for t in txs if t["_typ"]]
    labels = pa.table({"member_id": pa.array(["btc"] * len(labelled), pa.string()),
                       "source_ref": pa.array([t["hash"] for t in labelled], pa.string()),
                       "typology": pa.array([t["_typ"] for t in labelled], pa.string()),
                       "scheme_id": pa.array([t["_sch"] for t in labelled], pa.string())})
    output.movements(path, "exchange", "bitcoin-etl", {}, len(txs), labels)


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, str(path), compression="zstd", write_statistics=False)


def _write_labels(out: Path, ctx: Context, output: _Output) -> None:
    names = ["member_id", "account", "typology", "role", "scheme_id"]
    # an account counts as part of a scheme only once one of the scheme's movements touches it: a label on an
    # account the scheme never used (a payer's bank account when he paid by remitter) is not in the data at all
    used = {r for r in set(ctx.account_labels) if r[1] in ctx.touched.get(r[4], ())}
    rows = sorted(used, key=lambda r: (r[4], r[0], r[1], r[3]))
    accounts = pa.table({name: pa.array([r[k] for r in rows], pa.string()) for k, name in enumerate(names)})
    _write_parquet(accounts, out / "labels" / "accounts.parquet")
    empty = pa.table({n: pa.array([], pa.string()) for n in ("member_id", "source_ref", "typology", "scheme_id")})
    txns = pa.concat_tables(output.labels) if output.labels else empty
    txns = txns.sort_by([("scheme_id", "ascending"), ("member_id", "ascending"), ("source_ref", "ascending")])
    _write_parquet(txns, out / "labels" / "transactions.parquet")
    schemes_table = pa.table({"scheme_id": pa.array([s[0] for s in ctx.schemes], pa.string()),
                              "typology": pa.array([s[1] for s in ctx.schemes], pa.string()),
                              "parameters": pa.array([s[2] for s in ctx.schemes], pa.string())})
    _write_parquet(schemes_table, out / "labels" / "schemes.parquet")


def _write_manifest(out: Path, world: World, summary: Summary) -> None:
    start = np.datetime64(world.start, "s").astype("datetime64[D]")
    manifest = {
        "generator": "moneytrail-synth/1", "seed": summary.seed, "transactions": summary.requested,
        "start": str(start), "end": str(start + np.timedelta64(world.days, "D")),
        "members": [{k: m[k] for k in ("member_id", "name", "kind", "country")} for m in world["members"]],
        "files": summary.files,
        "counts": {"transactions": summary.transactions, "by_member": dict(sorted(summary.by_member.items())),
                   "by_format": dict(sorted(summary.by_format.items())),
                   "by_typology": dict(sorted(summary.by_typology.items())),
                   "schemes": dict(sorted(summary.schemes.items()))},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
