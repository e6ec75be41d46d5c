"""ISO 20022 payments: camt.052/053/054 entries, pain.001/pain.008 initiations, pacs.008/009.

Streams with lxml iterparse (memory stays flat: each handled element is cleared) and
works with any version's namespace, ISO (`urn:iso:std:iso:20022:tech:xsd:...`) or a
national variant (SIX `pain.001.001.03.ch.02.xsd`). One payment per `TxDtls` (or per
`Ntry` without one), per `CdtTrfTxInf`, per `DrctDbtTxInf`. A file of another message
type is refused with a line naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from lxml import etree

from moneytrail.ingest.base import Batch, ReadContext, refuse, rejected
from moneytrail.ingest.schemas import STAGED_TRANSACTIONS
from moneytrail.ingest.stage import Stager

_MESSAGE = re.compile(r"\b([a-z]{4})\.(\d{3})\.(\d{3})\.(\d{2})")
_STATEMENT = {"Stmt", "Rpt", "Ntfctn"}


@cache
def _config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "data" / "iso20022.yaml").read_text())
    return data


def message_type(path: Path) -> tuple[str, str]:
    """(namespace, message id like camt.053.001.04); raises FormatError for anything else."""
    try:
        for _, root in etree.iterparse(str(path), events=("start",), resolve_entities=False, no_network=True):
            qname = etree.QName(root)
            if qname.localname != "Document":
                raise refuse(path, f"not ISO 20022: the root element is <{qname.localname}>, not <Document>")
            if not qname.namespace:
                raise refuse(path, "not ISO 20022: <Document> has no ISO 20022 namespace")
            found = _MESSAGE.search(qname.namespace)
            if not found:
                raise refuse(path, f"not ISO 20022: unknown namespace {qname.namespace}")
            return qname.namespace, ".".join(found.groups())
    except etree.XMLSyntaxError as error:
        raise refuse(path, f"not well-formed XML: {error}") from error
    raise refuse(path, "empty file")


def _check_payment_type(path: Path, message: str) -> dict[str, Any]:
    config = _config()
    short = ".".join(message.split(".")[:2])
    if short in config["payments"]:
        spec: dict[str, Any] = config["payments"][short]
        return spec
    title = config["not_payments"].get(short) or config["not_payments"].get(short.split(".")[0])
    what = f"{message} ({title})" if title else message
    raise refuse(path, f"ISO 20022 {what} carries no payments; nothing loaded")


Flat = dict[str, list[str]]


def _key(path: str) -> str:
    return path.replace("n:", "").removeprefix("./")


def flatten(element: Any, skip: str | None = None) -> Flat:
    """An element's descendants as local path -> texts (attributes as path@name), in document order."""
    out: Flat = {}

    def walk(node: Any, prefix: str) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str):  # comments, processing instructions
                continue
            local = tag[tag.rfind("}") + 1 :]
            if not prefix and local == skip:
                continue
            path = prefix + local
            text = child.text
            if text is not None:
                text = text.strip()
                if text:
                    out.setdefault(path, []).append(text)
            for name, value in child.attrib.items():
                out.setdefault(f"{path}@{name}", []).append(value)
            if len(child):
                walk(child, path + "/")

    walk(element, "")
    return out


