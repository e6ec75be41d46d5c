"""Commercial abuse sites paid by card, and the merchants that launder for them (rules 28-31).

Three variants: a subscription-shaped new merchant; a front merchant whose card-not-present
traffic comes from undeclared websites; a terminated merchant that comes back under a new
MID with the same principal. The internet company reports the sites and names what a test
purchase revealed.
"""

from __future__ import annotations

import numpy as np

from moneytrail.synth import actions
from moneytrail.synth.context import Context
from moneytrail.synth.merchants import descriptor
from moneytrail.synth.population import own_card
from moneytrail.synth.world import DAY

TYP = "merchant_laundering"
VARIANTS = ("reemergence", "front", "subscription")
_WORDS = ["Nova", "Pixel", "Velvet", "Orbit", "Lumen", "Zenith", "Echo", "Aurora", "Vista", "Onyx"]
_NOUNS = ["Media", "Digital", "Content", "Stream", "Web Services", "Software", "Labs", "Entertainment"]


def _new_merchant(ctx: Context, mcc: str, onboarded_day: int, principal: str, declared_url: str | None,
                  projection_usd: float) -> int:
    name = f"{ctx.rng.choice(_WORDS)} {ctx.rng.choice(_NOUNS)}"
    country = str(ctx.rng.choice(["CY", "NL", "US", "MT"]))
    m = ctx.merchants
    slug = name.lower().replace(" ", "")
    return m.add(mid=m.next_mid(), acquirer_id=f"ACQ0{int(ctx.rng.integers(1, 6))}", legal_name=f"{name} Ltd",
                 dba_name=name, descriptor=descriptor(name, None), mcc=mcc, country=country,
                 city={"CY": "Limassol", "NL": "Amsterdam", "US": "Miami", "MT": "Valletta"}[country],
                 declared_url=declared_url or f"https://www.{slug}.com", onboarded_at=onboarded_day,
                 terminated_at=None, termination_reason=None, projected_monthly_volume_usd=int(projection_usd * 100),
                 principal_name=principal, category="scheme", weight=0.0)


def _site_url(ctx: Context) -> str:
    a, b = ctx.rng.choice(["teen", "young", "secret", "private", "hidden", "vip"]), ctx.rng.choice(_WORDS).lower()
    return f"https://{a}{b}{int(ctx.rng.integers(10, 999))}.{ctx.rng.choice(['net', 'cc', 'xyz', 'to'])}"


def _cardholders(ctx: Context, n: int) -> list[tuple[int, str, str, str]]:
    pop = ctx.pop
    holders = np.union1d(pop.holders("bank_us_debit"), pop.holders("bank_gb_debit"))
    holders = np.union1d(holders, pop.holders("ext_card"))
    adults = holders[(pop["gender"][holders] == "M") & (pop["age"][holders] >= 21)]
    out = []
    for i in ctx.pick(adults, n):
        held = own_card(pop, i)
        if held is not None:
            out.append((i, *held))
    return out


def _charges(ctx: Context, m: int, holders: list[tuple[int, str, str, str]], first_day: int, last_day: int,
             price: float, refund_rate: float, sch: str, url: str | None) -> float:
    """Monthly recurring charges per card from its sign-up day; returns the total in USD."""
    pop = ctx.pop
    total = 0.0
    for i, issuer, pan, product in holders:
        ctx.label("cardnet", pan, TYP, "payer", sch)
        day = float(ctx.rng.uniform(first_day, max(first_day + 1, last_day - 20)))
        hour = (22 + ctx.rng.uniform(0, 8)) % 24
        while day < last_day:
            ts = ctx.clamp(ctx.local_ts(int(day), hour, int(pop["tz"][i])))
            actions.card(ctx, pan, issuer, product, str(pop["country"][i]), m, ts, price, TYP, sch, website_url=url)
            total += price
            if ctx.rng.random() < refund_rate:
                kind = "chargeback" if ctx.rng.random() < 0.5 else "refund"
                actions.card(ctx, pan, issuer, product, str(pop["country"][i]), m,
                             ctx.clamp(ts + ctx.uniform([2, 40]) * DAY), price, TYP, sch, txn_type=kind,
                             website_url=url)
            if ctx.rng.random() < 0.15:
                break  # cancelled
            day += 30 + ctx.rng.uniform(-1, 1)
    return total


