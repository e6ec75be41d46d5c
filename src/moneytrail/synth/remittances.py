"""Ordinary remittances, vectorised: the remitter's transfer, the funding bank's debit, the
PesoPocket credit and the relative's cash-out, all linked by the transfer id.

Most go to relatives (shared surname, declared relationship and purpose); some go to friends
or partners with no family link (each sender's own one or two), in small even amounts, late at
night: the look-alikes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from moneytrail.synth import clock
from moneytrail.synth.frames import make_table
from moneytrail.synth.ordinary import Period

PURPOSE = {"parent": "family_support", "sibling": "family_support", "child": "education", "relative": "family_support",
           "spouse": "family_support", "other": "gift", "friend": "gift", "partner": "family_support"}
BANK_CCY = {"bank_us": "USD", "bank_gb": "GBP"}


def _where(mask: Any, yes: Any, no: Any) -> np.ndarray:
    out: np.ndarray = np.where(mask, yes, no)
    return out


def _pick(rng: np.random.Generator, items: list[str], n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), size=n)]


def _lookup(table: dict[str, Any], keys: np.ndarray) -> np.ndarray:
    codes, inverse = np.unique(keys.astype(str), return_inverse=True)
    return np.asarray([table[c] for c in codes], dtype=object)[inverse]


def _cents(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64) * 100).astype(np.int64)


def _friends(wallets: np.ndarray, who: np.ndarray, second: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(wallet holder, relationship) of each transfer to a friend or partner abroad: one of the
    sender's own two, the same in every period (a fixed hash of sender, slot and seed), not a
    stranger drawn afresh for each transfer: people send money to people they know."""
    mixed = (who.astype(np.uint64) << np.uint64(1)) | second.astype(np.uint64)
    mixed = mixed + np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):  # splitmix64's finaliser
        mixed = (mixed ^ (mixed >> np.uint64(shift))) * np.uint64(factor)
    mixed = mixed ^ (mixed >> np.uint64(31))
    kinds = np.asarray(["friend", "partner", "other"], dtype=object)
    return wallets[(mixed % np.uint64(len(wallets))).astype(np.int64)], kinds[(mixed >> np.uint64(40)) % np.uint64(3)]


