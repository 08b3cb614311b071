"""How figures are printed: one line each, times in ms or s, ratios against the baseline."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence

Emit = Callable[[str], None]
LABEL_WIDTH = 16


def emit(line: str) -> None:
    """Print one figure now (benchmarks take a while; show each line as it is ready)."""
    print(line, flush=True)


def note(line: str) -> None:
    """Progress for people watching, on stderr so the figures on stdout stay clean."""
    print(f"  .. {line}", file=sys.stderr, flush=True)


def figure(label: str, text: str) -> str:
    return f"{label:<{LABEL_WIDTH}} {text}"


def duration(seconds: float) -> str:
    """'0.84 ms', '12.3 ms', '1.52 s'."""
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def ratio(value: float, baseline: float) -> str:
    """'(x3.0)': how many times the baseline."""
    if baseline <= 0:
        return "(x-)"
    times = value / baseline
    return f"(x{times:.2f})" if times < 10 else f"(x{times:.0f})"


def megabytes(size: float) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def count(number: int) -> str:
    """'1,000'."""
    return f"{number:,}"


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values already sorted ascending."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def ratio_goal(value: float, baseline: float, limit: float) -> str:
    """'(x1.42)  goal ≤ x1.3  MISSED'."""
    ok = baseline > 0 and value <= baseline * limit
    return f"{ratio(value, baseline)}  goal ≤ x{limit:g}  {verdict(ok)}"


def value_goal(value: float, limit: float, shown: Callable[[float], str]) -> str:
    """'61.2 MB  goal ≤ 80.0 MB  OK'."""
    return f"{shown(value)}  goal ≤ {shown(limit)}  {verdict(value <= limit)}"
