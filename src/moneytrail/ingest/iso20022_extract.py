"""ISO 20022 field extraction in C: a compiled XSLT per walk turns runs of parsed items into flat
text, which Arrow splits into columns once per batch; the rules that combine fields (ids, sides,
countries, fallbacks) then run on whole columns (iso20022_rows).

The stylesheets (data/iso20022_*.xsl) are compiled per file, for its walk and namespace. A run
writes, per container, one group record (the statement's or PmtInf's own values), then one record
per payment, all of the same width, every value followed by U+E000. A value that itself holds
U+E000 would shift the columns: a run whose separators are not a whole number of records is
extracted again with a variant that deletes the character from every value, and every record
must start with its marker (`G`, `R`).
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

SEP = "\ue000"
PART = "\ue001"
_SEP_UTF8 = SEP.encode()
_DATA = Path(__file__).parent / "data"
_PLACEHOLDER = "urn:moneytrail:iso20022"
_VALUE = re.compile(r'<xsl:value-of select="([^"]*)"/>')

# walk -> (stylesheet, fields of its group record that carry values, fields per record)
LAYOUT = {
    "entries": ("iso20022_entries.xsl", 9, 20),
    "initiation": ("iso20022_initiation.xsl", 9, 12),
    "interbank": ("iso20022_interbank.xsl", 3, 19),
}
_NULL = pa.scalar(None, pa.string())


def stylesheet(walk: str, namespace: str, safe: bool = False) -> etree.XSLT:
    """The walk's stylesheet for one namespace; `safe` deletes U+E000/U+E001 from every value.

    Compiled per file (under a millisecond), in the thread that uses it: an XSLT object and the
    documents it reads then share that thread's libxml2 dictionary.
    """
    uri = escape(namespace, {'"': "&quot;"})
    text = (_DATA / LAYOUT[walk][0]).read_text(encoding="utf-8").replace(_PLACEHOLDER, uri)
    if safe:
        text = _VALUE.sub(r"""<xsl:value-of select="translate(\1, '&#xE000;&#xE001;', '')"/>""", text)
    try:
        return etree.XSLT(etree.XML(text.encode("utf-8")))
    except etree.XMLSyntaxError:  # a namespace libxml2 warns about as no valid URI (the reader takes it as it is)
        return etree.XSLT(etree.XML(text.encode("utf-8"), etree.XMLParser(recover=True)))


class Extraction:
    """Extracted text of one walk, gathered run by run and split into columns once per batch."""

    def __init__(self, walk: str, namespace: str) -> None:
        self.walk, self.namespace = walk, namespace
        self.width_group, self.width = LAYOUT[walk][1:]
        self.texts: list[bytes] = []
        self.rows = 0
        self.compiled: dict[bool, etree.XSLT] = {}

    def run(self, parent: Any, containers: int, items: int, ordinal: int, offset: int, **params: str) -> None:
        """Extract the items of the first `containers` containers in `parent` (of the last, the first
        `items`); `ordinal` and `offset` number the first container and its items."""
        for safe in (False, True):
            if safe not in self.compiled:
                self.compiled[safe] = stylesheet(self.walk, self.namespace, safe)
            xslt = self.compiled[safe]
            out = bytes(
                xslt(parent, s=str(containers), k=str(items), ordinal=str(ordinal), offset=str(offset), **params)
            )
            fields = out.count(_SEP_UTF8)
            if fields % self.width == 0:
                self.texts.append(out)
                groups = 1 if self.walk == "interbank" else containers  # group records written
                self.rows += fields // self.width - groups
                return
        raise ValueError("ISO 20022 extraction: a value kept its separator")  # unreachable: `safe` deletes it

    def take(self) -> list[bytes]:
        """The texts gathered so far (split them with `columns`, in any thread); empties the extraction."""
        texts, self.texts, self.rows = self.texts, [], 0
        return texts

    def columns(self, texts: list[bytes]) -> tuple[list[pa.Array], list[pa.Array]]:
        """(row columns, group columns aligned to the rows), raw text."""
        values = pc.split_pattern(pa.array([b"".join(texts)], pa.binary()).cast(pa.string()), SEP).values
        starts = np.arange(0, len(values) - 1, self.width)
        columns = [values.take(pa.array(starts + j)) for j in range(self.width)]
        is_row, is_group = pc.equal(columns[0], "R"), pc.equal(columns[0], "G")
        if not pc.all(pc.or_(is_row, is_group)).as_py():
            raise ValueError("ISO 20022 extraction: columns out of step")  # only a value holding whole records
        group = [
            pc.filter(pc.fill_null_forward(pc.if_else(is_group, columns[j], _NULL)), is_row)
            for j in range(self.width_group)
        ]
        return [pc.filter(c, is_row) for c in columns], group


def text(column: pa.Array) -> pa.Array:
    """Trimmed text, None where blank (what the reader takes as absent)."""
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, ""), _NULL, trimmed)


def coalesce(*columns: pa.Array | str | None) -> pa.Array:
    arrays = [c for c in columns if c is not None]
    return pc.coalesce(*[pa.scalar(c, pa.string()) if isinstance(c, str) else c for c in arrays])


def references(parts: pa.Array) -> pa.Array:
    """Remittance parts (each followed by U+E001), each trimmed, joined by one space."""
    lists = pc.split_pattern(pc.utf8_rtrim(parts, characters=PART), PART)
    trimmed = pc.utf8_trim_whitespace(lists.values)
    joined = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, trimmed), " ")
    return text(joined)


def country_of(account: pa.Array, bic: pa.Array) -> pa.Array:
    """An IBAN's country, else the BIC's (positions 5-6), else None."""
    iban = pc.fill_null(pc.match_substring_regex(pc.replace_substring(account, " ", ""), r"^[A-Z]{2}[0-9]{2}"), False)
    from_bic = pc.if_else(
        pc.fill_null(pc.greater_equal(pc.utf8_length(bic), 6), False),
        pc.utf8_upper(pc.utf8_slice_codeunits(bic, 4, 6)),
        _NULL,
    )
    return pc.if_else(iban, pc.utf8_upper(pc.utf8_slice_codeunits(account, 0, 2)), from_bic)


def first_id(no_id: list[str], *candidates: pa.Array) -> pa.Array:
    """Per row, the first candidate that is given and is not a 'no id' word."""
    words = pa.array(no_id, pa.string())
    usable = [pc.if_else(pc.is_in(pc.utf8_upper(c), value_set=words), _NULL, c) for c in candidates]
    return pc.coalesce(*usable)


def lookup(column: pa.Array, mapping: dict[str, str], default: str) -> pa.Array:
    keys = pa.array(list(mapping), pa.string())
    found = pa.array(list(mapping.values()), pa.string()).take(pc.index_in(column, value_set=keys))
    return pc.fill_null(found, default)


def joined(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of text columns and constants (no nulls expected)."""
    return pc.binary_join_element_wise(*parts, "")


