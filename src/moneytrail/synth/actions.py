"""One movement at a time, as each member involved records it (used by the typology schemes).

A remittance funded from a member bank and paid into a PesoPocket wallet is three rows:
the bank's debit, the remitter's transfer and the e-wallet's credit, linked by identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

from moneytrail.synth.context import Context
from moneytrail.synth.population import own_account

BKTX_IN = "PMNT/RCDT/ESCT"
BKTX_OUT = "PMNT/ICDT/ESCT"
BKTX_DD = "PMNT/IDDT/ESDD"
BKTX_CASH_IN = "PMNT/CNTR/CDPT"
BKTX_CASH_OUT = "PMNT/CNTR/CWDL"
BANK_CCY = {"bank_us": "USD", "bank_gb": "GBP"}
PARTNERS = {"bank_us": "Liberty Federal Bank", "bank_gb": "Thames Street Bank"}


@dataclass
class Receiver:
    name: str
    country: str
    phone: str | None
    method: str  # wallet, bank_deposit, cash_pickup
    account: str | None
    partner: str


def person_ccy(ctx: Context, i: int) -> str:
    return ctx.world.currency(str(ctx.pop["country"][i]))


def bank_post(ctx: Context, member: str, account: str, owner: str, ts: int, tz: int, amount: float, cdt_dbt: str,
              bktxcd: str, typ: str | None, sch: str | None, **extra: str | None) -> str:
    return ctx.add(member, "camt", account=account, acct_ccy=BANK_CCY[member], owner_name=owner,
                   amount=ctx.minor(amount), cdt_dbt=cdt_dbt, bktxcd=bktxcd, _ts=ts, _tz=tz, _typ=typ, _sch=sch,
                   **extra)


def _post_own_bank(ctx: Context, i: int, ts: int, amount_ccy: float, side: str, cp_name: str, cp_country: str,
                   reference: str | None, typ: str | None, sch: str | None) -> tuple[str, str]:
    """A movement on the person's main account (side DBIT or CRDT); at a member bank it is on the statement."""
    member, account = own_account(ctx.pop, i)
    if member != "ext":
        amount = ctx.convert(amount_ccy, person_ccy(ctx, i), BANK_CCY[member])
        bank_post(ctx, member, account, ctx.pop.full_name(i), ts, int(ctx.pop["tz"][i]), amount, side,
                  BKTX_OUT if side == "DBIT" else BKTX_IN, typ, sch, cp_name=cp_name, cp_country=cp_country,
                  reference=reference)
    return member, account


def debit_own_bank(ctx: Context, i: int, ts: int, amount_ccy: float, cp_name: str, cp_country: str,
                   reference: str | None, typ: str | None, sch: str | None) -> tuple[str, str]:
    """A transfer out of the person's main account."""
    return _post_own_bank(ctx, i, ts, amount_ccy, "DBIT", cp_name, cp_country, reference, typ, sch)


def credit_own_bank(ctx: Context, i: int, ts: int, amount_ccy: float, cp_name: str, cp_country: str,
                    reference: str | None, typ: str | None, sch: str | None) -> tuple[str, str]:
    """A transfer into the person's main account."""
    return _post_own_bank(ctx, i, ts, amount_ccy, "CRDT", cp_name, cp_country, reference, typ, sch)


def wire(ctx: Context, i: int, ts: int, amount_ccy: float, cdtr_name: str, cdtr_country: str, cdtr_account: str,
         cdtr_bic: str, purpose: str | None, reference: str | None, typ: str | None, sch: str | None) -> str | None:
    member, account = own_account(ctx.pop, i)
    if member == "ext":
        return None
    return ctx.add(member, "pacs", dbtr_account=account, dbtr_name=ctx.pop.full_name(i),
                   dbtr_country=str(ctx.pop["country"][i]), cdtr_account=cdtr_account, cdtr_name=cdtr_name,
                   cdtr_country=cdtr_country, cdtr_bic=cdtr_bic,
                   amount=ctx.minor(ctx.convert(amount_ccy, person_ccy(ctx, i), BANK_CCY[member])),
                   currency=BANK_CCY[member], purpose=purpose, reference=reference, _ts=ts,
                   _tz=int(ctx.pop["tz"][i]), _typ=typ, _sch=sch)


def merchant_ccy(ctx: Context, m: int) -> str:
    return {"US": "USD", "GB": "GBP"}.get(str(ctx.merchants["country"][m]), "EUR")


