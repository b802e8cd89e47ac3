"""What a worker keeps between renders of the printable schedule: the parsed stylesheet, the
font configuration (with the bundled fonts) and the pictogram markup, shared by every document
of the process. None of it may carry one patient's details into another patient's PDF."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pypdf

from schedules.documents import pdf
from schedules.documents import render as document_render


def _text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _patient(weeks: int, name: str, mrn: str, phone: str) -> pdf.ScheduleData:
    data = document_render.demo_schedule_data(weeks=weeks)
    return dataclasses.replace(data, patient_name=name, patient_mrn=mrn, clinic_phone=phone)


def _strings(root: Any, depth: int = 8) -> list[str]:
    """Every string reachable from ``root`` through attributes and containers (bounded)."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(obj: Any, level: int) -> None:
        if level > depth or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, str):
            found.append(obj)
        elif isinstance(obj, bytes):
            found.append(obj.decode("latin-1"))
        elif isinstance(obj, dict):
            for key, value in obj.items():
                walk(key, level + 1)
                walk(value, level + 1)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for item in obj:
                walk(item, level + 1)
        elif hasattr(obj, "__dict__"):
            walk(vars(obj), level + 1)

    walk(root, 0)
    return found


def test_two_patients_rendered_in_turn_keep_their_own_details():
    ada = _patient(12, "Ada Quillfeather", "MRN-ADA-111", "020 1111 1111")
    bo = _patient(26, "Bo Zanzibar", "MRN-BO-222", "020 2222 2222")
    first_ada = pdf.render_pdf(ada)
    bo_pdf = pdf.render_pdf(bo)
    again_ada = pdf.render_pdf(ada)

    bo_text = _text(bo_pdf.content)
    assert "Bo Zanzibar" in bo_text and "MRN-BO-222" in bo_text and "020 2222 2222" in bo_text
    for detail in ("Quillfeather", "MRN-ADA-111", "020 1111 1111"):
        assert detail not in bo_text
    ada_text = _text(again_ada.content)
    assert "Zanzibar" not in ada_text and "MRN-BO-222" not in ada_text
    # The same patient after another one: the same pages, word for word.
    assert ada_text == _text(first_ada.content)
    assert again_ada.page_count == first_ada.page_count
    assert bo_pdf.page_count > first_ada.page_count  # 26 weeks, not Ada's 12


def test_the_shared_stylesheet_and_fonts_are_reused_and_hold_no_patient_data():
    stylesheet, fonts = pdf.stylesheet(), pdf.font_config()
    marker = "Xanthippe Marker-Unique"
    pdf.render_pdf(_patient(12, marker, "MRN-MARKER-9", "020 9999 9999"))

    assert pdf.stylesheet() is stylesheet  # parsed once per process...
    assert pdf.font_config() is fonts  # ...and fonts set up once
    assert "tiles" in _strings(stylesheet)  # the walk does reach the parsed rules
    for cached in (stylesheet, fonts):
        leaked = [s for s in _strings(cached) if "Xanthippe" in s or "MRN-MARKER-9" in s]
        assert leaked == [], type(cached).__name__
    # The font configuration's own files are the bundled fonts, nothing written per document.
    folder = Path(getattr(fonts, "_folder", None) or "/nonexistent")
    for path in folder.glob("**/*") if folder.is_dir() else []:
        if path.is_file():
            assert b"Xanthippe" not in path.read_bytes()


def test_pictogram_markup_is_constant_whatever_the_plan():
    before = str(pdf._pieces.__wrapped__(*_args()))
    pdf.render_pdf(_patient(12, "Cy Pictogram", "MRN-3", "020 3333 3333"))
    assert str(pdf._pieces(*_args())) == before
    assert "Cy Pictogram" not in before


def _args() -> tuple[Any, ...]:
    from decimal import Decimal

    return (Decimal("1.5"), "tablet", True)
