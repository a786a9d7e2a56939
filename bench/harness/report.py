"""The results table: rows measured against their same-run baselines, written into bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

START = "<!-- bench/run.py: start (this section is rewritten by each run) -->"
END = "<!-- bench/run.py: end -->"


@dataclass
class Row:
    measure: str
    result: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None  # None: no goal


@dataclass
class Report:
    command: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loads: list[tuple[str, str]] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, row: Row) -> None:
        self.rows.append(row)
        flag = "" if row.met is None else (" [goal met]" if row.met else " [GOAL MISSED]")
        print(f"  {row.measure}: {row.result}" + (f" vs {row.baseline}" if row.baseline else "")
              + (f" = {row.ratio}" if row.ratio else "") + flag, flush=True)

    def load_average(self, section: str) -> None:
        self.loads.append((section, load_average()))

    def markdown(self, machine: str, dataset: str) -> str:
        lines = [
            START,
            "## Full stack at scale (`bench/run.py`)",
            "",
            f"Run: {self.started:%Y-%m-%d %H:%M} UTC, `{self.command}`.",
            f"Machine: {machine}.",
            f"Data: {dataset}.",
            "Load average (1/5/15 min) when each part started: "
            + "; ".join(f"{name} {load}" for name, load in self.loads) + ".",
            "",
            "| measure | result | baseline (same run) | ratio | goal | met |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            met = "" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.measure} | {r.result} | {r.baseline} | {r.ratio} | {r.goal} | {met} |")
        lines.append("")
        lines += [f"- {note}" for note in self.notes]
        lines += ["", END]
        return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the run's section in ``path`` (or insert it after the title)."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        head, sep, rest = text.partition("\n\n")
        text = f"{head}\n\n{section}\n{rest}" if sep else f"{text.rstrip()}\n\n{section}"
    path.write_text(text)


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "?"
    return f"{cpu}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}, {platform.system()}"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"
