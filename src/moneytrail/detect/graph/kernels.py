"""Compiled kernels for the patterns SQL does badly: bounded temporal cycles and scatter-gather.

Edges are dense integer node ids with times; the arrays are sorted by (src, t) so each node's
out-edges form one slice (CSR). Every search is bounded (`budget`) so a hub cannot stall a run.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def csr(
    src: IntArray, dst: IntArray, t: FloatArray, n_nodes: int, tie: FloatArray | None = None
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Sort edges by (src, t, dst, tie) and return (offsets, dst, t, order): `order` puts other edge columns in step.

    Ties in time are broken by the edges' own values, never by the order they came in: the
    searches are bounded and walk edges in this order, so an engine returning the same edges in
    another order (DuckDB's parallel scans do) would otherwise count other cycles and paths, and
    the score trained on them would differ run to run.
    """
    keys = (dst, t, src) if tie is None else (tie, dst, t, src)
    order = np.lexsort(keys)
    offsets = np.zeros(n_nodes + 1, dtype=np.int64)
    np.add.at(offsets, src + 1, 1)
    return np.cumsum(offsets), dst[order].astype(np.int64), t[order].astype(np.float64), order


@njit(cache=True)
def _first_at_or_after(times: FloatArray, lo: int, hi: int, value: float) -> int:
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def temporal_cycles(
    offsets: IntArray,
    dst: IntArray,
    t: FloatArray,
    amount: FloatArray,
    max_len: int,
    delta: float,
    start_lo: float,
    start_hi: float,
    budget: int,
    keep_lo: float = 0.0,
    keep_hi: float = np.inf,
    min_len: int = 2,
) -> IntArray:
    """Per node: how many temporal cycles (length min_len..max_len, within delta of the first edge) pass through it.

    Along a cycle each edge comes strictly after the previous one in (time, edge index) order,
    so every cycle is found exactly once, from its first edge; only cycles whose first edge
    starts in [start_lo, start_hi) are counted (the time bucket this call owns). With a band
    `keep_lo`..`keep_hi`, each hop must carry that share of the previous hop's amount: money
    passed on around the ring, less fees (FlowScope's conservation of flow), not a ring of
    unrelated payments. The band prunes the search too, so such rings can be followed further.
    """
    banded = keep_lo > 0.0 or keep_hi < np.inf
    n_nodes = offsets.shape[0] - 1
    counts = np.zeros(n_nodes, dtype=np.int64)
    path = np.empty(max_len + 1, dtype=np.int64)
    cursor = np.empty(max_len + 1, dtype=np.int64)
    last_edge = np.empty(max_len + 1, dtype=np.int64)
    for u in range(n_nodes):
        for e0 in range(offsets[u], offsets[u + 1]):
            t0 = t[e0]
            if t0 < start_lo or t0 >= start_hi:
                continue
            v = dst[e0]
            if v == u:
                continue
            path[0] = u
            path[1] = v
            last_edge[1] = e0
            depth = 1
            cursor[1] = _first_at_or_after(t, offsets[v], offsets[v + 1], t0)
            steps = 0
            while depth >= 1 and steps < budget:
                node = path[depth]
                e = cursor[depth]
                if e >= offsets[node + 1]:
                    depth -= 1
                    continue
                cursor[depth] = e + 1
                steps += 1
                te = t[e]
                if te > t0 + delta:
                    depth -= 1  # out-edges are time-sorted: nothing later fits either
                    continue
                prev = last_edge[depth]
                if te < t[prev] or (te == t[prev] and e <= prev):
                    continue
                if banded and not (keep_lo * amount[prev] <= amount[e] <= keep_hi * amount[prev]):
                    continue
                w = dst[e]
                if w == u:
                    if depth + 1 >= min_len:
                        for i in range(depth + 1):
                            counts[path[i]] += 1
                    continue
                if depth >= max_len - 1:
                    continue
                seen = False
                for i in range(depth + 1):
                    if path[i] == w:
                        seen = True
                        break
                if seen:
                    continue
                depth += 1
                path[depth] = w
                last_edge[depth] = e
                cursor[depth] = _first_at_or_after(t, offsets[w], offsets[w + 1], te)
    return counts


