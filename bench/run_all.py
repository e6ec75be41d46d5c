"""Run every benchmark script in bench/ one after another (`make bench`).

Each script prints its own results (Markdown tables or JSON lines); they are copied, with the
machine's load and the conditions, into bench/results/<topic>.md, and `bench/gather.py` rebuilds
BENCHMARKS.md from those files. Benchmarks are never run by `make test`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
