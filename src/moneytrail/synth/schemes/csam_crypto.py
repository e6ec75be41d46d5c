"""Purchases of abuse material with bitcoin (INDICATORS rules 21-25).

A site gives each payer a unique deposit address. Payers fund an exchange account (bank
transfer, card, or prepaid card), buy, and withdraw a fixed small amount every few weeks,
mostly late at night; some go through a mixer or an instant exchanger first. The vendor
sweeps the deposit addresses into a collector and moves on to an exchanger.
"""

from __future__ import annotations

import numpy as np

from moneytrail.synth import actions
from moneytrail.synth.context import Context
from moneytrail.synth.population import own_account

TYP = "csam_crypto"
SITE_WORDS = ["vault", "club", "secret", "share", "cloud", "box", "zone", "hub", "files", "den"]


def run(ctx: Context) -> None:
    cfg = ctx.world.typology(TYP)
    pop = ctx.pop
    n_payers = ctx.randint(cfg["payers"])
    price_usd = ctx.uniform(cfg["usd_amount"])
    p_odd = ctx.uniform(cfg["odd_hour_share"])
    mixer = ctx.rng.random() < float(cfg["mixer_probability"])
    sch = ctx.new_scheme(TYP, {"payers": n_payers, "price_usd": round(price_usd, 2), "odd_hour_share": round(p_odd, 3),
                               "mixer": mixer})
    deposit = ctx.chain.addresses(n_payers + 1)  # one per payer, one revealed by the test purchase
    collector, exchanger = ctx.chain.addresses(2)
    mixer_in = ctx.chain.addresses(3) if mixer else []
    for address in deposit:
        ctx.label("btc", address, TYP, "merchant", sch)
    ctx.label("btc", collector, TYP, "operator", sch)
    for address in mixer_in:
        ctx.label("btc", address, TYP, "mule", sch)

    customers = pop.holders("exch_id")
    candidates = customers[(pop["gender"][customers] == "M") & (pop["age"][customers] >= 20)]
    payers = ctx.pick(candidates if len(candidates) >= n_payers else customers, n_payers)
    last_ts = ctx.world.start
    for n, payer in enumerate(payers):
        ctx.label("exchange", pop["exch_id"][payer], TYP, "payer", sch)
        method = ctx.choice(cfg["funding"])
        if method == "prepaid_card" and pop["prepaid_card"][payer] is None:
            ctx.prepaid_card(payer)
        if method == "bank_transfer":
            member, account = own_account(pop, payer)
            ctx.label(member, account, TYP, "payer", sch)
        elif method == "prepaid_card":
            ctx.label("cardnet", pop["prepaid_card"][payer], TYP, "payer", sch)
        else:
            pan = pop["bank_us_debit"][payer] or pop["bank_gb_debit"][payer]
            if pan is None:
                method = "bank_transfer"
                member, account = own_account(pop, payer)
                ctx.label(member, account, TYP, "payer", sch)
            else:
                ctx.label("cardnet", pan, TYP, "payer", sch)
        tz = int(pop["tz"][payer])
        day = float(ctx.rng.uniform(0, ctx.world.days * 0.5))
        for _ in range(ctx.randint(cfg["payments_per_payer"])):
            if day >= ctx.world.days - 1:
                break
            # The payment itself is what falls at night (S12: sent 11pm-5am); funding and buying precede it.
            hour = (23 + ctx.rng.uniform(0, 6)) % 24 if ctx.rng.random() < p_odd else ctx.uniform([8, 23])
            pay_ts = ctx.clamp(ctx.local_ts(int(day), hour, tz))
            usd = price_usd * (1 + ctx.rng.uniform(-float(cfg["jitter"]), float(cfg["jitter"])))
            funded = usd * ctx.uniform([1.05, 2.5]) if method != "prepaid_card" else usd * 1.05
            # Prepaid-funded buys leave within the hour (rule 25); others may wait.
            wait = ctx.uniform([600, 3000]) if method == "prepaid_card" else ctx.uniform([900, 5 * 3600])
            ts = pay_ts - int(wait)
            actions.exchange_fiat_in(ctx, payer, ts, funded, method, TYP, sch)
            sats = actions.exchange_buy(ctx, payer, ts + int(ctx.uniform([120, min(900, wait - 60)])), usd, TYP, sch)
            dest = mixer_in[int(ctx.rng.integers(0, len(mixer_in)))] if mixer else deposit[n]
            tx = actions.exchange_withdraw(ctx, payer, pay_ts, sats, dest, TYP, sch)
            if mixer:
                hop = ctx.clamp(pay_ts + ctx.uniform([1, 12]) * 3600)
                ctx.chain_pay(hop, [dest], [(deposit[n], int(sats * 0.97))], TYP, sch)
            last_ts = max(last_ts, pay_ts + 13 * 3600)  # after any mixer hop
            day += ctx.uniform([20, 40])
            _ = tx
    # A hotline/LE test purchase pays the invoice address it was given (from a wallet outside the coalition).
    url = f"http://{ctx.rng.choice(SITE_WORDS)}{ctx.rng.choice(SITE_WORDS)}{int(ctx.rng.integers(10, 99))}.to"
    report_ts = ctx.clamp(ctx.world.start + ctx.uniform([0.3, 0.9]) * ctx.world.days * 86400)
    test_buyer = ctx.chain.addresses(1)[0]
    ctx.chain_pay(report_ts - 3600, [test_buyer], [(deposit[-1], ctx.sats(price_usd, report_ts))], TYP, sch)
    # The vendor sweeps all its deposit addresses together (S12: one site, thousands of addresses),
    # then moves the lot to an instant exchanger.
    sweep = ctx.clamp(max(last_ts, report_ts) + ctx.uniform([2, 10]) * 86400)
    ctx.chain_pay(sweep, deposit, [], TYP, sch, change=collector, spend_all=True)
    ctx.chain_pay(ctx.clamp(sweep + 7200), [collector], [], TYP, sch, change=exchanger, spend_all=True)
    ctx.label("btc", exchanger, TYP, "mule", sch)
    ctx.sites.append({
        "reported_at": report_ts, "url": url, "category": "csam_commercial",
        "payment_methods_seen": "crypto_btc", "test_purchase_result": "paid",
        "test_purchase_at": report_ts - 3600, "test_purchase_crypto_address": deposit[-1],
        "test_purchase_amount": round(price_usd, 2), "test_purchase_currency": "USD", "_sch": sch,
    })
    _ = np

