"""Readers of every member format. Each turns a file into staged Arrow batches plus rejected records."""

from __future__ import annotations

from moneytrail.ingest.amlsim import amlsim_tables, read_amlsim
from moneytrail.ingest.amlworld import read_amlworld
from moneytrail.ingest.base import Batch, ReadContext, Reader
from moneytrail.ingest.bitcoin_etl import read_bitcoin_etl
from moneytrail.ingest.csv_mapping import fixed_mapping_reader, mapping_names, read_csv_mapped
from moneytrail.ingest.iso20022 import read_iso20022
from moneytrail.ingest.ofac import read_ofac


def readers() -> dict[str, Reader]:
    """Format name -> reader."""
    return {
        "iso20022": read_iso20022,
        "bitcoin-etl": read_bitcoin_etl,
        "amlsim": read_amlsim,
        "amlworld": read_amlworld,
        "ofac-crypto": read_ofac,
        "csv": read_csv_mapped,
        "cards": fixed_mapping_reader("cards"),
        "exchange": fixed_mapping_reader("exchange"),
        "sites": fixed_mapping_reader("sites"),
    }


__all__ = ["Batch", "ReadContext", "Reader", "amlsim_tables", "mapping_names", "readers"]
