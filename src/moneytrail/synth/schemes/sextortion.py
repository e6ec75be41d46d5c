"""Financially motivated sextortion of children (INDICATORS rules 16-20).

Young victims (minors on co-signed accounts, or 18-24) pay a new payee in a burst that
stops abruptly, hunt for liquidity (gift cards, crypto on-ramps), sometimes pay a
"recovery" scammer afterwards. Mule collectors forward most of it within a day to an
exchange or a remitter in the operator's country.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moneytrail.synth import actions
from moneytrail.synth.context import Context
from moneytrail.synth.population import own_account, own_card

TYP = "sextortion"


def run(ctx: Context) -> None:
    cfg = ctx.world.typology(TYP)
    pop = ctx.pop
    op_country = ctx.choice(cfg["operator_countries"])
    n_mules, n_victims = ctx.randint(cfg["mules"]), ctx.randint(cfg["victims"])
    forward_share = ctx.uniform(cfg["forward_share"])
    sch = ctx.new_scheme(TYP, {"operator_country": op_country, "mules": n_mules, "victims": n_victims,
                               "forward_share": round(forward_share, 3)})
    names = ctx.world.names["nigerian"]
    op_name = f"{ctx.rng.choice(names['male'])} {ctx.rng.choice(names['surnames'])}"
    op_account = f"{int(ctx.rng.integers(10**11, 10**12 - 1))}"
    op_address = ctx.chain.addresses(1)[0]
    ctx.label("ext", op_account, TYP, "operator", sch)
    ctx.label("btc", op_address, TYP, "operator", sch)
    operator = actions.Receiver(op_name, op_country, None, "bank_deposit", op_account, "Partner Bank")

    p2p_users = pop.holders("p2p_user")
    age = pop["age"]
    mule_pool = p2p_users[(age[p2p_users] >= 18) & (age[p2p_users] <= 30)]
    mules = ctx.pick(mule_pool, n_mules)
    for mule in mules:
        ctx.label("p2p_app", pop["p2p_user"][mule], TYP, "mule", sch)
        member, account = own_account(pop, mule)
        ctx.label(member, account, TYP, "mule", sch)
        if pop["exch_id"][mule] is not None:
            ctx.label("exchange", pop["exch_id"][mule], TYP, "mule", sch)
        if pop["remit_id"][mule] is not None:
            ctx.label("remitter", pop["remit_id"][mule], TYP, "mule", sch)

    minors = p2p_users[age[p2p_users] < 18]
    young = p2p_users[(age[p2p_users] >= 18) & (age[p2p_users] <= 24)]
    n_minor = round(n_victims * float(cfg["minor_share"]))
    victims = ctx.pick(minors, n_minor) + ctx.pick(young, n_victims - n_minor)
    max_usd = ctx.convert(float(cfg["max_eur"]), "EUR", "USD")
    # A crew works in campaigns: its victims' bursts fall within a few weeks of each other.
    campaign_start = int(ctx.rng.integers(0, max(ctx.world.days - 60, 1)))
    campaign_days = ctx.uniform(cfg["campaign_days"])
    for victim in victims:
        ctx.label("p2p_app", pop["p2p_user"][victim], TYP, "victim", sch)
        tz = int(pop["tz"][victim])
        start = ctx.local_ts(campaign_start + int(ctx.rng.uniform(0, campaign_days)), ctx.uniform([15, 24]), tz)
        if pop["age"][victim] >= 18 and ctx.rng.random() < float(cfg["direct_abroad_probability"]):
            _pay_abroad(ctx, victim, start, operator, sch, cfg)
            continue
        mule = mules[int(ctx.rng.integers(0, len(mules)))]
        n = ctx.randint(cfg["burst_payments"])
        offsets = np.sort(ctx.rng.uniform(0, float(cfg["burst_hours"]) * 3600, size=n))
        offsets[0] = 0
        usd = ctx.convert(ctx.uniform(cfg["first_eur"]), "EUR", "USD")
        # Each mule the victim paid passes on what it got: mule -> (USD received, time of the last payment).
        received: dict[int, tuple[float, int]] = {}
        last = start
        for k in range(n):
            amount = round(usd, 0) if ctx.rng.random() < 0.6 else round(usd, 2)
            last = ctx.clamp(start + float(offsets[k]))
            payee = mule if k == 0 or ctx.rng.random() < 0.8 else mules[int(ctx.rng.integers(0, len(mules)))]
            actions.p2p(ctx, victim, payee, last, amount,
                        str(ctx.rng.choice(["", "", "ok", "sent", "pls", "here"])) or None, TYP, sch)
            received[payee] = (received.get(payee, (0.0, last))[0] + amount, last)
            usd = min(usd * ctx.uniform([1.2, 2.5]), max_usd)
        if ctx.rng.random() < float(cfg["liquidity_hunt_probability"]):
            _liquidity_hunt(ctx, victim, start, op_address, sch)
        if ctx.rng.random() < float(cfg["recovery_probability"]):
            scammer = ctx.pick(mule_pool, 1)[0]
            ctx.label("p2p_app", pop["p2p_user"][scammer], TYP, "operator", sch)
            when = ctx.clamp(last + ctx.uniform([3, 30]) * 86400)
            notes = ctx.world.names["recovery_notes"]
            actions.p2p(ctx, victim, scammer, when, float(ctx.rng.choice([99, 150, 200, 250, 300, 499])),
                        notes[int(ctx.rng.integers(0, len(notes)))], TYP, sch)
        for payee, (usd_in, paid_at) in received.items():
            _forward(ctx, payee, paid_at, usd_in * forward_share, operator, op_address, sch, cfg)


def _pay_abroad(ctx: Context, victim: int, start: int, operator: actions.Receiver, sch: str,
                cfg: dict[str, Any]) -> None:
    """A young adult victim pays the extortionist abroad directly, as a new remittance customer."""
    pop = ctx.pop
    if pop["remit_id"][victim] is None:
        ctx.open_account(victim, "remit_id")
    ctx.label("remitter", pop["remit_id"][victim], TYP, "victim", sch)
    member, account = own_account(pop, victim)
    ctx.label(member, account, TYP, "victim", sch)
    usd = ctx.convert(ctx.uniform(cfg["first_eur"]), "EUR", "USD")
    max_usd = ctx.convert(float(cfg["max_eur"]), "EUR", "USD")
    offsets = np.sort(ctx.rng.uniform(0, float(cfg["burst_hours"]) * 3600, size=ctx.randint(cfg["burst_payments"])))
    for offset in offsets - offsets[0]:
        amount = round(ctx.convert(usd, "USD", actions.person_ccy(ctx, victim)), 0)
        actions.remit(ctx, victim, ctx.clamp(start + float(offset)), amount, operator, "friend", "gift", "", TYP, sch)
        usd = min(usd * ctx.uniform([1.2, 2.0]), max_usd)


def _liquidity_hunt(ctx: Context, victim: int, start: int, op_address: str, sch: str) -> None:
    """Gift cards or a first-ever crypto purchase within 72 h of the burst (rule 18)."""
    pop = ctx.pop
    when = ctx.clamp(start + ctx.uniform([1, 72]) * 3600)
    held = own_card(pop, victim)
    if pop["exch_id"][victim] is not None and pop["age"][victim] >= 18:
        ctx.label("exchange", pop["exch_id"][victim], TYP, "victim", sch)
        usd = ctx.uniform([100, 400])
        actions.exchange_fiat_in(ctx, victim, when, usd, "debit_card", TYP, sch)
        sats = actions.exchange_buy(ctx, victim, when + 300, usd * 0.98, TYP, sch)
        actions.exchange_withdraw(ctx, victim, when + 900, sats - 5000, op_address, TYP, sch)
    elif held is not None:
        issuer, pan, product = held
        ctx.label("cardnet", pan, TYP, "victim", sch)
        merchant = int(ctx.rng.choice(ctx.merchants.by_category("giftcard")))
        for _ in range(ctx.randint([1, 3])):
            actions.card(ctx, pan, issuer, product, str(pop["country"][victim]), merchant, when,
                         float(ctx.rng.choice([25, 50, 100, 200])), TYP, sch, card_present=True)
            when = ctx.clamp(when + ctx.uniform([0.1, 6]) * 3600)


def _forward(ctx: Context, mule: int, after: int, usd: float, operator: actions.Receiver, op_address: str,
             sch: str, cfg: dict[str, Any]) -> None:
    """The mule cashes out and sends on: via the exchange to the operator's address, or via the remitter."""
    pop = ctx.pop
    when = ctx.clamp(after + ctx.uniform(cfg["forward_hours"]) * 3600)
    usd = round(usd, 2)
    actions.p2p_cash_out(ctx, mule, when, usd, TYP, sch)
    when = ctx.clamp(when + ctx.uniform([0.2, 3]) * 3600)
    if pop["exch_id"][mule] is not None or (pop["remit_id"][mule] is None and ctx.rng.random() < 0.5):
        if pop["exch_id"][mule] is None:
            ctx.open_account(mule, "exch_id")
            ctx.label("exchange", pop["exch_id"][mule], TYP, "mule", sch)
        actions.exchange_fiat_in(ctx, mule, when, usd * 0.98, "bank_transfer", TYP, sch)
        sats = actions.exchange_buy(ctx, mule, when + 600, usd * 0.97, TYP, sch)
        actions.exchange_withdraw(ctx, mule, when + 1200, sats - 5000, op_address, TYP, sch)
    else:
        if pop["remit_id"][mule] is None:
            ctx.open_account(mule, "remit_id")
            ctx.label("remitter", pop["remit_id"][mule], TYP, "mule", sch)
        actions.remit(ctx, mule, when, round(usd * 0.95, 2), operator, "friend", "business", "", TYP, sch)
