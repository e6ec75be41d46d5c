"""Benchmark `moneytrail synth`: wall time and peak memory for N transactions.

Targets (issue 3): 1,000,000 transactions in at most 60 s on 2 cores; 10,000,000 streamed with
peak memory under 4 GiB. Each run is a fresh process (peak RSS from getrusage of the child).

    .venv/bin/python bench/bench_synth.py --transactions 1000000 --repeat 3
    .venv/bin/python bench/bench_synth.py --transactions 10000000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, json
from pathlib import Path
from moneytrail.synth import generate
s = generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
print(json.dumps({"transactions": s.transactions, "exploitation_share": s.exploitation_share}))
"""


def one_run(transactions: int, seed: int, workdir: Path) -> dict[str, float]:
    out = workdir / f"run-{seed}"
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(out), str(transactions), str(seed)],
                          check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mib": max(peak_kib, before) / 1024, "bytes": size,
            "written": result["transactions"], "exploitation_share": result["exploitation_share"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-synth-"))
    runs = [one_run(args.transactions, 7 + k, workdir) for k in range(args.repeat)]
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_mib"] for r in runs)
    print(f"transactions requested: {args.transactions:,}; written: {int(runs[0]['written']):,}")
    walls = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    print(f"runs: {len(runs)}; wall seconds: {walls}; median {seconds:.1f} s")
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    print(f"cpu seconds (user+sys, median): {cpu:.1f}; load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"throughput (median): {args.transactions / seconds:,.0f} transactions/s")
    print(f"peak RSS (max over runs): {peak:,.0f} MiB; output size: {runs[0]['bytes'] / 2**20:,.0f} MiB")
    print(f"exploitation share: {runs[0]['exploitation_share']:.4%}; cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
