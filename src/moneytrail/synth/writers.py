"""Writers for each member's native format: CSV (pyarrow), ISO 20022 camt.053 and pacs.008 (streamed text)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from moneytrail.synth.frames import KINDS, format_amount, format_ts, offset_text

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
PACS_NS = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")

# kind -> (id column, time column, {amount column: scale or scale-by-column})
CSV_LAYOUT: dict[str, tuple[str, str, dict[str, Any]]] = {
    "clearing": ("clearing_id", "txn_datetime", {"amount": 2, "billing_amount": 2}),
    "transfers": ("transfer_id", "created_at", {"send_amount": 2, "fee": 2, "payout_amount": 2}),
    "payments": ("payment_id", "created_at", {"amount": 2}),
    "ewallet": ("ref_no", "txn_datetime", {"amount": 2}),
    "ledger": ("ledger_id", "created_at", {"amount": "asset", "fee": "asset", "counter_amount": "counter_asset"}),
}


def write_csv(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    pacsv.write_csv(table, str(path), write_options=options)


def sort_rows(table: pa.Table) -> pa.Table:
    return table.sort_by([("_ts", "ascending"), ("_id", "ascending")])


def _scaled(table: pa.Table, column: str, scale: Any) -> pa.Array:
    values = table.column(column).combine_chunks()
    if isinstance(scale, int):
        return format_amount(values, scale)
    is_btc = pc.equal(table.column(scale).combine_chunks(), "BTC").fill_null(False)
    return pc.if_else(is_btc, format_amount(values, 8), format_amount(values, 2))


def member_csv(kind: str, table: pa.Table) -> pa.Table:
    """The file's own columns: native id and local time first, amounts as decimal text."""
    id_col, time_col, amounts = CSV_LAYOUT[kind]
    ts = format_ts(table.column("_ts").to_numpy(), table.column("_tz").to_numpy())
    arrays: list[pa.Array] = [table.column("_id").combine_chunks(), ts]
    names = [id_col, time_col]
    for name, kind_type in KINDS[kind]:
        if name in amounts:
            arrays.append(_scaled(table, name, amounts[name]))
        elif kind_type == "f":
            micro = pc.round(pc.multiply(table.column(name), 1_000_000)).cast(pa.int64())
            arrays.append(format_amount(micro.combine_chunks(), 6))
        else:
            arrays.append(table.column(name).combine_chunks())
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _acct(account: str) -> str:
    if _IBAN.match(account):
        return f"<Id><IBAN>{account}</IBAN></Id>"
    return f"<Id><Othr><Id>{escape(account)}</Id></Othr></Id>"


def _text(value: Any) -> str:
    return escape(str(value))


def _esc(values: pa.Array) -> pa.Array:
    for old, repl in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, old, repl)
    return values


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _when(mask: pa.Array, text: pa.Array) -> pa.Array:
    return pc.if_else(mask, text, "")


def _acct_xml(accounts: pa.Array) -> pa.Array:
    is_iban = pc.match_substring_regex(accounts, _IBAN.pattern).fill_null(False)
    return pc.if_else(is_iban, _join("<Id><IBAN>", accounts, "</IBAN></Id>"),
                      _join("<Id><Othr><Id>", _esc(accounts), "</Id></Othr></Id>"))


