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

# Module under tests/benchmarks → what it measures, in the order they run.
BENCHMARKS = {
    "intake": "complaint intake against a bare Litestar + asyncpg endpoint",
    "fanout": "43,501 notices delivered against a plain httpx fan-out",
    "trace": "material-lot trace over 1,000,000 shipments",
    "dashboard": "recall dashboard read with 43,501 notices",
    "import_shipments": "shipments CSV import",
    "import_bad_lines": "200,000 bad CSV lines while /health is asked",
    "deep_json": "request-body depth check against decoding the body",
}

TARGETS: dict[str, tuple[str, Callable[[float, float], bool], float]] = {
    "intake_ratio": ("≥", operator.ge, 0.6),
    "fanout_seconds": ("≤", operator.le, 60),
    "fanout_ratio": ("≥", operator.ge, 0.5),
    "fanout_worker_rss_mb": ("≤", operator.le, 300),
    "trace_p95_ms": ("≤", operator.le, 50),
    "dashboard_p95_ms": ("≤", operator.le, 100),
    "import_bad_answer_bytes": ("≤", operator.le, 200_000),
    "import_bad_health_max_ms": ("≤", operator.le, 250),
    "depth_check_ratio": ("≤", operator.le, 1.0),
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
            sign, holds, limit = TARGETS[key]
            target = f"{sign} {limit:g}"
            met = "met" if value is not None and holds(value, limit) else "NOT MET"
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
    for key in TARGETS:
        if key.split("_")[0] in chosen:
            figures.setdefault(key, None)  # a failed benchmark still shows its rows
    print(f"\nmake bench: {time.monotonic() - started:.0f} s in all\n")
    print(table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
