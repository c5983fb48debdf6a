"""Benchmark: the request-body depth check (web.bad_input.json_too_deep) against msgspec's own
decoding of the same flat 1 MiB body, best of five each. The check runs before every JSON
body is decoded, so it must cost less than the decoding it guards. Run with
`python -m tests.benchmarks.deep_json`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import msgspec

from web.bad_input import json_too_deep

ROUNDS = 5


def best_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> None:
    # Brackets inside strings too: the check must skip them as the decoder does.
    flat = b'{"lines":[' + b",".join([b'{"a":[1,2,{"b":"[[[x"}]}'] * 45_000) + b"]}"
    assert not json_too_deep(flat)
    check = best_ms(lambda: json_too_deep(flat))
    decode = best_ms(lambda: msgspec.json.decode(flat))
    print(f"{len(flat):,} bytes: depth check {check:.1f} ms, msgspec decode {decode:.1f} ms")
    figures = {
        "depth_check_ms": round(check, 2),
        "depth_decode_ms": round(decode, 2),
        "depth_check_ratio": round(check / decode, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