def _entries(table: pa.Table) -> list[str]:
    """Each movement's <Ntry> element, built column-wise."""
    col = {name: table.column(name).combine_chunks() for name, _ in KINDS["camt"]}
    ref = table.column("_id").combine_chunks()
    times = format_ts(table.column("_ts").to_numpy(), table.column("_tz").to_numpy())
    amount = format_amount(col["amount"], 2)
    ind = col["cdt_dbt"]
    credit = pc.equal(ind, "CRDT")
    role = pc.if_else(credit, "Dbtr", "Cdtr")
    code = pc.split_pattern(col["bktxcd"], "/")
    domain, family, sub = (pc.list_element(code, k) for k in range(3))
    has_name, has_acct = col["cp_name"].is_valid(), col["cp_account"].is_valid()
    has_party = pc.or_(has_name, has_acct)
    name = _esc(col["cp_name"].fill_null("UNKNOWN"))
    country = _when(col["cp_country"].is_valid(),
                    _join("<PstlAdr><Ctry>", col["cp_country"].fill_null(""), "</Ctry></PstlAdr>"))
    acct = _when(has_acct, _join("<", role, "Acct>", _acct_xml(col["cp_account"].fill_null("")), "</", role, "Acct>"))
    parties = _when(has_party, _join("<RltdPties><", role, "><Pty><Nm>", name, "</Nm>", country, "</Pty></", role,
                                     ">", acct, "</RltdPties>"))
    agents = _when(pc.and_(has_party, col["cp_bic"].is_valid()),
                   _join("<RltdAgts><", role, "Agt><FinInstnId><BICFI>", col["cp_bic"].fill_null(""),
                         "</BICFI></FinInstnId></", role, "Agt></RltdAgts>"))
    purpose = _when(col["purpose"].is_valid(), _join("<Purp><Cd>", col["purpose"].fill_null(""), "</Cd></Purp>"))
    remit = _when(col["reference"].is_valid(),
                  _join("<RmtInf><Ustrd>", _esc(col["reference"].fill_null("")), "</Ustrd></RmtInf>"))
    addtl = _when(col["addtl"].is_valid(), _join("<AddtlTxInf>", _esc(col["addtl"].fill_null("")), "</AddtlTxInf>"))
    ccy = col["acct_ccy"]
    day = pc.utf8_slice_codeunits(times, 0, 10)
    out = _join(
        "\n<Ntry><NtryRef>", ref, "</NtryRef><Amt Ccy=\"", ccy, "\">", amount, "</Amt><CdtDbtInd>", ind,
        "</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>", times, "</DtTm></BookgDt><ValDt><Dt>", day,
        "</Dt></ValDt><AcctSvcrRef>", ref, "</AcctSvcrRef><BkTxCd><Domn><Cd>", domain, "</Cd><Fmly><Cd>", family,
        "</Cd><SubFmlyCd>", sub, "</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><AcctSvcrRef>", ref,
        "</AcctSvcrRef><EndToEndId>", ref, "</EndToEndId></Refs><Amt Ccy=\"", ccy, "\">", amount,
        "</Amt><CdtDbtInd>", ind, "</CdtDbtInd>", parties, agents, purpose, remit, addtl,
        "</TxDtls></NtryDtls></Ntry>")
    texts: list[str] = out.to_pylist()
    return texts


def write_camt(table: pa.Table, path: Path, member: str, bic: str, period: int, window: tuple[int, int],
               tz: int) -> int:
    """One Stmt per account (in account order), one Ntry with one TxDtls per movement."""
    table = table.sort_by([("account", "ascending"), ("_ts", "ascending"), ("_id", "ascending")])
    entries = _entries(table)
    accounts = table.column("account").to_pylist()
    ccys = table.column("acct_ccy").to_pylist()
    owners = table.column("owner_name").to_pylist()
    raw = table.column("amount").to_numpy()
    sign = np.where(np.asarray(table.column("cdt_dbt").to_pylist(), dtype=object) == "CRDT", 1, -1)
    stamp_from = format_ts(np.asarray([window[0]]), np.asarray([tz])).to_pylist()[0]
    stamp_to = format_ts(np.asarray([window[1] - 1]), np.asarray([tz])).to_pylist()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(entries)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{CAMT_NS}"><BkToCstmrStmt>'
                  f"<GrpHdr><MsgId>{member}-camt053-p{period:02d}</MsgId><CreDtTm>{stamp_to}</CreDtTm></GrpHdr>\n")
        start = 0
        while start < n:
            end = start
            account = accounts[start]
            while end < n and accounts[end] == account:
                end += 1
            # An opening balance from the account number; the closing one follows from the entries.
            opening = 50_000 + (sum(ord(c) for c in account) * 7919) % 900_000
            closing = opening + int((raw[start:end] * sign[start:end]).sum())
            ccy = ccys[start]
            out.write(
                f"<Stmt><Id>{_text(account)}-p{period:02d}</Id><CreDtTm>{stamp_to}</CreDtTm>"
                f"<FrToDt><FrDtTm>{stamp_from}</FrDtTm><ToDtTm>{stamp_to}</ToDtTm></FrToDt>"
                f"<Acct>{_acct(account)}<Ccy>{ccy}</Ccy><Ownr><Nm>{_text(owners[start])}</Nm></Ownr>"
                f"<Svcr><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></Svcr></Acct>"
                + _balance("OPBD", opening, ccy, stamp_from[:10]) + _balance("CLBD", closing, ccy, stamp_to[:10]))
            out.write("".join(entries[start:end]))
            out.write("</Stmt>\n")
            start = end
        out.write("</BkToCstmrStmt></Document>\n")
    return n


