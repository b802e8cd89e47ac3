"""Decimal helpers: strict parsing and normalised formatting."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from schedules.engine.units import DecimalParseError, ceil_int, clean, fmt, parse_decimal, q1, q2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10", D(10)),
        ("0.5", D("0.5")),
        ("0.125", D("0.125")),
        ("-1", D(-1)),
        (2, D(2)),
        ("007", D(7)),
    ],
)
def test_parse_decimal_accepts_decimal_strings_and_integers(raw: object, expected: D) -> None:
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (0.5, "not as a JSON number with a fraction"),
        (True, "not true/false"),
        ("1e3", "not a decimal number"),
        ("1E3", "not a decimal number"),
        ("NaN", "not a decimal number"),
        ("Infinity", "not a decimal number"),
        ("-inf", "not a decimal number"),
        (" 1", "not a decimal number"),
        ("1 ", "not a decimal number"),
        (".5", "not a decimal number"),
        ("5.", "not a decimal number"),
        ("+5", "not a decimal number"),
        ("1,5", "not a decimal number"),
        ("\u0661", "not a decimal number"),  # ARABIC-INDIC DIGIT ONE
        ("", "not a decimal number"),
        ("0.00001", "at most 4 digits"),
        ("12345678", "far too large"),
        (10**9, "far too large"),
        (None, "Expected a decimal string"),
        ([1], "Expected a decimal string"),
        (D("NaN"), "finite"),
    ],
)
def test_parse_decimal_rejects_everything_else_with_a_reason(raw: object, words: str) -> None:
    with pytest.raises(DecimalParseError) as caught:
        parse_decimal(raw)
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("10"), "10"),
        (D("10.00"), "10"),
        (D("1E+2"), "100"),
        (D("0.50"), "0.5"),
        (D("1.250"), "1.25"),
        (D("-0"), "0"),
        (D("0E-7"), "0"),
        (D("5E-7"), "0.0000005"),
    ],
)
def test_fmt_has_no_exponent_and_no_trailing_zeros(value: D, text: str) -> None:
    assert fmt(value) == text


def test_quantizing_is_half_even() -> None:
    assert q2(D("0.125")) == D("0.12")
    assert q2(D("0.135")) == D("0.14")
    assert q1(D("8.25")) == D("8.2")
    assert q1(D("8.35")) == D("8.4")


def test_clean_and_ceil_int() -> None:
    assert str(clean(D("1E+1"))) == "10"
    assert str(clean(D("2.50"))) == "2.5"
    assert ceil_int(D("3.75"), D("0.75")) == 5
    assert ceil_int(D("3.76"), D("0.75")) == 6
