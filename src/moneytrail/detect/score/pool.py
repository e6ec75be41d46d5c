"""Several labelled warehouses pooled into one training set for `score --train`.

A model trained on one coalition and applied to another meets accounts drawn from the same kind
of life, but not the same accounts, merchants or exchange wallets. With several warehouses
(earlier periods, or sister coalitions with labelled cases) the folds are the warehouses: every
out-of-fold score, and so every threshold, comes from a model that never saw the account's
warehouse, as a new coalition will be scored. Four pooled 1M coalitions ranked the short
typologies better than one 4M coalition; their thresholds met unseen coalitions on the same terms
only once the saved model combined its fold models by the upper median (`model.UPPER_MEDIAN`;
BENCHMARKS.md, 2026-12-06, session 5).

Each warehouse's tokens come from its own key; a prefix per warehouse keeps two warehouses'
accounts apart even where a public identifier (a wallet address) is the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc


class Labelled(NamedTuple):
    """One warehouse's training material: `account_frame`, labels (typology -> accounts), who paid whom, links."""

    frame: pa.Table
    labelled: dict[str, set[str]]
    pairs: pa.Table | None
    links: pa.Table | None


class Pooled(NamedTuple):
    frame: pa.Table
    labelled: dict[str, set[str]]
    pairs: pa.Table | None
    links: pa.Table | None
    sources: npt.NDArray[np.int64]  # per frame row: the warehouse it came from (0, 1, ...)


def _prefixed(table: pa.Table, columns: tuple[str, ...], prefix: str) -> pa.Table:
    for name in columns:
        index = table.column_names.index(name)
        values = pc.binary_join_element_wise(pa.scalar(prefix), table.column(name).cast(pa.string()), "")
        table = table.set_column(index, name, values)
    return table


def _with_columns(frame: pa.Table, names: list[str]) -> pa.Table:
    """`frame` with every column of `names` (an absent one, a rule that never fired there, is 0), in that order."""
    present = set(frame.column_names)
    for name in names:
        if name not in present:
            frame = frame.append_column(name, pa.array(np.zeros(frame.num_rows), pa.float64()))
    return frame.select(names)


def pool(parts: list[Labelled]) -> Pooled:
    """One training set from several warehouses; a single warehouse comes back as it is (sources all 0)."""
    if len(parts) == 1:
        only = parts[0]
        return Pooled(only.frame, only.labelled, only.pairs, only.links, np.zeros(only.frame.num_rows, np.int64))
    names: list[str] = []
    for part in parts:
        names += [c for c in part.frame.column_names if c not in names]
    frames, pairs, links, sources = [], [], [], []
    labelled: dict[str, set[str]] = {}
    for k, part in enumerate(parts):
        prefix = f"w{k}|"
        frames.append(_prefixed(_with_columns(part.frame, names), ("node",), prefix))
        if part.pairs is not None:
            pairs.append(_prefixed(part.pairs, ("src", "dst"), prefix))
        if part.links is not None:
            links.append(_prefixed(part.links, ("src", "dst"), prefix))
        for typology, accounts in part.labelled.items():
            labelled.setdefault(typology, set()).update(prefix + a for a in accounts)
        sources.append(np.full(part.frame.num_rows, k, np.int64))
    return Pooled(
        pa.concat_tables(frames, promote_options="permissive"),
        labelled,
        pa.concat_tables(pairs, promote_options="permissive") if pairs else None,
        pa.concat_tables(links, promote_options="permissive") if links else None,
        np.concatenate(sources),
    )
