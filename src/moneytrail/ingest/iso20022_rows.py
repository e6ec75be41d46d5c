"""ISO 20022 payments from extracted fields: the rules of each walk, on whole Arrow columns.

All values stay text (the Stager types and checks them). The rules:
- entries (camt.052/053/054): a credit comes from the counterparty to the statement's account, a
  debit the other way; a TxDtls without its own amount takes the entry's when it is the only one;
  the channel follows the bank transaction family.
- initiation (pain.001/008): the payment-information group is the member's own side (the debtor
  in pain.001, the creditor collecting in pain.008).
- interbank (pacs.008/009): either side may be the member's own customer (`cpty` on both).
Ids are the first reference given that is not a "no id" word, else the position in the message;
the same id twice in one file stays two payments (`#2`, `#3`, ...).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.ingest.iso20022_extract import (
    coalesce,
    country_of,
    first_id,
    joined,
    lookup,
    positions,
    references,
    sides,
    text,
)

Columns = dict[str, pa.Array]


class Rows:
    """Turns extracted batches of one file into staged-transaction text columns."""

    def __init__(self, ns: str, member: str, config: dict[str, Any]) -> None:
        self.ns = {"n": ns}
        self.member = member
        self.config = config
        self.header: dict[str, str | None] = {}
        self.seen: dict[str, int] = {}

    def on_header(self, header: Any) -> None:
        def value(local: str) -> str | None:
            found = str(header.xpath(f"string(n:{local}[normalize-space()])", namespaces=self.ns)).strip()
            return found or None

        self.header = {"msg_id": value("MsgId"), "created": value("CreDtTm"), "settlement_date": value("IntrBkSttlmDt")}

    def ids(self, chosen: pa.Array, fallback: pa.Array) -> pa.Array:
        """`member:id`, with `#n` for the n-th time an id comes up in this file."""
        seen, member, out = self.seen, self.member, []
        for value in coalesce(chosen, fallback).to_pylist():
            count = seen.get(value, 0)
            seen[value] = count + 1
            out.append(f"{member}:{value}" if count == 0 else f"{member}:{value}#{count + 1}")
        return pa.array(out, pa.string())

    def _fallback(self, location: pa.Array) -> pa.Array:
        return joined(f"{self.header.get('msg_id')}/", location)

    # -- camt.052 / 053 / 054 ------------------------------------------------------------
    def entries(self, raw: list[pa.Array], group: list[pa.Array]) -> Columns:
        c = [text(column) for column in raw]
        _, ordinal, offset, statement, own, own_currency, own_bic, owner_country, owner_name = [text(g) for g in group]
        own_country = coalesce(country_of(own, own_bic), owner_country)
        credit = pc.equal(raw[5], "1")
        counterparty, cpty_party, cpty_bic = c[6], c[7], c[8]
        detail = pc.if_else(pc.equal(raw[2], ""), "", joined("/NtryDtls/TxDtls[", raw[2], "]"))
        location = joined(statement, "[", ordinal, "]/Ntry[", positions(raw[1], offset), "]", detail)
        chosen = first_id(self.config["no_id"], c[9], c[10], c[11], coalesce(c[12], c[13]))
        cpty_country = coalesce(cpty_party, country_of(counterparty, cpty_bic))
        return {
            "txn_id": self.ids(chosen, self._fallback(location)),
            "ts": coalesce(c[15], self.header.get("created")),
            "amount": c[3],
            "currency": coalesce(c[4], own_currency),
            "channel": lookup(c[14], self.config["channel_by_family"], self.config["default_channel"]),
            **directed(credit, counterparty, own, cpty_country, own_country),
            **named(credit, c[19], owner_name),
            "reference": coalesce(references(raw[16]), c[17], c[18]),
            "source_row": location,
        }

    # -- pain.001 / pain.008 -------------------------------------------------------------
    def initiation(self, raw: list[pa.Array], group: list[pa.Array], item: str) -> Columns:
        c = [text(column) for column in raw]
        _, ordinal, offset, pmt_inf_id, own, party_country, own_bic, date, party_name = [text(g) for g in group]
        own_country = coalesce(country_of(own, own_bic), party_country)
        debit_side_is_item = item == "DrctDbtTxInf"
        counterparty = c[4]
        cpty_country = coalesce(c[5], country_of(counterparty, c[6]))
        index = positions(raw[1], offset)
        credit = pa.array([debit_side_is_item] * len(index), pa.bool_())
        fallback = joined(coalesce(pmt_inf_id, str(self.header.get("msg_id"))), "/", index)
        return {
            "txn_id": self.ids(first_id(self.config["no_id"], c[7], c[8]), fallback),
            "ts": coalesce(date, self.header.get("created")),
            "amount": c[2],
            "currency": c[3],
            "channel": pa.array(["direct_debit" if debit_side_is_item else "wire"] * len(index), pa.string()),
            **directed(credit, counterparty, own, cpty_country, own_country),
            **named(credit, c[11], party_name),
            "reference": coalesce(references(raw[9]), c[10]),
            "source_row": joined("PmtInf[", ordinal, f"]/{item}[", index, "]"),
        }

    # -- pacs.008 / pacs.009 -------------------------------------------------------------
    def interbank(self, raw: list[pa.Array], group: list[pa.Array], item: str) -> Columns:
        c = [text(column) for column in raw]
        location = joined(f"{item}[", positions(raw[1], group[2]), "]")
        cpty = pa.array(["cpty"] * len(location), pa.string())
        header = self.header
        return {
            "txn_id": self.ids(first_id(self.config["no_id"], c[10], c[11], c[12]), self._fallback(location)),
            "ts": coalesce(c[13], c[14], header.get("settlement_date"), header.get("created")),
            "amount": c[2],
            "currency": c[3],
            "channel": pa.array(["wire"] * len(location), pa.string()),
            # either side may be the member's own customer: the loader resolves `cpty`
            "src_raw": c[4],
            "src_scope": cpty,
            "dst_raw": c[5],
            "dst_scope": cpty,
            "src_country": coalesce(c[8], country_of(c[4], c[6])),
            "dst_country": coalesce(c[9], country_of(c[5], c[7])),
            "src_name_raw": c[17],
            "dst_name_raw": c[18],
            "reference": coalesce(references(raw[15]), c[16]),
            "source_row": location,
        }


def named(credit: pa.Array, cpty_name: pa.Array, own_name: pa.Array) -> Columns:
    """Payer's and payee's names, on the sides `directed` puts their accounts."""
    src, dst = sides(credit, cpty_name, own_name)
    return {"src_name_raw": src, "dst_name_raw": dst}


def directed(credit: pa.Array, cpty: pa.Array, own: pa.Array, cpty_country: pa.Array, own_country: pa.Array) -> Columns:
    """Source and destination: a credit comes from the counterparty to the own side, a debit the other way."""
    src, dst = sides(credit, cpty, own)
    src_country, dst_country = sides(credit, cpty_country, own_country)
    return {
        "src_raw": src,
        "src_scope": pc.if_else(credit, "cpty", "own"),
        "dst_raw": dst,
        "dst_scope": pc.if_else(credit, "own", "cpty"),
        "src_country": src_country,
        "dst_country": dst_country,
    }