def card(ctx: Context, pan: str, issuer: str, product: str, holder_country: str, m: int, ts: int, amount_usd: float,
         typ: str | None, sch: str | None, txn_type: str = "purchase", website_url: str | None = None,
         card_present: bool = False) -> str:
    ccy = merchant_ccy(ctx, m)
    bill_ccy = ctx.world.currency(holder_country) if issuer != "ISS_PREPAID1" else "USD"
    amount = ctx.convert(amount_usd, "USD", ccy)
    category = str(ctx.merchants["category"][m])
    cnp_url = website_url or ctx.merchants["declared_url"][m]
    return ctx.add(
        "cardnet", "clearing", pan=pan, card_product=product, issuer_id=issuer, issuer_country=holder_country,
        acquirer_id=ctx.merchants["acquirer_id"][m], mid=ctx.merchants["mid"][m],
        merchant_name=ctx.merchants["dba_name"][m], descriptor=ctx.merchants["descriptor"][m],
        mcc=ctx.merchants["mcc"][m], merchant_city=ctx.merchants["city"][m],
        merchant_country=ctx.merchants["country"][m], website_url=None if card_present else cnp_url,
        amount=ctx.minor(amount), currency=ccy, billing_amount=ctx.minor(ctx.convert(amount, ccy, bill_ccy)),
        billing_currency=bill_ccy, txn_type=txn_type, card_present="Y" if card_present else "N",
        pos_entry=("atm" if category == "atm" else "chip") if card_present else "ecom",
        auth_code=f"{int(ctx.rng.integers(0, 16**6)):06X}", _ts=ts,
        _tz=ctx.world.tz(str(ctx.merchants["country"][m])), _typ=typ, _sch=sch)


def remit(ctx: Context, i: int, ts: int, send_amount: float, receiver: Receiver, relationship: str, purpose: str,
          message: str, typ: str | None, sch: str | None) -> str:
    """A GlobeSend transfer, its funding debit at a member bank, and its wallet credit at PesoPocket."""
    pop = ctx.pop
    ccy = person_ccy(ctx, i)
    payout_ccy = ctx.world.currency(receiver.country)
    rate = ctx.world.usd_per(ccy) / ctx.world.usd_per(payout_ccy) * 0.985
    fee = 2.99 if send_amount < 500 else 4.99
    member, account = own_account(pop, i)
    funding = "bank_account" if member != "ext" else "debit_card"
    funding_account = account if member != "ext" else pop["ext_card"][i]
    ref = ctx.add(
        "remitter", "transfers", sender_id=pop["remit_id"][i], sender_name=pop.full_name(i),
        sender_country=pop["country"][i], send_amount=ctx.minor(send_amount), send_currency=ccy,
        fee=ctx.minor(fee), fx_rate=round(rate, 6), payout_amount=ctx.minor(send_amount * rate),
        payout_currency=payout_ccy, receiver_name=receiver.name, receiver_country=receiver.country,
        receiver_phone=receiver.phone, payout_method=receiver.method, payout_account=receiver.account,
        payout_partner=receiver.partner, relationship=relationship, purpose=purpose, message=message or None,
        funding_method=funding, funding_account=funding_account, device_id=pop["device"][i], ip=pop["ip"][i],
        _ts=ts, _tz=int(pop["tz"][i]), _typ=typ, _sch=sch)
    if member != "ext":
        bank_post(ctx, member, account, pop.full_name(i), ts, int(pop["tz"][i]),
                  ctx.convert(send_amount + fee, ccy, BANK_CCY[member]), "DBIT", BKTX_OUT, typ, sch,
                  cp_name="GlobeSend Remittance", cp_country="US", reference=f"GLOBESEND {ref}")
    if receiver.method == "wallet" and receiver.partner == "PesoPocket":
        ctx.add("ewallet_ph", "ewallet", txn_type="REMIT_IN", amount=ctx.minor(send_amount * rate), currency="PHP",
                from_name=pop.full_name(i), from_country=pop["country"][i], to_wallet=receiver.account,
                to_name=receiver.name, partner="GlobeSend", partner_ref=ref,
                _ts=ts + int(ctx.rng.integers(20, 600)), _tz=480, _typ=typ, _sch=sch)
    return ref


def p2p(ctx: Context, sender: int, receiver: int, ts: int, amount: float, note: str | None, typ: str | None,
        sch: str | None) -> str:
    pop = ctx.pop
    return ctx.add("p2p_app", "payments", type="payment", sender_user_id=pop["p2p_user"][sender],
                   receiver_user_id=pop["p2p_user"][receiver], amount=ctx.minor(amount), currency="USD", note=note,
                   receiver_country="US", device_id=pop["device"][sender], ip=pop["ip"][sender], _ts=ts,
                   _tz=int(pop["tz"][sender]), _typ=typ, _sch=sch)


