"""Small helpers shared by the benchmarks: percentiles and resident memory."""

from __future__ import annotations

import statistics
import time
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(latencies_ms: list[float]) -> str:
    return (
        f"p50 {percentile(latencies_ms, 50):6.2f} ms  p95 {percentile(latencies_ms, 95):6.2f} ms  "
        f"p99 {percentile(latencies_ms, 99):6.2f} ms  mean {statistics.fmean(latencies_ms):6.2f} ms"
    )


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_each(owner: object, method: str, latencies_ms: list[float]) -> None:
    """Wrap `owner.method` (a coroutine function) so each call's duration lands in the list."""
    original = getattr(owner, method)

    async def timed(*args: object) -> object:
        began = time.perf_counter()
        try:
            return await original(*args)
        finally:
            latencies_ms.append((time.perf_counter() - began) * 1000)

    setattr(owner, method, timed)
