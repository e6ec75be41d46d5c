"""Trafficking for sexual exploitation (INDICATORS rules 32-33).

A funnel account takes cash deposits below the reporting threshold at branches in several
regions; the controller withdraws in his own region within two days. The controller's card
shows nightly hotel stays in many cities, classified-ad payments and bulk prepaid cards.
"""

from __future__ import annotations

import numpy as np

from moneytrail.synth import actions
from moneytrail.synth.context import Context
from moneytrail.synth.population import own_card
from moneytrail.synth.world import DAY

TYP = "trafficking"


def _branch(ctx: Context, region: str) -> str:
    cities = ctx.world.names["cities"]["US"].get(region, [region])
    city = cities[int(ctx.rng.integers(0, len(cities)))]
    return f"BRANCH=BR{int(ctx.rng.integers(1, 400)):03d};CITY={city};REGION={region}"


def ad_merchant(ctx: Context) -> int:
    found = ctx.merchants.by_category("ads")
    if len(found):
        return int(ctx.rng.choice(found))
    m = ctx.merchants
    return m.add(mid=m.next_mid(), acquirer_id="ACQ03", legal_name="ClassiFind Media Inc", dba_name="ClassiFind",
                 descriptor="CLASSIFIND ADS", mcc="7311", country="US", city="Las Vegas",
                 declared_url="https://www.classifind.com", onboarded_at=ctx.world.start // DAY - 2000,
                 projected_monthly_volume_usd=5_000_000, principal_name="Corporate", category="ads", weight=1.0)


def run(ctx: Context) -> None:
    cfg = ctx.world.typology(TYP)
    pop = ctx.pop
    us_bank = pop.holders("bank_us_acct")
    adults = us_bank[(pop["age"][us_bank] >= 21) & (pop["age"][us_bank] <= 55) & (pop["country"][us_bank] == "US")]
    with_card = adults[pop["bank_us_debit"][adults] != None]  # noqa: E711
    controller = ctx.pick(with_card, 1)[0]
    funnel = ctx.pick(adults, 1)[0]
    n_deposits = ctx.randint(cfg["deposits"])
    n_branches = ctx.randint(cfg["branches"])
    sch = ctx.new_scheme(TYP, {"deposits": n_deposits, "branches": n_branches})
    ctx.label("bank_us", pop["bank_us_acct"][controller], TYP, "operator", sch)
    ctx.label("bank_us", pop["bank_us_acct"][funnel], TYP, "mule", sch)
    home = str(pop["region"][controller])
    regions = [r for r in ctx.world.country("US")["regions"] if r != home]
    deposit_regions = list(ctx.rng.choice(regions, size=min(n_branches, len(regions)), replace=False))
    tz = int(pop["tz"][funnel])
    day = float(ctx.rng.uniform(0, ctx.world.days * 0.5))
    for _ in range(n_deposits):
        if day >= ctx.world.days - 2:
            break
        region = str(deposit_regions[int(ctx.rng.integers(0, len(deposit_regions)))])
        usd = float(int(ctx.uniform(cfg["deposit_usd"]) / 10) * 10)
        ts = ctx.clamp(ctx.local_ts(int(day), ctx.uniform([9, 17]), tz))
        actions.bank_post(ctx, "bank_us", pop["bank_us_acct"][funnel], pop.full_name(funnel), ts, tz, usd, "CRDT",
                          actions.BKTX_CASH_IN, TYP, sch, addtl=_branch(ctx, region))
        when = ctx.clamp(ts + ctx.uniform(cfg["withdraw_hours"]) * 3600)
        out = float(int(usd * ctx.uniform([0.8, 1.0]) / 20) * 20)
        actions.bank_post(ctx, "bank_us", pop["bank_us_acct"][funnel], pop.full_name(funnel), when, tz, out, "DBIT",
                          actions.BKTX_CASH_OUT, TYP, sch, addtl=_branch(ctx, home))
        day += ctx.uniform([1, 10])
    held = own_card(pop, controller)
    if held is None:
        return
    issuer, pan, product = held
    ctx.label("cardnet", pan, TYP, "operator", sch)
    country = str(pop["country"][controller])
    # S3: victims are moved along a circuit - runs of nightly stays, each run at a hotel in another city.
    hotels = ctx.merchants.by_category("hotel")
    nights = ctx.randint(cfg["hotel_nights"])
    day = int(ctx.rng.integers(0, max(ctx.world.days - nights * 3, 1)))
    while nights > 0 and day < ctx.world.days:
        m = int(ctx.rng.choice(hotels))
        for _ in range(min(nights, ctx.randint([2, 5]))):
            ts = ctx.clamp(ctx.local_ts(day, ctx.uniform([20, 24]), tz))
            actions.card(ctx, pan, issuer, product, country, m, ts, ctx.uniform([60, 160]), TYP, sch, card_present=True)
            nights -= 1
            day += 1
        day += ctx.randint([1, 10])
    ads = ad_merchant(ctx)
    for _ in range(ctx.randint(cfg["ad_payments"])):
        ts = ctx.clamp(ctx.local_ts(int(ctx.rng.integers(0, ctx.world.days)), ctx.uniform([0, 24]), tz))
        actions.card(ctx, pan, issuer, product, country, ads, ts, float(ctx.rng.choice([20, 35, 50, 75, 150])),
                     TYP, sch)
    gift = ctx.merchants.by_category("giftcard")
    for _ in range(ctx.randint(cfg["prepaid_purchases"])):
        ts = ctx.clamp(ctx.local_ts(int(ctx.rng.integers(0, ctx.world.days)), ctx.uniform([9, 21]), tz))
        actions.card(ctx, pan, issuer, product, country, int(ctx.rng.choice(gift)), ts,
                     float(ctx.rng.choice([200, 300, 400, 500])), TYP, sch, card_present=True)
    _ = np