def remittances(per: Period, n: int) -> dict[tuple[str, str], pa.Table]:
    ctx = per.ctx
    rng, pop, world = ctx.rng, ctx.pop, ctx.world
    rel = pop.relatives
    senders = pop.holders("remit_id")
    has_family = np.isin(senders, rel["sender"])
    weight = pop["activity"][senders] * _where(has_family, 4.0, 1.0)
    who = senders[rng.choice(len(senders), size=n, p=weight / weight.sum())]
    # A relative of the sender (one of the sender's family links), or a friend's wallet.
    order = np.argsort(rel["sender"], kind="stable")
    by_sender = rel["sender"][order]
    lo = np.searchsorted(by_sender, who, side="left")
    count = np.searchsorted(by_sender, who, side="right") - lo
    family = (count > 0) & (rng.random(n) < 0.92)
    edge = order[np.minimum(lo + (rng.random(n) * np.maximum(count, 1)).astype(np.int64), len(order) - 1)]
    wallets = pop.holders("wallet")
    friend, friend_relationship = _friends(wallets, who, rng.random(n) < 0.3, ctx.seed)
    receiver = _where(family, rel["receiver"][edge], friend)
    relationship = _where(family, rel["relationship"][edge], friend_relationship)
    purpose = _where(family & (rng.random(n) < 0.8), _lookup(PURPOSE, relationship),
                       _pick(rng, ["education", "medical", "gift", "family_support", "other", "business"], n))
    payout = world["remittance_payout"]
    methods = list(payout)
    p = np.asarray([float(payout[m]) for m in methods])
    method = np.asarray(methods, dtype=object)[rng.choice(len(methods), size=n, p=p / p.sum())]
    has_wallet = pop["wallet"][receiver] != None  # noqa: E711
    method[(method == "wallet") & ~has_wallet] = "bank_deposit"
    wallet = method == "wallet"

    country = pop["country"][who]
    ccy = _lookup({c: world.currency(c) for c in np.unique(country.astype(str))}, country)
    usd_per = {c: world.usd_per(c) for c in world["usd_per"]}
    rate_send = _lookup(usd_per, ccy).astype(np.float64)
    r_country = pop["country"][receiver]
    payout_ccy = _lookup({c: world.currency(c) for c in np.unique(r_country.astype(str))}, r_country)
    fx = rate_send / _lookup(usd_per, payout_ccy).astype(np.float64) * 0.985
    usd = _where(rng.random(n) < 0.85, np.exp(np.log(210) + 0.6 * rng.standard_normal(n)), rng.uniform(15, 90, n))
    amount = usd / rate_send
    amount = _where(rng.random(n) < 0.65, np.maximum(np.round(amount / 10) * 10, 10), np.round(amount, 2))
    fee = _where(amount < 500, 2.99, 4.99)
    night = rng.random(n) < 0.2
    seconds = _where(night, clock.hour_seconds(rng, world, n, "night"), clock.hour_seconds(rng, world, n, "evening"))
    day = clock.sample_days(rng, world, n, per.first_day, per.last_day)
    tz = pop["tz"][who]
    ts = clock.local_to_utc(world, day, seconds, tz)
    ids = np.asarray(ctx.next_ids("remitter", "transfers", n), dtype=object)

    bank_us, bank_gb = pop["bank_us_acct"][who], pop["bank_gb_acct"][who]
    bank = _where(bank_us != None, "bank_us", _where(bank_gb != None, "bank_gb", "ext"))  # noqa: E711
    funding_account = _where(bank_us != None, bank_us, _where(bank_gb != None, bank_gb,  # noqa: E711
                                                                  pop["ext_card"][who]))
    names = pop.names(who).astype(object)
    r_names = pop.names(receiver).astype(object)
    tables: dict[tuple[str, str], pa.Table] = {}
    tables[("remitter", "transfers")] = make_table("transfers", n, {
        "sender_id": pop["remit_id"][who], "sender_name": names, "sender_country": country,
        "send_amount": _cents(amount), "send_currency": ccy, "fee": _cents(fee), "fx_rate": np.round(fx, 6),
        "payout_amount": _cents(amount * fx), "payout_currency": payout_ccy, "receiver_name": r_names,
        "receiver_country": r_country, "receiver_phone": pop["phone"][receiver], "payout_method": method,
        "payout_account": _where(wallet, pop["wallet"][receiver],
                                   _where(method == "bank_deposit", pop["ext_account"][receiver], None)),
        "payout_partner": _lookup({"wallet": "PesoPocket", "bank_deposit": "Partner Bank",
                                   "cash_pickup": "Cash Agent Network"}, method),
        "relationship": relationship, "purpose": purpose,
        "message": _where(rng.random(n) < 0.8, _pick(rng, world.names["remit_messages"], n), None),
        "funding_method": _where(bank == "ext", "debit_card", "bank_account"), "funding_account": funding_account,
        "device_id": pop["device"][who], "ip": pop["ip"][who], "_ts": ts, "_tz": tz, "_id": ids,
    })
    # The funding debit on the sender's statement at a member bank.
    for member, ccy_bank in BANK_CCY.items():
        sel = np.flatnonzero(bank == member)
        m = len(sel)
        local = (amount[sel] + fee[sel]) * rate_send[sel] / world.usd_per(ccy_bank)
        tables[(member, "camt")] = make_table("camt", m, {
            "account": funding_account[sel], "acct_ccy": ccy_bank, "owner_name": names[sel], "amount": _cents(local),
            "cdt_dbt": "DBIT", "bktxcd": "PMNT/ICDT/ESCT", "cp_name": "GlobeSend Remittance", "cp_country": "US",
            "reference": np.char.add("GLOBESEND ", ids[sel].astype(str)).astype(object), "_ts": ts[sel],
            "_tz": tz[sel], "_id": ctx.next_ids(member, "camt", m),
        })
    # The wallet credit at PesoPocket, and for half of them the relative's cash-out soon after.
    sel = np.flatnonzero(wallet)
    m = len(sel)
    credit_ts = ts[sel] + rng.integers(20, 600, size=m)
    php = amount[sel] * fx[sel]
    credits = make_table("ewallet", m, {
        "txn_type": "REMIT_IN", "amount": _cents(php), "currency": "PHP", "from_name": names[sel],
        "from_country": country[sel], "to_wallet": pop["wallet"][receiver[sel]], "to_name": r_names[sel],
        "partner": "GlobeSend", "partner_ref": ids[sel], "_ts": credit_ts, "_tz": 480,
        "_id": ctx.next_ids("ewallet_ph", "ewallet", m),
    })
    out = sel[rng.random(m) < 0.5]
    k = len(out)
    cash = np.maximum(np.floor(amount[out] * fx[out] * rng.uniform(0.5, 1.0, k) / 100) * 100, 100)
    r = receiver[out]
    cash_outs = make_table("ewallet", k, {
        "txn_type": "CASH_OUT", "amount": _cents(cash), "currency": "PHP", "from_wallet": pop["wallet"][r],
        "from_name": r_names[out], "to_name": "Cash agent", "partner": "PesoPocket Agents",
        "agent_id": np.asarray([f"AGT{v:05d}" for v in rng.integers(0, 3000, size=k).tolist()], dtype=object),
        "location": pop["city"][r], "device_id": pop["device"][r],
        "_ts": ts[out] + (rng.uniform(0.5, 48, k) * 3600).astype(np.int64), "_tz": 480,
        "_id": ctx.next_ids("ewallet_ph", "ewallet", k),
    })
    tables[("ewallet_ph", "ewallet")] = pa.concat_tables([credits, cash_outs])
    return tables
