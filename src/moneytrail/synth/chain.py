"""Bitcoin transactions in bitcoin-etl's export format (enriched inputs), with consistent values.

Addresses the scenario controls keep their unspent outputs, so a vendor's consolidation
spends the very outputs its payers created; other inputs (exchange hot wallets, outside
wallets) are funded by earlier, unexported transactions.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import IO, Any

import numpy as np

from moneytrail.synth import ids

BASE_HEIGHT = 877_000
BLOCK_SECONDS = 600


class Chain:
    def __init__(self, rng: np.random.Generator, start: int, seed: int) -> None:
        self.rng = rng
        self.start = start
        self.seed = seed
        self.txs: list[dict[str, Any]] = []
        self.utxo: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        self.h160: dict[str, str] = {}

    def addresses(self, n: int) -> list[str]:
        addrs, hashes = ids.btc_addresses(self.rng, n)
        self.h160.update(zip(addrs, hashes, strict=True))
        return addrs

    def _hash(self) -> str:
        return self.rng.integers(0, 256, size=32, dtype=np.uint8).tobytes().hex()

    def _script(self, address: str) -> tuple[str, str]:
        h = self.h160.get(address) or ids.b58decode_hash160(address)
        return f"OP_DUP OP_HASH160 {h} OP_EQUALVERIFY OP_CHECKSIG", f"76a914{h}88ac"

    def pay(
        self,
        ts: int,
        senders: list[str],
        outputs: list[tuple[str, int]],
        fee: int | None = None,
        change: str | None = None,
        typ: str | None = None,
        sch: str | None = None,
        spend_all: bool = False,
    ) -> str:
        """Record a transaction paying `outputs` (address, satoshis) from the senders' coins."""
        fee = int(fee if fee is not None else self.rng.integers(800, 6000))
        need = sum(v for _, v in outputs) + fee
        inputs: list[tuple[str, str, int, int]] = []
        got = 0
        for address in senders:
            coins = self.utxo.get(address, [])
            while coins and (spend_all or got < need):
                spent_hash, index, value = coins.pop(0)
                inputs.append((address, spent_hash, index, value))
                got += value
        if got < need:  # funded by an earlier transaction outside the export
            extra = need - got + int(self.rng.integers(0, max(need // 2, 10_000)))
            inputs.append((senders[0], self._hash(), int(self.rng.integers(0, 3)), extra))
            got += extra
        outs = list(outputs)
        if got > need:
            outs.append((change or senders[0], got - need))
        tx_hash = self._hash()
        for index, (address, value) in enumerate(outs):
            self.utxo[address].append((tx_hash, index, value))
        self.txs.append({"_ts": ts, "_typ": typ, "_sch": sch, "hash": tx_hash, "inputs": inputs, "outputs": outs,
                         "fee": fee})
        return tx_hash

    def block_of(self, ts: int) -> int:
        return BASE_HEIGHT + max(ts - self.start, 0) // BLOCK_SECONDS + 1

    def block_time(self, block: int) -> int:
        return self.start + (block - BASE_HEIGHT) * BLOCK_SECONDS

    def block_hash(self, block: int) -> str:
        return "00000000000000000" + hashlib.sha256(f"{self.seed}:{block}".encode()).hexdigest()[17:]

    def render(self, tx: dict[str, Any], index_in_block: int) -> dict[str, Any]:
        block = self.block_of(int(tx["_ts"]))
        inputs = []
        for i, (address, spent_hash, spent_index, value) in enumerate(tx["inputs"]):
            sig = hashlib.sha256(f"{tx['hash']}:{i}".encode()).hexdigest()
            pub = hashlib.sha256(f"{address}".encode()).hexdigest()
            inputs.append({
                "index": i, "spent_transaction_hash": spent_hash, "spent_output_index": spent_index,
                "script_asm": f"3045022100{sig}[ALL] 02{pub}", "script_hex": f"483045022100{sig}0121" f"02{pub}",
                "sequence": 4294967295, "required_signatures": 1, "type": "pubkeyhash", "addresses": [address],
                "value": value,
            })
        outputs = []
        for i, (address, value) in enumerate(tx["outputs"]):
            asm, hexs = self._script(address)
            outputs.append({"index": i, "script_asm": asm, "script_hex": hexs, "required_signatures": 1,
                            "type": "pubkeyhash", "addresses": [address], "value": value})
        size = 10 + 148 * len(inputs) + 34 * len(outputs)
        input_value = sum(x["value"] for x in inputs)
        output_value = sum(x["value"] for x in outputs)
        return {
            "type": "transaction", "hash": tx["hash"], "size": size, "virtual_size": size, "version": 2,
            "lock_time": 0, "block_number": block, "block_hash": self.block_hash(block),
            "block_timestamp": self.block_time(block), "is_coinbase": False, "index": index_in_block,
            "inputs": inputs, "outputs": outputs, "input_count": len(inputs), "output_count": len(outputs),
            "input_value": input_value, "output_value": output_value, "fee": input_value - output_value,
            "item_id": f"transaction_{tx['hash']}",
        }


def write_jsonl(chain: Chain, txs: list[dict[str, Any]], out: IO[str]) -> None:
    """Transactions in block order; `index` counts from 1 within a block (0 is the coinbase)."""
    order = sorted(range(len(txs)), key=lambda k: (chain.block_of(int(txs[k]["_ts"])), k))
    last_block, index = -1, 0
    for k in order:
        block = chain.block_of(int(txs[k]["_ts"]))
        index = index + 1 if block == last_block else 1
        last_block = block
        out.write(json.dumps(chain.render(txs[k], index)))
        out.write("\n")
