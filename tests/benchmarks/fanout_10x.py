"""Benchmark: a recall ten times the national one — 435,010 consignees (5,010 wholesalers,
430,000 pharmacies), each with its own webhook, on the fan-out benchmark's receivers (64
loopback ports answering after 50 ms, every signature verified).

One run, set up and measured as a service run of `tests.benchmarks.fanout`: the
distribution written by COPY, `recall serve` and one `recall worker` per core in
RECALL_MODE=production, the recall proposed and approved over HTTP. The clock runs from
the approval request until every notice is delivered and its attempt logged; past
fanout.DEADLINE_SECONDS the benchmark fails. Each consignee's webhook must arrive exactly
once with a valid signature. Memory: the peak PSS of the web process, and the peak summed
PSS of the workers (children included), during the run.

Run with `python -m tests.benchmarks.fanout_10x [consignees]` (a smaller number keeps the
1 : 86 ratio of wholesalers to pharmacies).
"""

from __future__ import annotations

import asyncio
import sys

from tests.benchmarks.fanout import WORKERS, prepared, service_fanout
from tests.benchmarks.scratch import report

CONSIGNEES = 435_010
WHOLESALERS = 5_010


def main() -> None:
    consignees = int(sys.argv[1]) if len(sys.argv) > 1 else CONSIGNEES
    wholesalers = max(1, round(consignees * WHOLESALERS / CONSIGNEES))
    with prepared(wholesalers, consignees - wholesalers) as (arrivals, setup):
        run = asyncio.run(service_fanout(arrivals, setup, {}))
    print(
        f"{consignees:,} notices in {run.seconds:.1f} s ({consignees / run.seconds:,.0f}/s), "
        f"approved in {run.approve_seconds:.1f} s",
        flush=True,
    )
    report(
        {
            "fanout_10x_n": consignees,
            "fanout_10x_seconds": round(run.seconds, 1),
            "fanout_10x_approve_seconds": round(run.approve_seconds, 1),
            "fanout_10x_web_mb": run.web_pss_mb,
            "fanout_10x_worker_pss_mb": run.worker_pss_mb,
            "fanout_10x_workers": WORKERS,
        }
    )


if __name__ == "__main__":
    main()
