"""The ISO 20022 reader against the real messages in ../shared/data/iso20022."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from moneytrail.errors import FormatError
from moneytrail.ingest.base import ReadContext
from moneytrail.ingest.iso20022 import read_iso20022
from moneytrail.warehouse.load import Loader, ingest_files


def _files(shared_data: Path, folder: str) -> list[Path]:
    return sorted((shared_data / "iso20022" / folder).iterdir())


def test_every_payment_file_reads_83_payments_none_rejected(shared_data: Path) -> None:
    read = rejected = 0
    for path in _files(shared_data, "payments"):
        for batch in read_iso20022(path, ReadContext("bank")):
            read += batch.records
            rejected += batch.rejected.num_rows
            assert batch.rows.num_rows + batch.rejected.num_rows == batch.records
    assert (read, rejected) == (83, 0)


def test_every_payment_file_loads_none_quarantined(shared_data: Path, duck_loader: Loader) -> None:
    files = [(p, "bank", "iso20022", {}) for p in _files(shared_data, "payments")]
    result = ingest_files(duck_loader, files)
    summary = result.summary()
    # two files in the set are byte-identical copies: the second is recognised by its hash
    skipped = [f for f in result.files if f.status == "skipped"]
    assert [Path(f.path).name[:15] for f in skipped] == ["200924_camt.054"]
    assert summary["quarantined"] == 0 and summary["refused"] == 0
    assert summary["read"] == summary["loaded"] == 83 - 2
    engine = duck_loader.engine
    assert engine.count("transactions") == 81
    assert engine.count("quarantine") == 0
    # ids are unique per file; across these sample files banks reuse references (statement and
    # notification of one movement, template ids), which the warehouse keeps as reported
    unique = engine.query("SELECT count(DISTINCT (source_file, txn_id)) FROM transactions").column(0)[0].as_py()
    assert unique == 81
    # amounts are decimals in their currency; every row has both ends or is cash-like
    row = engine.query("SELECT amount, currency, ts FROM transactions WHERE txn_id = 'bank:E2EId-CHDD-1'").to_pylist()[
        0
    ]
    assert str(row["amount"]) == "1.50000000" and row["currency"] == "CHF"


def test_payer_and_payee_names_are_read_from_their_parties(shared_data: Path) -> None:
    """pain.001: the payment-information group's debtor pays each item's creditor; checked against
    the message's own elements, read here with XPath."""
    path = shared_data / "iso20022" / "payments" / "musterfile_pain.001_Nov2020.xml"
    rows = [r for b in read_iso20022(path, ReadContext("bank")) for r in b.rows.to_pylist()]
    document = etree.parse(str(path))
    ns = {"n": document.getroot().nsmap[None]}
    expected = [
        (info.xpath("string(n:Dbtr/n:Nm)", namespaces=ns), item.xpath("string(n:Cdtr/n:Nm)", namespaces=ns))
        for info in document.xpath("//n:PmtInf", namespaces=ns)
        for item in info.xpath("n:CdtTrfTxInf", namespaces=ns)
    ]
    assert len(rows) == len(expected) == 8
    assert [(r["src_name_raw"], r["dst_name_raw"]) for r in rows] == expected
    assert all(payee for _, payee in expected)


def test_statement_names_follow_the_direction(shared_data: Path) -> None:
    """camt.054: a credit's payer is the related debtor and its payee the account owner; a debit's
    the other way round."""
    path = shared_data / "iso20022" / "payments" / "FI_camt_054_sample.xml.xml"
    rows = [r for b in read_iso20022(path, ReadContext("bank")) for r in b.rows.to_pylist()]
    document = etree.parse(str(path))
    ns = {"n": document.getroot().nsmap[None]}

    def name(node: etree._Element, party: str) -> str | None:
        return node.xpath(f"string(n:RltdPties/n:{party}/n:Nm)", namespaces=ns).strip() or None

    owner = document.xpath("string(//n:Ntfctn/n:Acct/n:Ownr/n:Nm)", namespaces=ns)
    expected = []
    for entry in document.xpath("//n:Ntry", namespaces=ns):
        entry_credit = entry.xpath("string(n:CdtDbtInd)", namespaces=ns) == "CRDT"
        for detail in entry.xpath("n:NtryDtls/n:TxDtls", namespaces=ns):
            own = detail.xpath("string(n:CdtDbtInd)", namespaces=ns)
            credit = own == "CRDT" if own else entry_credit
            expected.append((name(detail, "Dbtr"), owner) if credit else (owner, name(detail, "Cdtr")))
    assert owner and len(rows) == len(expected) == 13
    assert [(r["src_name_raw"], r["dst_name_raw"]) for r in rows] == expected


_SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
_NOT_PAYMENTS = sorted(p.name for p in (_SHARED / "iso20022" / "not-payments").glob("*"))


@pytest.mark.parametrize("name", _NOT_PAYMENTS)
def test_not_payments_are_refused_naming_the_type(shared_data: Path, name: str) -> None:
    path = shared_data / "iso20022" / "not-payments" / name
    with pytest.raises(FormatError) as error:
        list(read_iso20022(path, ReadContext("bank")))
    message = str(error.value)
    assert "\n" not in message
    if name.startswith("invalid"):
        assert "no ISO 20022 namespace" in message
    else:
        assert any(code in message for code in ("pain.002", "pacs.002", "acmt.", "auth.", "camt.055", "reda.", "remt."))


def test_refused_files_load_nothing(shared_data: Path, duck_loader: Loader) -> None:
    files = [(p, "bank", "iso20022", {}) for p in _files(shared_data, "not-payments")]
    result = ingest_files(duck_loader, files)
    assert all(f.status == "refused" and f.reason for f in result.files)
    assert duck_loader.engine.count("transactions") == 0
    assert duck_loader.engine.count("ingest_files") == 0


def test_truncated_xml_keeps_what_was_read_and_quarantines_the_rest(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "iso20022" / "payments" / "FI_camt_053_sample.xml.xml"
    text = source.read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: int(len(text) * 0.6)], encoding="utf-8")
    batches = list(read_iso20022(cut, ReadContext("bank")))
    loaded = sum(b.rows.num_rows for b in batches)
    rejected = [r for b in batches for r in b.rejected.to_pylist()]
    assert 0 < loaded < 13
    assert len(rejected) == 1 and "XML syntax error" in rejected[0]["reason"]
    assert sum(b.records for b in batches) == loaded + 1
