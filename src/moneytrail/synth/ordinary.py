"""Ordinary life, vectorised: card spend, bank statements, P2P payments and e-wallet use.

Each function makes one period's rows as whole columns (numpy, then Arrow). Amounts are
heavy-tailed (lognormal), activity per person is heavy-tailed, hours and weekdays follow
the profiles in world.yaml, and the look-alikes the typologies hide among are here:
late-night spend, gift cards, adult and dating subscriptions, one-off payees, cash
deposits in other regions, tiny e-wallet loads and fast cash-outs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from moneytrail.synth import clock
from moneytrail.synth.context import Context
from moneytrail.synth.frames import make_table

BANK_CCY = {"bank_us": "USD", "bank_gb": "GBP"}
CCY_OF_COUNTRY = {"US": "USD", "GB": "GBP", "AU": "AUD", "CA": "CAD"}


@dataclass
class Period:
    ctx: Context  # the period's own context: rng, id namespace, rows
    number: int
    first_day: int
    last_day: int
    cards: dict[str, np.ndarray]
    subscriptions: dict[str, np.ndarray]
    friends: np.ndarray
    p2p_users: np.ndarray


def _where(mask: Any, yes: Any, no: Any) -> np.ndarray:
    """np.where that accepts None (object columns with missing values)."""
    out: np.ndarray = np.where(mask, yes, no)
    return out


def _obj(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=object)


def _pick(rng: np.random.Generator, items: list[str], n: int) -> np.ndarray:
    return _obj(items)[rng.integers(0, len(items), size=n)]


def _cents(x: np.ndarray) -> np.ndarray:
    return np.round(x * 100).astype(np.int64)


def _weights(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = x / x.sum()
    return out


def build_cards(ctx: Context) -> dict[str, np.ndarray]:
    """Every card in the population: PAN, issuer, product, holder, billing currency, spend weight."""
    pop = ctx.pop
    parts: list[tuple[np.ndarray, np.ndarray, str, str, float]] = []
    for col, issuer, product, weight in (("bank_us_debit", "bank_us", "debit", 1.0),
                                         ("bank_us_credit", "bank_us", "credit", 0.7),
                                         ("bank_gb_debit", "bank_gb", "debit", 1.0),
                                         ("bank_gb_credit", "bank_gb", "credit", 0.7),
                                         ("ext_card", "ISS_EXT1", "debit", 1.0),
                                         ("prepaid_card", "ISS_PREPAID1", "prepaid", 0.15)):
        who = pop.holders(col)
        parts.append((who, pop[col][who], issuer, product, weight))
    person = np.concatenate([p[0] for p in parts])
    pan = np.concatenate([p[1] for p in parts])
    issuers = np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts])
    products = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])
    weight = np.concatenate([np.full(len(p[0]), p[4]) for p in parts]) * pop["activity"][person]
    country = pop["country"][person]
    bill = np.asarray([CCY_OF_COUNTRY.get(c, "USD") for c in country], dtype=object)
    bill[issuers == "ISS_PREPAID1"] = "USD"
    return {"person": person, "pan": pan, "issuer": issuers, "product": products, "weight": weight,
            "country": country, "bill_ccy": bill}


def build_subscriptions(ctx: Context, cards: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rng = ctx.rng
    spec = ctx.world["subscriptions"]
    plans = ctx.merchants.by_category("subscription")
    prices = np.asarray([float(p[1]) for p in spec["plans"]])
    credit_like = np.flatnonzero(cards["issuer"] != "ISS_PREPAID1")
    subscribers = credit_like[rng.random(len(credit_like)) < float(spec["share_of_cardholders"])]
    per = 1 + rng.binomial(2, 0.3, size=len(subscribers))
    card = np.repeat(subscribers, per)
    plan = rng.integers(0, len(plans), size=len(card))
    return {"card": card, "merchant": plans[plan], "price": prices[plan],
            "phase": rng.integers(0, 30, size=len(card)), "stop": rng.integers(40, 400, size=len(card))}


def build_friends(ctx: Context, users: np.ndarray, width: int = 12) -> np.ndarray:
    """Heavy-tailed friend lists (padded by repetition): mostly people in the same region."""
    rng = ctx.rng
    pop = ctx.pop
    n = len(users)
    degree = np.minimum(1 + rng.geometric(0.25, size=n), width)
    friends = np.empty((n, width), dtype=np.int64)
    region = pop["region"][users].astype(str)
    order = np.argsort(region, kind="stable")
    sorted_region = region[order]
    for j in range(width):
        # Neighbours in region order are mostly same-region people; some random links.
        offset = rng.integers(-40, 41, size=n)
        local = order[np.clip(np.searchsorted(sorted_region, region) + np.abs(offset), 0, n - 1)]
        rand = rng.integers(0, n, size=n)
        friends[:, j] = _where(rng.random(n) < 0.8, local, rand)
    friends[friends == np.arange(n)[:, None]] = (np.arange(n)[:, None].repeat(width, 1) + 1)[
        friends == np.arange(n)[:, None]] % n
    col = np.arange(width)[None, :] % degree[:, None]
    return np.take_along_axis(friends, col, axis=1)


def _merchant_arrays(ctx: Context) -> dict[str, pa.Array]:
    m = ctx.merchants
    return {k: pa.array(m[k], pa.string()) for k in ("mid", "acquirer_id", "dba_name", "descriptor", "mcc", "city",
                                                     "country", "declared_url")}


def card_rows(per: Period, n: int) -> pa.Table:
    ctx, rng, world = per.ctx, per.ctx.rng, per.ctx.world
    cards = per.cards
    cats = world["card_categories"]
    names = list(cats)
    shares = _weights(np.asarray([float(cats[c]["share"]) for c in names]))
    subs = per.subscriptions
    occ_card, occ_m, occ_price, occ_day = [], [], [], []
    for j in range(0, world.days // 30 + 2):
        day = subs["phase"] + 30 * j
        ok = (day >= per.first_day) & (day < per.last_day) & (day < subs["stop"])
        occ_card.append(subs["card"][ok])
        occ_m.append(subs["merchant"][ok])
        occ_price.append(subs["price"][ok])
        occ_day.append(day[ok])
    s_card, s_m = np.concatenate(occ_card), np.concatenate(occ_m)
    s_usd, s_day = np.concatenate(occ_price), np.concatenate(occ_day)
    n_rand = max(n - len(s_card), 0)
    cat = rng.choice(len(names), size=n_rand, p=shares)
    card = rng.choice(len(cards["pan"]), size=n_rand, p=_weights(cards["weight"]))
    merchant = np.zeros(n_rand, dtype=np.int64)
    usd = np.zeros(n_rand)
    present = np.zeros(n_rand, dtype=bool)
    ts = np.zeros(n_rand, dtype=np.int64)
    weights = np.asarray(ctx.merchants["weight"], dtype=np.float64)
    tz = ctx.pop["tz"][cards["person"][card]]
    for k, name in enumerate(names):
        spec = cats[name]
        sel = np.flatnonzero(cat == k)
        if not len(sel):
            continue
        for country in np.unique(cards["country"][card[sel]]).tolist():
            part = sel[cards["country"][card[sel]] == country]
            cands = ctx.merchants.by_category(name, country if float(spec["cp"]) > 0.5 else None)
            merchant[part] = rng.choice(cands, size=len(part), p=_weights(weights[cands]))
        usd[sel] = float(spec["median"]) * np.exp(float(spec["sigma"]) * rng.standard_normal(len(sel)))
        if spec.get("kind") == "atm":
            usd[sel] = np.maximum(np.round(usd[sel] / 20) * 20, 20)
        present[sel] = rng.random(len(sel)) < float(spec["cp"])
        ts[sel] = clock.sample_times(rng, world, len(sel), per.first_day, per.last_day, str(spec["hours"]), tz[sel])
    # Recurring charges post in the billing run after midnight (card-not-present, every month).
    s_ts = clock.local_to_utc(world, s_day, clock.hour_seconds(rng, world, len(s_day), "batch"),
                              ctx.pop["tz"][cards["person"][s_card]])
    card = np.concatenate([card, s_card])
    merchant = np.concatenate([merchant, s_m])
    usd = np.concatenate([usd, s_usd])
    present = np.concatenate([present, np.zeros(len(s_card), dtype=bool)])
    ts = np.concatenate([ts, s_ts])
    recurring = np.concatenate([np.zeros(n_rand, dtype=bool), np.ones(len(s_card), dtype=bool)])
    total = len(card)
    ma = _merchant_arrays(ctx)
    m_idx = pa.array(merchant)
    m_country = ma["country"].take(m_idx).to_numpy(zero_copy_only=False)
    ccy = _where(m_country == "US", "USD", _where(m_country == "GB", "GBP", "EUR")).astype(object)
    usd_per = {c: world.usd_per(c) for c in ("USD", "GBP", "EUR", "AUD", "CAD")}
    rate_m = np.vectorize(usd_per.get, otypes=[float])(ccy)
    bill = cards["bill_ccy"][card]
    rate_b = np.vectorize(usd_per.get, otypes=[float])(bill)
    mcc = ma["mcc"].take(m_idx).to_numpy(zero_copy_only=False)
    atm = mcc == "6011"
    txn_type = _where(atm, "atm_withdrawal", "purchase").astype(object)
    r = rng.random(total)
    txn_type[(~atm) & (r < float(world["refund_rate"]))] = "refund"
    txn_type[(~atm) & (r > 1 - float(world["chargeback_rate"]))] = "chargeback"
    pos = _where(present, _where(atm, "atm", _where(rng.random(total) < 0.5, "chip", "contactless")),
                   _where(recurring, "recurring", "ecom")).astype(object)
    url = _url_variants(rng, pc_if(present, ma["declared_url"].take(m_idx)))
    auth = _obj([f"{v:06X}" for v in rng.integers(0, 16**6, size=total).tolist()])
    amount = usd / rate_m
    return make_table("clearing", total, {
        "pan": cards["pan"][card], "card_product": cards["product"][card], "issuer_id": cards["issuer"][card],
        "issuer_country": cards["country"][card], "acquirer_id": ma["acquirer_id"].take(m_idx),
        "mid": ma["mid"].take(m_idx),
        "merchant_name": ma["dba_name"].take(m_idx), "descriptor": ma["descriptor"].take(m_idx), "mcc": mcc,
        "merchant_city": ma["city"].take(m_idx), "merchant_country": m_country, "website_url": url,
        "amount": _cents(amount), "currency": ccy, "billing_amount": _cents(usd / rate_b), "billing_currency": bill,
        "txn_type": txn_type, "card_present": _where(present, "Y", "N").astype(object), "pos_entry": pos,
        "auth_code": auth, "_ts": ts, "_tz": tz_of_country(world, m_country),
        "_id": ctx.next_ids("cardnet", "clearing", total),
    })


def _url_variants(rng: np.random.Generator, urls: pa.Array) -> pa.Array:
    """Observed checkout URLs are not always the declared one: shop subdomains, country domains, checkout pages."""
    import pyarrow.compute as pc

    n = len(urls)
    r = rng.random(n)
    shop = pc.replace_substring(urls, "https://www.", "https://shop.")
    country = pc.replace_substring(urls, ".com", ".co.uk")
    checkout = pc.binary_join_element_wise(urls, "/checkout", "")
    out = pc.if_else(pa.array(r < 0.04), shop, urls)
    out = pc.if_else(pa.array((r >= 0.04) & (r < 0.06)), country, out)
    return pc.if_else(pa.array((r >= 0.06) & (r < 0.12)), checkout, out)


def pc_if(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """Null where mask is true (card present rows carry no website)."""
    import pyarrow.compute as pc

    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), values)


def tz_of_country(world: Any, countries: np.ndarray) -> np.ndarray:
    codes, inverse = np.unique(countries.astype(str), return_inverse=True)
    offsets = np.asarray([world.tz(c) if c in world["countries"] else 0 for c in codes], dtype=np.int64)
    return offsets[inverse]


def _periodic(per: Period, people: np.ndarray, interval: int, phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(person, day) for each occurrence of an every-`interval`-days event inside the period."""
    out_p, out_d = [], []
    for j in range(0, per.ctx.world.days // interval + 2):
        day = phase + interval * j
        ok = (day >= per.first_day) & (day < per.last_day)
        out_p.append(people[ok])
        out_d.append(day[ok])
    return np.concatenate(out_p), np.concatenate(out_d)


def bank_rows(per: Period, bank: str, n: int) -> pa.Table:
    ctx, rng, world = per.ctx, per.ctx.rng, per.ctx.world
    pop = ctx.pop
    holders = pop.holders(f"{bank}_acct")
    holders = holders[np.argsort(pop[f"{bank}_acct"][holders].astype(str), kind="stable")]
    ccy = BANK_CCY[bank]
    fx = world.usd_per(ccy)
    names = world.names
    # Scheduled flows on a stable subset, thinned so that they leave room for the rest.
    key = (holders * 2654435761) % 1000 / 1000.0
    months = max(per.last_day - per.first_day, 1) / 30.0
    per_holder = 0.85 * (30 / (14 if bank == "bank_us" else 30)) + 0.6 + 1.33
    share = min(1.0, 0.6 * n / max(len(holders) * per_holder * months, 1.0))
    base = holders[key < share]
    rows: list[dict[str, Any]] = []
    earners = base[(pop["age"][base] >= 18) & (pop["age"][base] < 67)]
    interval = 14 if bank == "bank_us" else 30
    who, day = _periodic(per, earners, interval, (earners * 7919) % interval)
    salary = np.exp(np.log(2400 if interval == 14 else 2300) + 0.5 * ((who * 104729 % 1000) / 1000 - 0.5) * 2)
    employers = names["employers"]
    rows.append({"who": who, "day": day, "amount": salary / fx * (1 + 0.02 * rng.standard_normal(len(who))),
                 "cdt_dbt": "CRDT", "bktxcd": "PMNT/RCDT/ESCT", "cp_name": _obj(employers)[who % len(employers)],
                 "cp_account": _obj([f"EMP{k:08d}" for k in (who % len(employers)).tolist()]), "hours": "batch",
                 "reference": "SALARY", "purpose": "SALA"})
    renters = base[(base * 31) % 10 < 6]
    who, day = _periodic(per, renters, 30, (renters * 13) % 5)
    billers = names["billers"]
    rows.append({"who": who, "day": day, "amount": (700 + (who * 7) % 1800) / fx, "cdt_dbt": "DBIT",
                 "bktxcd": "PMNT/ICDT/ESCT", "cp_name": _obj(billers)[(who % 3) + 4], "hours": "business",
                 "reference": "RENT", "cp_account": _obj([f"LL{k:010d}" for k in (who % 997).tolist()])})
    for k in range(2):
        payers = base[(base + k) % 3 != 0]
        who, day = _periodic(per, payers, 30, (payers * (k + 3)) % 28)
        rows.append({"who": who, "day": day, "amount": np.exp(np.log(80) + 0.5 * rng.standard_normal(len(who))) / fx,
                     "cdt_dbt": "DBIT", "bktxcd": "PMNT/IDDT/ESDD",
                     "cp_name": _obj(billers)[(who + k * 5) % len(billers)],
                     "hours": "batch", "reference": None, "cp_account": None})
    sched = sum(len(r["who"]) for r in rows)
    n_rand = max(n - sched, 0)
    act = pop["activity"][holders]
    who = holders[rng.choice(len(holders), size=n_rand, p=_weights(act))]
    kind = rng.choice(5, size=n_rand, p=[0.3, 0.28, 0.22, 0.05, 0.15])
    day = clock.sample_days(rng, world, n_rand, per.first_day, per.last_day)
    amount = np.exp(np.log(60) + 1.1 * rng.standard_normal(n_rand)) / fx
    amount[kind == 0] = np.maximum(np.round(amount[kind == 0] / 20) * 20, 20)
    amount[kind == 3] = np.round(np.exp(np.log(400) + 0.9 * rng.standard_normal(int((kind == 3).sum()))), -1) / fx
    # Some transfers are large (deposits, car sales, loan repayments), like laundering hops.
    large = (kind >= 1) & (kind != 3) & (rng.random(n_rand) < 0.05)
    amount[large] = np.exp(np.log(3000) + 0.8 * rng.standard_normal(int(large.sum()))) / fx
    others = rng.integers(0, pop.n, size=n_rand)
    # A third of transfers go to another customer of the same bank.
    same_bank = (kind != 0) & (kind != 3) & (rng.random(n_rand) < 0.3)
    others[same_bank] = holders[rng.integers(0, len(holders), size=int(same_bank.sum()))]
    other_names = pop.names(others).astype(object)
    no_cp = (kind == 0) | (kind == 3)
    self_bic = str(world.member(bank)["bic"])
    bic = "CHASUS33" if bank == "bank_us" else "BARCGB22"
    business = _pick(rng, ["invoice", "loan", "payment", "consulting", "repayment", "deposit", "car"], n_rand)
    reference = _where(kind == 4, _pick(rng, names["p2p_notes"], n_rand),
                       _where((kind != 0) & (kind != 3) & (rng.random(n_rand) < 0.25), business, None))
    rows.append({
        "who": who, "day": day, "amount": amount,
        "cdt_dbt": _where((kind == 2) | (kind == 3), "CRDT", "DBIT").astype(object),
        "bktxcd": _obj(["PMNT/CNTR/CWDL", "PMNT/ICDT/ESCT", "PMNT/RCDT/ESCT", "PMNT/CNTR/CDPT",
                        "PMNT/ICDT/ESCT"])[kind],
        "cp_name": _where(no_cp, None, other_names),
        "cp_account": _where(no_cp, None, _where(same_bank, pop[f"{bank}_acct"][others], pop["ext_account"][others])),
        "cp_bic": _where(no_cp, None, _where(same_bank, self_bic, bic)),
        "hours": "day", "reference": reference,
        "cash": (kind == 0) | (kind == 3),
    })
    return _bank_table(per, bank, rows)


def _bank_table(per: Period, bank: str, rows: list[dict[str, Any]]) -> pa.Table:
    ctx, rng, world = per.ctx, per.ctx.rng, per.ctx.world
    pop = ctx.pop
    ccy = BANK_CCY[bank]
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("who", "ts", "amount", "cdt_dbt", "bktxcd", "cp_name",
                                                         "cp_account", "cp_bic", "reference", "purpose", "addtl")}
    default_bic = "CHASUS33" if bank == "bank_us" else "BARCGB22"
    for r in rows:
        m = len(r["who"])
        if m == 0:
            continue
        tz = pop["tz"][r["who"]]
        ts = clock.local_to_utc(world, r["day"], clock.hour_seconds(rng, world, m, r["hours"]), tz)
        cols["who"].append(r["who"])
        cols["ts"].append(ts)
        cols["amount"].append(_cents(np.maximum(np.asarray(r["amount"], dtype=np.float64), 1.0)))
        if "cp_bic" not in r:
            account = r.get("cp_account")
            has = np.zeros(m, dtype=bool) if account is None else _obj(account) != None  # noqa: E711
            r = {**r, "cp_bic": _where(has, default_bic, None)}
        for key in ("cdt_dbt", "bktxcd", "cp_name", "cp_account", "cp_bic", "reference", "purpose"):
            value = r.get(key)
            cols[key].append(np.full(m, value, dtype=object) if value is None or isinstance(value, str)
                             else _obj(value))
        cash = r.get("cash")
        addtl = np.full(m, None, dtype=object)
        if cash is not None and cash.any():
            # Cash at a branch, usually in the home region; sometimes elsewhere (travel, work).
            idx = np.flatnonzero(cash)
            region = pop["region"][r["who"][idx]].copy()
            city = pop["city"][r["who"][idx]].copy()
            away = rng.random(len(idx)) < 0.06
            regions = world.country("US" if bank == "bank_us" else "GB")["regions"]
            region[away] = _pick(rng, regions, int(away.sum()))
            city[away] = region[away]
            branch = rng.integers(1, 400, size=len(idx))
            addtl[idx] = [f"BRANCH=BR{b:03d};CITY={c};REGION={g}" for b, c, g in
                          zip(branch.tolist(), city, region, strict=True)]
        cols["addtl"].append(addtl)
    who = np.concatenate(cols["who"])
    total = len(who)
    cp_account = np.concatenate(cols["cp_account"])
    has_cp = cp_account != None  # noqa: E711
    return make_table("camt", total, {
        "account": pop[f"{bank}_acct"][who], "acct_ccy": ccy, "owner_name": pop.names(who).astype(object),
        "amount": np.concatenate(cols["amount"]), "cdt_dbt": np.concatenate(cols["cdt_dbt"]),
        "bktxcd": np.concatenate(cols["bktxcd"]), "cp_name": np.concatenate(cols["cp_name"]),
        "cp_country": _where(has_cp, pop["country"][who], None), "cp_account": cp_account,
        "cp_bic": np.concatenate(cols["cp_bic"]),
        "purpose": np.concatenate(cols["purpose"]), "reference": np.concatenate(cols["reference"]),
        "addtl": np.concatenate(cols["addtl"]), "_ts": np.concatenate(cols["ts"]), "_tz": pop["tz"][who],
        "_id": ctx.next_ids(bank, "camt", total),
    })