@njit(cache=True)
def two_hop_paths(
    offsets: IntArray,
    dst: IntArray,
    t: FloatArray,
    delta: float,
    start_lo: float,
    start_hi: float,
    cap: int,
) -> tuple[IntArray, IntArray, IntArray]:
    """(source, middle, target) of every path u->m->v with the second edge within delta after the first.

    At most `cap` continuations are followed per first edge, so hubs stay bounded. Only first
    edges that start in [start_lo, start_hi) are expanded.
    """
    n_nodes = offsets.shape[0] - 1
    size = 1024
    out_u = np.empty(size, dtype=np.int64)
    out_m = np.empty(size, dtype=np.int64)
    out_v = np.empty(size, dtype=np.int64)
    n = 0
    for u in range(n_nodes):
        for e1 in range(offsets[u], offsets[u + 1]):
            t1 = t[e1]
            if t1 < start_lo or t1 >= start_hi:
                continue
            m = dst[e1]
            if m == u:
                continue
            taken = 0
            e2 = _first_at_or_after(t, offsets[m], offsets[m + 1], t1)
            while e2 < offsets[m + 1] and t[e2] <= t1 + delta and taken < cap:
                v = dst[e2]
                e2 += 1
                if v in (u, m):
                    continue
                if n == size:
                    size *= 2
                    out_u = np.concatenate((out_u, np.empty(size - n, dtype=np.int64)))
                    out_m = np.concatenate((out_m, np.empty(size - n, dtype=np.int64)))
                    out_v = np.concatenate((out_v, np.empty(size - n, dtype=np.int64)))
                out_u[n] = u
                out_m[n] = m
                out_v[n] = v
                n += 1
                taken += 1
    return out_u[:n], out_m[:n], out_v[:n]


@njit(cache=True)
def _count_groups(
    keys: IntArray, middles: IntArray, n_nodes: int, min_middles: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Over (pair key, middle) rows sorted by key then middle: per node, its scatter-gather roles."""
    as_source = np.zeros(n_nodes, dtype=np.int64)
    as_middle = np.zeros(n_nodes, dtype=np.int64)
    as_target = np.zeros(n_nodes, dtype=np.int64)
    i, n = 0, keys.shape[0]
    while i < n:
        j = i
        distinct = 0
        while j < n and keys[j] == keys[i]:
            if j == i or middles[j] != middles[j - 1]:
                distinct += 1
            j += 1
        if distinct >= min_middles:
            as_source[keys[i] // n_nodes] += 1
            as_target[keys[i] % n_nodes] += 1
            for k in range(i, j):
                if k == i or middles[k] != middles[k - 1]:
                    as_middle[middles[k]] += 1
        i = j
    return as_source, as_middle, as_target


def scatter_gather(
    u: IntArray, m: IntArray, v: IntArray, n_nodes: int, min_middles: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Per node: times it is the source, a middle, or the target of a scatter-gather (>= min_middles middles)."""
    keys = u * n_nodes + v
    order = np.lexsort((m, keys))
    return _count_groups(keys[order], m[order], n_nodes, min_middles)


@njit(cache=True)
def _chain_lengths_forward(a: IntArray, b: IntArray, t: FloatArray, gap: float, cap: int, n_nodes: int) -> IntArray:
    """Per edge (sorted by time): hops in the longest chain that ends with it, each hop within `gap` after the last.

    `latest[v, l]` is the last time a chain of at least l hops reached v. Edges at the same time
    are settled together, so that neither can extend the other and their order does not matter.
    """
    n = a.shape[0]
    hops = np.ones(n, dtype=np.int64)
    latest = np.full((n_nodes, cap + 1), -np.inf)
    i = 0
    while i < n:
        j = i
        while j < n and t[j] == t[i]:
            j += 1
        for e in range(i, j):
            u = a[e]
            for length in range(cap - 1, 0, -1):
                if latest[u, length] >= t[e] - gap:
                    hops[e] = length + 1
                    break
        for e in range(i, j):
            v = b[e]
            for length in range(1, hops[e] + 1):
                latest[v, length] = t[e]
        i = j
    return hops


def chain_lengths(src: IntArray, dst: IntArray, t: FloatArray, gap: float, cap: int, n_nodes: int) -> IntArray:
    """Per node: hops in the longest chain of payments through it (capped at `cap`), each within `gap` of the last.

    A chain is a path a -> b -> c -> ... in time order where each payment leaves the account the
    previous one reached at most `gap` later: money moved on through accounts in quick succession,
    the layering that FATF describes, whatever the amounts. The longest chain through a payment is
    the longest ending with it plus the longest starting with it (the same pass on the reversed
    graph, time running backwards), less the payment itself.
    """
    keep = src != dst
    src, dst, t = src[keep], dst[keep], t[keep].astype(np.float64)
    longest = np.zeros(n_nodes, dtype=np.int64)
    if not len(t):
        return longest
    order = np.argsort(t, kind="stable")
    src, dst, t = src[order], dst[order], t[order]
    ending = _chain_lengths_forward(src, dst, t, gap, cap, n_nodes)
    starting = _chain_lengths_forward(dst[::-1], src[::-1], -t[::-1], gap, cap, n_nodes)[::-1]
    through = np.minimum(ending + starting - 1, cap)
    np.maximum.at(longest, src, through)
    np.maximum.at(longest, dst, through)
    return longest
