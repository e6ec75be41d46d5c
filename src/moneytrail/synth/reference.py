"""Each member's KYC and reference files (customers, accounts, cards, merchants, site reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from moneytrail.synth.context import Context
from moneytrail.synth.frames import format_amount, format_ts
from moneytrail.synth.world import DAY

KYC = ["full_name", "given_name", "surname", "birth_date", "gender", "country", "address", "city"]


def _date(days: np.ndarray | list[Any]) -> list[str | None]:
    out: list[str | None] = []
    for d in days:
        out.append(None if d is None else str(np.datetime64(int(d), "D")))
    return out


def _people(ctx: Context, who: np.ndarray) -> dict[str, Any]:
    pop = ctx.pop
    return {"full_name": pop.names(who).astype(object), "given_name": pop["given"][who],
            "surname": pop["surname"][who], "birth_date": pop["birth_date"][who], "gender": pop["gender"][who],
            "country": pop["country"][who], "address": pop["address"][who], "city": pop["city"][who],
            "region": pop["region"][who], "phone": pop["phone"][who], "email": pop["email"][who],
            "device_id": pop["device"][who], "since": _date(pop["since"][who])}


def _table(columns: list[str], data: dict[str, Any]) -> pa.Table:
    return pa.table({c: pa.array(list(data[c]), pa.string()) for c in columns})


def _ordered(pop_col: np.ndarray, who: np.ndarray) -> np.ndarray:
    return who[np.argsort(pop_col[who].astype(str), kind="stable")]


def bank_files(ctx: Context, bank: str) -> tuple[pa.Table, pa.Table]:
    pop = ctx.pop
    who = _ordered(pop[f"{bank}_cust"], pop.holders(f"{bank}_cust"))
    people = _people(ctx, who)
    people["customer_id"] = pop[f"{bank}_cust"][who]
    customers = _table(["customer_id", *KYC, "region", "phone", "email", "device_id", "customer_since"],
                       {**people, "customer_since": people["since"]})
    rows: dict[str, list[Any]] = {k: [] for k in ("account", "customer_id", "account_type", "currency", "opened_at",
                                                  "co_signer_customer_id", "branch_id")}
    ccy = "USD" if bank == "bank_us" else "GBP"
    for col, kind in (("acct", "checking"), ("savings", "savings"), ("debit", "debit_card"),
                      ("credit", "credit_card")):
        holders = who[pop[f"{bank}_{col}"][who] != None]  # noqa: E711
        cosigner = pop["cosigner"][holders]
        rows["account"] += list(pop[f"{bank}_{col}"][holders])
        rows["customer_id"] += list(pop[f"{bank}_cust"][holders])
        rows["account_type"] += [kind] * len(holders)
        rows["currency"] += [ccy] * len(holders)
        rows["opened_at"] += _date(pop["since"][holders] + (7 if col != "acct" else 0))
        rows["co_signer_customer_id"] += [pop[f"{bank}_cust"][c] if c >= 0 else None for c in cosigner.tolist()]
        rows["branch_id"] += [f"BR{(int(h) * 37) % 400:03d}" for h in holders.tolist()]
    return customers, _table(list(rows), rows)


def remitter_customers(ctx: Context) -> pa.Table:
    pop = ctx.pop
    who = _ordered(pop["remit_id"], pop.holders("remit_id"))
    data = _people(ctx, who)
    data.update(customer_id=pop["remit_id"][who], registered_at=data["since"])
    return _table(["customer_id", *KYC, "phone", "email", "device_id", "registered_at"], data)


def p2p_users(ctx: Context) -> pa.Table:
    pop = ctx.pop
    who = _ordered(pop["p2p_user"], pop.holders("p2p_user"))
    data = _people(ctx, who)
    cosigner = pop["cosigner"][who]
    data.update(user_id=pop["p2p_user"][who], handle=pop["p2p_handle"][who], state=data["region"],
                created_at=data["since"],
                co_signer_user_id=[pop["p2p_user"][c] if c >= 0 else None for c in cosigner.tolist()])
    return _table(["user_id", "handle", "full_name", "given_name", "surname", "birth_date", "gender", "country",
                   "state", "address", "city", "phone", "email", "device_id", "created_at", "co_signer_user_id"], data)


def ewallet_wallets(ctx: Context) -> pa.Table:
    pop = ctx.pop
    who = _ordered(pop["wallet"], pop.holders("wallet"))
    data = _people(ctx, who)
    data.update(wallet_no=pop["wallet"][who], province=data["region"], registered_at=data["since"],
                verification_level=np.where((who * 31) % 10 < 7, "full", "basic").astype(object))
    return _table(["wallet_no", "full_name", "given_name", "surname", "birth_date", "gender", "address", "city",
                   "province", "email", "device_id", "verification_level", "registered_at"], data)


def exchange_customers(ctx: Context) -> pa.Table:
    pop = ctx.pop
    who = _ordered(pop["exch_id"], pop.holders("exch_id"))
    data = _people(ctx, who)
    data.update(account_id=pop["exch_id"][who], created_at=data["since"],
                kyc_level=np.where((who * 17) % 10 < 8, "verified", "basic").astype(object))
    return _table(["account_id", *KYC, "phone", "email", "device_id", "kyc_level", "created_at"], data)


def cards_file(ctx: Context, cards: dict[str, np.ndarray]) -> pa.Table:
    order = np.argsort(cards["pan"].astype(str), kind="stable")
    pop = ctx.pop
    return _table(["pan", "issuer_id", "issuer_country", "product", "issued_at"], {
        "pan": cards["pan"][order], "issuer_id": cards["issuer"][order], "issuer_country": cards["country"][order],
        "product": np.where(cards["product"][order] == "prepaid", "prepaid", cards["product"][order]),
        "issued_at": _date(pop["since"][cards["person"][order]] + 10)})


def merchants_file(ctx: Context) -> pa.Table:
    m = ctx.merchants
    volume = format_amount(np.asarray(m["projected_monthly_volume_usd"], dtype=np.int64), 2)
    data = {k: m[k] for k in ("mid", "acquirer_id", "legal_name", "dba_name", "descriptor", "mcc", "country", "city",
                              "declared_url", "termination_reason", "principal_name")}
    data["onboarded_at"] = _date(m["onboarded_at"])
    data["terminated_at"] = _date(m["terminated_at"])
    table = _table(["mid", "acquirer_id", "legal_name", "dba_name", "descriptor", "mcc", "country", "city",
                    "declared_url", "onboarded_at", "terminated_at", "termination_reason", "principal_name"], data)
    table = table.add_column(12, "projected_monthly_volume_usd", volume)
    return table.sort_by("mid")


def site_reports(ctx: Context) -> pa.Table:
    sites = sorted(ctx.sites, key=lambda s: (s["reported_at"], s["url"]))
    tz = ctx.world.tz("US")
    cols = ["report_id", "reported_at", "url", "category", "payment_methods_seen", "test_purchase_result",
            "test_purchase_at", "test_purchase_mid", "test_purchase_descriptor", "test_purchase_crypto_address",
            "test_purchase_amount", "test_purchase_currency"]
    data: dict[str, list[Any]] = {c: [] for c in cols}
    for k, site in enumerate(sites):
        for c in cols:
            data[c].append(site.get(c))
        data["report_id"][-1] = f"SR{10_000_000 + k * 37:08d}"
        data["reported_at"][-1] = format_ts(np.asarray([site["reported_at"]]), np.asarray([tz])).to_pylist()[0]
        if site.get("test_purchase_at") is not None:
            data["test_purchase_at"][-1] = format_ts(np.asarray([site["test_purchase_at"]]),
                                                     np.asarray([tz])).to_pylist()[0]
        if site.get("test_purchase_amount") is not None:
            data["test_purchase_amount"][-1] = f"{site['test_purchase_amount']:.2f}"
    return _table(cols, data)


def write_all(ctx: Context, cards: dict[str, np.ndarray], out: Path, write: Any) -> None:
    """`write(path, member_id, format, mapping, table)` records each file in the manifest."""
    for bank in ("bank_us", "bank_gb"):
        customers, accounts = bank_files(ctx, bank)
        write(f"{bank}/customers.csv", bank, "csv", "kyc_bank", customers)
        write(f"{bank}/accounts.csv", bank, "csv", "bank_accounts", accounts)
    write("cardnet/merchants.csv", "cardnet", "csv", "card_merchants", merchants_file(ctx))
    write("cardnet/cards.csv", "cardnet", "csv", "card_accounts", cards_file(ctx, cards))
    write("remitter/customers.csv", "remitter", "csv", "kyc_remitter", remitter_customers(ctx))
    write("p2p_app/users.csv", "p2p_app", "csv", "kyc_p2p", p2p_users(ctx))
    write("ewallet_ph/wallets.csv", "ewallet_ph", "csv", "kyc_ewallet_ph", ewallet_wallets(ctx))
    write("exchange/customers.csv", "exchange", "csv", "kyc_exchange", exchange_customers(ctx))
    _ = out, DAY
