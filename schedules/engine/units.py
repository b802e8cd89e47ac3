"""Decimal milligrams: strict parsing, quantizing and formatting.

Every dose in the engine is a :class:`decimal.Decimal`; nothing passes through ``float``
(DESIGN.md, "Rules of the house"). Arithmetic that can be inexact (division by an equivalence
figure such as 15 mg zopiclone) goes through :data:`CONTEXT`, a private context, so the thread's
context (which a caller might change) never alters a plan.

Example:
    >>> parse_decimal("0.5")
    Decimal('0.5')
    >>> fmt(Decimal("10.00")), fmt(Decimal("1.250")), fmt(Decimal("1E+2"))
    ('10', '1.25', '100')
"""

from __future__ import annotations

import math
from decimal import (
    ROUND_CEILING,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

__all__ = [
    "CENT",
    "CONTEXT",
    "HUNDRED",
    "ONE",
    "TEN",
    "TENTH",
    "ZERO",
    "DecimalParseError",
    "ceil_int",
    "ceil_to",
    "clean",
    "div",
    "fmt",
    "gcd_decimal",
    "is_whole",
    "parse_decimal",
    "q1",
    "q2",
]

ZERO = Decimal(0)
ONE = Decimal(1)
TEN = Decimal(10)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
_FINE = Decimal("1E-12")

#: The one context the engine divides and rounds in: 28 significant digits, banker's rounding.
CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

#: At most this many digits after the decimal point in any input value.
MAX_PLACES = 4
#: At most this many digits before the decimal point (a million mg is already absurd).
MAX_INTEGER_DIGITS = 7
#: The longest plain decimal string :func:`fmt` trims itself: 28 digits (CONTEXT's
#: precision), a point and a sign.
_PLAIN_MAX = 30


class DecimalParseError(ValueError):
    """A value is not an acceptable decimal; ``message`` says why in words for a clinician."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_decimal(value: object, *, max_places: int = MAX_PLACES) -> Decimal:
    """Parse a JSON value into an exact Decimal, strictly.

    Accepted: a string of ASCII digits with at most one ``.`` and an optional leading ``-``
    (``"10"``, ``"0.25"``, ``"-1"``), a JSON integer, or a finite Decimal. Rejected with a
    message: floats (binary rounding: ``0.1`` is not 0.1), booleans, exponents (``"1e3"``),
    ``NaN``/``Infinity``, whitespace, ``".5"``, ``"5."``, non-ASCII digits, and more than
    ``max_places`` decimals.

    Args:
        value: the raw value from the request.
        max_places: the largest number of digits allowed after the point.

    Returns:
        The exact value. The sign is kept, so callers can say "must be greater than 0".

    Raises:
        DecimalParseError: with a human message.

    Example:
        >>> parse_decimal(2), parse_decimal("1.5")
        (Decimal('2'), Decimal('1.5'))
    """
    if not isinstance(value, str):  # a string (the usual) is known in one test
        return _parse_number(value, max_places)
    text = value
    if len(text) <= MAX_INTEGER_DIGITS and text.isdigit() and text.isascii():
        # a plain whole number ("10"): every check below passes for it
        return Decimal(text)
    if len(text) > 1 + MAX_INTEGER_DIGITS + 1 + max_places + 4:
        raise DecimalParseError("This number is too long.")
    body = text[1:] if text.startswith("-") else text
    whole, dot, fraction = body.partition(".")
    if (
        not whole
        or not (whole.isascii() and whole.isdigit())  # ASCII digits only
        or (dot and (not fraction or not (fraction.isascii() and fraction.isdigit())))
    ):
        raise DecimalParseError(
            f'"{_clip(text)}" is not a decimal number; write it like "10" or "0.5".'
        )
    if len(fraction) > max_places:
        raise DecimalParseError(f"Use at most {max_places} digits after the decimal point.")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise DecimalParseError("This number is far too large.")
    return Decimal(text)


def _parse_number(value: object, max_places: int) -> Decimal:
    """:func:`parse_decimal` of anything but a string."""
    if isinstance(value, bool):
        raise DecimalParseError(
            'Expected a number as a decimal string such as "0.5", not true/false.'
        )
    if isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise DecimalParseError("This number is far too large.")
        return Decimal(value)
    if isinstance(value, float):
        raise DecimalParseError(
            'Send this value as a decimal string such as "0.5", not as a JSON number with a '
            "fraction: binary floating point cannot hold most decimal doses exactly."
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DecimalParseError("Expected a finite number.")
        return _check_size(value, max_places)
    raise DecimalParseError('Expected a decimal string such as "10" or "0.5".')


def _check_size(value: Decimal, max_places: int) -> Decimal:
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -max_places
        and value != value.quantize(Decimal(1).scaleb(-max_places), context=CONTEXT)
    ):
        raise DecimalParseError(f"Use at most {max_places} digits after the decimal point.")
    if abs(value) >= 10**MAX_INTEGER_DIGITS:
        raise DecimalParseError("This number is far too large.")
    return value


def _clip(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "..."


def div(a: Decimal, b: Decimal) -> Decimal:
    """``a / b`` in the engine's context (28 significant digits, half-even)."""
    return CONTEXT.divide(a, b)


def q2(value: Decimal) -> Decimal:
    """Quantize to 0.01 with ROUND_HALF_EVEN (how diazepam-equivalents are shown)."""
    return value.quantize(CENT, ROUND_HALF_EVEN, CONTEXT)  # positional: 3x faster


def q1(value: Decimal) -> Decimal:
    """Quantize to 0.1 with ROUND_HALF_EVEN (how reduction percentages are shown)."""
    return value.quantize(TENTH, ROUND_HALF_EVEN, CONTEXT)


def ceil_to(value: Decimal, quantum: Decimal = _FINE) -> Decimal:
    """Round up to ``quantum`` (never down): used where rounding must not enlarge a cut."""
    return value.quantize(quantum, ROUND_CEILING, CONTEXT)


def ceil_int(a: Decimal, b: Decimal) -> int:
    """``ceil(a / b)`` for positive Decimals, exactly (no float)."""
    quotient, remainder = CONTEXT.divmod(a, b)
    whole = int(quotient)
    return whole + 1 if remainder > 0 else whole


def fmt(value: Decimal) -> str:
    """A decimal string without exponent or trailing zeros: ``"0.5"``, ``"10"``, ``"1.25"``.

    Example:
        >>> fmt(Decimal("0.50")), fmt(Decimal("-0"))
        ('0.5', '0')
    """
    text = str(value)
    if "E" not in text and "e" not in text:
        if "." not in text or text[-1] != "0":
            return "0" if text == "-0" else text
        if len(text) <= _PLAIN_MAX:
            # what normalize() and format "f" give, without them (a plain string of at
            # most 28 digits, so normalize() would not round)
            text = text.rstrip("0").rstrip(".")
            return "0" if text == "-0" else text
    if not value:
        return "0"
    return format(value.normalize(CONTEXT), "f")


def clean(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent form: 10.0 -> 10, 0.50 -> 0.5."""
    normal = value.normalize(CONTEXT)
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normal.quantize(ONE, context=CONTEXT)
    return normal


def is_whole(value: Decimal) -> bool:
    """True when ``value`` has no fractional part."""
    return value == value.to_integral_value()


def gcd_decimal(values: list[Decimal]) -> tuple[int, int]:
    """The greatest common divisor of positive Decimals, as ``(g, exponent)``.

    The divisor is ``g * 10**-exponent``; with it every value is a whole multiple.
    """
    exponent = 0
    for value in values:
        exp = value.normalize(CONTEXT).as_tuple().exponent
        if isinstance(exp, int) and -exp > exponent:
            exponent = -exp
    scale = 10**exponent
    g = 0
    for value in values:
        g = math.gcd(g, int(value * scale))
    return g, exponent
