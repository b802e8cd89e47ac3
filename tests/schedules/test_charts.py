"""The dose chart: pure, deterministic, escaped SVG of the revision_dict() steps."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from schedules.documents.charts import dose_chart_svg
from schedules.services import plans as plan_services
from tests.plan_helpers import crossover_body, preview_body

SVG = "{http://www.w3.org/2000/svg}"


def step(index, start, days, mg, phase="taper"):
    import datetime

    begin = datetime.date.fromisoformat(start)
    end = begin + datetime.timedelta(days=max(days, 1) - 1)
    return {
        "index": index,
        "start_date": begin.isoformat(),
        "end_date": end.isoformat(),
        "days": days,
        "equivalent_mg": mg,
        "reduction_percent": "0",
        "phase": phase,
        "doses": [],
    }


STEPS = [
    step(1, "2027-01-04", 14, "20", "crossover"),
    step(2, "2027-01-18", 14, "18"),
    step(3, "2027-02-01", 14, "18", "hold"),
    step(4, "2027-02-15", 14, "16"),
    step(5, "2027-03-01", 0, "0", "stop"),
]


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_it_is_valid_svg_with_size_and_title():
    svg = dose_chart_svg(STEPS, width=500, height=200)
    root = ET.fromstring(svg)  # noqa: S314
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "500"
    assert root.get("viewBox") == "0 0 500 200"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None


def test_it_is_deterministic():
    assert dose_chart_svg(STEPS) == dose_chart_svg([dict(s) for s in STEPS])


def test_axis_labels_are_mg_and_dates():
    labels = texts(dose_chart_svg(STEPS))
    assert "0 mg" in labels
    assert "20 mg" in labels
    assert "4 Jan 2027" in labels  # first date label carries the year
    assert any(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", label) for label in labels)


def test_it_draws_one_step_line_that_ends_at_zero():
    root = ET.fromstring(dose_chart_svg(STEPS))  # noqa: S314
    paths = [p.get("d") for p in root.iter(f"{SVG}path")]
    assert len(paths) == 1
    d = paths[0]
    assert d.startswith("M")
    assert "V" in d and "H" in d  # a step line: horizontal runs, vertical drops


def test_crossover_is_hatched_and_hold_dotted_with_a_legend():
    svg = dose_chart_svg(STEPS)
    assert "url(#dc" in svg  # the hatch pattern fills the cross-over area
    assert 'stroke-dasharray="2 3"' in svg
    labels = texts(svg)
    assert "switching to diazepam" in labels
    assert "hold (same dose for longer)" in labels


def test_it_is_greyscale_only():
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', dose_chart_svg(STEPS)))
    for colour in colours:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert r == g == b, colour


def test_text_is_escaped():
    hostile = [step(1, "2027-01-04", 7, "5", phase='taper"><script>x</script>')]
    svg = dose_chart_svg(hostile)
    assert "<script>" not in svg
    ET.fromstring(svg)  # noqa: S314 (still well-formed)


def test_no_steps_gives_a_message_not_an_error():
    svg = dose_chart_svg([])
    assert "No steps to show yet." in texts(svg)


def test_bad_numbers_are_drawn_as_zero_not_raised():
    def without_ids(svg: str) -> str:
        return re.sub(r"dc[0-9a-f]{10}", "ID", svg)

    svg = dose_chart_svg([step(1, "2027-01-04", 7, "not-a-number")])
    ET.fromstring(svg)  # noqa: S314
    assert without_ids(svg) == without_ids(dose_chart_svg([step(1, "2027-01-04", 7, "0")]))


@pytest.mark.parametrize("body", [preview_body(), crossover_body()], ids=["direct", "crossover"])
def test_it_works_on_engine_output(body):
    steps = plan_services.plan_preview(body)["steps"]
    svg = dose_chart_svg(steps)
    root = ET.fromstring(svg)  # noqa: S314
    circles = list(root.iter(f"{SVG}circle"))
    distinct = len({s["equivalent_mg"] for s in steps})
    assert len(circles) >= distinct - 1  # a dot where each new dose starts
