"""OFAC SDN digital-currency addresses (0xB10C's lists: `sanctioned_addresses_<ASSET>.txt`) -> hotlist.

Each address is checked against the chains its asset code may list (data/chains.yaml),
then any chain (OFAC lists the odd address under another asset); an entry that is no
address of any known chain is quarantined, not dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from moneytrail.ingest.base import Batch, ReadContext, refuse, rejected
from moneytrail.ingest.chains import chains_for_ofac_code, check_address, guess_chain
from moneytrail.ingest.schemas import HOTLIST

_NAME = re.compile(r"sanctioned_addresses_([A-Z0-9]+)\.txt$")


def read_ofac(path: Path, context: ReadContext) -> Iterator[Batch]:
    files = sorted(path.glob("sanctioned_addresses_*.txt")) if path.is_dir() else [path]
    if not files or any(not _NAME.search(f.name) for f in files):
        raise refuse(path, "not an OFAC address list: expected sanctioned_addresses_<ASSET>.txt")
    for file in files:
        found = _NAME.search(file.name)
        asset = found.group(1) if found else ""
        values: list[str] = []
        chains: list[str | None] = []
        bad: list[tuple[str, str, str, str]] = []
        records = 0
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            address = line.strip()
            if not address:
                continue
            records += 1
            chain = next((c for c in chains_for_ofac_code(asset) if check_address(address, c) is None), None)
            chain = chain or guess_chain(address)
            if chain is None:
                bad.append(
                    (f"{file.name}:{number}", "value", f"not an address of any chain {asset} is listed on", address)
                )
                continue
            values.append(address)
            chains.append(chain)
        n = len(values)
        table = pa.table(
            {
                "kind": pa.array(["address"] * n, pa.string()),
                "value": pa.array(values, pa.string()),
                "chain": pa.array(chains, pa.string()),
                "typology": pa.array(["sanctions"] * n, pa.string()),
                "source": pa.array(["OFAC"] * n, pa.string()),
            }
        )
        yield Batch("hotlist", _conform(table), records, rejected(bad))


def _conform(table: pa.Table) -> pa.Table:
    columns = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in HOTLIST
    ]
    return pa.table(columns, schema=HOTLIST)
