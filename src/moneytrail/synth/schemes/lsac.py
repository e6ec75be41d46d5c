"""Livestreamed child sexual abuse paid by remittance (INDICATORS rules 1-15).

Sender side: small, frequent transfers from consumer countries to a corridor country, no
family link, odd hours, even amounts, cover stories, sometimes escalating. Beneficiary
side: a family-run cluster of wallets sharing an address and a device, micro inflows from
several foreign senders, fast cash-out, domestic micro-payments.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moneytrail.synth import actions
from moneytrail.synth.context import Context
from moneytrail.synth.population import own_account, own_card

TYP = "lsac"


def _amount(ctx: Context, eur: float, ccy: str, even: bool) -> float:
    value = ctx.convert(eur, "EUR", ccy)
    if even:
        return float(max(10, round(value / 10.0) * 10))
    return round(value, 2) if ctx.rng.random() < 0.5 else float(int(value))


def _message(ctx: Context, p_cover: float, p_handle: float) -> str:
    names = ctx.world.names
    r = ctx.rng.random()
    if r < p_cover:
        phrase = names["cover_stories"][int(ctx.rng.integers(0, len(names["cover_stories"])))]
        return str(ctx.rng.choice([phrase, f"for {phrase}", f"{phrase} po", phrase.upper()]))
    if r < p_cover + p_handle:
        platform = names["social_platforms"][int(ctx.rng.integers(0, len(names["social_platforms"])))]
        handle = f"@{ctx.rng.choice(['baby', 'sweet', 'angel', 'cute', 'pinay'])}_{int(ctx.rng.integers(10, 999))}"
        return str(ctx.rng.choice([handle, f"{platform} {handle}", f"see you on {platform}"]))
    return str(ctx.rng.choice(["", "", "hi", "for you", "take care"]))


def _cluster(ctx: Context, country: str, k: int, sch: str) -> list[int]:
    """Facilitators: wallet holders in PH made into one household (shared surname, address, device)."""
    pop = ctx.pop
    relatives = pop.relatives["receiver"]
    if country == "PH":
        candidates = np.setdiff1d(pop.holders("wallet"), relatives)
    else:
        candidates = np.flatnonzero(pop["country"] == country)
    if len(candidates) < k:
        candidates = pop.holders("wallet")
    members = ctx.pick(candidates, k)
    head = members[0]
    for i in members[1:]:
        pop["surname"][i] = pop["surname"][head]
        pop["address"][i] = pop["address"][head]
        pop["city"][i] = pop["city"][head]
        pop["region"][i] = pop["region"][head]
        if ctx.rng.random() < 0.7:
            pop["device"][i] = pop["device"][head]
    for n, i in enumerate(members):
        if pop["wallet"][i] is not None:
            ctx.label("ewallet_ph", pop["wallet"][i], TYP, "operator" if n == 0 else "facilitator", sch)
        else:
            ctx.label("ext", pop["ext_account"][i], TYP, "facilitator", sch)
    return members


def _receiver(ctx: Context, i: int) -> actions.Receiver:
    pop = ctx.pop
    if pop["wallet"][i] is not None:
        return actions.Receiver(pop.full_name(i), "PH", pop["phone"][i], "wallet", pop["wallet"][i], "PesoPocket")
    if ctx.rng.random() < 0.6:
        return actions.Receiver(pop.full_name(i), str(pop["country"][i]), pop["phone"][i], "bank_deposit",
                                pop["ext_account"][i], "Partner Bank")
    return actions.Receiver(pop.full_name(i), str(pop["country"][i]), pop["phone"][i], "cash_pickup", None,
                            "Cash Agent Network")


def run(ctx: Context) -> None:
    cfg = ctx.world.typology(TYP)
    pop = ctx.pop
    country = ctx.choice(cfg["corridors"])
    p_even, p_odd = ctx.uniform(cfg["even_share"]), ctx.uniform(cfg["odd_hour_share"])
    p_cover, p_handle = ctx.uniform(cfg["cover_story_share"]), ctx.uniform(cfg["handle_share"])
    p_cashout = ctx.uniform(cfg["cashout_share"])
    n_payers = ctx.randint(cfg["payers"])
    k_wallets = ctx.randint(cfg["cluster_wallets"]) if country == "PH" else 1
    params = {"country": country, "payers": n_payers, "wallets": k_wallets, "even_share": round(p_even, 3),
              "odd_hour_share": round(p_odd, 3), "cover_story_share": round(p_cover, 3),
              "handle_share": round(p_handle, 3), "cashout_share": round(p_cashout, 3)}
    sch = ctx.new_scheme(TYP, params)
    cluster = _cluster(ctx, country, k_wallets, sch)

    consumers = np.flatnonzero(np.isin(pop["country"], ["US", "GB", "AU", "CA"]) & (pop["age"] >= 25)
                               & (pop["gender"] == "M") & (pop["diaspora_corridor"] == None))  # noqa: E711
    payers = ctx.pick(consumers, n_payers)
    credits: list[tuple[int, int, float]] = []  # (wallet person, ts, amount PHP)
    for payer in payers:
        if pop["remit_id"][payer] is None:
            ctx.open_account(payer, "remit_id")
        ctx.label("remitter", pop["remit_id"][payer], TYP, "payer", sch)
        member, account = own_account(pop, payer)
        ctx.label(member, account, TYP, "payer", sch)
        ccy = actions.person_ccy(ctx, payer)
        tz = int(pop["tz"][payer])
        channel = ctx.choice(cfg["payer_channels"])
        if member == "ext":
            channel = "remitter"
        target = cluster[0] if ctx.rng.random() < 0.7 else cluster[int(ctx.rng.integers(0, len(cluster)))]
        receiver = _receiver(ctx, target)
        n = ctx.randint(cfg["transfers_per_payer"])
        escalate = ctx.rng.random() < float(cfg["escalation_probability"])
        base_eur = ctx.uniform([cfg["eur_amount"][0], cfg["eur_amount"][0] + 0.5 * (cfg["eur_amount"][1]
                                                                                   - cfg["eur_amount"][0])])
        gap0 = ctx.uniform([4, 21])
        day = float(ctx.rng.uniform(0, max(ctx.world.days * 0.4, 1)))
        relationship = ctx.choice({"friend": 0.45, "other": 0.2, "partner": 0.25, "relative": 0.1})
        purpose = ctx.choice({"family_support": 0.35, "education": 0.2, "medical": 0.2, "gift": 0.25})
        for k in range(n):
            progress = k / max(n - 1, 1)
            gap = gap0 * (1.0 - 0.7 * progress) if escalate else float(ctx.rng.exponential(gap0))
            day += max(gap, 0.3)
            if day >= ctx.world.days:
                break
            eur = base_eur * (1.0 + 1.5 * progress) if escalate else ctx.uniform(cfg["eur_amount"])
            eur = float(min(eur, cfg["eur_amount"][1]))
            amount = _amount(ctx, eur, ccy, ctx.rng.random() < p_even)
            hour = (23 + ctx.rng.uniform(0, 6)) % 24 if ctx.rng.random() < p_odd else ctx.rng.uniform(7, 23)
            ts = ctx.clamp(ctx.local_ts(int(day), hour, tz))
            message = _message(ctx, p_cover, p_handle)
            if channel == "wire" and receiver.method != "cash_pickup":
                code = str(ctx.rng.choice(["EDUC", "MDCS", "RENT"])) if ctx.rng.random() < 0.4 else None
                actions.wire(ctx, payer, ts, amount, receiver.name, receiver.country,
                             receiver.account or str(pop["ext_account"][target]), "BNORPHMM", code,
                             message or None, TYP, sch)
            else:
                if receiver.method == "cash_pickup":  # no account: the remitter knows the beneficiary by phone
                    ctx.label("ext", receiver.phone, TYP, "facilitator", sch)
                actions.remit(ctx, payer, ts, amount, receiver, relationship, purpose, message, TYP, sch)
            if receiver.method == "wallet":
                rate = ctx.world.usd_per(ccy) / ctx.world.usd_per("PHP") * 0.985
                credits.append((target, ts, amount * rate))
        _side_spend(ctx, payer, sch, cfg)

    _beneficiary_side(ctx, cluster, credits, p_cashout, sch, cfg)


def _side_spend(ctx: Context, payer: int, sch: str, cfg: dict[str, Any]) -> None:
    """Webcam/livestream, VPN and travel purchases by the same customer (rules 10-12)."""
    pop = ctx.pop
    held = own_card(pop, payer)
    if held is None:
        return
    issuer, pan, product = held
    ctx.label("cardnet", pan, TYP, "payer", sch)
    side = cfg["side_spend"]
    for category, count in (("adult", (2, 8)), ("vpn", (1, 2)), ("airline", (1, 1))):
        if ctx.rng.random() >= float(side["webcam" if category == "adult" else category]):
            continue
        merchants = ctx.merchants.by_category(category)
        m = int(ctx.rng.choice(merchants))
        for _ in range(ctx.randint(list(count))):
            day = int(ctx.rng.integers(0, ctx.world.days))
            hour = (22 + ctx.rng.uniform(0, 6)) % 24
            ts = ctx.local_ts(day, hour, int(pop["tz"][payer]))
            usd = {"adult": ctx.uniform([15, 60]), "vpn": ctx.uniform([5, 12]), "airline": ctx.uniform([700, 1600])}[
                category]
            actions.card(ctx, pan, issuer, product, str(pop["country"][payer]), m, ctx.clamp(ts), usd, TYP, sch)


def _beneficiary_side(ctx: Context, cluster: list[int], credits: list[tuple[int, int, float]], p_cashout: float,
                      sch: str, cfg: dict[str, Any]) -> None:
    pop = ctx.pop
    agents = ["AGT" + f"{int(x):05d}" for x in ctx.rng.integers(0, 3000, size=3)]
    for target, ts, php in credits:
        if ctx.rng.random() >= p_cashout:
            continue
        when = ctx.clamp(ts + ctx.uniform(cfg["cashout_hours"]) * 3600)
        amount = max(100.0, float(int(php * ctx.uniform([0.85, 1.0]) / 100) * 100))
        wallet = pop["wallet"][target]
        if wallet is None:
            continue
        actions.ewallet(ctx, "CASH_OUT", when, amount, TYP, sch, from_wallet=wallet, from_name=pop.full_name(target),
                        to_name="Cash agent", partner="PesoPocket Agents",
                        agent_id=agents[int(ctx.rng.integers(0, len(agents)))], location=pop["city"][target],
                        device_id=pop["device"][target])
    # Local viewers pay small access fees (S10: PHP 50-300) into the household's wallets.
    if cluster and pop["wallet"][cluster[0]] is not None and ctx.rng.random() < 0.5:
        local = ctx.pick(pop.holders("wallet"), ctx.randint([2, 6]))
        for payer in local:
            ctx.label("ewallet_ph", pop["wallet"][payer], TYP, "payer", sch)
            for _ in range(ctx.randint([1, 4])):
                day = int(ctx.rng.integers(0, ctx.world.days))
                ts = ctx.local_ts(day, (21 + ctx.rng.uniform(0, 7)) % 24, 480)
                target = cluster[int(ctx.rng.integers(0, len(cluster)))]
                php = float(ctx.rng.choice([50, 100, 150, 200, 250, 300]))
                actions.ewallet(ctx, "SEND", ctx.clamp(ts), php, TYP, sch, from_wallet=pop["wallet"][payer],
                                from_name=pop.full_name(payer), from_country="PH", to_wallet=pop["wallet"][target],
                                to_name=pop.full_name(target), device_id=pop["device"][payer],
                                note=str(ctx.rng.choice(["", "load", "access", "pm sent"])) or None)