def p2p_cash_out(ctx: Context, i: int, ts: int, amount: float, typ: str | None, sch: str | None) -> str:
    pop = ctx.pop
    member, account = own_account(pop, i)
    ref = ctx.add("p2p_app", "payments", type="cash_out", sender_user_id=pop["p2p_user"][i], amount=ctx.minor(amount),
                  currency="USD", external_account=account, external_institution=PARTNERS.get(member, "Other Bank"),
                  receiver_country="US", device_id=pop["device"][i], ip=pop["ip"][i], _ts=ts,
                  _tz=int(pop["tz"][i]), _typ=typ, _sch=sch)
    if member == "bank_us":
        bank_post(ctx, member, account, pop.full_name(i), ts + 60, int(pop["tz"][i]), amount, "CRDT", BKTX_IN,
                  typ, sch, cp_name="ZapPay Inc", cp_country="US", reference=f"ZAPPAY {ref}")
    return ref


def ewallet(ctx: Context, txn_type: str, ts: int, amount_php: float, typ: str | None, sch: str | None,
            **fields: str | None) -> str:
    return ctx.add("ewallet_ph", "ewallet", txn_type=txn_type, amount=ctx.minor(amount_php), currency="PHP", _ts=ts,
                   _tz=480, _typ=typ, _sch=sch, **fields)


def exchange_fiat_in(ctx: Context, i: int, ts: int, usd: float, method: str, typ: str | None, sch: str | None) -> str:
    """Fiat into the exchange: a bank transfer (bank statement debit) or a card payment (clearing row)."""
    pop = ctx.pop
    ccy = person_ccy(ctx, i)
    amount = ctx.convert(usd, "USD", ccy)
    if method == "bank_transfer":
        _member, account = debit_own_bank(ctx, i, ts, amount, "CoinHarbor Ltd", "MT", f"CH {pop['exch_id'][i]}",
                                          typ, sch)
    else:
        col = {"debit_card": "bank_us_debit", "credit_card": "bank_us_credit", "prepaid_card": "prepaid_card"}[method]
        account = pop[col][i] or pop["bank_gb_debit"][i] or pop["prepaid_card"][i]
        if account is None:
            method = "bank_transfer"
            _member, account = debit_own_bank(ctx, i, ts, amount, "CoinHarbor Ltd", "MT", None, typ, sch)
        else:
            issuer = "ISS_PREPAID1" if method == "prepaid_card" or str(account).startswith("438857") else (
                "bank_us" if str(account)[:6] in ("453912", "542418") else "bank_gb")
            product = "prepaid" if issuer == "ISS_PREPAID1" else method.split("_")[0]
            card(ctx, str(account), issuer, product, str(pop["country"][i]), ctx.special_merchant("coinharbor"), ts,
                 usd, typ, sch)
    return ctx.add("exchange", "ledger", account_id=pop["exch_id"][i], entry_type="fiat_deposit", asset=ccy,
                   amount=ctx.minor(amount), fee=0, funding_method=method, funding_account=account,
                   ip=pop["ip"][i], device_id=pop["device"][i], _ts=ts + 120, _tz=0, _typ=typ, _sch=sch)


def exchange_buy(ctx: Context, i: int, ts: int, usd: float, typ: str | None, sch: str | None) -> int:
    pop = ctx.pop
    ccy = person_ccy(ctx, i)
    sats = ctx.sats(usd, ts)
    ctx.add("exchange", "ledger", account_id=pop["exch_id"][i], entry_type="buy", asset="BTC", amount=sats,
            fee=int(sats * 0.005), counter_asset=ccy, counter_amount=ctx.minor(ctx.convert(usd, "USD", ccy)),
            ip=pop["ip"][i], device_id=pop["device"][i], _ts=ts, _tz=0, _typ=typ, _sch=sch)
    return sats


def exchange_withdraw(ctx: Context, i: int, ts: int, sats: int, address: str, typ: str | None,
                      sch: str | None) -> str:
    """A withdrawal on chain: the ledger row and the transaction from a hot wallet, with the same hash."""
    pop = ctx.pop
    hot = ctx.hot_wallets[int(ctx.rng.integers(0, len(ctx.hot_wallets)))]
    tx_hash = ctx.chain_pay(ts + int(ctx.rng.integers(60, 900)), [hot], [(address, sats)], typ, sch, change=hot)
    ctx.add("exchange", "ledger", account_id=pop["exch_id"][i], entry_type="crypto_withdrawal", asset="BTC",
            amount=sats, fee=2000, address=address, chain="btc", tx_hash=tx_hash, ip=pop["ip"][i],
            device_id=pop["device"][i], _ts=ts, _tz=0, _typ=typ, _sch=sch)
    return tx_hash
