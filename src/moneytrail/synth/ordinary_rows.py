"""Ordinary life, one movement at a time, where members' records must agree with each other.

Exchange sessions (bank or card funding, trades, on-chain withdrawals
and deposits), international wires, and outside on-chain traffic. These are a minority of
rows, so plain Python stays fast enough.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from moneytrail.synth import actions, clock
from moneytrail.synth.ordinary import Period

FUNDING = {"bank_transfer": 0.6, "debit_card": 0.3, "credit_card": 0.07, "prepaid_card": 0.03}


_CUMULATIVE: dict[tuple[int, str, int, int], np.ndarray] = {}


def _draw(per: Period, key: str, weights: Callable[[], np.ndarray]) -> int:
    """One index drawn with the weights (cumulative weights cached per period and profile)."""
    cache_key = (id(per), key, per.first_day, per.last_day)
    cumulative = _CUMULATIVE.get(cache_key)
    if cumulative is None:
        if len(_CUMULATIVE) > 64:
            _CUMULATIVE.clear()
        w = weights()
        cumulative = _CUMULATIVE[cache_key] = np.cumsum(w) / w.sum()
    return min(int(np.searchsorted(cumulative, per.ctx.rng.random(), side="right")), len(cumulative) - 1)


def _hour(per: Period, profile: str) -> float:
    return _draw(per, profile, lambda: per.ctx.world.hours(profile)) + float(per.ctx.rng.random())


def _day(per: Period) -> int:
    world = per.ctx.world
    days = np.arange(per.first_day, per.last_day)
    return per.first_day + _draw(per, "days", lambda: world.weekdays[clock.weekday_of(world, days)])


def _one(rng: np.random.Generator, items: Sequence[Any] | np.ndarray) -> Any:
    return items[int(rng.integers(0, len(items)))]


def exchange_sessions(per: Period, n: int) -> None:
    ctx = per.ctx
    rng, pop = ctx.rng, ctx.pop
    customers = pop.holders("exch_id")
    weight = pop["activity"][customers] ** 1.5
    cumulative = np.cumsum(weight) / weight.sum()
    while len(ctx.rows.get(("exchange", "ledger")) or ()) < n:
        k = min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(customers) - 1)
        i = int(customers[k])
        ts = ctx.clamp(ctx.local_ts(_day(per), _hour(per, "evening"), int(pop["tz"][i])))
        usd = float(np.exp(np.log(250) + 1.1 * rng.standard_normal()))
        kind = rng.random()
        if kind < 0.45:
            method = ctx.choice(FUNDING)
            actions.exchange_fiat_in(ctx, i, ts, usd, method, None, None)
            sats = actions.exchange_buy(ctx, i, ctx.clamp(ts + ctx.uniform([60, 7200])), usd * 0.99, None, None)
            if rng.random() < 0.3:
                # Self-custody: to the customer's own wallet, sometimes within the hour (a look-alike).
                actions.exchange_withdraw(ctx, i, ctx.clamp(ts + ctx.uniform([0.2, 96]) * 3600), sats - 2000,
                                          str(pop["own_wallet"][i]), None, None)
        elif kind < 0.65:
            sats = ctx.sats(usd, ts)
            ccy = actions.person_ccy(ctx, i)
            local = ctx.convert(usd, "USD", ccy)
            ctx.add("exchange", "ledger", account_id=pop["exch_id"][i], entry_type="sell", asset=ccy,
                    amount=ctx.minor(local), fee=ctx.minor(local * 0.005), counter_asset="BTC", counter_amount=sats,
                    ip=pop["ip"][i], device_id=pop["device"][i], _ts=ts, _tz=0)
            _member, account = actions.credit_own_bank(ctx, i, ctx.clamp(ts + 86400), local * 0.99, "CoinHarbor Ltd",
                                                      "MT", "COINHARBOR PAYOUT", None, None)
            ctx.add("exchange", "ledger", account_id=pop["exch_id"][i], entry_type="fiat_withdrawal", asset=ccy,
                    amount=ctx.minor(local * 0.99), fee=0, funding_method="bank_transfer", funding_account=account,
                    ip=pop["ip"][i], device_id=pop["device"][i], _ts=ts + 600, _tz=0)
        elif kind < 0.8:
            sats = ctx.sats(usd, ts)
            tx = ctx.chain.pay(ts, [str(pop["own_wallet"][i])], [(str(pop["deposit_address"][i]), sats)])
            ctx.add("exchange", "ledger", account_id=pop["exch_id"][i], entry_type="crypto_deposit", asset="BTC",
                    amount=sats, fee=0, address=pop["deposit_address"][i], chain="btc", tx_hash=tx,
                    _ts=ctx.clamp(ts + 1800), _tz=0)
        else:
            actions.exchange_buy(ctx, i, ts, usd, None, None)


def wires(per: Period, n: int) -> None:
    """International wires from bank customers: family support abroad and business payments."""
    ctx = per.ctx
    rng, pop = ctx.rng, ctx.pop
    rel = pop.relatives
    banked = np.flatnonzero((pop["bank_us_acct"] != None) | (pop["bank_gb_acct"] != None))  # noqa: E711
    has_family = np.isin(rel["sender"], banked)
    fam_s, fam_r, fam_how = rel["sender"][has_family], rel["receiver"][has_family], rel["relationship"][has_family]
    for _ in range(n):
        if len(fam_s) and rng.random() < 0.6:
            k = int(rng.integers(0, len(fam_s)))
            i, r = int(fam_s[k]), int(fam_r[k])
            usd = float(np.exp(np.log(450) + 0.7 * rng.standard_normal()))
            name, country, account = pop.full_name(r), str(pop["country"][r]), str(pop["ext_account"][r])
            reference = str(_one(rng, ["family support", "school fees", "for mama", "medical", "allowance", "",
                                        "birthday gift", "house repairs"])) or None
            purpose = None
            _ = fam_how
        else:
            i = int(_one(rng, banked))
            usd = float(np.exp(np.log(3000) + 1.2 * rng.standard_normal()))
            country = str(_one(rng, ["DE", "FR", "NL", "CN", "IE", "ES"]))
            name = f"{_one(rng, ctx.world.names['merchant_words'])} {_one(rng, ['GmbH', 'SARL', 'BV', 'Ltd'])}"
            account = f"{int(rng.integers(10**11, 10**12 - 1))}"
            reference = f"INV {int(rng.integers(1000, 99999))}"
            purpose = str(_one(rng, ["GDDS", "SUPP", "SCVE"]))
        ts = ctx.clamp(ctx.local_ts(_day(per), _hour(per, "business"), int(pop["tz"][i])))
        amount = ctx.convert(usd, "USD", actions.person_ccy(ctx, i))
        actions.wire(ctx, i, ts, round(amount, 2), name, country, account, "BKCHXXXX", purpose, reference, None, None)


def chain_background(per: Period, n: int) -> None:
    """Outside wallets paying each other: heavy-tailed senders and values."""
    ctx = per.ctx
    rng = ctx.rng
    pool = ctx.chain.addresses(max(200, n // 3))
    weights = 1.0 / (np.arange(len(pool)) + 1) ** 0.8
    weights /= weights.sum()
    senders = rng.choice(len(pool), size=n, p=weights)
    receivers = rng.choice(len(pool), size=n, p=weights)
    receivers = np.where(receivers == senders, (receivers + 1) % len(pool), receivers)
    for a, b in zip(senders.tolist(), receivers.tolist(), strict=True):
        ts = int(ctx.world.start + _day(per) * 86400 + rng.integers(0, 86400))
        sats = int(np.exp(np.log(2_000_000) + 1.6 * rng.standard_normal())) + 1000
        outputs = [(pool[int(b)], sats)]
        if rng.random() < 0.3:
            outputs.append((pool[int(rng.integers(0, len(pool)))], int(sats * rng.uniform(0.1, 2))))
        ctx.chain.pay(ctx.clamp(ts), [pool[int(a)]], outputs)
