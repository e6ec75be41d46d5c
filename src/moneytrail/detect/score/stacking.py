"""The second stage of the score: what the first stage says about an account's neighbours.

A facilitator's payers, a mule's victims and the middle of a laundering chain look ordinary on
their own; what marks them is whom they pay, who pays them, and what the same person does at
other members. The first stage scores every account per typology; the second adds

- per typology, the largest score among the accounts it paid and among those that paid it, and
  those scores summed, each weighted by the node's share of that neighbour's payments (`nb_*`);
- per typology, the largest score among the person's accounts at other members (`party_max_*`):
  accounts whose holders share a phone or e-mail token (`detect.holders`: the coalition's
  cross-member link; a card is linked through the issuing bank's records);
- per typology, the largest score among the accounts of the holder's household (`house_max_*`):
  holders who share a device or an address (INDICATORS.md rule 15: a family operation's wallets);
- the node's place in the subgraph of suspicious accounts (`sg_*`);
- per payment mark (`profiles.yaml`: S10's micro access fees, rule 20's recovery payments) and
  typology, the largest score among the accounts it paid (or that paid it) with a marked
  payment, not weighted by share (`mark_*`), and the marked payments summed, each weighed by
  that account's score (`mark_*_weighed_*`): a facilitator's wallet also takes one-off micro
  payments from shoppers, and a viewer pays it again (BENCHMARKS.md, 2026-12-07, session 5).

In training the first-stage scores are out-of-fold, so no account's own label leaks into its
neighbours' scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from moneytrail.detect.holders import SAME_HOLDER_TABLE, SAME_HOUSEHOLD_TABLE, same_holder, same_household
from moneytrail.detect.prepare import register_reference_tables
from moneytrail.detect.score.exposure import PAIRS_TABLE
from moneytrail.detect.score.learn import steady
from moneytrail.detect.score.profile import MARKS_TABLE, load_profiles, mark_column
from moneytrail.warehouse.engine import Engine, check_name

Matrix = npt.NDArray[np.float64]


def neighbour_columns(typologies: list[str]) -> list[str]:
    return [f"nb_{side}_{kind}_{t}" for t in typologies for side in ("out", "in") for kind in ("max", "sum")]


def mark_columns(typologies: list[str]) -> list[str]:
    return [
        f"{mark_column(m)}{kind}_{t}" for m in load_profiles().marks for kind in ("", "_weighed") for t in typologies
    ]


def score_pairs(engine: Engine, pairs: str = PAIRS_TABLE, marks: str = MARKS_TABLE) -> pa.Table:
    """src, dst, the number of payments between them and the pair's marked payments, from the pairs
    and marks `account_frame` made (`exposure.payment_pairs`, `profile.payment_marks`).

    Ordered, so that the neighbours' sums add up in the same order every run (see `second_stage`).
    """
    names = [mark_column(m) for m in load_profiles().marks]
    picked = "".join(f", coalesce(m.{c}, 0) AS {c}" for c in names)
    return engine.query(
        f"""SELECT p.src, p.dst, p.n{picked} FROM {check_name(pairs)} p
        LEFT JOIN {check_name(marks)} m ON m.src = p.src AND m.dst = p.dst ORDER BY p.src, p.dst"""
    )


@dataclass(frozen=True)
class Edges:
    """Pairs as row numbers into the score matrix: src, dst and n (payments; 1 where the table has no `n`)."""

    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    n: npt.NDArray[np.float64]
    marks: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)  # mark column -> marked payments per pair


def edges_of(pairs: pa.Table | None, nodes: list[str]) -> Edges:
    """`pairs` (src, dst[, n]) with each name replaced by its row in `nodes`; pairs naming other nodes left out."""
    if pairs is None:
        empty = np.zeros(0, dtype=np.int64)
        return Edges(empty, empty, np.zeros(0))
    index = {node: i for i, node in enumerate(nodes)}
    src = np.array([index.get(str(v), -1) for v in pairs.column("src").to_pylist()], dtype=np.int64)
    dst = np.array([index.get(str(v), -1) for v in pairs.column("dst").to_pylist()], dtype=np.int64)
    n = (
        np.asarray(pairs.column("n").to_numpy(zero_copy_only=False), dtype=np.float64)
        if "n" in pairs.column_names
        else np.ones(len(src))
    )
    known = (src >= 0) & (dst >= 0)
    marks = {
        c: np.asarray(pairs.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)[known]
        for c in pairs.column_names
        if c.startswith("mark_")
    }
    return Edges(src[known], dst[known], n[known], marks)


def marked_scores(edges: Edges, scores: Matrix) -> Matrix:
    """Per mark (of `profiles.yaml`), first per typology the largest score among the accounts the node
    paid (mark side out) or that paid it (side in) with a marked payment, then per typology those
    marked payments summed, each times its counterparty's score (column order of `mark_columns`)."""
    blocks = []
    for mark in load_profiles().marks:
        counts = edges.marks.get(mark_column(mark), np.zeros(len(edges.src)))  # no column: nothing marked
        marked = counts > 0
        payer, payee = edges.src[marked], edges.dst[marked]
        me, them = (payer, payee) if mark.side == "out" else (payee, payer)
        blocks.append(party_scores(Edges(me, them, edges.n[marked]), scores))
        weighed = np.zeros(scores.shape)
        np.add.at(weighed, me, counts[marked, None] * scores[them])  # every typology at once
        blocks.append(weighed)
    return np.hstack(blocks) if blocks else np.zeros((scores.shape[0], 0))