def _balance(code: str, value: int, ccy: str, date: str) -> str:
    whole, cents = divmod(abs(value), 100)
    amount = f"{whole}.{cents:02d}"
    ind = "CRDT" if value >= 0 else "DBIT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{ccy}\">{amount}</Amt>"
            f"<CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>{date}</Dt></Dt></Bal>")


def write_pacs(table: pa.Table, path: Path, member: str, bic: str, period: int, created: str) -> int:
    table = table.sort_by([("_ts", "ascending"), ("_id", "ascending")])
    times = format_ts(table.column("_ts").to_numpy(), table.column("_tz").to_numpy()).to_pylist()
    amounts = format_amount(table.column("amount").combine_chunks(), 2).to_pylist()
    cols = {name: table.column(name).to_pylist() for name, _ in KINDS["pacs"]}
    ids = table.column("_id").to_pylist()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{PACS_NS}"><FIToFICstmrCdtTrf>'
                  f"<GrpHdr><MsgId>{member}-pacs008-p{period:02d}</MsgId><CreDtTm>{created}</CreDtTm>"
                  f"<NbOfTxs>{len(ids)}</NbOfTxs><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>\n")
        for k, ref in enumerate(ids):
            purpose = f"<Purp><Cd>{cols['purpose'][k]}</Cd></Purp>" if cols["purpose"][k] else ""
            remit = f"<RmtInf><Ustrd>{_text(cols['reference'][k])}</Ustrd></RmtInf>" if cols["reference"][k] else ""
            out.write(
                f"<CdtTrfTxInf><PmtId><InstrId>{ref}</InstrId><EndToEndId>{ref}</EndToEndId><TxId>{ref}</TxId>"
                f"</PmtId><IntrBkSttlmAmt Ccy=\"{cols['currency'][k]}\">{amounts[k]}</IntrBkSttlmAmt>"
                f"<IntrBkSttlmDt>{times[k][:10]}</IntrBkSttlmDt><AccptncDtTm>{times[k]}</AccptncDtTm>"
                f"<ChrgBr>SHAR</ChrgBr><Dbtr><Nm>{_text(cols['dbtr_name'][k])}</Nm><PstlAdr><Ctry>"
                f"{cols['dbtr_country'][k]}</Ctry></PstlAdr></Dbtr><DbtrAcct>{_acct(cols['dbtr_account'][k])}</DbtrAcct>"
                f"<DbtrAgt><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></DbtrAgt><CdtrAgt><FinInstnId><BICFI>"
                f"{cols['cdtr_bic'][k]}</BICFI></FinInstnId></CdtrAgt><Cdtr><Nm>{_text(cols['cdtr_name'][k])}</Nm>"
                f"<PstlAdr><Ctry>{cols['cdtr_country'][k]}</Ctry></PstlAdr></Cdtr>"
                f"<CdtrAcct>{_acct(cols['cdtr_account'][k])}</CdtrAcct>{purpose}{remit}</CdtTrfTxInf>\n")
        out.write("</FIToFICstmrCdtTrf></Document>\n")
    return len(ids)


__all__ = ["CSV_LAYOUT", "member_csv", "offset_text", "sort_rows", "write_camt", "write_csv", "write_pacs"]
