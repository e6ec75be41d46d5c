"""The second stage of the score: each account's counterparties' first-stage scores as features.

A facilitator's payers, a mule's victims and the middle of a laundering chain look ordinary on
their own; what marks them is whom they pay and who pays them. The first stage scores every
account per typology; the second adds, per typology, the largest score among the accounts it
paid and among those that paid it, and those scores summed per payment. In training the
first-stage scores are out-of-fold, so no account's own label leaks into its neighbours' scores.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moneytrail.detect.score.exposure import PAIRS_TABLE
from moneytrail.warehouse.engine import Engine, check_name

Matrix = npt.NDArray[np.float64]


def neighbour_columns(typologies: list[str]) -> list[str]:
    return [f"nb_{side}_{kind}_{t}" for t in typologies for side in ("out", "in") for kind in ("max", "sum")]


def score_pairs(engine: Engine, pairs: str = PAIRS_TABLE) -> pa.Table:
    """src, dst and the number of payments between them, from the pairs `account_frame` made."""
    return engine.query(f"SELECT src, dst, n FROM {check_name(pairs)}")


def neighbour_scores(pairs: pa.Table, nodes: list[str], scores: Matrix) -> Matrix:
    """Per node and typology (column order of `neighbour_columns`): out max, out sum, in max, in sum."""
    index = {node: i for i, node in enumerate(nodes)}
    src = np.array([index.get(str(v), -1) for v in pairs.column("src").to_pylist()], dtype=np.int64)
    dst = np.array([index.get(str(v), -1) for v in pairs.column("dst").to_pylist()], dtype=np.int64)
    n = np.asarray(pairs.column("n").to_numpy(zero_copy_only=False), dtype=np.float64)
    known = (src >= 0) & (dst >= 0)
    src, dst, n = src[known], dst[known], n[known]
    typologies = scores.shape[1]
    out = np.zeros((len(nodes), typologies * 4))
    for j in range(typologies):
        column = scores[:, j]
        np.maximum.at(out[:, 4 * j], src, column[dst])
        np.add.at(out[:, 4 * j + 1], src, column[dst] * n)
        np.maximum.at(out[:, 4 * j + 2], dst, column[src])
        np.add.at(out[:, 4 * j + 3], dst, column[src] * n)
    return out
