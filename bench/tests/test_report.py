"""The tables of docs/performance.md, written from a scale's figures.

Run explicitly (benchmarks are not part of `make test`):
    DANGJIAN_TESTING=true .venv/bin/python -m pytest bench/tests -q -p no:logging
"""

from __future__ import annotations

from bench.report import scale_section


def paint(*seconds: float | None) -> dict:
    known = [value for value in seconds if value is not None]
    return {
        "path": "/members/",
        "lcp_median_s": sorted(known)[len(known) // 2],
        "lcp_max_s": max(known),
        "runs": [{"lcp_s": value, "response_end_s": 0.05, "load_s": 0.2} for value in seconds],
    }


def rows_of(pages: dict) -> list[str]:
    lines = scale_section("S", {"benchmarks": {"largest_paint": {"pages": pages}}})
    return [line for line in lines if line.startswith("| member list")]


def test_a_load_that_reported_no_paint_is_named_and_counted_as_the_slowest():
    (row,) = rows_of({"member list": paint(0.2, 0.3, None, 0.25)})
    assert "1 of 4 loads reported no paint" in row
    # The 75th percentile of four loads is the third slowest: 0.3 s, the unpainted one last.
    assert "| 300.0 ms |" in row and row.endswith("| met |")


def test_most_loads_without_a_paint_miss_the_target():
    (row,) = rows_of({"member list": paint(0.2, None, None, None)})
    assert "| — |" in row and row.endswith("| missed |")
