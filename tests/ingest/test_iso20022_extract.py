"""The ISO 20022 reader's C-level extraction: runs, separators in values, odd namespaces and tags."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from moneytrail.ingest import iso20022
from moneytrail.ingest.base import REJECTED, Batch, ReadContext
from moneytrail.ingest.iso20022 import read_iso20022
from moneytrail.ingest.schemas import STAGED_TRANSACTIONS

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


class _Unstaged:
    """Stands in for the Stager: what the reader hands over, untyped."""

    def stage(self, table: pa.Table, schema: pa.Schema) -> tuple[pa.Table, pa.Table]:
        return table, REJECTED.empty_table()

    def close(self) -> None:
        pass


def _entry(n: int, remittance: str = "") -> str:
    credit = n % 2 == 0
    side = "Dbtr" if credit else "Cdtr"
    details = "".join(
        f"<TxDtls><Refs><EndToEndId>E{n}-{t}</EndToEndId></Refs>"
        + (f'<Amt Ccy="EUR">{n}.{t}0</Amt>' if n % 3 == 2 else "")  # one of several: its own amount
        + f"<RltdPties><{side}Acct><Id><IBAN>DE{n % 90 + 10}37040044053201300{t}</IBAN></Id></{side}Acct></RltdPties>"
        f"<RmtInf><Ustrd>{remittance or f'part {n}'}</Ustrd><Ustrd>  second  </Ustrd></RmtInf></TxDtls>"
        for t in range(1, n % 3 + 1)
    )
    return (
        f'<Ntry><NtryRef>N{n}</NtryRef><Amt Ccy="EUR">{n}.50</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>'
        f"<BookgDt><Dt>2025-01-0{n % 9 + 1}</Dt></BookgDt><AcctSvcrRef>NONREF</AcctSvcrRef>"
        f"<NtryDtls>{details}</NtryDtls></Ntry>"
    )


def _statement_file(path: Path, statements: int, entries: int, remittance: str = "", ns: str = NS) -> Path:
    body = "".join(
        f"<Stmt><Id>S{s}</Id><Acct><Id><Othr><Id>ACC{s}</Id></Othr></Id><Ccy>EUR</Ccy>"
        f"<Svcr><FinInstnId><BICFI>BANKFRPP</BICFI></FinInstnId></Svcr></Acct>"
        + "".join(_entry(s * 100 + n, remittance) for n in range(entries))
        + "</Stmt>"
        for s in range(1, statements + 1)
    )
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>M1</MsgId><CreDtTm>2025-01-31T00:00:00Z</CreDtTm></GrpHdr>{body}</BkToCstmrStmt></Document>",
        encoding="utf-8",
    )
    return path


def _rows(path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int = 500_000) -> list[dict[str, str | None]]:
    monkeypatch.setattr(iso20022, "Stager", _Unstaged)
    batches: list[Batch] = list(read_iso20022(path, ReadContext("bank", batch_rows=batch_rows)))
    assert all(b.rejected.num_rows == 0 and b.records == b.rows.num_rows for b in batches)
    return [row for b in batches for row in b.rows.to_pylist()]


def test_runs_and_batches_do_not_change_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _statement_file(tmp_path / "camt.xml", statements=3, entries=7)
    whole = _rows(path, monkeypatch)
    monkeypatch.setattr(iso20022, "EXTRACT_ITEMS", 2)  # several runs per statement
    assert _rows(path, monkeypatch, batch_rows=3) == whole
    # one payment per TxDtls (n % 3 of them) or per entry without one
    expected = sum(max(1, (s * 100 + n) % 3) for s in (1, 2, 3) for n in range(7))
    assert len(whole) == expected
    locations = [r["source_row"] for r in whole]
    assert len(set(locations)) == len(locations)
    assert "Stmt[3]/Ntry[7]" in locations and "Stmt[1]/Ntry[2]/NtryDtls/TxDtls[2]" in locations
    first = next(r for r in whole if r["source_row"] == "Stmt[2]/Ntry[3]/NtryDtls/TxDtls[1]")
    # entry 202: a credit from the counterparty's IBAN to the statement's account (country from its BIC)
    assert (first["src_raw"], first["dst_raw"]) == ("DE32370400440532013001", "ACC2")
    assert (first["src_country"], first["dst_country"], first["src_scope"]) == ("DE", "FR", "cpty")
    assert (first["txn_id"], first["amount"], first["currency"]) == ("bank:E202-1", "202.50", "EUR")
    assert first["reference"] == "part 202 second"
    # an entry without details whose only reference is NONREF: its id is its place in the message
    no_details = next(r for r in whole if r["source_row"] == "Stmt[1]/Ntry[3]")
    assert no_details["txn_id"] == "bank:M1/Stmt[1]/Ntry[3]" and no_details["dst_country"] == "FR"


def test_a_value_holding_the_separator_loses_only_that_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _statement_file(tmp_path / "camt.xml", statements=1, entries=4, remittance="a\ue000b\ue001c")
    rows = _rows(path, monkeypatch)
    assert len(rows) == 1 + 2 + 1 + 1
    assert {r["reference"] for r in rows} == {"abc second", None}
    assert all(r["currency"] == "EUR" for r in rows)


def test_a_namespace_that_is_no_valid_uri(tmp_path: Path) -> None:
    """lxml reads such a file to its end, then reports the namespace as a syntax error."""
    path = _statement_file(tmp_path / "camt.xml", 1, 2, ns="urn:bank:&quot;x&quot;&amp;y:camt.053.001.08")
    batches = list(read_iso20022(path, ReadContext("bank")))
    loaded = sorted(r["source_row"] for b in batches for r in b.rows.to_pylist())
    assert loaded == [
        "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[1]",
        "Stmt[1]/Ntry[2]/NtryDtls/TxDtls[1]",
        "Stmt[1]/Ntry[2]/NtryDtls/TxDtls[2]",
    ]
    rejected = [r for b in batches for r in b.rejected.to_pylist()]
    assert len(rejected) == 1 and "not a valid URI" in rejected[0]["reason"]


def test_an_undeclared_prefix_is_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    source = _statement_file(tmp_path / "camt.xml", statements=1, entries=3).read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(source.replace("<Ntry>", "\n<Ntr:y>", 2).replace("</Ntry>", "</Ntr:y>", 2), encoding="utf-8")
    batches = list(read_iso20022(broken, ReadContext("bank")))
    rejected = [r for b in batches for r in b.rejected.to_pylist()]
    assert len(rejected) == 1 and rejected[0]["location"] == "line 2"
    assert sum(b.records for b in batches) == sum(b.rows.num_rows for b in batches) + 1
    assert all(b.rows.schema.names == STAGED_TRANSACTIONS.names for b in batches if b.rows.num_rows)


def test_a_reader_closed_early_stops_its_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iso20022, "EXTRACT_ITEMS", 1)
    path = _statement_file(tmp_path / "camt.xml", statements=3, entries=7)
    batches = read_iso20022(path, ReadContext("bank", batch_rows=1))
    assert next(batches).records == 1
    batches.close()
    assert not [t for t in threading.enumerate() if t.name == "moneytrail-iso20022"]


def test_an_error_while_parsing_reaches_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("extraction failed")

    monkeypatch.setattr(iso20022.Rows, "entries", broken)
    path = _statement_file(tmp_path / "camt.xml", statements=1, entries=2)
    with pytest.raises(RuntimeError, match="extraction failed"):
        list(read_iso20022(path, ReadContext("bank")))


def test_items_with_other_elements_between_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that end inside a statement leave the tree item by item when other elements sit between."""
    path = _statement_file(tmp_path / "camt.xml", statements=2, entries=6)
    text = path.read_text(encoding="utf-8").replace("</Ntry><Ntry>", "</Ntry><AddtlStmtInf>x</AddtlStmtInf><Ntry>")
    path.write_text(text, encoding="utf-8")
    whole = _rows(path, monkeypatch)
    monkeypatch.setattr(iso20022, "EXTRACT_ITEMS", 2)
    assert _rows(path, monkeypatch) == whole
    assert (
        len({r["source_row"] for r in whole})
        == len(whole)
        == sum(max(1, n % 3) for n in [*range(100, 106), *range(200, 206)])
    )


@pytest.mark.parametrize("run", [1, 2, 4, 200])
def test_small_and_empty_statements_keep_their_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: int
) -> None:
    """Runs gather several statements; an empty one among them still counts."""
    counts = [2, 0, 3, 0, 0, 1]
    body = "".join(
        f"<Stmt><Acct><Id><Othr><Id>A{s}</Id></Othr></Id></Acct>"
        + "".join(_entry(300 + 3 * j) for j in range(count))  # no TxDtls: one payment per entry
        + "</Stmt>"
        for s, count in enumerate(counts, start=1)
    )
    path = tmp_path / "camt.xml"
    path.write_text(
        f'<Document xmlns="{NS}"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>{body}</BkToCstmrStmt></Document>'
    )
    monkeypatch.setattr(iso20022, "EXTRACT_ITEMS", run)
    rows = _rows(path, monkeypatch)
    expected = [f"Stmt[{s}]/Ntry[{j}]" for s, count in enumerate(counts, start=1) for j in range(1, count + 1)]
    assert [r["source_row"] for r in rows] == expected
    own = [r["dst_raw"] if r["dst_scope"] == "own" else r["src_raw"] for r in rows]
    assert own == ["A1", "A1", "A3", "A3", "A3", "A6"]  # each statement's own account