def neighbour_scores(edges: Edges, scores: Matrix) -> Matrix:
    """Per node and typology (column order of `neighbour_columns`): out max, out sum, in max, in sum.

    Each neighbour's score counts in proportion to the node's share of that neighbour's payments:
    a payer's share of what the payee received (out), a payee's share of what the payer sent (in).
    A shop with 67 one-off customers scored 0.17 for fan-in on an unseen seed, and with the plain
    score every one of those customers looked like a fan-in payer (BENCHMARKS.md, 2026-12-06
    (late)); weighted, each customer carries 1/67th of it, while a launderer's payment is a
    large share of what the hub received.
    """
    src, dst, n = edges.src, edges.dst, edges.n
    rows = scores.shape[0]
    received = np.bincount(dst, weights=n, minlength=rows)
    sent = np.bincount(src, weights=n, minlength=rows)
    share_of_payee = n / np.maximum(received[dst], 1e-12)
    share_of_payer = n / np.maximum(sent[src], 1e-12)
    out = np.zeros((rows, scores.shape[1] * 4))
    for j in range(scores.shape[1]):
        column = scores[:, j]
        np.maximum.at(out[:, 4 * j], src, column[dst] * share_of_payee)
        np.add.at(out[:, 4 * j + 1], src, column[dst] * share_of_payee)
        np.maximum.at(out[:, 4 * j + 2], dst, column[src] * share_of_payer)
        np.add.at(out[:, 4 * j + 3], dst, column[src] * share_of_payer)
    return out


# A node joins the suspicious subgraph when one of its first-stage scores reaches this. Low on purpose:
# a group's shape is the evidence, so it is better over- than under-drawn.
SUSPICIOUS_CUT = 0.1
LONGEST_CYCLE = 6  # the graph features' temporal cycles go this far too
SHAPE_COLUMNS = (
    "sg_in",  # suspicious accounts that paid the node
    "sg_out",  # suspicious accounts the node paid
    "sg_payer_out_max",  # among those payers, the most suspicious accounts one of them paid (a fan's hub)
    "sg_payer_out_min",
    "sg_payer_in_max",  # ... and the most suspicious accounts that paid one of them (a layer before)
    "sg_payee_in_max",  # among the accounts it paid, the most suspicious payers one of them had (a collector)
    "sg_payee_in_min",
    "sg_payee_out_max",
    "sg_reach2",  # suspicious accounts two payments downstream
    "sg_cycle",  # the shortest cycle of suspicious payments through the node (0: none up to LONGEST_CYCLE)
)


