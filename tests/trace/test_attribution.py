"""Each attribution method's numbers on a hand-made graph, and value conservation on random ones."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trace_helpers import at, edge_index

from moneytrail.errors import UserError
from moneytrail.trace import run, trace

# S pays A 100 (traced), X pays A 300 (clean); A pays B 200, C 100; B pays D 50.
# A paid E before the traced money arrived, and F 1000 at the end (more than A ever held).
GRAPH = [
    ("A", "E", 0, 10),
    ("S", "A", 1, 100),
    ("X", "A", 2, 300),
    ("A", "B", 3, 200),
    ("A", "C", 4, 100),
    ("B", "D", 5, 50),
    ("A", "F", 6, 1000),
]


def _flows(result: object) -> dict[tuple[str, str], float]:
    return {(e.source, e.target): round(e.attributed, 9) for e in result.edges}  # type: ignore[attr-defined]


def test_haircut_forward_is_proportional_to_the_balance() -> None:
    result = trace(edge_index(GRAPH), "S", 6, attribution="haircut")
    # A holds 400 of which 100 traced: A->B carries 200/400 of it, then A->C 100/200 of the rest;
    # A->F finds 100 left with 25 traced and 900 unseen money: 1000 * 25/1000.
    assert _flows(result) == {("S", "A"): 100, ("A", "B"): 50, ("A", "C"): 25, ("B", "D"): 12.5, ("A", "F"): 25}
    assert result.node("B").retained == pytest.approx(37.5)  # type: ignore[union-attr]
    assert result.node("A").retained == pytest.approx(0.0)  # type: ignore[union-attr]
    assert ("A", "E") not in _flows(result)  # paid before the money arrived


def test_poison_marks_everything_after_but_never_more_than_came_in() -> None:
    result = trace(edge_index(GRAPH), "S", 6, attribution="poison")
    assert _flows(result) == {("S", "A"): 100, ("A", "B"): 100, ("A", "C"): 100, ("B", "D"): 50, ("A", "F"): 100}


def test_fifo_spends_the_oldest_money_first() -> None:
    result = trace(edge_index(GRAPH), "S", 6, attribution="fifo")
    # A->B spends the 100 traced (oldest) then 100 of X's; A->C and A->F spend only clean money.
    # B's one lot is 200 with 100 traced: B->D takes 50 of it, proportionally 25 traced.
    assert _flows(result) == {("S", "A"): 100, ("A", "B"): 100, ("B", "D"): 25}


@pytest.mark.parametrize(
    ("attribution", "expected"),
    [
        ("haircut", {("B", "D"): 50, ("A", "B"): 50, ("X", "A"): 37.5, ("S", "A"): 12.5}),
        ("poison", {("B", "D"): 50, ("A", "B"): 50, ("X", "A"): 50, ("S", "A"): 50}),
        # A->B was 100 from S then 100 from X (FIFO): its traced 50 splits evenly.
        ("fifo", {("B", "D"): 50, ("A", "B"): 50, ("X", "A"): 25, ("S", "A"): 25}),
    ],
)
def test_backward_sources_each_method(attribution: str, expected: dict[tuple[str, str], float]) -> None:
    result = trace(edge_index(GRAPH), "D", 6, direction="backward", attribution=attribution)
    assert _flows(result) == expected


def test_hop_limit_keeps_the_money_at_the_last_node() -> None:
    result = trace(edge_index(GRAPH), "S", 2, attribution="haircut")
    assert ("B", "D") not in _flows(result)
    assert result.node("B").retained == pytest.approx(50)  # type: ignore[union-attr]
    assert result.node("B").role == "end"  # type: ignore[union-attr]


def test_time_window_and_min_amount() -> None:
    index = edge_index(GRAPH)
    late = trace(index, "S", 6, attribution="poison", until=at(4.5))
    assert set(_flows(late)) == {("S", "A"), ("A", "B"), ("A", "C")}
    # B->D (50) is below the minimum: its traced 12.5 is not followed.
    big = trace(index, "S", 6, attribution="haircut", min_amount=60)
    assert set(_flows(big)) == {("S", "A"), ("A", "B"), ("A", "C"), ("A", "F")}
    assert big.dropped == pytest.approx(12.5)
    assert big.node("B").retained == pytest.approx(37.5)  # type: ignore[union-attr]


def test_unknown_options_are_user_errors() -> None:
    index = edge_index(GRAPH)
    with pytest.raises(UserError):
        trace(index, "S", 3, attribution="lifo")
    with pytest.raises(UserError):
        trace(index, "nobody", 3)


def test_cycles_inside_a_trace_are_reported() -> None:
    rows = [("S", "A", 1, 100), ("A", "B", 2, 100), ("B", "C", 3, 100), ("C", "A", 4, 100), ("A", "Z", 5, 50)]
    result = trace(edge_index(rows), "S", 6, attribution="poison")
    assert ["A", "B", "C"] in result.cycles


@st.composite
def graphs(draw: st.DrawFn) -> list[tuple[str, str, float, float]]:
    names = [f"n{i}" for i in range(draw(st.integers(3, 8)))]
    count = draw(st.integers(1, 40))
    rows = []
    for i in range(count):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        a = "n0" if i == 0 else a  # the start is always in the graph
        rows.append((a, b, draw(st.integers(0, 20)), draw(st.integers(1, 500))))
    return rows


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from(["haircut", "fifo", "poison"]), st.sampled_from(["forward", "backward"]))
def test_value_is_conserved_and_no_hop_carries_more_than_came_in(
    rows: list[tuple[str, str, float, float]], attribution: str, direction: str
) -> None:
    index = edge_index(rows)
    result = trace(index, "n0", 4, direction=direction, attribution=attribution, dust=0.0)
    received: dict[str, float] = defaultdict(float)
    sent: dict[str, float] = defaultdict(float)
    for edge in result.edges:
        assert 0 <= edge.attributed <= edge.value + 1e-9
        giver, taker = (edge.target, edge.source) if direction == "backward" else (edge.source, edge.target)
        sent[giver] += edge.attributed
        received[taker] += edge.attributed
    for node in result.nodes:
        if node.role == "start":
            continue
        if attribution == "poison":
            # Poison marks payments, it does not split them: each one is capped by what arrived.
            outgoing = [e for e in result.edges if (e.target if direction == "backward" else e.source) == node.id]
            assert all(e.attributed <= len(e.txn_ids) * received[node.id] + 1e-6 for e in outgoing)
        else:
            assert sent[node.id] <= received[node.id] + 1e-6
            assert node.retained == pytest.approx(received[node.id] - sent[node.id], abs=1e-6)
    if attribution != "poison":
        kept = sum(n.retained for n in result.nodes)  # a start keeps what comes back round
        assert kept + result.dropped == pytest.approx(result.traced_value, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_forward_traces_respect_time(rows: list[tuple[str, str, float, float]]) -> None:
    index = edge_index(rows)
    result = trace(index, "n0", 5, attribution="poison")
    first_arrival: dict[str, float] = {}
    for edge in result.edges:
        first_arrival[edge.target] = min(first_arrival.get(edge.target, 1e18), edge.first_time.timestamp())
    for edge in result.edges:
        if edge.source != "n0":
            assert edge.last_time.timestamp() >= first_arrival[edge.source]


def _reference_forward(
    rows: list[tuple[str, str, float, float]], start: str, hops: int, attribution: str
) -> dict[int, float]:
    """A plain replay of every account in time order (distinct times): the definition the kernel must match."""
    balance: dict[str, float] = defaultdict(float)
    taint: dict[str, float] = defaultdict(float)
    taint_in: dict[str, float] = defaultdict(float)
    lots: dict[str, list[list[float]]] = defaultdict(list)  # FIFO queue of [value left, traced left]
    depth: dict[str, int] = {start: 0}
    traced: dict[int, float] = {}
    for i in sorted(range(len(rows)), key=lambda k: rows[k][2]):
        payer, payee, _, amount = rows[i]
        if payer == payee:
            continue
        x = 0.0
        forwards = payer in depth and depth[payer] < hops  # a node at the hop limit keeps what it has
        if payer == start:
            x = amount
        elif attribution == "fifo":
            # Money leaves in FIFO order whatever is traced; only a forwarding node passes its traced part on.
            need, spent = amount, 0.0
            queue = lots[payer]
            while need > 1e-12 and queue:
                take = min(need, queue[0][0])
                share = queue[0][1] * take / queue[0][0]
                queue[0][0] -= take
                queue[0][1] -= share
                need -= take
                spent += share
                if queue[0][0] <= 1e-12:
                    queue.pop(0)
            x = spent if forwards else 0.0
        elif forwards and attribution == "poison":
            x = min(amount, taint_in[payer])
        elif forwards:
            held = max(balance[payer], amount)
            x = min(amount * taint[payer] / held, taint[payer], amount)
            taint[payer] -= x
        # The payer's physical balance moves whatever is traced (unseen money keeps it at or above zero).
        balance[payer] = max(balance[payer] - amount, 0.0)
        balance[payee] += amount
        lots[payee].append([amount, x])
        if x > 0.0:
            traced[i] = x
            taint[payee] += x
            taint_in[payee] += x
            depth[payee] = min(depth.get(payee, hops), depth.get(payer, 0) + 1)
    return traced


@settings(max_examples=80, deadline=None)
@given(graphs(), st.sampled_from(["haircut", "fifo", "poison"]), st.integers(1, 4), st.randoms())
def test_kernel_matches_a_plain_replay(
    rows: list[tuple[str, str, float, float]], attribution: str, hops: int, rnd: object
) -> None:
    times = list(range(len(rows)))
    rnd.shuffle(times)  # type: ignore[attr-defined]
    rows = [(a, b, float(t), v) for (a, b, _, v), t in zip(rows, times, strict=True)]
    index = edge_index(rows)
    got: dict[int, float] = {}
    raw = run(index, [index.node_number("n0")], hops, "forward", attribution, dust=0.0)
    for e, x in zip(raw.edges.tolist(), raw.attributed.tolist(), strict=True):
        got[int(str(index.txn_id[int(index.txn_row[e])].as_py())[1:])] = x
    expected = _reference_forward(rows, "n0", hops, attribution)
    assert set(got) == set(expected)
    for i, x in expected.items():
        assert got[i] == pytest.approx(x, rel=1e-9, abs=1e-9)