def positions(column: pa.Array, offset: pa.Array) -> pa.Array:
    """1-based item numbers: the run's offset plus the position in the run."""
    return pc.cast(pc.add(pc.cast(column, pa.int64()), pc.cast(offset, pa.int64())), pa.string())


def sides(credit: pa.Array, counterparty: pa.Array, own: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(src, dst): a credit comes from the counterparty to the own side, a debit the other way."""
    return pc.if_else(credit, counterparty, own), pc.if_else(credit, own, counterparty)


class _StoppedError(Exception):
    """The consumer has gone: the producer thread ends quietly."""


_END = object()


class Background:
    """Runs `produce(put)` in a thread and yields what it puts, in order; at most two items wait.

    An exception in the thread is raised in the consumer; `close` (also when the consumer stops
    early) makes the producer's next `put` end the thread, and waits for it.
    """

    def __init__(self, produce: Callable[[Callable[[Any], None]], None]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), name="moneytrail-iso20022", daemon=True)

    def __iter__(self) -> Iterator[Any]:
        self._thread.start()
        while (item := self._queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self, produce: Callable[[Callable[[Any], None]], None]) -> None:
        try:
            produce(self._put)
            self._put(_END)
        except _StoppedError:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the consumer's thread
            with suppress(_StoppedError):
                self._put(error)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            with suppress(queue.Full):
                self._queue.put(item, timeout=0.05)
                return
        raise _StoppedError