class _Walker:
    """Turns handled elements into staged rows (all text; the Stager types and checks them)."""

    def __init__(self, ns: str, context: ReadContext, spec: dict[str, Any]) -> None:
        self.ns = {"n": ns}
        self.member = context.member_id
        self.spec = spec
        self.config = _config()
        self.header: dict[str, str | None] = {}
        self.group: dict[str, str | None] = {}  # statement or payment-information level
        self.seen: dict[str, int] = {}
        self.group_index = 0
        self.item_index = 0

    # Accessors read a flattened element (local path -> texts), built in one pass: a dict lookup
    # per field instead of an ElementPath search per field.
    def text(self, element: Flat, path: str) -> str | None:
        found = element.get(_key(path))
        return found[0] if found else None

    def first(self, element: Flat, *paths: str) -> str | None:
        for path in paths:
            found = element.get(_key(path))
            if found:
                return found[0]
        return None

    def amount(self, element: Flat, *paths: str) -> tuple[str | None, str | None]:
        for path in paths:
            key = _key(path)
            found = element.get(key)
            if found:
                currency = element.get(key + "@Ccy")
                return found[0], currency[0] if currency else None
        return None, None

    def account(self, element: Any, path: str) -> str | None:
        return self.first(element, f"{path}/n:Id/n:IBAN", f"{path}/n:Id/n:Othr/n:Id", f"{path}/n:Id/n:PrxyId/n:Id")

    def party_country(self, element: Any, path: str) -> str | None:
        return self.first(
            element,
            f"{path}/n:PstlAdr/n:Ctry",
            f"{path}/n:Pty/n:PstlAdr/n:Ctry",
            f"{path}/n:CtryOfRes",
            f"{path}/n:Pty/n:CtryOfRes",
        )

    def country_of(self, account: str | None, bic: str | None) -> str | None:
        if account and re.match(r"^[A-Z]{2}[0-9]{2}", account.replace(" ", "")):
            return account[:2].upper()
        if bic and len(bic) >= 6:
            return bic[4:6].upper()
        return None

    def native_id(self, candidates: list[str | None], fallback: str) -> str:
        no_id = set(self.config["no_id"])
        chosen = next((c for c in candidates if c and c.upper() not in no_id), None) or fallback
        count = self.seen.get(chosen, 0)
        self.seen[chosen] = count + 1
        # the same reference twice in one file (batches, repeats) must stay two payments
        return f"{self.member}:{chosen}" if count == 0 else f"{self.member}:{chosen}#{count + 1}"

    # -- header and group level --------------------------------------------------------
    def on_header(self, header: Any) -> None:
        element = flatten(header)
        self.header = {
            "msg_id": self.text(element, "n:MsgId"),
            "created": self.text(element, "n:CreDtTm"),
            "settlement_date": self.text(element, "n:IntrBkSttlmDt"),
        }

    def on_statement_account(self, account: Any) -> None:
        element = flatten(account)
        self.group_index += 1
        self.item_index = 0
        account = self.account(element, ".")
        bic = self.first(element, "n:Svcr/n:FinInstnId/n:BICFI", "n:Svcr/n:FinInstnId/n:BIC")
        self.group = {
            "account": account,
            "currency": self.text(element, "n:Ccy"),
            "country": self.country_of(account, bic) or self.party_country(element, "n:Ownr"),
        }

    # -- items -------------------------------------------------------------------------
    def entry_rows(self, element: Any, location: str) -> list[dict[str, str | None]]:
        details = element.findall("n:NtryDtls/n:TxDtls", namespaces=self.ns)
        entry = flatten(element, skip="NtryDtls")
        rows = []
        for index, tx in enumerate(details or [None], start=1):
            where = f"{location}/NtryDtls/TxDtls[{index}]" if tx is not None else location
            rows.append(self.entry_row(entry, flatten(tx) if tx is not None else None, where, len(details)))
        return rows

    def entry_row(self, entry: Flat, tx: Flat | None, location: str, siblings: int) -> dict[str, str | None]:
        node = tx if tx is not None else entry
        amount, currency = (None, None)
        if tx is not None:
            amount, currency = self.amount(tx, "n:Amt", "n:AmtDtls/n:TxAmt/n:Amt")
        if amount is None and siblings <= 1:
            amount, currency = self.amount(entry, "n:Amt")
        direction = self.first(node, "n:CdtDbtInd") or self.text(entry, "n:CdtDbtInd")
        credit = direction == "CRDT"
        side = "Dbtr" if credit else "Cdtr"
        counterparty = self.account(node, f"n:RltdPties/n:{side}Acct") if tx is not None else None
        cpty_country = self.party_country(node, f"n:RltdPties/n:{side}") if tx is not None else None
        cpty_bic = self.first(
            node, f"n:RltdAgts/n:{side}Agt/n:FinInstnId/n:BICFI", f"n:RltdAgts/n:{side}Agt/n:FinInstnId/n:BIC"
        )
        cpty_country = cpty_country or self.country_of(counterparty, cpty_bic)
        entry_ref = self.first(entry, "n:AcctSvcrRef", "n:NtryRef")
        refs = (
            [
                self.first(tx, "n:Refs/n:AcctSvcrRef"),
                self.first(tx, "n:Refs/n:TxId"),
                self.first(tx, "n:Refs/n:EndToEndId"),
            ]
            if tx is not None
            else []
        )
        family = self.first(entry, "n:BkTxCd/n:Domn/n:Fmly/n:Cd")
        own, own_country = self.group.get("account"), self.group.get("country")
        return {
            "txn_id": self.native_id([*refs, entry_ref], f"{self.header.get('msg_id')}/{location}"),
            "ts": self.first(entry, "n:BookgDt/n:DtTm", "n:BookgDt/n:Dt", "n:ValDt/n:DtTm", "n:ValDt/n:Dt")
            or self.header.get("created"),
            "amount": amount,
            "currency": currency or self.group.get("currency"),
            "channel": self.config["channel_by_family"].get(family or "", self.config["default_channel"]),
            "src_raw": counterparty if credit else own,
            "src_scope": "cpty" if credit else "own",
            "dst_raw": own if credit else counterparty,
            "dst_scope": "own" if credit else "cpty",
            "src_country": cpty_country if credit else own_country,
            "dst_country": own_country if credit else cpty_country,
            "reference": self.reference(node) or self.text(entry, "n:AddtlNtryInf"),
            "source_row": location,
        }

    def reference(self, node: Flat) -> str | None:
        parts = node.get("RmtInf/Ustrd", []) + node.get("RmtInf/Strd/CdtrRefInf/Ref", [])
        if not parts:
            extra = self.text(node, "n:AddtlTxInf")
            return extra
        return " ".join(parts)

    def on_group_party(self, node: Any, local: str) -> None:
        """pain.001 / pain.008 payment-information level: the ordering side, known before its items."""
        element = flatten(node)
        if local == "PmtInfId":
            self.group_index += 1
            self.item_index = 0
            self.group = {"pmt_inf_id": (node.text or "").strip() or None}
        elif local in ("DbtrAcct", "CdtrAcct"):
            self.group["account"] = self.account(element, ".")
        elif local in ("Dbtr", "Cdtr"):
            self.group["party_country"] = self.party_country(element, ".")
        elif local in ("DbtrAgt", "CdtrAgt"):
            self.group["bic"] = self.first(element, "n:FinInstnId/n:BICFI", "n:FinInstnId/n:BIC")
        elif local in ("ReqdExctnDt", "ReqdColltnDt"):
            self.group["date"] = self.first(element, "n:DtTm", "n:Dt") or (node.text or "").strip() or None

    def initiation_row(self, element: Any, location: str, debit_side_is_item: bool) -> dict[str, str | None]:
        """pain.001: the group is the debtor; pain.008: the group is the creditor collecting."""
        item = flatten(element)
        amount, currency = self.amount(item, "n:Amt/n:InstdAmt", "n:InstdAmt", "n:Amt/n:EqvtAmt/n:Amt")
        side = "Dbtr" if debit_side_is_item else "Cdtr"
        counterparty = self.account(item, f"n:{side}Acct")
        cpty_bic = self.first(item, f"n:{side}Agt/n:FinInstnId/n:BICFI", f"n:{side}Agt/n:FinInstnId/n:BIC")
        cpty_country = self.party_country(item, f"n:{side}") or self.country_of(counterparty, cpty_bic)
        own = self.group.get("account")
        own_country = self.country_of(own, self.group.get("bic")) or self.group.get("party_country")
        ids = [self.text(item, "n:PmtId/n:EndToEndId"), self.text(item, "n:PmtId/n:InstrId")]
        fallback = f"{self.group.get('pmt_inf_id') or self.header.get('msg_id')}/{self.item_index}"
        return {
            "txn_id": self.native_id(ids, fallback),
            "ts": self.group.get("date") or self.header.get("created"),
            "amount": amount,
            "currency": currency,
            "channel": "direct_debit" if debit_side_is_item else "wire",
            "src_raw": counterparty if debit_side_is_item else own,
            "src_scope": "cpty" if debit_side_is_item else "own",
            "dst_raw": own if debit_side_is_item else counterparty,
            "dst_scope": "own" if debit_side_is_item else "cpty",
            "src_country": cpty_country if debit_side_is_item else own_country,
            "dst_country": own_country if debit_side_is_item else cpty_country,
            "reference": self.reference(item),
            "source_row": location,
        }

    def interbank_row(self, element: Any, location: str) -> dict[str, str | None]:
        item = flatten(element)
        amount, currency = self.amount(item, "n:IntrBkSttlmAmt")
        debtor = self.account(item, "n:DbtrAcct")
        creditor = self.account(item, "n:CdtrAcct")
        debtor_bic = self.first(item, "n:DbtrAgt/n:FinInstnId/n:BICFI", "n:DbtrAgt/n:FinInstnId/n:BIC")
        creditor_bic = self.first(item, "n:CdtrAgt/n:FinInstnId/n:BICFI", "n:CdtrAgt/n:FinInstnId/n:BIC")
        ids = [
            self.text(item, "n:PmtId/n:TxId"),
            self.text(item, "n:PmtId/n:EndToEndId"),
            self.text(item, "n:PmtId/n:InstrId"),
        ]
        return {
            "txn_id": self.native_id(ids, f"{self.header.get('msg_id')}/{location}"),
            "ts": self.first(item, "n:AccptncDtTm", "n:IntrBkSttlmDt")
            or self.header.get("settlement_date")
            or self.header.get("created"),
            "amount": amount,
            "currency": currency,
            "channel": "wire",
            # either side may be the member's own customer: the loader resolves `cpty`
            "src_raw": debtor,
            "src_scope": "cpty",
            "dst_raw": creditor,
            "dst_scope": "cpty",
            "src_country": self.party_country(item, "n:Dbtr") or self.country_of(debtor, debtor_bic),
            "dst_country": self.party_country(item, "n:Cdtr") or self.country_of(creditor, creditor_bic),
            "reference": self.reference(item),
            "source_row": location,
        }