def p2p_rows(per: Period, n: int) -> tuple[pa.Table, pa.Table]:
    """ZapPay payments between friends (and one-off new payees), plus add-funds and cash-outs at bank_us."""
    ctx, rng, world = per.ctx, per.ctx.rng, per.ctx.world
    pop = ctx.pop
    users = per.p2p_users
    k = rng.choice(len(users), size=n, p=_weights(pop["activity"][users]))
    sender = users[k]
    kind = rng.choice(3, size=n, p=[0.8, 0.1, 0.1])
    friend = per.friends[k, rng.integers(0, per.friends.shape[1], size=n)]
    new_payee = rng.integers(0, len(users), size=n)
    receiver = users[_where(rng.random(n) < 0.88, friend, new_payee)]
    amount = np.exp(np.log(25) + 0.95 * rng.standard_normal(n))
    amount[kind > 0] = np.exp(np.log(120) + 0.8 * rng.standard_normal(int((kind > 0).sum())))
    amount = _where(rng.random(n) < 0.55, np.maximum(np.round(amount), 1), np.round(amount, 2))
    amount[pop["age"][sender] < 18] /= 2
    ts = clock.sample_times(rng, world, n, per.first_day, per.last_day, "evening", pop["tz"][sender])
    bank_acct = pop["bank_us_acct"][sender]
    external = _where(bank_acct != None, bank_acct, pop["ext_account"][sender])  # noqa: E711
    institution = _where(bank_acct != None, "Liberty Federal Bank", "Other Bank")  # noqa: E711
    is_pay = kind == 0
    notes = _where(rng.random(n) < 0.7, _pick(rng, world.names["p2p_notes"], n), None)
    payment_id = np.asarray(ctx.next_ids("p2p_app", "payments", n), dtype=object)
    table = make_table("payments", n, {
        "type": _obj(["payment", "add_funds", "cash_out"])[kind],
        "sender_user_id": _where(kind == 1, None, pop["p2p_user"][sender]),
        "receiver_user_id": _where(kind == 0, pop["p2p_user"][receiver],
                                     _where(kind == 1, pop["p2p_user"][sender], None)),
        "amount": _cents(amount), "currency": "USD", "note": _where(is_pay, notes, None),
        "external_account": _where(is_pay, None, external),
        "external_institution": _where(is_pay, None, institution),
        "receiver_country": "US", "device_id": pop["device"][sender], "ip": pop["ip"][sender], "_ts": ts,
        "_tz": pop["tz"][sender], "_id": payment_id,
    })
    # The bank's side of add-funds (debit) and cash-outs (credit) for bank_us customers.
    at_bank = np.flatnonzero((~is_pay) & (bank_acct != None))  # noqa: E711
    m = len(at_bank)
    bank = make_table("camt", m, {
        "account": bank_acct[at_bank], "acct_ccy": "USD", "owner_name": pop.names(sender[at_bank]).astype(object),
        "amount": _cents(amount[at_bank]), "cdt_dbt": _where(kind[at_bank] == 1, "DBIT", "CRDT").astype(object),
        "bktxcd": _where(kind[at_bank] == 1, "PMNT/ICDT/ESCT", "PMNT/RCDT/ESCT").astype(object),
        "cp_name": "ZapPay Inc", "cp_country": "US",
        "reference": np.char.add("ZAPPAY ", payment_id[at_bank].astype(str)).astype(object),
        "_ts": ts[at_bank] + 60, "_tz": pop["tz"][sender[at_bank]], "_id": ctx.next_ids("bank_us", "camt", m),
    })
    return table, bank


