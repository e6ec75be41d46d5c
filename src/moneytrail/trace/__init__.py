"""Follow the money: time-respecting multi-hop traces across members, currencies and chains.

`trace(engine_or_index, start, hops, direction, ...)` is the entry point the CLI and the web
API call; `TraceResult.to_json() / to_ftm() / to_gexf()` give its three output formats.
"""

from moneytrail.trace.api import ATTRIBUTIONS, DIRECTIONS, run, trace
from moneytrail.trace.index import TraceIndex, open_index
from moneytrail.trace.result import TraceEdge, TraceNode, TraceResult

__all__ = [
    "ATTRIBUTIONS",
    "DIRECTIONS",
    "TraceEdge",
    "TraceIndex",
    "TraceNode",
    "TraceResult",
    "open_index",
    "run",
    "trace",
]