def _report(ctx: Context, url: str, m: int, at: int, sch: str) -> None:
    """A hotline report with a test purchase on a non-member test card (the only non-payer row)."""
    test_pan = f"4000{int(ctx.rng.integers(10**11, 10**12 - 1))}"
    price = ctx.uniform([20, 50])
    actions.card(ctx, test_pan, "ISS_TEST", "prepaid", "US", m, at - 7200, price, TYP, sch, website_url=url)
    ctx.sites.append({
        "reported_at": at, "url": url, "category": "csam_commercial", "payment_methods_seen": "card",
        "test_purchase_result": "charged", "test_purchase_at": at - 7200,
        "test_purchase_mid": ctx.merchants["mid"][m], "test_purchase_descriptor": ctx.merchants["descriptor"][m],
        "test_purchase_amount": round(price, 2), "test_purchase_currency": "USD", "_sch": sch,
    })


def run(ctx: Context, variant: str) -> None:
    cfg = ctx.world.typology(TYP)
    start_day = ctx.world.start // DAY
    days = ctx.world.days
    mcc = str(ctx.rng.choice(cfg["high_risk_mccs"]))
    price = round(ctx.uniform(cfg["subscription_usd"]), 0) - float(ctx.rng.choice([0.0, 0.01, 0.05]))
    n_holders = ctx.randint(cfg["cardholders"])
    refund_rate = ctx.uniform(cfg["refund_rate"])
    over = ctx.uniform(cfg["volume_over_projection"])
    sch = ctx.new_scheme(TYP, {"variant": variant, "mcc": mcc, "price_usd": price, "cardholders": n_holders,
                               "refund_rate": round(refund_rate, 3), "volume_over_projection": round(over, 2)})
    holders = _cardholders(ctx, n_holders)
    principal = f"{ctx.rng.choice(ctx.world.names['anglo']['male'])} {ctx.rng.choice(_WORDS)}son"
    site = _site_url(ctx)
    monthly = max(price * len(holders) * 0.8, 200.0)
    if variant == "subscription":
        m = _new_merchant(ctx, mcc, start_day + int(ctx.rng.integers(-150, days // 3)), principal, None, monthly / over)
        first = max(int(ctx.merchants["onboarded_at"][m]) - start_day, 0)
        ctx.label("cardnet", ctx.merchants["mid"][m], TYP, "merchant", sch)
        _charges(ctx, m, holders, first, days, price, refund_rate, sch, None)
        _report(ctx, str(ctx.merchants["declared_url"][m]), m, ctx.clamp(ctx.world.start + (first + 60) * DAY), sch)
    elif variant == "front":
        front_mcc = str(ctx.rng.choice(["5734", "5999", "5818", "5969"]))
        m = _new_merchant(ctx, front_mcc, start_day - int(ctx.rng.integers(200, 900)), principal, None,
                          monthly / over)
        ctx.label("cardnet", ctx.merchants["mid"][m], TYP, "merchant", sch)
        # Load balancing: the front processes for two or three undeclared sites (rule 29).
        sites = [site] + [_site_url(ctx) for _ in range(int(ctx.rng.integers(1, 3)))]
        share = len(holders) // len(sites) + 1
        for k, url in enumerate(sites):
            _charges(ctx, m, holders[k * share:(k + 1) * share], 0, days, price, refund_rate, sch, url)
        _report(ctx, sites[0], m, ctx.clamp(ctx.world.start + int(days * 0.6) * DAY), sch)
    else:
        m1 = _new_merchant(ctx, mcc, start_day - int(ctx.rng.integers(30, 160)), principal, None, monthly / over)
        cut = int(days * ctx.uniform([0.3, 0.55]))
        ctx.label("cardnet", ctx.merchants["mid"][m1], TYP, "merchant", sch)
        _charges(ctx, m1, holders, 0, cut, price, refund_rate, sch, None)
        _report(ctx, site, m1, ctx.clamp(ctx.world.start + (cut - 5) * DAY), sch)
        ctx.merchants["terminated_at"][m1] = start_day + cut
        ctx.merchants["termination_reason"][m1] = "brand_violation"
        # Re-emerges under a new MID and name, same principal, at another acquirer (rule 28/MATCH).
        back = cut + int(ctx.rng.integers(3, 30))
        m2 = _new_merchant(ctx, mcc, start_day + back, principal, None, monthly / over)
        ctx.label("cardnet", ctx.merchants["mid"][m2], TYP, "merchant", sch)
        if back < days:
            _charges(ctx, m2, holders, back, days, price, refund_rate, sch, site)
            _report(ctx, site, m2, ctx.clamp(ctx.world.start + min(back + 30, days - 1) * DAY), sch)
