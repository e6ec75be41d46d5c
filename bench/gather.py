"""Rebuild BENCHMARKS.md from its own head (up to the first section) and bench/results/*.md.

`python bench/gather.py`: the text before "## Synthetic coalition" (intro and the targets table,
kept by hand) stays; each results file follows under its issue's heading, its own headings one
level down.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
SECTIONS = (
    ("Synthetic coalition (issue 3)", "synth"),
    ("Ingest (issue 4)", "ingest"),
    ("Detect (issue 5)", "detect"),
    ("Follow the money (issue 6)", "trace"),
)


def gather(benchmarks: Path = ROOT / "BENCHMARKS.md", results: Path = ROOT / "bench" / "results") -> str:
    text = benchmarks.read_text()
    head = text[: text.index(f"## {SECTIONS[0][0]}")]
    body = []
    for title, name in SECTIONS:
        lines = (results / f"{name}.md").read_text().splitlines()
        if lines and lines[0].startswith("# "):
            lines = lines[1:]
        section = re.sub(r"^## ", "### ", "\n".join(lines).strip("\n"), flags=re.M)
        body.append(f"## {title}\n\nFrom `bench/results/{name}.md`.\n\n{section}\n")
    return head + "\n".join(body)


if __name__ == "__main__":
    (ROOT / "BENCHMARKS.md").write_text(gather())
