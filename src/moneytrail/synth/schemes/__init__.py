"""Typology schemes: each run adds one labelled scheme with randomised parameters."""

from __future__ import annotations

from moneytrail.synth.context import Context
from moneytrail.synth.schemes import aml, csam_crypto, lsac, merchant_laundering, sextortion, trafficking

EXPLOITATION = ("lsac", "sextortion", "csam_crypto", "merchant_laundering", "trafficking")
MAX_SCHEMES = 100_000


def _one(ctx: Context, typology: str, number: int) -> None:
    if typology == "lsac":
        lsac.run(ctx)
    elif typology == "sextortion":
        sextortion.run(ctx)
    elif typology == "csam_crypto":
        csam_crypto.run(ctx)
    elif typology == "merchant_laundering":
        variants = merchant_laundering.VARIANTS
        merchant_laundering.run(ctx, variants[number % len(variants)])
    else:
        trafficking.run(ctx)


def run_all(ctx: Context, transactions: int) -> None:
    """Add schemes until each typology holds its share of the requested transactions."""
    world = ctx.world
    for typology in EXPLOITATION:
        spec = world["typologies"][typology]
        target = float(spec["share"]) * transactions
        # Small runs draw small schemes, so that every typology fits in its share.
        ctx.size = min(1.0, max(target / 400.0, 0.15))
        number = 0
        while number < int(spec["min_schemes"]) or (ctx.typology_rows[typology] < target and number < MAX_SCHEMES):
            _one(ctx, typology, number)
            number += 1
    spec = world["aml"]
    patterns = list(spec["patterns"])
    target_each = float(spec["share"]) * transactions / len(patterns)
    ctx.size = 1.0
    for pattern in patterns:
        typology = f"aml_{pattern}"
        number = 0
        while number < int(spec["min_each"]) or (ctx.typology_rows[typology] < target_each and number < MAX_SCHEMES):
            aml.run(ctx, pattern)
            number += 1
    _benign_reports(ctx)


def _benign_reports(ctx: Context) -> None:
    """Reports that lead to legal adult or scam sites: the hotlist is not all abuse (look-alikes)."""
    for category in ("adult", "subscription"):
        merchants = ctx.merchants.by_category(category)
        if not len(merchants):
            continue
        m = int(ctx.rng.choice(merchants))
        at = ctx.clamp(ctx.world.start + ctx.uniform([0.1, 0.9]) * ctx.world.days * 86400)
        ctx.sites.append({
            "reported_at": at, "url": ctx.merchants["declared_url"][m],
            "category": "adult_unverified" if category == "adult" else "scam", "payment_methods_seen": "card",
            "test_purchase_result": "not_attempted", "_sch": None,
        })
