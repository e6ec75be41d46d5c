"""Card merchants (the acquirers' underwriting data) and their popularity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from moneytrail.synth import ids
from moneytrail.synth.world import DAY, World

MERCHANT_COLUMNS = [
    "mid", "acquirer_id", "legal_name", "dba_name", "descriptor", "mcc", "country", "city", "declared_url",
    "onboarded_at", "terminated_at", "termination_reason", "projected_monthly_volume_usd", "principal_name",
    "category", "weight",
]
_CITY = {"US": ["New York", "Dallas", "Chicago", "Los Angeles", "Miami", "Seattle"],
         "GB": ["London", "Manchester", "Leeds", "Glasgow"], "NL": ["Amsterdam"], "CY": ["Limassol"],
         "MT": ["Valletta"]}


@dataclass
class Merchants:
    cols: dict[str, list[Any]]

    def __getitem__(self, name: str) -> list[Any]:
        return self.cols[name]

    @property
    def n(self) -> int:
        return len(self.cols["mid"])

    def add(self, **values: Any) -> int:
        for name in MERCHANT_COLUMNS:
            self.cols[name].append(values.get(name))
        return self.n - 1

    def next_mid(self) -> str:
        return f"MID{100_000_000 + self.n * 7919 % 900_000_000:09d}"

    def by_category(self, category: str, country: str | None = None) -> np.ndarray:
        cat = np.asarray(self.cols["category"], dtype=object)
        sel = cat == category
        if country is not None:
            local = sel & (np.asarray(self.cols["country"], dtype=object) == country)
            if local.any():
                sel = local
        return np.flatnonzero(sel)


def descriptor(name: str, city: str | None) -> str:
    text = name.upper() if not city else f"{name.upper()} {city.upper()}"
    return text[:22].strip()


def slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def build_merchants(rng: np.random.Generator, world: World, n_merchants: int, person_names: list[str]) -> Merchants:
    m = Merchants(cols={name: [] for name in MERCHANT_COLUMNS})
    cats = world["card_categories"]
    words, nouns = world.names["merchant_words"], world.names["merchant_nouns"]
    start_day = world.start // DAY
    for category, spec in cats.items():
        count = max(round(n_merchants * float(spec["share"])), 3)
        online = float(spec["cp"]) < 0.5
        for k in range(count):
            country = str(rng.choice(["US", "GB", "NL", "CY"], p=[0.55, 0.35, 0.05, 0.05] if online
                                     else [0.62, 0.38, 0.0, 0.0]))
            city = str(rng.choice(_CITY[country]))
            noun = nouns[category][int(rng.integers(0, len(nouns[category])))]
            name = f"{words[int(rng.integers(0, len(words)))]} {noun}"
            if k >= len(words):
                name = f"{name} {k}"
            mccs = spec["mccs"]
            volume = int(rng.lognormal(11, 1.0)) * 100
            m.add(mid=m.next_mid(), acquirer_id=f"ACQ0{int(rng.integers(1, 6))}", legal_name=f"{name} LLC",
                  dba_name=name, descriptor=descriptor(name, None if online else city),
                  mcc=str(mccs[int(rng.integers(0, len(mccs)))]), country=country, city=city,
                  declared_url=f"https://www.{slug(name)}.com" if online else None,
                  onboarded_at=int(start_day - rng.integers(200, 4000)), terminated_at=None, termination_reason=None,
                  projected_monthly_volume_usd=volume,
                  principal_name=person_names[int(rng.integers(0, len(person_names)))],
                  category=category, weight=float(1.0 / (k + 1) ** 0.9))
    for mcc, price in world["subscriptions"]["plans"]:
        name = {"5815": "StreamFlix", "4899": "CableNow", "5817": "AppStore Plus", "5968": "Box Club",
                "7273": "MatchMate", "5967": "AdultLive Prime", "5734": "CloudSafe", "7841": "ClipVault",
                "5816": "GameZone"}.get(str(mcc), "Subscribe")
        name = f"{name} {price}"
        m.add(mid=m.next_mid(), acquirer_id="ACQ01", legal_name=f"{name} Inc", dba_name=name,
              descriptor=descriptor(name, None), mcc=str(mcc), country="US", city="Los Angeles",
              declared_url=f"https://www.{slug(name)}.com", onboarded_at=int(start_day - rng.integers(400, 3000)),
              projected_monthly_volume_usd=int(rng.lognormal(13, 0.8)) * 100,
              principal_name=person_names[int(rng.integers(0, len(person_names)))],
              category="subscription", weight=float(price))
    for name, mcc, country in (("CoinHarbor", "6051", "MT"), ("GlobeSend", "4829", "US")):
        m.add(mid=m.next_mid(), acquirer_id="ACQ02", legal_name=f"{name} Ltd", dba_name=name,
              descriptor=descriptor(name, None), mcc=mcc, country=country, city=_CITY[country][0],
              declared_url=f"https://www.{slug(name)}.com", onboarded_at=int(start_day - 2500),
              projected_monthly_volume_usd=500_000_000, principal_name="Corporate", category=f"special_{slug(name)}",
              weight=1.0)
    return m


def merchant_ids_digits(rng: np.random.Generator, n: int) -> list[str]:
    return ids.digits_text(ids.unique_ints(rng, n, 9), 9, "MID")
