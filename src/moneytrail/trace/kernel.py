# mypy: disable-error-code="arg-type,assignment,misc,no-any-return"
"""The time-respecting taint traversal, compiled with numba.

Nodes pay out in global time order (a heap of next departures), so when a node pays, every
traced payment that reached it earlier is already known. Only departures are visited: what
a node holds before each departure (its balance, and where its money sits in the FIFO
order of everything it ever received) is precomputed once per index, so a busy account
that receives thousands of clean payments costs nothing until traced money leaves it.
A backward trace runs the same loop on the mirrored graph (edges reversed, time negated).

Attribution of a payment of value `a` leaving a node that holds tainted value `T`:
- poison: min(a, everything tainted that has ever arrived) — marks, never depletes;
- haircut: a * T / B, B the node's balance (raised to `a` when the payment exceeds
  what we saw arrive: the difference is money we cannot see, counted clean);
- fifo: the tainted share of the oldest unspent arrivals, consumed in order: a departure
  spends a fixed stretch of the node's cumulative arrivals, and pays the traced share of
  whatever traced arrivals that stretch overlaps.
A payment never carries more than its value nor more than the node holds (haircut, fifo:
tainted value is conserved; what is not passed on stays at the node).
"""

from __future__ import annotations

import heapq

import numba
import numpy as np

POISON, HAIRCUT, FIFO = 0, 1, 2
NEVER = np.iinfo(np.int64).max
_EPS = 1e-12


@numba.njit(cache=True, inline="always")
def _kth(ptr: np.ndarray, eids: np.ndarray, v: int, k: int, reverse: bool) -> int:
    if reverse:
        return eids[ptr[v + 1] - 1 - k]
    return eids[ptr[v] + k]


@numba.njit(cache=True, inline="always")
def _key(ts: np.ndarray, e: int, reverse: bool) -> int:
    return -ts[e] if reverse else ts[e]


@numba.njit(cache=True)
def _first_at_or_after(
    ptr: np.ndarray, eids: np.ndarray, ts: np.ndarray, v: int, start: int, t: int, reverse: bool
) -> int:
    """Index (in processing order) of v's first outgoing event at key >= t, from `start`."""
    lo = start
    hi = ptr[v + 1] - ptr[v]
    while lo < hi:
        mid = (lo + hi) // 2
        if _key(ts, _kth(ptr, eids, v, mid, reverse), reverse) < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def _inflow_before(
    ptr: np.ndarray, eids: np.ndarray, ts: np.ndarray, cum: np.ndarray, v: int, lo: int, hi: int
) -> float:
    """Total value that reached v at original times in [lo, hi] (ascending in-list, prefix sums `cum`)."""
    start = ptr[v]
    end = ptr[v + 1]
    a, b = start, end
    while a < b:  # first position with ts > hi
        mid = (a + b) // 2
        if ts[eids[mid]] <= hi:
            a = mid + 1
        else:
            b = mid
    upper = a
    a, b = start, upper
    while a < b:  # first position with ts >= lo
        mid = (a + b) // 2
        if ts[eids[mid]] < lo:
            a = mid + 1
        else:
            b = mid
    lower = a
    if upper <= lower:
        return 0.0
    return cum[upper - 1] - (cum[lower - 1] if lower > start else 0.0)


@numba.njit(cache=True, inline="always")
def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


