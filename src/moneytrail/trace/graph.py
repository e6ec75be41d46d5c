"""Graph algorithms on an extracted trace (rustworkx): cycles, strongly connected parts."""

from __future__ import annotations

import itertools

import rustworkx as rx

from moneytrail.trace.result import TraceResult

MAX_CYCLES = 100


def to_rustworkx(result: TraceResult) -> tuple[rx.PyDiGraph, dict[str, int]]:
    """The trace as a rustworkx digraph; node payloads are node ids, edge payloads TraceEdges."""
    graph = rx.PyDiGraph()
    numbers: dict[str, int] = {}
    for node in result.nodes:
        numbers[node.id] = graph.add_node(node.id)
    for edge in result.edges:
        for end in (edge.source, edge.target):
            if end not in numbers:
                numbers[end] = graph.add_node(end)
        graph.add_edge(numbers[edge.source], numbers[edge.target], edge)
    return graph, numbers


def find_cycles(result: TraceResult, limit: int = MAX_CYCLES) -> list[list[str]]:
    """Simple cycles among the traced payments (money that comes back round), at most `limit`.

    Round-tripping inside a trace is a laundering sign (AMLworld's cycle pattern); each
    cycle is listed from its smallest node id so the same cycle reads the same every time.
    """
    graph, _ = to_rustworkx(result)
    cycles = []
    for cycle in itertools.islice(rx.simple_cycles(graph), limit):
        names = [graph[i] for i in cycle]
        first = names.index(min(names))
        cycles.append(names[first:] + names[:first])
    return sorted(cycles)