def ewallet_rows(per: Period, n: int) -> pa.Table:
    ctx, rng, world = per.ctx, per.ctx.rng, per.ctx.world
    pop = ctx.pop
    wallets = pop.holders("wallet")
    holder = wallets[rng.choice(len(wallets), size=n, p=_weights(pop["activity"][wallets]))]
    types = ["SEND", "CASH_IN", "CASH_OUT", "BILLS_PAY", "BUY_LOAD", "MERCHANT_PAY", "REMIT_IN"]
    kind = rng.choice(len(types), size=n, p=[0.26, 0.12, 0.14, 0.12, 0.2, 0.12, 0.04])
    medians = np.asarray([500, 1500, 2000, 1200, 100, 350, 8000], dtype=np.float64)
    sigmas = np.asarray([0.9, 0.8, 0.8, 0.6, 0.6, 1.0, 0.7])
    php = medians[kind] * np.exp(sigmas[kind] * rng.standard_normal(n))
    load = kind == 4
    php[load] = rng.choice([20, 50, 99, 100, 150, 200, 300, 500], size=int(load.sum()))
    round100 = (kind == 1) | (kind == 2)
    php[round100] = np.maximum(np.round(php[round100], -2), 100)
    # People send each other round sums (PHP 100, 250, 500, 1,000) more often than not.
    rounded = (kind == 0) & (rng.random(n) < 0.6)
    step = np.where(php < 1000, 50.0, 100.0)
    php[rounded] = np.maximum(np.round(php[rounded] / step[rounded]) * step[rounded], 50)
    other = wallets[rng.integers(0, len(wallets), size=n)]
    foreign = rng.choice(["US", "GB", "AU", "CA", "SA", "JP", "SG"], size=n, p=[0.4, 0.12, 0.1, 0.1, 0.15, 0.07, 0.06])
    cultures = world.names["anglo"]
    foreign_name = np.char.add(np.char.add(_pick(rng, cultures["male"] + cultures["female"], n).astype(str), " "),
                               _pick(rng, cultures["surnames"], n).astype(str)).astype(object)
    send, remit_in = kind == 0, kind == 6
    incoming = (kind == 1) | remit_in
    to_wallet = _where(send, pop["wallet"][other], _where(incoming, pop["wallet"][holder], None))
    to_name = _where(send, pop.names(other).astype(object), _where(
        incoming, pop.names(holder).astype(object),
        _obj(["", "", "Cash agent", "Meralco", "Smart Load", "SM Store", ""])[kind]))
    agent = _where((kind == 1) | (kind == 2), _obj([f"AGT{v:05d}" for v in rng.integers(0, 3000, size=n).tolist()]),
                     None)
    partner = _where(remit_in, _pick(rng, ["WorldLink Remit", "PadalaXpress", "SwiftPeso"], n),
                       _where(agent != None, "PesoPocket Agents", None))  # noqa: E711
    ts = clock.sample_times(rng, world, n, per.first_day, per.last_day, "evening", 480)
    return make_table("ewallet", n, {
        "txn_type": _obj(types)[kind], "amount": _cents(php), "currency": "PHP",
        "from_wallet": _where(incoming, None, pop["wallet"][holder]),
        "from_name": _where(remit_in, foreign_name, _where(kind == 1, None, pop.names(holder).astype(object))),
        "from_country": _where(remit_in, foreign, _where(kind == 1, None, "PH")),
        "to_wallet": to_wallet, "to_name": to_name, "partner": partner,
        "partner_ref": _where(remit_in, _obj([f"X{v:011d}" for v in rng.integers(0, 10**11, size=n).tolist()]),
                                None),
        "agent_id": agent, "location": _where(agent != None, pop["city"][holder], None),  # noqa: E711
        "note": _where(send & (rng.random(n) < 0.3), _pick(rng, ["pang load", "bayad", "utang", "salamat", "load",
                                                                    "allowance", "pamasahe", "pm sent", "access"],
                                                               n), None),
        "device_id": _where(remit_in, None, pop["device"][holder]), "_ts": ts, "_tz": 480,
        "_id": ctx.next_ids("ewallet_ph", "ewallet", n),
    })

