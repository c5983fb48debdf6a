"""`make bench`: every benchmark in its own process, one after the other on the same machine,
then a table of the figures against their targets and, as the last line, all figures as one
JSON object. `python -m tests.benchmarks trace dashboard` runs only those."""

from __future__ import annotations

import json
import operator
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

# Module under tests/benchmarks → what it measures, in the order they run.
BENCHMARKS = {
    "intake": "complaint intake against a bare Litestar + asyncpg endpoint",
    "fanout": "43,501 notices delivered against plain httpx and aiohttp senders",
    "fanout_10x": "435,010 notices delivered (10 times the national scale)",
    "trace": "material-lot trace over 1,000,000 shipments",
    "dashboard": "recall dashboard read with 43,501 notices while a fan-out writes",
    "audit_page": "audit trail page over 1,000,000 entries, chain verification shown",
    "export_health": "/health while a 43,501-row XLSX and the report PDF are made",
    "import_shipments": "shipments CSV import",
    "import_bad_lines": "200,000 bad CSV lines while /health is asked",
    "deep_json": "request-body depth check against decoding the body",
}


@dataclass(frozen=True)
class Target:
    benchmark: str  # the module whose figure it is: its row shows even when that one fails
    sign: str
    holds: Callable[[float, float], bool]
    limit: float


AT_LEAST, AT_MOST = ("≥", operator.ge), ("≤", operator.le)
# Issue 17's table: the figure, the benchmark that reports it, and its bound.
TARGETS = {
    key: Target(benchmark, *bound, limit)
    for key, benchmark, bound, limit in [
        ("intake_ratio", "intake", AT_LEAST, 0.6),
        ("fanout_seconds", "fanout", AT_MOST, 15),
        ("fanout_ratio", "fanout", AT_LEAST, 0.8),
        ("fanout_worker_pss_mb", "fanout", AT_MOST, 300),
        ("approve_seconds", "fanout", AT_MOST, 2),
        ("fanout_10x_seconds", "fanout_10x", AT_MOST, 150),
        ("fanout_10x_web_mb", "fanout_10x", AT_MOST, 300),
        ("fanout_10x_worker_pss_mb", "fanout_10x", AT_MOST, 300),
        ("trace_p95_ms", "trace", AT_MOST, 25),
        ("dashboard_p95_ms", "dashboard", AT_MOST, 50),
        ("audit_page_p95_ms", "audit_page", AT_MOST, 200),
        ("health_p99_during_export_ms", "export_health", AT_MOST, 100),
        ("import_bad_answer_bytes", "import_bad_lines", AT_MOST, 200_000),
        ("import_bad_health_max_ms", "import_bad_lines", AT_MOST, 250),
        ("depth_check_ratio", "deep_json", AT_MOST, 1.0),
    ]
}


def run(name: str) -> dict[str, float | int | None]:
    """One benchmark's figures (its last line of output), its other lines passed through."""
    process = subprocess.Popen(
        [sys.executable, "-m", f"tests.benchmarks.{name}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        if last:
            print(f"  {last}", end="", flush=True)
        last = line
    if process.wait() != 0:
        print(f"  {last}", end="")
        print(f"  {name} failed (exit {process.returncode})", flush=True)
        return {}
    figures: dict[str, float | int | None] = json.loads(last)
    return figures


def table(figures: dict[str, float | int | None]) -> str:
    rows = [("figure", "value", "target", "")]
    for key, value in figures.items():
        target, met = "", ""
        if key in TARGETS:
            bound = TARGETS[key]
            target = f"{bound.sign} {bound.limit:g}"
            met = "met" if value is not None and bound.holds(value, bound.limit) else "NOT MET"
        rows.append((key, "—" if value is None else f"{value:,}", target, met))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def main() -> None:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    figures: dict[str, float | int | None] = {}
    started = time.monotonic()
    for name in chosen:
        print(f"== {name}: {BENCHMARKS[name]}", flush=True)
        begun = time.monotonic()
        figures.update(run(name))
        print(f"   {time.monotonic() - begun:.0f} s", flush=True)
    for key, bound in TARGETS.items():
        if bound.benchmark in chosen:
            figures.setdefault(key, None)  # a failed benchmark still shows its rows
    print(f"\nmake bench: {time.monotonic() - started:.0f} s in all\n")
    print(table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
