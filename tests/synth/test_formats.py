"""Each file validates as its format: ISO 20022 namespaces and counts, bitcoin-etl fields and values,
CSV headers as docs/FORMATS.md lists them, and every file through the ingest readers."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from lxml import etree

from moneytrail.synth import generate
from moneytrail.synth.frames import KINDS
from moneytrail.synth.writers import CAMT_NS, CSV_LAYOUT, PACS_NS

N = 12_000


@pytest.fixture(scope="module")
def coalition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("formats") / "run"
    generate(out, N, seed=23)
    return out


def _files(out: Path, fmt: str) -> list[dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    return [f for f in manifest["files"] if f["format"] == fmt]


def _signed(element: etree._Element) -> int:
    """A camt amount in cents, negative for debits."""
    ns = {"c": CAMT_NS}
    cents = round(float(element.findtext("c:Amt", namespaces=ns)) * 100)
    return cents if element.findtext("c:CdtDbtInd", namespaces=ns) == "CRDT" else -cents


def test_iso20022_messages_parse_with_their_namespace_and_counts(coalition: Path) -> None:
    files = _files(coalition, "iso20022")
    assert {f["message"] for f in files} == {"camt.053.001.08", "pacs.008.001.08"}
    for entry in files:
        root = etree.parse(str(coalition / entry["path"])).getroot()
        if entry["message"].startswith("camt.053"):
            ns = {"c": CAMT_NS}
            assert root.tag == f"{{{CAMT_NS}}}Document"
            entries = root.findall("c:BkToCstmrStmt/c:Stmt/c:Ntry", ns)
            assert len(entries) == entry["rows"]
            assert all(len(e.findall("c:NtryDtls/c:TxDtls", ns)) == 1 for e in entries)
            refs = [e.findtext("c:AcctSvcrRef", namespaces=ns) for e in entries]
            assert len(set(refs)) == len(refs)
            for stmt in root.findall("c:BkToCstmrStmt/c:Stmt", ns):
                # closing balance = opening + credits - debits
                bal = {b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns): b for b in stmt.findall("c:Bal", ns)}
                moved = sum(_signed(e) for e in stmt.findall("c:Ntry", ns))
                assert _signed(bal["OPBD"]) + moved == _signed(bal["CLBD"])
        else:
            ns = {"p": PACS_NS}
            assert root.tag == f"{{{PACS_NS}}}Document"
            txs = root.findall("p:FIToFICstmrCdtTrf/p:CdtTrfTxInf", ns)
            assert len(txs) == entry["rows"] == int(root.findtext("p:FIToFICstmrCdtTrf/p:GrpHdr/p:NbOfTxs",
                                                                    namespaces=ns))


def test_bitcoin_etl_lines_have_the_sample_fields_and_balance(coalition: Path, shared_data: Path) -> None:
    sample = json.loads((shared_data / "bitcoin-etl" / "stream_50001_50002" / "expected_transactions.json")
                        .read_text().splitlines()[1])
    hashes = set()
    for entry in _files(coalition, "bitcoin-etl"):
        for line in (coalition / entry["path"]).read_text().splitlines():
            tx = json.loads(line)
            assert set(tx) == set(sample)
            assert set(tx["inputs"][0]) == set(sample["inputs"][0])
            assert set(tx["outputs"][0]) == set(sample["outputs"][0])
            assert tx["input_value"] == sum(i["value"] for i in tx["inputs"])
            assert tx["output_value"] == sum(o["value"] for o in tx["outputs"])
            assert tx["input_value"] == tx["output_value"] + tx["fee"] and tx["fee"] > 0
            assert tx["input_count"] == len(tx["inputs"]) and tx["output_count"] == len(tx["outputs"])
            hashes.add(tx["hash"])
    # Every withdrawal and deposit in the exchange ledger names a transaction that is on chain.
    ledger_hashes = set()
    for entry in _files(coalition, "exchange"):
        table = pacsv.read_csv(coalition / entry["path"],
                               convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
        ledger_hashes |= {h for h in table.column("tx_hash").to_pylist() if h}
    assert ledger_hashes and ledger_hashes <= hashes


def test_csv_headers_match_the_documented_layout(coalition: Path) -> None:
    kind_of = {"cards": "clearing", "exchange": "ledger", "remitter_transfers": "transfers",
               "p2p_payments": "payments", "ewallet_ph_transactions": "ewallet"}
    formats = (Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md").read_text()
    manifest = json.loads((coalition / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["format"] in ("iso20022", "bitcoin-etl"):
            continue
        header = (coalition / entry["path"]).read_text().split("\n", 1)[0].replace('"', "").split(",")
        for column in header:
            assert f"`{column}`" in formats or f"| {column} |" in formats or f"{column}," in formats \
                or f", {column}" in formats, (entry["path"], column)
        kind = kind_of.get(entry.get("mapping") or entry["format"])
        if kind:
            id_col, time_col, _ = CSV_LAYOUT[kind]
            assert header == [id_col, time_col] + [name for name, _ in KINDS[kind]]


@pytest.mark.skipif(importlib.util.find_spec("moneytrail.ingest.iso20022") is None,
                    reason="the ingest readers (issue 'Ingest') are not in this checkout")
def test_every_file_reads_through_the_ingest_readers_without_rejects(coalition: Path) -> None:
    from moneytrail.ingest import ReadContext, readers

    manifest = json.loads((coalition / "manifest.json").read_text())
    read = readers()
    for entry in manifest["files"]:
        options = {"mapping": entry["mapping"]} if "mapping" in entry else {}
        context = ReadContext(member_id=entry["member_id"], options=options)
        records = rejected = 0
        for batch in read[entry["format"]](coalition / entry["path"], context):
            records += batch.records
            rejected += batch.rejected.num_rows
        assert rejected == 0, entry["path"]
        assert records == entry["rows"], entry["path"]
