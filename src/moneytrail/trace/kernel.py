# mypy: disable-error-code="arg-type,assignment,misc,no-any-return"
"""The time-respecting taint traversal, compiled with numba.

Every reached node replays its own timeline (incoming and outgoing payments merged in
time order, incoming first on ties) and keeps its balance and the traced (tainted) part
of it. Nodes are replayed in global time order from a heap, so when a node pays out, every
traced payment that reached it earlier is already known. A backward trace runs the same
replay on the mirrored graph (edges reversed, time negated).

Attribution of a payment of value `a` leaving a node that holds tainted value `T`:
- poison: min(a, everything tainted that has ever arrived) — marks, never depletes;
- haircut: a * T / B, B the node's balance (raised to `a` when the payment exceeds
  what we saw arrive: the difference is money we cannot see, counted clean);
- fifo: the tainted share of the oldest unspent arrivals, consumed in order.
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


@numba.njit(cache=True)
def _consume(
    w: int,
    need: float,
    fifo_head: np.ndarray,
    in_cur: np.ndarray,
    i_ptr: np.ndarray,
    i_eids: np.ndarray,
    rem_value: np.ndarray,
    rem_taint: np.ndarray,
    reverse: bool,
) -> float:
    """Spend `need` from w's oldest unspent arrivals (FIFO); returns the traced value spent."""
    taken = 0.0
    h = fifo_head[w]
    while need > _EPS and h < in_cur[w]:
        lot = _kth(i_ptr, i_eids, w, h, reverse)
        r = rem_value[lot]
        if r <= _EPS:
            h += 1
            continue
        c = min(need, r)
        share = rem_taint[lot] * c / r
        rem_taint[lot] -= share
        rem_value[lot] = r - c
        need -= c
        taken += share
        if rem_value[lot] <= _EPS:
            h += 1
    fifo_head[w] = h
    return taken


@numba.njit(cache=True)
def _shortfalls(
    v: int,
    lo: int,
    hi: int,
    ts: np.ndarray,
    value: np.ndarray,
    in_ptr: np.ndarray,
    in_eids: np.ndarray,
    out_ptr: np.ndarray,
    out_eids: np.ndarray,
    unseen: np.ndarray,
) -> float:
    """Replay v forward in time (FIFO, original direction): record on each payment out how much
    of it we never saw arrive (`unseen[e]`), and return what v still holds at the end.

    A backward FIFO trace needs both: money we never saw funds the shortfall, and what the
    node still holds arrived last, so neither is sourced from the traced arrivals.
    """
    held = 0.0
    i = in_ptr[v]
    o = out_ptr[v]
    while True:
        t_in = ts[in_eids[i]] if i < in_ptr[v + 1] else NEVER
        t_out = ts[out_eids[o]] if o < out_ptr[v + 1] else NEVER
        if t_in == NEVER and t_out == NEVER:
            break
        if t_in <= t_out:
            e = in_eids[i]
            i += 1
            if lo <= t_in <= hi:
                held += value[e]
        else:
            e = out_eids[o]
            o += 1
            unseen[e] = 0.0
            if lo <= t_out <= hi:
                if value[e] > held:
                    unseen[e] = value[e] - held
                    held = 0.0
                else:
                    held -= value[e]
    return held


