"""ISO 20022 payments: camt.052/053/054 entries, pain.001/pain.008 initiations, pacs.008/009.

Streams with lxml iterparse; runs of parsed items are turned into fields by a compiled XSLT
(iso20022_extract, in C), then into payments on whole Arrow columns (iso20022_rows), and are
removed from the tree, so memory stays flat. Works with any version's namespace, ISO
(`urn:iso:std:iso:20022:tech:xsd:...`) or a national variant (SIX `pain.001.001.03.ch.02.xsd`).
One payment per `TxDtls` (or per `Ntry` without one), per `CdtTrfTxInf`, per `DrctDbtTxInf`.
A file of another message type is refused with a line naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from lxml import etree

from moneytrail.ingest.base import Batch, ReadContext, refuse, rejected
from moneytrail.ingest.iso20022_extract import Background, Extraction
from moneytrail.ingest.iso20022_rows import Rows
from moneytrail.ingest.schemas import STAGED_TRANSACTIONS
from moneytrail.ingest.stage import Stager

_MESSAGE = re.compile(r"\b([a-z]{4})\.(\d{3})\.(\d{3})\.(\d{2})")


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
        raise refuse(path, "not well-formed XML: " + " ".join(str(error).split())) from error
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


# walk -> the elements whose items it reads (statements, payment-information groups, messages)
_CONTAINERS = {
    "entries": ("Stmt", "Rpt", "Ntfctn"),
    "initiation": ("PmtInf",),
    "interbank": ("FIToFICstmrCdtTrf", "FICdtTrf"),
}
_ITEMS = {"entries": ("Ntry",), "initiation": ("CdtTrfTxInf", "DrctDbtTxInf"), "interbank": ("CdtTrfTxInf",)}
EXTRACT_ITEMS = 200  # items per XSLT run: amortises the call (~40 us) while the parsed items are still in cache


class _Stream:
    """The items seen so far, extracted in runs of about `run` items.

    Items sit in containers (statements, PmtInf, messages), the containers in a parent (the
    message element, or the Document). Finished containers are gathered until they hold a run's
    worth of items, so a run covers many small statements in one XSLT call; one large container is
    cut into runs. iterparse reports an item when it is complete, but the parser may already have
    built part of the next, so a run covers exactly what was reported: the gathered containers,
    then the first `waiting` items of the open one. Extracted containers and items leave the tree.
    """

    def __init__(self, ns: str, walk: str, item: str, rows: Rows) -> None:
        self.ns, self.walk, self.item, self.rows = ns, walk, item, rows
        self.containers = {f"{{{ns}}}{t}" for t in _CONTAINERS[walk]}
        self.items = tuple(f"{{{ns}}}{t}" for t in _ITEMS[walk])
        self.extraction = Extraction(walk, ns)
        self.run = EXTRACT_ITEMS
        self.parent: Any = None  # of the gathered and the open container
        self.gathered: list[Any] = []  # finished containers not yet extracted, in document order
        self.gathered_items = 0
        self.first = (0, 0)  # (ordinal, items extracted before) of the first gathered container
        self.container: Any = None  # the open container
        self.ended = 0  # containers closed so far: the open one is number ended + 1
        self.ordinal = 0
        self.done = 0  # items of the open container already extracted
        self.done_in_file = 0
        self.waiting = 0  # items of the open container reported, not yet extracted

    def on_item(self, element: Any) -> None:
        container = element.getparent()
        if container is not self.container:
            if container is None or container.tag not in self.containers:
                return  # an item out of place (not in a statement or group): not a payment here
            if self.waiting or container.getparent() is not self.parent:
                self.flush()
            self.parent = container.getparent()
            self.container, self.ordinal, self.done = container, self.ended + 1, 0
        self.waiting += 1
        if self.waiting + self.gathered_items >= self.run:
            self.flush()

    def on_container(self, element: Any) -> None:
        self.ended += 1
        if element is self.container:
            self.container = None
            if self.waiting:
                if not self.gathered:
                    self.first = (self.ordinal, self.done)
                self.gathered.append(element)
                self.gathered_items += self.waiting
                self.waiting = 0
                if self.gathered_items >= self.run:
                    self.flush()
                return
        if self.gathered and element.getparent() is self.parent:
            self.gathered.append(element)  # an empty one among them: the stylesheet counts it too
        elif self.container is None:
            _drop(element)
        # else one nested in the open container (a broken file): it leaves the tree with that one

    def flush(self) -> None:
        """Extract the gathered containers and the open one's waiting items, then drop them."""
        if not self.gathered and not self.waiting:
            return
        first = self.first if self.gathered else (self.ordinal, self.done)
        count = len(self.gathered) + (1 if self.waiting else 0)
        items = self.gathered_items + self.waiting
        if self.walk == "interbank":  # numbered through the file; `k` counts all items
            first, limit = (0, self.done_in_file), items
        else:
            limit = self.waiting or items  # only the last container is cut
        params = {"debit": "1" if self.item == "DrctDbtTxInf" else "0"} if self.walk == "initiation" else {}
        self.extraction.run(self.parent, count, limit, first[0], first[1], **params)
        self.done_in_file += items
        if self.gathered:
            _drop(self.gathered[-1])
            self.gathered, self.gathered_items = [], 0
        if self.waiting:
            self._remove(self.container, self.waiting)
            self.done += self.waiting
            self.waiting = 0

    def _remove(self, container: Any, count: int) -> None:
        """Take the first `count` items out of an open container."""
        done = list(islice(container.iterchildren(*self.items), count))
        start = container.index(done[0])
        if container[start + count - 1] is done[-1]:  # one run of siblings, as in every real file
            del container[start : start + count]
        else:
            for child in done:
                container.remove(child)

    @property
    def pending(self) -> int:
        return self.extraction.rows

    def table(self, texts: list[bytes]) -> pa.Table:
        """Staged-transaction text columns from extracted texts (in the caller's thread)."""
        raw, group = self.extraction.columns(texts)
        if self.walk == "entries":
            columns = self.rows.entries(raw, group)
        elif self.walk == "initiation":
            columns = self.rows.initiation(raw, group, self.item)
        else:
            columns = self.rows.interbank(raw, group, self.item)
        return pa.table({f.name: columns[f.name] for f in STAGED_TRANSACTIONS if f.name in columns})


