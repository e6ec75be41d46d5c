"""The eight laundering patterns of IBM's AMLworld data, as transfers between bank customers.

A transfer between two customers of the same bank is booked once, on the payer's statement
(see docs/FORMATS.md). Hops are hours to days apart. Amounts shrink a little at each hop, as
money passed on less a cut, except in the random pattern: as in IBM AMLSim's RandomTypology,
each of its hops (one per member) sends an amount of its own, so it is a walk, not a chain.
"""

from __future__ import annotations

import numpy as np

from moneytrail.synth import actions
from moneytrail.synth.context import Context

PATTERNS = ("fan_in", "fan_out", "gather_scatter", "scatter_gather", "cycle", "random", "bipartite", "stack")


def _edges(ctx: Context, pattern: str) -> tuple[int, list[tuple[int, int, int]]]:
    """(number of accounts, [(step, src, dst)]) for one instance of the pattern."""
    r = ctx.randint
    if pattern in ("fan_in", "fan_out"):
        k = r([3, 10])
        edges = [(0, i, k) if pattern == "fan_in" else (0, k, i) for i in range(k)]
        return k + 1, edges
    if pattern == "gather_scatter":
        a, b = r([2, 6]), r([2, 6])
        hub = a + b
        return hub + 1, [(0, i, hub) for i in range(a)] + [(1, hub, a + j) for j in range(b)]
    if pattern == "scatter_gather":
        k = r([2, 7])
        return k + 2, [(0, 0, 1 + i) for i in range(k)] + [(1, 1 + i, k + 1) for i in range(k)]
    if pattern == "cycle":
        k = r([3, 8])
        return k, [(i, i, (i + 1) % k) for i in range(k)]
    if pattern == "random":
        k = r([4, 8])
        at, edges = 0, []
        for step in range(k):
            nxt = int(ctx.rng.integers(0, k - 1))
            nxt = nxt + 1 if nxt >= at else nxt
            edges.append((step, at, nxt))
            at = nxt
        return k, edges
    if pattern == "bipartite":
        # every originator pays every beneficiary, as in AMLSim's BipartiteTypology: a sample of the
        # pairs could leave a single beneficiary (a fan-in) or originator (a fan-out), a shape no one
        # could tell from those patterns, labelled bipartite all the same
        a, b = r([2, 5]), r([2, 5])
        return a + b, [(0, i, a + j) for i in range(a) for j in range(b)]
    sizes = [r([2, 4]) for _ in range(3)]  # stack: fully connected layers
    offsets = np.cumsum([0, *sizes])
    edges = [(layer, int(offsets[layer]) + i, int(offsets[layer + 1]) + j)
             for layer in range(2) for i in range(sizes[layer]) for j in range(sizes[layer + 1])]
    return int(offsets[-1]), edges


def run(ctx: Context, pattern: str) -> None:
    typ = f"aml_{pattern}"
    pop = ctx.pop
    bank = "bank_us" if ctx.rng.random() < 0.6 else "bank_gb"
    holders = pop.holders(f"{bank}_acct")
    holders = holders[pop["age"][holders] >= 18]
    n_accounts, edges = _edges(ctx, pattern)
    sch = ctx.new_scheme(typ, {"pattern": pattern, "bank": bank, "accounts": n_accounts, "edges": len(edges)})
    accounts = ctx.pick(holders, n_accounts)
    for i in accounts:
        ctx.label(bank, pop[f"{bank}_acct"][i], typ, "launderer", sch)
    base = ctx.uniform([2000, 15000])
    start = ctx.world.start + int(ctx.rng.uniform(0, ctx.world.days - 20)) * 86400
    step_gap = ctx.uniform([6, 72]) * 3600
    for step, src, dst in edges:
        a, b = accounts[src % len(accounts)], accounts[dst % len(accounts)]
        ts = ctx.clamp(start + step * step_gap + ctx.uniform([0, 0.8]) * step_gap)
        share = ctx.uniform([0.2, 1.0]) if pattern == "random" else (0.97 ** step) * ctx.uniform([0.85, 1.0])
        amount = round(base * share, 2)
        actions.bank_post(ctx, bank, pop[f"{bank}_acct"][a], pop.full_name(a), ts, int(pop["tz"][a]), amount, "DBIT",
                          actions.BKTX_OUT, typ, sch, cp_name=pop.full_name(b), cp_country=str(pop["country"][b]),
                          cp_account=pop[f"{bank}_acct"][b], cp_bic=ctx.world.member(bank)["bic"],
                          reference=str(ctx.rng.choice(["", "invoice", "loan", "payment", "consulting"])) or None)
