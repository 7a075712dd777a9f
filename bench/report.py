"""bench/results.json (every run's figures, per scale) and the tables of docs/performance.md."""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


def machine() -> dict[str, Any]:
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kb = int(info.readline().split()[1])
            memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": memory, "python": platform.python_version()}


def load() -> dict[str, Any]:
    if RESULTS.exists():
        return json.loads(RESULTS.read_text(encoding="utf-8"))
    return {}


def save(scale: str, run: dict[str, Any]) -> dict[str, Any]:
    """Keep this run's figures under its scale (benchmarks not run this time keep their last
    figures) and rewrite the tables."""
    results = load()
    previous = results.get(scale, {})
    benchmarks = {**previous.get("benchmarks", {}), **run["benchmarks"]}
    results[scale] = {**previous, **run, "benchmarks": benchmarks}
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    write_doc(results)
    return results


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def _met(ratio: float, target: tuple[str, float] | list) -> str:
    sign, bound = target
    ok = ratio >= bound if sign == ">=" else ratio <= bound
    return "met" if ok else "missed"


def ratio_rows(result: dict[str, Any]) -> list[str]:
    rows = []
    for name, ratio in result.get("ratios", {}).items():
        target = result.get("targets", {}).get(name)
        if target:
            rows.append(f"| {name} | {ratio:.2f}× | {target[0]} {target[1]:g}× | {_met(ratio, target)} |")
        else:
            rows.append(f"| {name} | {ratio:.2f}× | (for reference) | — |")
    return rows


def side_rows(result: dict[str, Any]) -> list[str]:
    rows = []
    for side, figures in result.get("sides", {}).items():
        extra = []
        for key in ("queries", "statements", "rows", "sample_rows", "sample_members", "opened", "members_scanned"):
            if key in figures:
                value = figures[key]
                if isinstance(value, dict):
                    value = ", ".join(f"{name} {count:,}" for name, count in value.items() if count)
                elif isinstance(value, int):
                    value = f"{value:,}"
                extra.append(f"{key.replace('_', ' ')} {value}")
        for key in ("check_seconds", "write_seconds", "measured_seconds"):
            if key in figures:
                extra.append(f"{key.replace('_seconds', '')} {_seconds(figures[key])}")
        rows.append(f"| {side} | {_seconds(figures.get('seconds'))} | {'; '.join(str(item) for item in extra)} |")
    return rows


TITLES = {
    "import": "Roster import (template xlsx)",
    "member_list": "Member list (a sub-district's scope, filtered, page 1)",
    "scan": "Six-month blind-spot scan (the whole city)",
    "largest_paint": "Largest contentful paint (headless Chromium)",
    "load": "Mixed read load: 200 people reading (5–15 s on a page)",
    "load_stress": "The same crowd clicking every 1–3 s (capacity; no target)",
}


def scale_section(name: str, run: dict[str, Any]) -> list[str]:
    lines = [f"### Scale {name}", ""]
    counts = run.get("scale", {})
    if counts:
        lines.append("Data: " + ", ".join(f"{key} {value:,}" for key, value in counts.items() if value) + ".")
    lines.append(f"Run on {run.get('date', '')}; machine: {_machine_label(run.get('machine', {}))}.")
    lines.append("")
    for key, title in TITLES.items():
        result = run.get("benchmarks", {}).get(key)
        if not result:
            continue
        lines += [f"#### {title}", ""]
        if key == "largest_paint":
            lines += [
                "| page | median | 75th percentile | max | target (75th percentile) | result |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for page, figures in result.get("pages", {}).items():
                # A load that reported no paint counts as slower than every other.
                paints = [math.inf if run["lcp_s"] is None else run["lcp_s"] for run in figures["runs"]]
                p75 = percentile(paints, 0.75)
                ok = "met" if p75 <= 1.0 else "missed"
                median, worst = _seconds(figures["lcp_median_s"]), _seconds(figures["lcp_max_s"])
                unpainted = paints.count(math.inf)
                if unpainted:
                    worst += f" ({unpainted} of {len(paints)} loads reported no paint)"
                shown = "—" if p75 == math.inf else _seconds(p75)
                lines.append(f"| {page} | {median} | {shown} | {worst} | ≤ 1 s | {ok} |")
            lines.append("")
            continue
        if key in ("load", "load_stress"):
            p95 = result.get("p95_ms")
            errors = result.get("failures", 0)
            ok = "met" if p95 is not None and p95 < 300 and not errors else "missed"
            if key == "load_stress":
                ok = "—"
            lines += [
                "| users | duration | requests | requests/s | p50 | p95 | errors | target | result |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
                f"| {result.get('users')} | {result.get('seconds')} s | {result.get('requests')} | "
                f"{result.get('rps', 0):.1f} | {result.get('p50_ms')} ms | {p95} ms | {errors} | "
                f"{'p95 < 300 ms, 0 errors' if key == 'load' else '—'} | {ok} |",
                "",
            ]
            continue
        lines += ["| side | seconds | detail |", "| --- | --- | --- |", *side_rows(result), ""]
        lines += ["| ratio | measured | target | result |", "| --- | --- | --- | --- |", *ratio_rows(result), ""]
    return lines


def _machine_label(info: dict[str, Any]) -> str:
    if not info:
        return "—"
    return f"{info.get('cpus')} cores ({info.get('cpu')}), {info.get('memory')} memory, Python {info.get('python')}"


def write_doc(results: dict[str, Any]) -> None:
    lines = [BEGIN, ""]
    for name in ("city", "S"):
        if name in results:
            lines += scale_section(name, results[name])
    lines.append(END)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text, encoding="utf-8")