def suspicious_shapes(edges: Edges, scores: Matrix, cut: float = SUSPICIOUS_CUT) -> Matrix:
    """Per node (column order of `SHAPE_COLUMNS`): its place in the subgraph of suspicious accounts.

    Laundering runs through small groups of accounts - a fan, a chain, a cycle, layers (IBM's
    AMLworld patterns) - and the shape around an account tells one from another: a fan's leaf has
    one suspicious payer that paid many, a layer's member several payers that each paid several, a
    cycle's member a way back to itself. The subgraph is the who-paid-whom pairs between accounts
    whose first-stage score reaches `cut` for some typology. Only the node's own neighbourhood is
    described: whole connected groups merge through busy accounts (employers, wallets) into one.
    """
    n = scores.shape[0]
    suspicious = scores.max(axis=1) >= cut if scores.size else np.zeros(n, dtype=bool)
    inside = suspicious[edges.src] & suspicious[edges.dst]
    src, dst = edges.src[inside], edges.dst[inside]
    graph = sparse.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()  # sums duplicates
    graph.data[:] = 1.0  # a pair paid several times counts once
    coo = graph.tocoo()
    src, dst = coo.row.astype(np.int64), coo.col.astype(np.int64)
    out_degree = np.bincount(src, minlength=n).astype(np.float64)
    in_degree = np.bincount(dst, minlength=n).astype(np.float64)
    out = np.zeros((n, len(SHAPE_COLUMNS)))
    out[:, 0], out[:, 1] = in_degree, out_degree

    def gather(at: np.ndarray, values: np.ndarray, how: str) -> np.ndarray:
        result = np.full(n, np.inf) if how == "min" else np.zeros(n)
        (np.minimum if how == "min" else np.maximum).at(result, at, values)
        return np.where(np.isinf(result), 0.0, result)

    out[:, 2] = gather(dst, out_degree[src], "max")
    out[:, 3] = gather(dst, out_degree[src], "min")
    out[:, 4] = gather(dst, in_degree[src], "max")
    out[:, 5] = gather(src, in_degree[dst], "max")
    out[:, 6] = gather(src, in_degree[dst], "min")
    out[:, 7] = gather(src, out_degree[dst], "max")
    two = graph @ graph
    two.setdiag(0)
    two.eliminate_zeros()
    out[:, 8] = np.diff(two.indptr)
    walk = graph
    for length in range(2, LONGEST_CYCLE + 1):
        walk = walk @ graph
        back = (walk.diagonal() > 0) & (out[:, 9] == 0)
        out[back, 9] = length
        walk.data[:] = 1.0  # reachability, not the number of walks
    return out


HOLDER, HOUSEHOLD = "holder", "household"  # the kinds of link `score_links` returns
# each kind's column prefix, in the order `second_stage` lays their columns out
LINK_PREFIXES = {HOLDER: "party", HOUSEHOLD: "house"}


def score_links(engine: Engine) -> pa.Table:
    """src, dst, kind: two accounts (tokens) whose holders are one person (`holder`: a shared phone or e-mail
    token) or one household (`household`: a shared device or address token), both directions."""
    if not engine.has_table(SAME_HOLDER_TABLE) or not engine.has_table(SAME_HOUSEHOLD_TABLE):
        register_reference_tables(engine)  # accounts and parties, or empty stand-ins: no links
        same_holder(engine)
        same_household(engine)
    return engine.query(
        f"""SELECT token AS src, other_token AS dst, '{HOLDER}' AS kind FROM {SAME_HOLDER_TABLE}
        UNION ALL SELECT token, other_token, '{HOUSEHOLD}' FROM {SAME_HOUSEHOLD_TABLE}
        ORDER BY kind, src, dst"""
    )


def links_of_kind(links: pa.Table | None, kind: str) -> pa.Table | None:
    """The links of one kind; a table without a `kind` column holds holder links only."""
    if links is None or "kind" not in links.column_names:
        return links if kind == HOLDER else None
    return links.filter(pc.equal(links.column("kind"), kind))


def link_columns(typologies: list[str]) -> list[str]:
    return [f"{prefix}_max_{t}" for prefix in LINK_PREFIXES.values() for t in typologies]


def party_scores(links: Edges, scores: Matrix) -> Matrix:
    """Per node and typology: the largest first-stage score among the accounts `links` ties it to."""
    out = np.zeros(scores.shape)
    for j in range(scores.shape[1]):
        np.maximum.at(out[:, j], links.src, scores[links.dst, j])
    return out


def second_stage_columns(typologies: list[str]) -> list[str]:
    return [*neighbour_columns(typologies), *link_columns(typologies), *SHAPE_COLUMNS, *mark_columns(typologies)]


def second_stage(pairs: pa.Table, links: pa.Table | None, nodes: list[str], scores: Matrix) -> Matrix:
    """The second stage's extra inputs (column order of `second_stage_columns`); `scores` rows follow `nodes`.

    Rounded as the first stage's features are (`learn.steady`): the neighbours' sums depend in their
    last bits on the order of the pairs, and LightGBM bins a feature on its distinct values, so that
    noise alone gave two trainings on one warehouse different later stages and thresholds (lsac's
    0.733 and 0.858; BENCHMARKS.md, 2026-12-06).
    """
    paid = edges_of(pairs, nodes)  # read once: neighbours and shapes share it
    return steady(np.hstack([
        neighbour_scores(paid, scores),
        *(party_scores(edges_of(links_of_kind(links, kind), nodes), scores) for kind in LINK_PREFIXES),
        suspicious_shapes(paid, scores),
        marked_scores(paid, scores),
    ]))