@numba.njit(cache=True)
def run_trace(
    seeds: np.ndarray,
    hops: int,
    method: int,
    reverse: bool,
    lo: int,
    hi: int,
    min_amount: float,
    dust: float,
    stop: np.ndarray,
    head: np.ndarray,
    ts: np.ndarray,
    value: np.ndarray,
    o_ptr: np.ndarray,
    o_eids: np.ndarray,
    i_ptr: np.ndarray,
    i_eids: np.ndarray,
    i_pos: np.ndarray,
    cum_o: np.ndarray,
    balance: np.ndarray,
    taint: np.ndarray,
    taint_in: np.ndarray,
    dropped: np.ndarray,
    in_cur: np.ndarray,
    out_cur: np.ndarray,
    fifo_head: np.ndarray,
    depth: np.ndarray,
    sched: np.ndarray,
    attr: np.ndarray,
    rem_value: np.ndarray,
    rem_taint: np.ndarray,
    unseen: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Trace from `seeds`; returns (edge ids, attributed values, hop of each edge, touched nodes).

    `head[e]` is the node an outgoing edge leads to (dst forward, src backward); `o_*` and
    `i_*` are the outgoing and incoming CSR lists in processing order (walked from the end
    when `reverse`). `lo`/`hi` bound the time key. `stop` (empty or one flag per node) marks
    nodes that absorb what reaches them. Work arrays must be zero (`depth`/`sched` at their
    idle values) on entry and are restored before returning, except for `touched` nodes
    and recorded edges, which the caller resets.
    """
    has_stop = stop.shape[0] > 0
    n_seeds = seeds.shape[0]
    touched = [np.int64(0) for _ in range(0)]
    rec_edge = [np.int64(0) for _ in range(0)]
    rec_attr = [np.float64(0.0) for _ in range(0)]
    rec_hop = [np.int64(0) for _ in range(0)]
    heap = [(np.int64(0), np.int64(0), np.int64(0)) for _ in range(0)]

    # Seeds are the nodes at depth 0; every other reached node is at depth >= 1.
    for i in range(n_seeds):
        s = np.int64(seeds[i])
        if depth[s] < 0:
            touched.append(s)
        depth[s] = 0
        j = _first_at_or_after(o_ptr, o_eids, ts, s, 0, lo, reverse)
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
        seed = depth[w] == 0
        # A node reached only at the hop limit (or a stop node) keeps what reaches it.
        sink = not seed and (depth[w] >= hops or (has_stop and stop[w]))
        n_in = i_ptr[w + 1] - i_ptr[w]
        n_out = o_ptr[w + 1] - o_ptr[w]
        # Replay w's timeline up to and including key t (arrivals before departures on ties).
        while True:
            t_in = NEVER
            t_out = NEVER
            if in_cur[w] < n_in:
                t_in = _key(ts, _kth(i_ptr, i_eids, w, in_cur[w], reverse), reverse)
            if out_cur[w] < n_out:
                t_out = _key(ts, _kth(o_ptr, o_eids, w, out_cur[w], reverse), reverse)
            if t_in <= t_out and t_in <= t:
                e = _kth(i_ptr, i_eids, w, in_cur[w], reverse)
                in_cur[w] += 1
                if t_in < lo:
                    rem_value[e] = 0.0
                    continue
                x = attr[e]
                if reverse and method == HAIRCUT:
                    # Backward haircut: a traced payment is sourced from everything that reached
                    # the node before it, in proportion to value. `balance` accumulates the
                    # traced share per unit of prior inflow.
                    if x > 0.0:
                        prior = _inflow_before(o_ptr, o_eids, ts, cum_o, w, -hi, -t_in)
                        if prior > 0.0:
                            balance[w] += x / prior
                elif method == HAIRCUT:
                    balance[w] += value[e]
                taint[w] += x
                taint_in[w] += x
                rem_value[e] = value[e]
                rem_taint[e] = x
                if reverse and method == FIFO and unseen[e] > 0.0:
                    # Mirror image of money we never saw arriving: it funded part of this payment.
                    _consume(w, unseen[e], fifo_head, in_cur, i_ptr, i_eids, rem_value, rem_taint, reverse)
            elif t_out <= t and t_out < NEVER:
                e = _kth(o_ptr, o_eids, w, out_cur[w], reverse)
                out_cur[w] += 1
                if t_out < lo or sink:
                    continue
                a = value[e]
                x = 0.0
                if seed:
                    x = a
                elif method == POISON:
                    x = min(a, taint_in[w])
                elif method == HAIRCUT and reverse:
                    x = min(a * balance[w], taint[w], a)
                    taint[w] -= x
                elif method == HAIRCUT:
                    if balance[w] < a:
                        balance[w] = a  # paid out more than we saw arrive: unseen money, counted clean
                    if balance[w] > 0.0:
                        x = min(a * taint[w] / balance[w], taint[w], a)
                    balance[w] -= a
                    taint[w] -= x
                else:
                    need = a
                    if reverse:
                        # What the node still holds at the end arrived last and funded nothing.
                        kept = min(need, balance[w])
                        balance[w] -= kept
                        need -= kept
                    x = _consume(w, need, fifo_head, in_cur, i_ptr, i_eids, rem_value, rem_taint, reverse)
                    x = min(x, taint[w], a)
                    taint[w] -= x
                if x <= 0.0:
                    continue
                if seed and depth[w] >= hops:
                    continue
                u = head[e]
                if x <= dust or a < min_amount:
                    dropped[w] += x
                    continue
                hop = depth[w] + 1
                rec_edge.append(np.int64(e))
                rec_attr.append(x)
                rec_hop.append(np.int64(hop))
                if depth[u] < 0:
                    touched.append(np.int64(u))
                    depth[u] = hop
                    if reverse and method == FIFO:
                        balance[u] = _shortfalls(u, -hi, -lo, ts, value, o_ptr, o_eids, i_ptr, i_eids, unseen)
                elif hop < depth[u]:
                    depth[u] = hop
                # Deliver: if u's replay already passed this payment (same-time tie), add it now.
                pos = i_pos[e]
                k = (i_ptr[u + 1] - 1 - pos) if reverse else (pos - i_ptr[u])
                if k < in_cur[u]:
                    taint[u] += x
                    taint_in[u] += x
                    if method == FIFO and rem_value[e] > rem_taint[e]:
                        rem_taint[e] += min(x, rem_value[e] - rem_taint[e])
                else:
                    attr[e] = x
                if depth[u] == 0 or depth[u] >= hops or (has_stop and stop[u]):
                    continue  # seeds and sinks keep what reaches them: no need to wake them
                # Wake u at its first departure at or after this arrival.
                j = _first_at_or_after(o_ptr, o_eids, ts, u, out_cur[u], t_out, reverse)
                if j < o_ptr[u + 1] - o_ptr[u]:
                    tn = _key(ts, _kth(o_ptr, o_eids, u, j, reverse), reverse)
                    if tn <= hi and tn < sched[u]:
                        sched[u] = tn
                        heapq.heappush(heap, (tn, np.int64(depth[u]), np.int64(u)))
            else:
                break
        # Schedule w's next departure while it still holds traced value.
        active = seed or (method == POISON and taint_in[w] > 0.0) or taint[w] > dust
        if active and not sink and out_cur[w] < n_out:
            tn = _key(ts, _kth(o_ptr, o_eids, w, out_cur[w], reverse), reverse)
            if tn <= hi and tn < sched[w]:
                sched[w] = tn
                heapq.heappush(heap, (tn, np.int64(depth[w]), w))

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
