"""A stacked bar chart of the daily series as plain numbers for an inline SVG template.

Only geometry is computed here; ``iocs/pages/_chart.html`` writes the SVG with Django's autoescape,
so no text reaches the page unescaped and no JavaScript or chart library is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .query import DailySeries

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28
# One colour per IOC type (colour-blind friendly Okabe-Ito order, then greys).
COLOURS = {
    "ipv4": "#0072b2", "ipv6": "#56b4e9", "domain": "#e69f00", "url": "#d55e00", "md5": "#999999",
    "sha1": "#777777", "sha256": "#009e73", "email": "#cc79a7", "btc": "#f0e442", "eth": "#6a3d9a",
    "xmr": "#b15928",
}


@dataclass
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # tooltip: "2026-11-28 · domain: 12"


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    segments: list[Segment] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)
    day_labels: list[tuple[float, str]] = field(default_factory=list)  # (x, "11-28")
    legend: list[tuple[str, str, int]] = field(default_factory=list)  # (type, colour, total)
    total: int = 0
    baseline: float = HEIGHT - BOTTOM
    left: float = LEFT


def _nice_max(value: int) -> int:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1), so the axis has round ticks."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def build(series: DailySeries) -> Chart:
    chart = Chart()
    totals = [sum(c[i] for c in series.counts.values()) for i in range(len(series.days))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(series.days), 1)
    bar = max(slot * 0.75, 1.0)
    for i, day in enumerate(series.days):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_h
        for ioc_type, counts in series.counts.items():
            n = counts[i]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            chart.segments.append(Segment(round(x, 1), round(y, 1), round(bar, 1), round(h, 1),
                                          COLOURS.get(ioc_type, "#444"), f"{day.isoformat()} · {ioc_type}: {n}"))
        if i % 5 == 0 or i == len(series.days) - 1:
            chart.day_labels.append((round(x + bar / 2, 1), day.strftime("%m-%d")))
    chart.ticks = [(round(TOP + plot_h - plot_h * k / 4, 1), top * k // 4) for k in range(5)]
    chart.legend = [(t, COLOURS.get(t, "#444"), sum(c)) for t, c in series.counts.items()]
    chart.total = sum(totals)
    return chart
