"""The printable schedule's static assets: pictograms, tick boxes and fonts are files served by
the restricted fetcher, and a render loads every one of them without a warning. Pictograms and
tick boxes print as PNGs made from the SVG drawings beside them (pictograms/README.md)."""

from __future__ import annotations

import dataclasses
import io
import logging
from decimal import Decimal

import pypdf
import pytest
from PIL import Image

from schedules.documents import pdf
from schedules.documents import render as document_render


@pytest.mark.parametrize("kind", sorted(pdf._PICTOGRAMS))
def test_every_pictogram_is_a_png_of_its_svg_the_fetcher_serves(kind):
    markup = pdf._pictogram(kind)
    src = markup.split('src="', 1)[1].split('"', 1)[0]
    assert src.endswith(".png")
    response = pdf.StaticOnlyURLFetcher().fetch(pdf.base_url() + src)
    assert response.content_type == "image/png"
    image = Image.open(io.BytesIO(response.read()))
    # The drawing it was made from sits beside it, at the size the schedule prints.
    svg = pdf.StaticOnlyURLFetcher().fetch(pdf.base_url() + src.removesuffix(".png") + ".svg")
    body = svg.read()
    assert body.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    _stem, width, height = pdf._PICTOGRAMS[kind]
    assert f'width="{width}" height="{height}"'.encode() in body
    assert f'width="{width}" height="{height}"' in markup
    _assert_drawn_from(image, width / 96, height / 96)  # CSS px: 96 to the inch


@pytest.mark.parametrize(
    ("name", "width_mm", "height_mm"),
    [("tick-box", 7.4, 6.2), ("tick-box-off", 7.4, 6.2), ("tick-box-small", 7.4, 3.7)],
)
def test_every_tick_box_tile_is_a_png_at_the_size_the_stylesheet_draws_it(
    name, width_mm, height_mm
):
    css = pdf.StaticOnlyURLFetcher().fetch(pdf.base_url() + pdf.STYLESHEET).read().decode()
    assert f"url({name}.png)" in css and f"url({name}.svg)" not in css
    response = pdf.StaticOnlyURLFetcher().fetch(f"{pdf.base_url()}pdf/{name}.png")
    assert response.content_type == "image/png"
    _assert_drawn_from(Image.open(io.BytesIO(response.read())), width_mm / 25.4, height_mm / 25.4)


def _assert_drawn_from(image: Image.Image, width_in: float, height_in: float) -> None:
    """Greyscale, the box's proportions (within a pixel) and at least 600 dpi at that size."""
    assert image.mode == "L"
    assert abs(image.width / image.height - width_in / height_in) <= 1 / image.height
    assert image.width / width_in >= 599 and image.height / height_in >= 599


def test_pieces_pick_the_pictogram_for_each_part_of_a_tablet():
    assert str(pdf._pieces(Decimal("2.5"), "tablet", True)).count("tablet-whole-scored.png") == 2
    assert "tablet-half.png" in pdf._pieces(Decimal("2.5"), "tablet", True)
    assert "tablet-three-quarters.png" in pdf._pieces(Decimal("0.75"), "tablet", False)
    assert "tablet-quarter.png" in pdf._pieces(Decimal("1.25"), "tablet", False)
    assert str(pdf._pieces(Decimal(2), "capsule", False)).count("capsule.png") == 2


@pytest.fixture
def fresh_stylesheet():
    """Parse the stylesheet (and load its fonts) again, as a new worker does."""
    pdf._stylesheet.cache_clear()
    pdf.font_config.cache_clear()
    yield
    pdf._stylesheet.cache_clear()
    pdf.font_config.cache_clear()


def test_a_render_loads_every_image_and_font_without_a_warning(caplog, fresh_stylesheet):
    data = document_render.demo_schedule_data(weeks=12)
    html = pdf.render_html(data)
    assert '<svg class="pill' not in html  # pictograms are <img>, not inline trees
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        result = pdf.html_to_pdf(html)
    assert result.page_count >= 4
    problems = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("weasyprint") and "fontTools instead of HarfBuzz" not in r.getMessage()
    ]
    assert problems == []


def _font_names(content: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_the_schedule_is_set_in_the_bundled_fonts_only():
    data = document_render.demo_schedule_data(weeks=12)
    html = pdf.render_html(data)
    assert f'font-family="{pdf.CHART_FONT}"' in html  # the chart's labels too
    names = _font_names(pdf.html_to_pdf(html).content)
    assert names and all(name.startswith("Taper-") for name in names), names


def test_names_outside_the_bundled_fonts_fall_back_and_stay_readable():
    data = document_render.demo_schedule_data(weeks=12)
    latin = "Zoë Łukasz-Nguyễn Ŵyn"
    armenian = "Արամ"  # not in the bundled files: printed from the installed DejaVu
    named = dataclasses.replace(data, patient_name=f"{latin} {armenian}")
    result = pdf.render_pdf(named)
    first = pypdf.PdfReader(io.BytesIO(result.content)).pages[0].extract_text()
    assert latin in first
    assert armenian in first
    assert any(not name.startswith("Taper-") for name in _font_names(result.content))
