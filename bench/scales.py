"""The sizes of the data sets the benchmarks load (see bench/generate.py).

`city` is a city of sixteen districts; `S` is one district of it (about a sixteenth); `XS` is a
few communities, small enough for the generator's own test. Attendance rows and dues months are
targets: the generator derives them from the meeting schedule and the members on the roll, and
reports what it actually wrote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How much of the organization tree, membership and history to load."""

    name: str
    districts: int
    subdistricts: int
    communities: int
    members: int
    attendance_rows: int
    dues_months: int
    # Months of history (meetings and the dues ledger), ending with the current month.
    months: int = 12

    @property
    def database_suffix(self) -> str:
        return self.name.lower()


SCALES: dict[str, Scale] = {
    "XS": Scale(
        name="XS",
        districts=1,
        subdistricts=2,
        communities=12,
        members=3_000,
        attendance_rows=90_000,
        dues_months=36_000,
    ),
    "S": Scale(
        name="S",
        districts=1,
        subdistricts=16,
        communities=250,
        members=62_500,
        attendance_rows=1_875_000,
        dues_months=750_000,
    ),
    "city": Scale(
        name="city",
        districts=16,
        subdistricts=250,
        communities=4_000,
        members=1_000_000,
        attendance_rows=30_000_000,
        dues_months=12_000_000,
    ),
}


def get_scale(name: str) -> Scale:
    """The scale called `name`, case-insensitively (`s`, `S`, `City`)."""
    for key, scale in SCALES.items():
        if key.lower() == name.lower():
            return scale
    raise KeyError(f"unknown scale {name!r}; known: {', '.join(SCALES)}")
