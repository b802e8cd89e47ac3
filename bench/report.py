"""Print the one combined table of ``make bench`` (markdown), from ``var/bench/<name>.json``.

    .venv/bin/python bench/report.py [--names engine pdf sign pages fanout load]

Each benchmark script writes its headline figures there (``bench/results.py``). A row: the
benchmark, its figure (a median, or the percentile it names), the unit, the reference measured in
the same run and the ratio to it where the benchmark has one, the target, and met / not met.
A benchmark without a result file (it failed or was not run) is listed as missing, and the
script then exits with status 1. Never measures anything itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import Row, read

NAMES = ("engine", "pdf", "sign", "pages", "fanout", "load")


def number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: ""}[met]


def table(names: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The markdown lines, the benchmarks without a result, and one note per result read."""
    lines = [
        "| benchmark | figure | unit | reference (same run) | ratio | target | met |",
        "| --- | ---: | --- | --- | ---: | --- | --- |",
    ]
    missing, notes = [], []
    for name in names:
        result = read(name)
        if result is None:
            missing.append(name)
            lines.append(f"| {name}: no result (failed or not run) | | | | | | |")
            continue
        load = float(result["load_average"])  # type: ignore[arg-type]
        notes.append(f"{name}: written {result['written_at']}, load average {load:.1f}")
        for raw in result["rows"]:  # type: ignore[attr-defined]
            row = Row(**raw)
            reference = (
                f"{number(row.reference)} ({row.reference_label})"
                if row.reference is not None
                else ""
            )
            ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
            label = row.benchmark + (f" ({row.note})" if row.note else "")
            target, met = row.target, verdict(row.met)
            if row.ratio_target is not None:
                target += f"; <= {row.ratio_target:g}x the reference"
                met += f"; ratio {verdict(row.ratio_met)}"
            lines.append(
                f"| {label} | {number(row.figure)} | {row.unit} | {reference} | {ratio} "
                f"| {target} | {met} |"
            )
    return lines, missing, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", nargs="*", default=list(NAMES))
    args = parser.parse_args()
    lines, missing, notes = table(args.names)
    print("\n## Benchmarks: one table (medians unless the unit says p95)\n")
    print("\n".join(lines))
    print("\n" + "; ".join(notes))
    if missing:
        print(f"\nmissing: {', '.join(missing)}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
