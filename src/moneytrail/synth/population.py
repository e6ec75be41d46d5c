"""People, families, their accounts at each member, and the merchants they pay.

Columnar: every attribute is one numpy array over all people (`pop[col][i]`). People in
consumer countries (US, GB, AU, CA) include diaspora families with relatives in corridor
countries, which makes small remittances to PH ordinary, not suspicious by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moneytrail.synth import ids
from moneytrail.synth.world import DAY, World

CONSUMER = ("US", "GB", "AU", "CA")
CULTURE_OF = {"PH": "filipino", "MX": "hispanic", "DO": "hispanic", "CO": "hispanic", "IN": "indian",
              "TH": "thai", "NG": "nigerian", "CI": "nigerian"}
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me"]
BINS = {"bank_us_debit": "453912", "bank_us_credit": "542418", "bank_gb_debit": "465859",
        "bank_gb_credit": "535522", "ext_card": "401288", "prepaid": "438857"}


@dataclass
class Population:
    """All people as columns, plus the family links between them."""

    cols: dict[str, np.ndarray]
    relatives: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.cols[name] = value

    @property
    def n(self) -> int:
        return len(self.cols["country"])

    def holders(self, column: str) -> np.ndarray:
        """Indices of people who have a value in `column`."""
        return np.flatnonzero(self.cols[column] != None)  # noqa: E711 - element-wise on object arrays

    def full_name(self, i: int) -> str:
        return f"{self.cols['given'][i]} {self.cols['surname'][i]}"

    def names(self, idx: np.ndarray) -> np.ndarray:
        return np.char.add(np.char.add(self.cols["given"][idx].astype(str), " "), self.cols["surname"][idx].astype(str))


def _obj(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _pick(rng: np.random.Generator, items: list[Any], n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = [items[i] for i in rng.integers(0, len(items), size=n)]
    return out


def _weighted(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = list(table)
    p = np.asarray([table[k] for k in keys], dtype=np.float64)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _people_block(rng: np.random.Generator, world: World, country: np.ndarray, culture: np.ndarray) -> dict[str, Any]:
    n = len(country)
    gender = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    given = _obj(n)
    surname = _obj(n)
    for cult in np.unique(culture.astype(str)):
        names = world.names[cult]
        sel = culture == cult
        for sex, key in (("F", "female"), ("M", "male")):
            both = sel & (gender == sex)
            given[both] = _pick(rng, names[key], int(both.sum()))
        surname[sel] = _pick(rng, names["surnames"], int(sel.sum()))
    # Adults 18-85 around 40; minors are set later.
    age = np.clip(rng.normal(41, 15, size=n), 18, 85).astype(np.int64)
    return {"country": country, "culture": culture, "gender": gender, "given": given, "surname": surname, "age": age}


def build_population(rng: np.random.Generator, world: World, n_people: int) -> Population:
    mix = world["population_mix"]
    n_consumer = {c: round(n_people * float(mix.get(c, 0))) for c in CONSUMER}
    n_ph_target = max(round(n_people * float(mix.get("PH", 0))), 10)

    country = np.concatenate([np.full(n_consumer[c], c, dtype=object) for c in CONSUMER])
    nc = len(country)
    diaspora_p = np.where(np.isin(country, ["AU", "CA"]), 0.35, 0.2)
    diaspora = rng.random(nc) < diaspora_p
    corridor = _obj(nc)
    for c in CONSUMER:
        sel = diaspora & (country == c)
        corridor[sel] = _weighted(rng, world["remittance_corridors"][c], int(sel.sum()))
    culture = np.full(nc, "anglo", dtype=object)
    culture[diaspora] = [CULTURE_OF[k] for k in corridor[diaspora]]
    block = _people_block(rng, world, country, culture)

    # Relatives abroad: 1-3 per diaspora sender, mostly sharing the surname.
    senders = np.flatnonzero(diaspora)
    k = 1 + rng.binomial(2, 0.3, size=len(senders))
    rel_sender = np.repeat(senders, k)
    rel_country = corridor[rel_sender]
    rel_block = _people_block(rng, world, rel_country, culture[rel_sender])
    same = rng.random(len(rel_sender)) < 0.8
    rel_block["surname"][same] = block["surname"][rel_sender[same]]
    relation = np.where(same, _weighted(rng, {"parent": 4, "sibling": 3, "child": 1, "relative": 2},
                                           len(same)), _weighted(rng, {"spouse": 2, "relative": 2, "other": 1},
                                                                 len(same)))
    n_rel = len(rel_sender)
    n_ph_rel = int((rel_country == "PH").sum())
    n_ph_more = max(n_ph_target - n_ph_rel, 10)
    more_block = _people_block(rng, world, np.full(n_ph_more, "PH", dtype=object),
                               np.full(n_ph_more, "filipino", dtype=object))

    cols: dict[str, Any] = {}
    for key in block:
        cols[key] = np.concatenate([block[key], rel_block[key], more_block[key]])
    len(cols["country"])
    cols["diaspora_corridor"] = np.concatenate([corridor, _obj(n_rel + n_ph_more)])
    pop = Population(cols=cols)
    pop.relatives = {"sender": rel_sender, "receiver": np.arange(nc, nc + n_rel), "relationship": relation}

    _minors(rng, pop)
    _contacts(rng, world, pop)
    _households(rng, pop)
    _holdings(rng, world, pop)
    return pop


def _households(rng: np.random.Generator, pop: Population) -> None:
    """Relatives of one emigrant often live together and share a phone or tablet: ordinary family
    clusters that look like the family-run operations of rule 15."""
    sender, receiver = pop.relatives["sender"], pop.relatives["receiver"]
    first: dict[int, int] = {}
    share_home = rng.random(len(sender)) < 0.6
    share_device = rng.random(len(sender)) < 0.25
    for k, (s, r) in enumerate(zip(sender.tolist(), receiver.tolist(), strict=True)):
        head = first.setdefault(s, r)
        if head == r:
            continue
        if share_home[k]:
            for col in ("address", "city", "region"):
                pop[col][r] = pop[col][head]
        if share_device[k]:
            pop["device"][r] = pop["device"][head]


def _minors(rng: np.random.Generator, pop: Population) -> None:
    """Some US people are 13-17, on accounts co-signed by a parent with the same surname and address."""
    us_adults = np.flatnonzero((pop["country"] == "US") & (pop["age"] >= 30) & (pop["age"] <= 60))
    others = np.flatnonzero((pop["country"] == "US") & ((pop["age"] < 30) | (pop["age"] > 60)))
    n_minor = min(max(int(len(np.flatnonzero(pop["country"] == "US")) * 0.06), 2), len(others))
    minors = np.sort(rng.choice(others, size=n_minor, replace=False))
    parents = rng.choice(us_adults, size=len(minors))
    pop["age"][minors] = rng.integers(13, 18, size=len(minors))
    pop["surname"][minors] = pop["surname"][parents]
    pop["cosigner"] = np.full(pop.n, -1, dtype=np.int64)
    pop["cosigner"][minors] = parents


def _contacts(rng: np.random.Generator, world: World, pop: Population) -> None:
    n = pop.n
    birth_year = 2025 - pop["age"] - 1
    day_of_year = rng.integers(0, 365, size=n)
    birth = (np.asarray(birth_year - 1970, dtype="datetime64[Y]").astype("datetime64[D]")
             + day_of_year.astype("timedelta64[D]"))
    pop["birth_date"] = np.datetime_as_string(birth, unit="D").astype(object)
    region, city = _obj(n), _obj(n)
    tz = np.zeros(n, dtype=np.int64)
    phone = _obj(n)
    for c in np.unique(pop["country"].astype(str)):
        sel = np.flatnonzero(pop["country"] == c)
        info = world.country(c)
        regions = info["regions"]
        reg = np.asarray(regions, dtype=object)[rng.integers(0, len(regions), size=len(sel))]
        region[sel] = reg
        cities = world.names["cities"].get(c, {})
        city[sel] = [
            (lambda opts: opts[int(rng.integers(0, len(opts)))])(cities.get(r, [r])) for r in reg
        ]
        tz[sel] = int(info["tz_minutes"])
        phone[sel] = ids.phones(rng, str(info["phone_prefix"]), len(sel))
    street = _pick(rng, world.names["streets"], n)
    number = rng.integers(1, 999, size=n)
    pop["address"] = np.asarray([f"{k} {s}" for k, s in zip(number.tolist(), street, strict=True)], dtype=object)
    pop["region"], pop["city"], pop["tz"], pop["phone"] = region, city, tz, phone
    # Minors live with the co-signing parent.
    minors = np.flatnonzero(pop["cosigner"] >= 0)
    for col in ("address", "city", "region"):
        pop[col][minors] = pop[col][pop["cosigner"][minors]]
    domain = _pick(rng, EMAIL_DOMAINS, n)
    suffix = rng.integers(1, 999, size=n)
    pop["email"] = np.asarray(
        [f"{g}.{s}{k}@{d}".lower().replace(" ", "") for g, s, k, d in
         zip(pop["given"], pop["surname"], suffix.tolist(), domain, strict=True)], dtype=object)
    pop["device"] = np.asarray(ids.hex_ids(rng, n, 12, "dev-"), dtype=object)
    octets = rng.integers(1, 255, size=(n, 4))
    pop["ip"] = np.asarray([f"{a}.{b}.{c}.{d}" for a, b, c, d in octets.tolist()], dtype=object)
    pop["activity"] = rng.lognormal(0.0, 0.9, size=n)
    pop["since"] = world.start // DAY - rng.integers(30, 365 * 12, size=n)


def _assign(pop: Population, who: np.ndarray, column: str, values: list[str] | np.ndarray) -> None:
    if column not in pop.cols:
        pop[column] = _obj(pop.n)
    pop[column][who] = values


def _holdings(rng: np.random.Generator, world: World, pop: Population) -> None:
    n = pop.n
    country, age = pop["country"], pop["age"]
    adult = age >= 18
    minor = pop["cosigner"] >= 0
    r = rng.random((n, 8))
    us, gb = country == "US", country == "GB"

    bank_us = np.flatnonzero((us & adult & (r[:, 0] < 0.88)) | (gb & adult & (r[:, 0] < 0.02))
                             | (minor & (r[:, 0] < 0.4)))
    bank_gb = np.flatnonzero((gb & adult & (r[:, 1] < 0.9)) | (us & adult & (r[:, 1] < 0.02)))
    for bank, holders in (("bank_us", bank_us), ("bank_gb", bank_gb)):
        _assign(pop, holders, f"{bank}_cust", ids.digits_text(np.arange(1, len(holders) + 1) + 1000, 8, "C"))
        if bank == "bank_us":
            both = ids.digits_text(ids.unique_ints(rng, 2 * len(holders), 10), 10)
        else:
            both = ids.gb_ibans(rng, 2 * len(holders), "THSB")
        accounts, savings_ids = both[: len(holders)], both[len(holders):]
        _assign(pop, holders, f"{bank}_acct", accounts)
        has_savings = holders[rng.random(len(holders)) < 0.3]
        _assign(pop, has_savings, f"{bank}_savings",
                np.asarray(savings_ids, dtype=object)[np.searchsorted(holders, has_savings)])
        debit = holders[rng.random(len(holders)) < 0.88]
        _assign(pop, debit, f"{bank}_debit", ids.luhn_pans(rng, len(debit), BINS[f"{bank}_debit"]))
        credit = holders[(rng.random(len(holders)) < 0.42) & (pop["age"][holders] >= 18)]
        _assign(pop, credit, f"{bank}_credit", ids.luhn_pans(rng, len(credit), BINS[f"{bank}_credit"]))

    young = (age >= 18) & (age < 35)
    p2p = np.flatnonzero((us & adult & (r[:, 2] < np.where(young, 0.75, 0.45))) | (minor & (r[:, 2] < 0.8)))
    # A minor's parent needs an account to co-sign.
    parents = np.unique(pop["cosigner"][np.intersect1d(p2p, np.flatnonzero(minor))])
    p2p = np.union1d(p2p, parents)
    _assign(pop, p2p, "p2p_user", ids.digits_text(np.arange(1, len(p2p) + 1) + 100, 7, "ZP"))
    handles = [f"@{g}-{s}-{k}".lower().replace(" ", "") for g, s, k in
               zip(pop["given"][p2p], pop["surname"][p2p], rng.integers(1, 9999, size=len(p2p)).tolist(), strict=True)]
    _assign(pop, p2p, "p2p_handle", handles)

    consumer = np.isin(country, list(CONSUMER))
    diaspora = pop["diaspora_corridor"] != None  # noqa: E711
    remit = np.flatnonzero(consumer & adult & ((diaspora & (r[:, 3] < 0.85)) | (r[:, 3] < 0.03)
                                               | np.isin(country, ["AU", "CA"])))
    _assign(pop, remit, "remit_id", ids.digits_text(np.arange(1, len(remit) + 1) + 10000, 8, "GS"))
    exch = np.flatnonzero(consumer & adult & (age < 60) & (r[:, 4] < np.where(young, 0.16, 0.07)))
    _assign(pop, exch, "exch_id", ids.digits_text(np.arange(1, len(exch) + 1) + 1000, 7, "CH"))
    wallet = np.flatnonzero((country == "PH") & (r[:, 5] < 0.92))
    _assign(pop, wallet, "wallet", pop["phone"][wallet])
    # Bank accounts at non-members: everyone gets one (used as counterparties and funding).
    _assign(pop, np.arange(n), "ext_account", ids.digits_text(ids.unique_ints(rng, n, 12), 12))
    others = np.flatnonzero(np.isin(country, ["AU", "CA"]))
    _assign(pop, others, "ext_card", ids.luhn_pans(rng, len(others), BINS["ext_card"]))
    prepaid = np.flatnonzero(consumer & (age >= 16) & (r[:, 6] < 0.05))
    _assign(pop, prepaid, "prepaid_card", ids.luhn_pans(rng, len(prepaid), BINS["prepaid"]))
    for col in ("bank_us_savings", "bank_gb_savings", "bank_gb_credit", "bank_us_credit", "prepaid_card"):
        if col not in pop.cols:
            pop[col] = _obj(n)


def own_account(pop: Population, i: int) -> tuple[str, str]:
    """(member_id or 'ext', account) of a person's main bank account."""
    if pop["bank_us_acct"][i] is not None:
        return "bank_us", str(pop["bank_us_acct"][i])
    if pop["bank_gb_acct"][i] is not None:
        return "bank_gb", str(pop["bank_gb_acct"][i])
    return "ext", str(pop["ext_account"][i])


def own_card(pop: Population, i: int) -> tuple[str, str, str] | None:
    """(issuer_id, pan, product) of a person's main card, if any."""
    for col, issuer, product in (("bank_us_debit", "bank_us", "debit"), ("bank_gb_debit", "bank_gb", "debit"),
                                 ("bank_us_credit", "bank_us", "credit"), ("bank_gb_credit", "bank_gb", "credit"),
                                 ("ext_card", "ISS_EXT1", "debit")):
        if col in pop.cols and pop[col][i] is not None:
            return issuer, str(pop[col][i]), product
    return None