def _drop(element: Any) -> None:
    """Take a handled element and the siblings before it out of the tree, so memory stays flat."""
    parent = element.getparent()
    if parent is None:
        element.clear(keep_tail=False)
        return
    end = parent.index(element) + 1
    # Emptied first: lxml frees a subtree no Python object points into at C speed, but one whose
    # root we still hold (the container) it moves to a document of its own, visiting every node
    # to fix its namespaces - a third of the reader's time on a camt.053 file.
    for handled in parent[:end]:
        handled.clear(keep_tail=False)
    del parent[:end]


def read_iso20022(path: Path, context: ReadContext) -> Iterator[Batch]:
    ns, message = message_type(path)
    spec = _check_payment_type(path, message)
    stream = _Stream(ns, spec["walk"], spec.get("item", "Ntry"), Rows(ns, context.member_id, _config()))
    # lxml parses and extracts in a thread of its own (the XSLT runs without the GIL) while this
    # one builds and stages the batch before and the loader tokenises and writes it
    background = Background(lambda put: _parse(path, stream, context, put))
    stager = Stager()
    try:
        for item in background:
            yield _batch(stager, stream.table(item)) if isinstance(item, list) else item
    finally:
        background.close()
        stager.close()


def _parse(path: Path, stream: _Stream, context: ReadContext, put: Callable[[Any], None]) -> None:
    """Parse and extract `path`, handing over the extracted texts of at most ~50,000 rows at a time,
    then at a syntax error the Batch that quarantines the unreadable rest."""
    header = f"{{{stream.ns}}}GrpHdr"
    limit = min(context.batch_rows, 50_000)  # rows per batch: bounded memory
    stream.run = min(limit, EXTRACT_ITEMS)
    events = etree.iterparse(
        str(path),
        events=("end",),
        tag=[header, *stream.containers, *stream.items],
        resolve_entities=False,
        no_network=True,
        remove_blank_text=True,  # indentation between elements: never read, a third of a pretty file's nodes
    )
    try:
        for _, element in events:
            tag = element.tag
            if tag in stream.items:
                stream.on_item(element)
            elif tag == header:
                stream.rows.on_header(element)
                stream.flush()  # nothing waits before the header in a valid message
                _drop(element)
            else:
                stream.on_container(element)
            if stream.pending >= limit:
                put(stream.extraction.take())
    except etree.XMLSyntaxError as error:
        # what was read stays; the unreadable rest is one quarantined record
        stream.flush()
        if stream.pending:
            put(stream.extraction.take())
        put(
            Batch(
                "transactions",
                STAGED_TRANSACTIONS.empty_table(),
                1,
                rejected([(f"line {error.lineno}", "", f"XML syntax error, rest of file unreadable: {error.msg}", "")]),
            )
        )
    stream.flush()
    if stream.pending:
        put(stream.extraction.take())


def _batch(stager: Stager, table: pa.Table) -> Batch:
    good, bad = stager.stage(table, STAGED_TRANSACTIONS)
    return Batch("transactions", good, table.num_rows, bad)
