"""The engine's shortcuts give what the plain code gave (issue 9, "Faster than the peer").

The preview path formats figures without ``normalize()``, makes steps as named tuples and
serialises doses from strings kept on them; these tests pin what each shortcut must keep.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal as D

import pytest

from schedules.engine import Phase, Reference, Step, build_plan, parse_plan_request
from schedules.engine.units import CONTEXT, fmt
from tests.schedules.engine.conftest import request_body


def _reference_fmt(value: D) -> str:
    """fmt as it was written first: normalize() and format "f" for every plain string with a
    trailing zero."""
    text = str(value)
    if "E" not in text and "e" not in text and ("." not in text or text[-1] != "0"):
        return "0" if text == "-0" else text
    if not value:
        return "0"
    return format(value.normalize(CONTEXT), "f")


@pytest.mark.parametrize(
    "value",
    [
        D("0"),
        D("-0"),
        D("0.00"),
        D("-0.00"),
        D("10.00"),
        D("100.0"),
        D("0.0100"),
        D("1.250"),
        D("1E+2"),
        D("1.0E-7"),
        D("36.00"),
        D("-1.50"),
        # 28 digits, then 29 and 30: normalize() rounds to 28 digits, so a long string is
        # trimmed by it only when it ends in a zero, and kept as it is otherwise
        D("123456789012345678901234567.0"),
        D("1234567890123456789012345678.0"),
        D("-1234567890123456789012345678.90"),
        D("-1234567890123456789012345678.91"),
        D("12345678901234567890123456789.5"),
        D(1) / D(3),
    ],
)
def test_fmt_gives_what_normalize_gave(value: D) -> None:
    assert fmt(value) == _reference_fmt(value)


def test_a_step_is_immutable_and_equal_by_value() -> None:
    day = datetime.date(2027, 1, 4)
    step = Step(1, day, day, 14, D("10.00"), D(0), Phase.TAPER, (), D(10))
    again = Step(1, day, day, 14, D("10.00"), D(0), Phase.TAPER, (), D(10))
    assert step == again
    assert hash(step) == hash(again)
    assert step != step._replace(equivalent_exact=D("10.001"))
    with pytest.raises(AttributeError):
        step.days = 7  # type: ignore[misc]
    assert not dataclasses.is_dataclass(step)
    assert "equivalent_exact" not in repr(step)  # as the dataclass showed it


def test_to_dict_gives_fresh_dicts_every_time(data_ref: Reference) -> None:
    """Doses are shared between plans (the formulary caches them) and their strings are kept
    on them: a caller changing one answer must not change the next."""
    body = request_body()
    plan = build_plan(parse_plan_request(body, data_ref), data_ref)
    first = plan.to_dict()
    expected = plan.to_dict()
    step = first["steps"][1]
    step["doses"][0]["mg"] = "999"
    step["doses"][0]["units"][0]["count"] = "999"
    step["doses"].append({})
    step["equivalent_mg"] = "999"
    assert plan.to_dict() == expected
    again = build_plan(parse_plan_request(body, data_ref), data_ref)
    assert again.to_dict() == expected
    assert plan.steps[1].to_dict() == expected["steps"][1]