@numba.njit(cache=True)
def run_trace(  # one compiled loop; state lives in arrays the caller owns
    seeds: np.ndarray,
    hops: int,
    method: int,
    reverse: bool,
    lo: int,
    hi: int,
    min_amount: float,
    dust: float,
    stop: np.ndarray,
    relay: np.ndarray,
    head: np.ndarray,
    ts: np.ndarray,
    value: np.ndarray,
    o_ptr: np.ndarray,
    o_eids: np.ndarray,
    in_pos: np.ndarray,
    in_cum: np.ndarray,
    out_balance: np.ndarray,
    out_start: np.ndarray,
    taint: np.ndarray,
    taint_in: np.ndarray,
    share: np.ndarray,
    dropped: np.ndarray,
    out_cur: np.ndarray,
    depth: np.ndarray,
    sched: np.ndarray,
    lot_head: np.ndarray,
    lot_tail: np.ndarray,
    lot_next: np.ndarray,
    lot_value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Trace from `seeds`; returns (edge ids, attributed values, hop of each edge, touched nodes).

    `relay` flags on-chain transaction nodes (they cost no hop). `head[e]` is where a departure
    leads (dst forward, src backward); `o_ptr`/`o_eids` list
    each node's departures in time order (walked from the end when `reverse`). `in_pos`,
    `in_cum` place each edge in its payee's cumulative arrivals; `out_balance`/`out_start`
    give the payer's balance and FIFO position just before each edge. `lo`/`hi` bound the
    time key; `stop` (empty or one flag per node) marks nodes that absorb what reaches them.
    Work arrays must be at rest on entry (zeros; depth -1; sched NEVER; lot heads/tails -1);
    the caller resets the touched nodes afterwards.
    """
    has_stop = stop.shape[0] > 0
    touched = [np.int64(0) for _ in range(0)]
    rec_edge = [np.int64(0) for _ in range(0)]
    rec_attr = [np.float64(0.0) for _ in range(0)]
    rec_hop = [np.int64(0) for _ in range(0)]
    heap = [(np.int64(0), np.int64(0), np.int64(0)) for _ in range(0)]

    # Seeds are the nodes at depth 0; every other reached node is at depth >= 1.
    for i in range(seeds.shape[0]):
        s = np.int64(seeds[i])
        if depth[s] < 0:
            touched.append(s)
        depth[s] = 0
        j = _first_at_or_after(o_ptr, o_eids, ts, s, 0, lo, reverse)
        out_cur[s] = j
        if j < o_ptr[s + 1] - o_ptr[s]:
            t = _key(ts, _kth(o_ptr, o_eids, s, j, reverse), reverse)
            if t <= hi and t < sched[s]:
                sched[s] = t
                heapq.heappush(heap, (t, np.int64(0), s))

    while len(heap) > 0:
        t, _depth_key, w = heapq.heappop(heap)
        if t != sched[w]:
            continue  # superseded by an earlier schedule
        sched[w] = NEVER
        n_out = o_ptr[w + 1] - o_ptr[w]
        while True:  # w keeps paying out inline while nothing else is due before it
            seed = depth[w] == 0
            # A node reached only at the hop limit (or a stop node) keeps what reaches it; an
            # on-chain transaction node always passes its inputs on to its outputs.
            sink = not seed and ((depth[w] >= hops and not relay[w]) or (has_stop and stop[w]))
            while out_cur[w] < n_out:
                e = _kth(o_ptr, o_eids, w, out_cur[w], reverse)
                te = _key(ts, e, reverse)
                if te > t:
                    break
                out_cur[w] += 1
                if te < lo or sink:
                    continue
                a = value[e]
                x = 0.0
                if seed:
                    x = a
                elif method == POISON:
                    x = min(a, taint_in[w])
                elif method == HAIRCUT and reverse:
                    x = min(a * share[w], taint[w], a)
                    taint[w] -= x
                elif method == HAIRCUT:
                    held = max(out_balance[e], a)  # paid more than we saw arrive: unseen money, clean
                    x = min(a * taint[w] / held, taint[w], a) if held > 0.0 else 0.0
                    taint[w] -= x
                else:
                    # FIFO: this departure spends the stretch [s0, s1) of w's cumulative arrivals
                    # (backward: the arrival e fills [s0, s1) and funds the departures overlapping it).
                    if reverse:
                        s1 = in_cum[in_pos[e]]
                        s0 = s1 - a
                    else:
                        s0 = out_start[e]
                        s1 = s0 + min(a, max(out_balance[e], 0.0))
                    lot = lot_head[w]
                    while lot >= 0:
                        if reverse:
                            l1 = out_start[lot] + min(value[lot], max(out_balance[lot], 0.0))
                            l0 = out_start[lot]
                            if l0 >= s1:  # wholly after this arrival: funded by later ones
                                lot = lot_next[lot]
                                lot_head[w] = lot
                                continue
                            if l1 <= s0:
                                break
                        else:
                            l1 = in_cum[in_pos[lot]]
                            l0 = l1 - value[lot]
                            if l1 <= s0:  # already spent
                                lot = lot_next[lot]
                                lot_head[w] = lot
                                continue
                            if l0 >= s1:
                                break
                        x += _overlap(s0, s1, l0, l1) * lot_value[lot] / value[lot]
                        if (reverse and l0 >= s0) or (not reverse and l1 <= s1):
                            lot = lot_next[lot]
                            lot_head[w] = lot
                        else:
                            break
                    x = min(x, taint[w], a)
                    taint[w] -= x
                if x <= 0.0:
                    continue
                if x <= dust or a < min_amount:
                    dropped[w] += x
                    continue
                # A hop is a payment: address -> tx -> address is one, so outputs of a
                # transaction node keep the hop of its inputs.
                hop = depth[w] + (0 if relay[w] and not seed else 1)
                rec_edge.append(np.int64(e))
                rec_attr.append(x)
                rec_hop.append(np.int64(hop))
                # Deliver to u. Its departures before this moment carried no traced money
                # (or were paid already, in time order): skip to its first one from now.
                u = head[e]
                if depth[u] < 0:
                    touched.append(np.int64(u))
                    depth[u] = hop
                elif hop < depth[u]:
                    depth[u] = hop
                taint[u] += x
                taint_in[u] += x
                if method == HAIRCUT and reverse:
                    # Backward haircut: sourced from everything that reached u before this
                    # payment, in proportion to value.
                    prior = _inflow_before(o_ptr, o_eids, ts, in_cum, u, -hi, -te)
                    if prior > 0.0:
                        share[u] += x / prior
                elif method == FIFO:
                    lot_value[e] = x
                    lot_next[e] = -1
                    if lot_head[u] >= 0:
                        lot_next[lot_tail[u]] = e
                    else:  # empty (or emptied by spending): the new lot starts the list
                        lot_head[u] = e
                    lot_tail[u] = e
                if depth[u] == 0 or (depth[u] >= hops and not relay[u]) or (has_stop and stop[u]):
                    continue  # seeds and sinks keep what reaches them
                j = _first_at_or_after(o_ptr, o_eids, ts, u, out_cur[u], te, reverse)
                out_cur[u] = j
                if j < o_ptr[u + 1] - o_ptr[u]:
                    tn = _key(ts, _kth(o_ptr, o_eids, u, j, reverse), reverse)
                    if tn <= hi and tn < sched[u]:
                        sched[u] = tn
                        heapq.heappush(heap, (tn, np.int64(depth[u]), np.int64(u)))
            # Next departure while w still holds traced value: inline if it is due before
            # anything on the heap, else back on the heap in global time order.
            active = seed or (method == POISON and taint_in[w] > 0.0) or taint[w] > dust
            if not active or sink or out_cur[w] >= n_out:
                break
            tn = _key(ts, _kth(o_ptr, o_eids, w, out_cur[w], reverse), reverse)
            if tn > hi:
                break
            if len(heap) > 0 and heap[0][0] <= tn:
                if tn < sched[w]:
                    sched[w] = tn
                    heapq.heappush(heap, (tn, np.int64(depth[w]), w))
                break
            t = tn

    m = len(rec_edge)
    edges = np.empty(m, dtype=np.int64)
    attrs = np.empty(m, dtype=np.float64)
    hop_of = np.empty(m, dtype=np.int64)
    for i in range(m):
        edges[i] = rec_edge[i]
        attrs[i] = rec_attr[i]
        hop_of[i] = rec_hop[i]
    nodes = np.empty(len(touched), dtype=np.int64)
    for i in range(len(touched)):
        nodes[i] = touched[i]
    return edges, attrs, hop_of, nodes


@numba.njit(cache=True)
def group_order(keys: np.ndarray, ptr: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Stable counting sort: `order` (already sorted by time) regrouped by `keys[order]`; `ptr` are the
    group starts. Linear time, where a two-key lexsort of millions of edges takes seconds."""
    fill = ptr[:-1].copy()
    out = np.empty(order.shape[0], dtype=np.int32)
    for i in range(order.shape[0]):
        e = order[i]
        k = keys[e]
        out[fill[k]] = e
        fill[k] += 1
    return out


@numba.njit(cache=True)
def departure_positions(
    ts: np.ndarray, value: np.ndarray, out_ptr: np.ndarray, in_ptr: np.ndarray, in_eids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each departure: the payer's balance just before it, and how much of the payer's
    cumulative arrivals had been spent before it (its start in FIFO order).

    Replays every node once, arrivals before departures on ties; a departure larger than
    the balance finds money we never saw arrive, so the balance never goes below zero.
    """
    balance = np.empty(ts.shape[0], dtype=np.float64)
    start = np.empty(ts.shape[0], dtype=np.float64)
    for v in range(out_ptr.shape[0] - 1):
        held = 0.0
        arrived = 0.0
        i = in_ptr[v]
        for o in range(out_ptr[v], out_ptr[v + 1]):
            while i < in_ptr[v + 1] and ts[in_eids[i]] <= ts[o]:
                held += value[in_eids[i]]
                arrived += value[in_eids[i]]
                i += 1
            balance[o] = held
            start[o] = arrived - held
            held = max(held - value[o], 0.0)
    return balance, start


@numba.njit(cache=True)
def running_totals(value: np.ndarray, eids: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Running total of `value[eids]` along each CSR slice (restarting at each node)."""
    out = np.empty(eids.shape[0], dtype=np.float64)
    for v in range(ptr.shape[0] - 1):
        total = 0.0
        for i in range(ptr[v], ptr[v + 1]):
            total += value[eids[i]]
            out[i] = total
    return out
