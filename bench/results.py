"""Machine-readable benchmark results: every script in ``bench/`` keeps printing its own detail
and also writes its headline figures to ``var/bench/<name>.json``; ``bench/report.py`` reads
them all and prints the one combined table ``make bench`` ends with.

A row is one figure: a median (or a percentile of a set of timings), its unit, optionally a
reference measured in the same run (then the ratio figure / reference is printed too), and the
target with whether it was met. ``met`` is ``None`` when a row has no target.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("TAPER_BENCH_OUT", ROOT / "var" / "bench"))


@dataclass
class Row:
    """One line of the combined table."""

    benchmark: str
    figure: float
    unit: str
    reference: float | None = None
    reference_label: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""
    ratio_target: float | None = None  # a second goal, on the ratio: met is then the first only

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.figure / self.reference

    @property
    def ratio_met(self) -> bool | None:
        if self.ratio_target is None or self.ratio is None:
            return None
        return self.ratio <= self.ratio_target


def write(name: str, rows: list[Row], **context: object) -> Path:
    """Write ``rows`` (and free-form ``context``: sizes, load average...) for ``name``."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    payload = {
        "name": name,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": os.getloadavg()[0],
        "context": context,
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def read(name: str) -> dict[str, object] | None:
    path = OUT / f"{name}.json"
    if not path.exists():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))