def _release(element: Any) -> None:
    """Free a handled element and the siblings before it, so memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def read_iso20022(path: Path, context: ReadContext) -> Iterator[Batch]:
    ns, message = message_type(path)
    spec = _check_payment_type(path, message)
    walker = _Walker(ns, context, spec)
    stager = Stager()
    walk = spec["walk"]
    item = spec.get("item", "Ntry")
    group_tags = {
        "PmtInfId",
        "DbtrAcct",
        "CdtrAcct",
        "Dbtr",
        "Cdtr",
        "DbtrAgt",
        "CdtrAgt",
        "ReqdExctnDt",
        "ReqdColltnDt",
    }
    tags = {"GrpHdr", "Acct", "Ntry", item} | (group_tags if walk == "initiation" else set())
    pending: list[dict[str, str | None]] = []
    records = 0
    try:
        events = etree.iterparse(
            str(path), events=("end",), tag=[f"{{{ns}}}{t}" for t in tags], resolve_entities=False, no_network=True
        )
        try:
            for _, element in events:
                local = etree.QName(element).localname
                parent = element.getparent()
                parent_local = etree.QName(parent).localname if parent is not None else ""
                if local == "GrpHdr":
                    walker.on_header(element)
                elif local == "Acct" and parent_local in _STATEMENT:
                    walker.on_statement_account(element)
                    continue  # kept until the statement's entries are read
                elif walk == "entries" and local == "Ntry" and parent_local in _STATEMENT:
                    walker.item_index += 1
                    where = f"{parent_local}[{walker.group_index}]/Ntry[{walker.item_index}]"
                    rows = walker.entry_rows(element, where)
                    pending.extend(rows)
                elif (
                    walk != "entries" and local == item and parent_local in ("PmtInf", "FIToFICstmrCdtTrf", "FICdtTrf")
                ):
                    walker.item_index += 1
                    if walk == "initiation":
                        where = f"PmtInf[{walker.group_index}]/{item}[{walker.item_index}]"
                        pending.append(walker.initiation_row(element, where, item == "DrctDbtTxInf"))
                    else:
                        pending.append(walker.interbank_row(element, f"{item}[{walker.item_index}]"))
                elif walk == "initiation" and local in group_tags and parent_local == "PmtInf":
                    walker.on_group_party(element, local)
                    continue
                else:
                    continue
                _release(element)
                if len(pending) >= min(context.batch_rows, 50_000):  # bounded memory per batch
                    records += len(pending)
                    yield _batch(stager, pending)
                    pending = []
        except etree.XMLSyntaxError as error:
            # what was read stays; the unreadable rest is one quarantined record
            if pending:
                records += len(pending)
                yield _batch(stager, pending)
                pending = []
            yield Batch(
                "transactions",
                STAGED_TRANSACTIONS.empty_table(),
                1,
                rejected([(f"line {error.lineno}", "", f"XML syntax error, rest of file unreadable: {error.msg}", "")]),
            )
        if pending:
            yield _batch(stager, pending)
    finally:
        stager.close()


def _batch(stager: Stager, rows: list[dict[str, str | None]]) -> Batch:
    names = [f.name for f in STAGED_TRANSACTIONS if f.name in rows[0]]
    table = pa.table({name: pa.array([r.get(name) for r in rows], pa.string()) for name in names})
    good, bad = stager.stage(table, STAGED_TRANSACTIONS)
    return Batch("transactions", good, len(rows), bad)
