"""What schemes and ordinary life share while generating: population, merchants, rows, labels, ids."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moneytrail.synth.chain import Chain
from moneytrail.synth.frames import Rows
from moneytrail.synth.merchants import Merchants
from moneytrail.synth.population import Population
from moneytrail.synth.world import DAY, World

# Native id prefix per (member, kind); ids are a scrambled counter, so they reveal nothing.
ID_PREFIX = {
    ("bank_us", "camt"): "LF", ("bank_gb", "camt"): "TS", ("bank_us", "pacs"): "LFW", ("bank_gb", "pacs"): "TSW",
    ("cardnet", "clearing"): "CL", ("remitter", "transfers"): "GT", ("p2p_app", "payments"): "ZP",
    ("ewallet_ph", "ewallet"): "PP", ("exchange", "ledger"): "LG",
}
_SCRAMBLE_A = 982_451_653
_SCRAMBLE_B = 271_828_182_845
_MOD = 10**12
NAMESPACE = 10**9  # counters per period namespace; schemes use namespace 0


def luhn(partial: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for k, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if k % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return partial + str((10 - total % 10) % 10)


def native_ids(prefix: str, counters: np.ndarray) -> list[str]:
    scrambled = (counters.astype(object) * _SCRAMBLE_A + _SCRAMBLE_B) % _MOD
    return [f"{prefix}{v:012d}" for v in scrambled]


@dataclass
class Context:
    world: World
    seed: int
    pop: Population
    merchants: Merchants
    btc: np.ndarray
    rng: np.random.Generator
    chain: Chain
    rows: dict[tuple[str, str], Rows] = field(default_factory=dict)
    account_labels: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    schemes: list[tuple[str, str, str]] = field(default_factory=list)
    sites: list[dict[str, Any]] = field(default_factory=list)
    hot_wallets: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    typology_rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # every identifier a scheme's movements carry, per scheme: an account is labelled only if its scheme used it
    touched: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    id_base: int = 0  # schemes count from 0; each period's ordinary rows from its own namespace
    size: float = 1.0  # schemes draw counts from the low end of their ranges when the budget is small
    _counters: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _scheme_numbers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _cumulative: dict[int, tuple[Any, list[str], np.ndarray]] = field(default_factory=dict)

    # -- ids and labels -------------------------------------------------------------------
    def next_id(self, member: str, kind: str) -> str:
        key = (member, kind)
        counter = self._counters[key]
        self._counters[key] = counter + 1
        return f"{ID_PREFIX[key]}{((self.id_base + counter) * _SCRAMBLE_A + _SCRAMBLE_B) % _MOD:012d}"

    def next_ids(self, member: str, kind: str, n: int) -> list[str]:
        key = (member, kind)
        counter = self._counters[key]
        self._counters[key] = counter + n
        return native_ids(ID_PREFIX[key], self.id_base + counter + np.arange(n, dtype=np.int64))

    def new_scheme(self, typology: str, params: dict[str, Any]) -> str:
        self._scheme_numbers[typology] += 1
        scheme_id = f"{typology}-{self._scheme_numbers[typology]:04d}"
        self.schemes.append((scheme_id, typology, json.dumps(params, sort_keys=True, default=str)))
        return scheme_id

    def label(self, member: str, account: str | None, typology: str, role: str, scheme: str) -> None:
        if account:
            self.account_labels.append((member, str(account), typology, role, scheme))

    def add(self, member: str, kind: str, **values: Any) -> str:
        """Add one scheme row; returns its native id."""
        rows = self.rows.get((member, kind))
        if rows is None:
            rows = self.rows[(member, kind)] = Rows(kind)
        ref = self.next_id(member, kind)
        if values.get("_typ"):
            self.typology_rows[str(values["_typ"])] += 1
        if values.get("_sch"):
            self.touched[str(values["_sch"])].update(str(v) for v in values.values() if isinstance(v, str))
        rows.add(_id=ref, **values)
        return ref

    # -- money and time -------------------------------------------------------------------
    def minor(self, amount: float) -> int:
        return round(amount * 100)

    def convert(self, amount: float, from_ccy: str, to_ccy: str) -> float:
        return amount * self.world.usd_per(from_ccy) / self.world.usd_per(to_ccy)

    def btc_usd(self, ts: int) -> float:
        day = min(max((ts - self.world.start) // DAY, 0), len(self.btc) - 1)
        return float(self.btc[day])

    def sats(self, usd: float, ts: int) -> int:
        return round(usd / self.btc_usd(ts) * 1e8)

    def clamp(self, ts: float) -> int:
        return int(min(max(ts, self.world.start), self.world.end - 1))

    def local_ts(self, day: int, hour: float, tz_minutes: int) -> int:
        return int(self.world.start + day * DAY + int(hour * 3600) - tz_minutes * 60)

    def uniform(self, bounds: list[float]) -> float:
        return float(self.rng.uniform(float(bounds[0]), float(bounds[1])))

    def randint(self, bounds: list[int]) -> int:
        """A count from the range, shrunk towards its low end by `size`."""
        low, high = int(bounds[0]), int(bounds[1])
        return low + round(int(self.rng.integers(0, high - low + 1)) * self.size)

    def open_account(self, i: int, column: str) -> str:
        """Give person i a new customer id at a member: the next in that member's sequence."""
        held = self.pop[column][self.pop.holders(column)]
        last = max(held, key=lambda v: int(str(v)[2:]))
        prefix, digits = str(last)[:2], str(last)[2:]
        new = f"{prefix}{int(digits) + 1:0{len(digits)}d}"
        self.pop[column][i] = new
        return new

    def prepaid_card(self, i: int) -> str:
        """A new prepaid card (same BIN as everyone's) for person i."""
        held = set(self.pop["prepaid_card"][self.pop.holders("prepaid_card")].tolist())
        while True:
            pan = luhn(f"438857{int(self.rng.integers(10**8, 10**9)):09d}")
            if pan not in held:
                self.pop["prepaid_card"][i] = pan
                return pan

    def special_merchant(self, slug: str) -> int:
        return int(self.merchants.by_category(f"special_{slug}")[0])

    def pick(self, candidates: np.ndarray, n: int = 1) -> list[int]:
        """n distinct people from candidates not yet used by another scheme."""
        free = candidates[~np.isin(candidates, np.fromiter(self.used, dtype=np.int64, count=len(self.used)))]
        if len(free) < n:
            free = candidates
        chosen = [int(x) for x in self.rng.choice(free, size=min(n, len(free)), replace=False)]
        self.used.update(chosen)
        return chosen

    def chain_pay(self, ts: int, senders: list[str], outputs: list[tuple[str, int]], typ: str | None,
                  sch: str | None, **kw: Any) -> str:
        if typ:
            self.typology_rows[typ] += 1
        if sch:
            self.touched[sch].update([*senders, *(address for address, _ in outputs), str(kw.get("change") or "")])
        return self.chain.pay(ts, senders, outputs, typ=typ, sch=sch, **kw)

    def choice(self, table: dict[str, float]) -> str:
        """A key drawn with the table's weights (cumulative weights cached per table)."""
        cached = self._cumulative.get(id(table))
        if cached is None or cached[0] is not table:
            keys = list(table)
            weights = np.cumsum(np.asarray([float(table[k]) for k in keys], dtype=np.float64))
            cached = self._cumulative[id(table)] = (table, keys, weights / weights[-1])
        _, keys, cumulative = cached
        return str(keys[min(int(np.searchsorted(cumulative, self.rng.random(), side="right")), len(keys) - 1)])
