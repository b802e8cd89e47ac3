"""Reading one FHIR Dosage into per-slot mg, or saying exactly what could not be read.

Nothing here guesses an amount: a dose is read from ``doseAndRate[].doseQuantity`` (mg, µg,
tablets/capsules x a stated strength, mL x a stated concentration) or from simple unambiguous
English in ``Dosage.text``; anything else comes back as a problem and no dose.
The structure has already been checked by ``validate.py`` (types are right when we get here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .types import SLOTS

# FHIR R4 EventTiming -> slot.
EVENT_SLOTS = {
    "MORN": "morning", "MORN.early": "morning", "MORN.late": "morning", "WAKE": "morning",
    "CM": "morning", "ACM": "morning", "PCM": "morning",
    "NOON": "midday", "AFT": "midday", "AFT.early": "midday", "AFT.late": "midday",
    "CD": "midday", "ACD": "midday", "PCD": "midday",
    "EVE": "evening", "EVE.early": "evening", "EVE.late": "evening",
    "CV": "evening", "ACV": "evening", "PCV": "evening",
    "NIGHT": "night", "HS": "night", "PHS": "night",
}  # fmt: skip
MEAL_EVENTS = {"C": "with a meal", "AC": "before a meal", "PC": "after a meal"}

SLOTS_FOR_TIMES_A_DAY = {
    2: ("morning", "night"),
    3: ("morning", "midday", "night"),
    4: ("morning", "midday", "evening", "night"),
}
ONCE_DAILY_NOTE = "time of day not stated: shown at night — check"
PRN_PROBLEM = "as needed (PRN): no regular daily dose"

# HL7 v3 GTSAbbreviation codes seen in timing.code: times a day, or fixed slots.
GTS_TIMES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4, "Q12H": 2, "Q8H": 3, "Q6H": 4, "Q4H": 6,
             "Q3H": 8, "Q2H": 12, "Q1H": 24, "Q24H": 1}  # fmt: skip
GTS_SLOTS = {"AM": ("morning",), "QAM": ("morning",), "PM": ("evening",), "QPM": ("evening",),
             "HS": ("night",), "QHS": ("night",), "QNIGHT": ("night",)}  # fmt: skip
GTS_IRREGULAR = {"QOD": "every other day", "WK": "weekly", "MO": "monthly", "Q2D": "every 2 days"}

# Units of presentation also as SNOMED CT codes (dm+d style doseQuantity): 428673006 tablet,
# 732936001 tablet (unit of presentation), 385055001 tablet dose form, 428641000 capsule,
# 258684004 mg, 258773002 mL.
TABLET_UNITS = {"tbl", "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules",
                "428673006", "732936001", "385055001", "428641000"}  # fmt: skip
CAPSULE_CODES = {"428641000"}
MG_UNITS = {"mg", "milligram", "milligrams", "258684004"}
MICROGRAM_UNITS = {"ug", "mcg", "µg", "microgram", "micrograms"}
ML_UNITS = {"ml", "milliliter", "millilitre", "milliliters", "millilitres", "258773002"}

_STRENGTH = re.compile(
    r"(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>mg|milligrams?|micrograms?|mcg|µg|ug)(?![a-z])"
    r"(?P<per>\s*/\s*(?P<den>\d+(?:\.\d+)?)?\s*(?P<denunit>[a-zµ]+))?",
    re.IGNORECASE,
)
_PRN_TEXT = re.compile(r"\b(prn|as needed|when needed|as required|when required|if needed)\b", re.I)


@dataclass(frozen=True)
class Strengths:
    """Strengths named in the medicine's text / code displays (distinct values, in mg)."""

    per_unit: tuple[Decimal, ...] = ()  # mg per tablet/capsule
    per_ml: tuple[Decimal, ...] = ()  # mg per mL


def _to_mg(number: str, unit: str) -> Decimal:
    value = Decimal(number)
    return value / 1000 if unit.lower() in MICROGRAM_UNITS | {"microgram", "micrograms"} else value


def strengths_in(texts: list[str]) -> Strengths:
    per_unit: list[Decimal] = []
    per_ml: list[Decimal] = []
    for text in texts:
        for hit in _STRENGTH.finditer(text):
            mg = _to_mg(hit["num"], hit["unit"])
            if hit["per"] is None:
                per_unit.append(mg)
            elif hit["denunit"].lower() in ML_UNITS:
                volume = Decimal(hit["den"]) if hit["den"] else Decimal(1)
                if volume > 0:
                    per_ml.append(mg / volume)
            else:
                # "5 MG / clidinium 2.5 MG", "5 MG/ACTUAT": not a plain strength per tablet, so
                # count it, which makes a tablet dose ambiguous rather than silently wrong.
                per_unit.append(mg)
    return Strengths(tuple(_distinct(per_unit)), tuple(_distinct(per_ml)))


def _distinct(values: list[Decimal]) -> list[Decimal]:
    out: list[Decimal] = []
    for value in values:
        if all(value != seen for seen in out):
            out.append(value)
    return out


def to_decimal(value: object) -> Decimal:
    """A validated JSON number as a Decimal; floats through str(), so 1.1 stays 1.1."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def unit_kind(unit: str) -> str:
    """ "mg", "ug", "unit" (tablet/capsule), "ml", "" (none) or "?" (not one we read)."""
    key = unit.strip().strip("{}").strip().lower()
    if not key:
        return ""
    for kind, units in (("mg", MG_UNITS), ("ug", MICROGRAM_UNITS), ("unit", TABLET_UNITS),
                        ("ml", ML_UNITS)):  # fmt: skip
        if key in units:
            return kind
    return "?"


def dose_in_mg(value: Decimal, unit: str, strengths: Strengths) -> tuple[Decimal | None, str]:
    """mg for one doseQuantity, or (None, the reason)."""
    if value <= 0:
        return None, f"dose of {_fmt(value)} {unit}".rstrip() + " is not a dose"
    key = unit.strip().strip("{}").strip().lower()
    if not key:
        return None, f"dose of {_fmt(value)} has no unit ({_fmt(value)} tablets? {_fmt(value)} mg?)"
    if key in MG_UNITS:
        return value, ""
    if key in MICROGRAM_UNITS:
        return value / 1000, ""
    if key in TABLET_UNITS:
        noun = "capsules" if key.startswith("cap") or key in CAPSULE_CODES else "tablets"
        if not strengths.per_unit:
            return None, f"dose in {noun} but the {noun[:-1]} strength is not stated"
        if len(strengths.per_unit) > 1:
            named = ", ".join(f"{_fmt(s)} mg" for s in strengths.per_unit)
            return None, f"dose in {noun} but more than one strength is named ({named})"
        return value * strengths.per_unit[0], ""
    if key in ML_UNITS:
        if not strengths.per_ml:
            return None, "dose in mL but the strength (mg per mL) is not stated"
        if len(strengths.per_ml) > 1:
            return None, "dose in mL but more than one strength (mg per mL) is named"
        return value * strengths.per_ml[0], ""
    return None, f'dose unit "{unit}" is not one the importer reads (mg, tablets, capsules, mL)'


@dataclass
class TimingReading:
    slots: tuple[str, ...] | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _times_a_day(count: Decimal) -> TimingReading:
    if count != count.to_integral_value():
        return TimingReading(None, [f"{_fmt(count)} times a day is not a whole number of doses"])
    whole = int(count)
    if whole == 1:
        return TimingReading(("night",), notes=[ONCE_DAILY_NOTE])
    if whole in SLOTS_FOR_TIMES_A_DAY:
        return TimingReading(SLOTS_FOR_TIMES_A_DAY[whole])
    return TimingReading(None, [f"{whole} times a day: more doses than the four times of day"])


def _clock_slot(clock: str) -> str | None:
    match = re.fullmatch(r"(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?", clock)
    if not match or int(match[1]) > 23:
        return None
    hour = int(match[1])
    if 4 <= hour < 11:
        return "morning"
    if 11 <= hour < 15:
        return "midday"
    if 15 <= hour < 20:
        return "evening"
    return "night"


PERIOD_DAYS = {"h": Decimal(1), "d": Decimal(1), "wk": Decimal(7), "mo": Decimal(30),
               "a": Decimal(365)}  # fmt: skip
PERIOD_WORDS = {"s": "seconds", "min": "minutes", "h": "hours", "d": "days", "wk": "weeks",
                "mo": "months", "a": "years"}  # fmt: skip


def read_timing(timing: dict | None) -> TimingReading:
    if not timing:
        return TimingReading(None, ["how often is not stated (no timing)"])
    repeat = timing.get("repeat") or {}
    code = timing.get("code") or {}
    if "count" in repeat:
        return TimingReading(
            None, [f"a set number of doses ({repeat['count']}): no regular daily dose"]
        )
    structured = {"frequency", "period", "periodUnit", "when", "timeOfDay"} & set(repeat)
    if structured:
        return _read_repeat(repeat)
    codes = [c.get("code", "") for c in code.get("coding", []) if c.get("code")]
    for raw in codes:
        gts = raw.upper()
        if gts in GTS_SLOTS:
            return TimingReading(GTS_SLOTS[gts])
        if gts in GTS_TIMES:
            return _times_a_day(Decimal(GTS_TIMES[gts]))
        if gts in GTS_IRREGULAR:
            return TimingReading(None, [f"{GTS_IRREGULAR[gts]}: no regular daily dose"])
    if timing.get("event") and not repeat:
        return TimingReading(None, ["given on set dates only: no regular daily dose"])
    shown = codes[0] if codes else code.get("text", "")
    if shown:
        return TimingReading(None, [f'timing code "{shown}" is not one the importer reads'])
    return TimingReading(None, ["how often is not stated (timing has no frequency or times)"])


def _read_repeat(repeat: dict) -> TimingReading:
    problems: list[str] = []
    frequency = repeat.get("frequency")
    if "frequencyMax" in repeat and repeat["frequencyMax"] != frequency:
        problems.append(
            f"between {frequency or 1} and {repeat['frequencyMax']} times: not one dose"
        )
    if "periodMax" in repeat:
        problems.append("period given as a range: no regular daily dose")
    unit = repeat.get("periodUnit")
    period = repeat.get("period")
    if period is not None and unit is None:
        problems.append("period given without a unit (periodUnit)")
    slots: list[str] = []
    for event in repeat.get("when", []):
        if event in EVENT_SLOTS:
            slots.append(EVENT_SLOTS[event])
        elif event in MEAL_EVENTS:
            problems.append(f'time "{event}" ({MEAL_EVENTS[event]}) does not say which meal')
        else:
            problems.append(f'time "{event}" is not one the importer reads')
    for clock in repeat.get("timeOfDay", []):
        slot = _clock_slot(clock)
        if slot is None:
            problems.append(f'time of day "{clock}" is not a clock time')
        else:
            slots.append(slot)
    if len(set(slots)) != len(slots):
        problems.append("two of the stated times fall in the same part of the day")
    if problems:
        return TimingReading(None, problems)
    days = PERIOD_DAYS.get(unit or "d")
    if days is None:
        word = PERIOD_WORDS.get(unit or "", unit)
        return TimingReading(None, [f"every {period} {word}: not a regular daily dose"])
    every = to_decimal(period) if period is not None else Decimal(1)
    times = Decimal(frequency if frequency is not None else 1)
    if unit == "h":  # exact: 1 every 8 h is 3 a day
        length, per_day = every / 24, times * 24 / every
    else:
        length, per_day = every * days, times / (every * days)
    if per_day < 1 or (length > 1 and per_day != per_day.to_integral_value()):
        word = PERIOD_WORDS.get(unit or "d", unit or "")
        return TimingReading(None, [f"every {_fmt(every)} {word}: no regular daily dose"])
    if slots:
        if frequency is not None and per_day != len(slots):
            return TimingReading(
                None, [f"timing says {_fmt(per_day)} a day but names {len(slots)} times"]
            )
        return TimingReading(tuple(slots))
    return _times_a_day(per_day)


# --- Dosage.text: a small, strict reading of simple English ---------------------------------

_QTY_WORDS = {"half": "0.5", "a half": "0.5", "½": "0.5", "1/2": "0.5", "one and a half": "1.5",
              "a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4"}  # fmt: skip
_SINGLE = {
    "night": r"at night|at bedtime|at bed time|before bed|nightly|every night|each night|nocte"
    r"|at night time",
    "morning": r"in the morning|every morning|each morning|in the mornings|mane",
    "midday": r"at midday|at lunchtime|at lunch time|at lunch|at noon|every lunchtime",
    "evening": r"in the evening|every evening|each evening|in the evenings",
}
_MULTI = {
    1: r"once a day|once daily|once a day|daily|every day|each day|od|o\.d\.|qd",
    2: r"twice a day|twice daily|two times a day|two times daily|2 times a day|2 times daily"
    r"|bd|b\.d\.|bid",
    3: r"three times a day|three times daily|3 times a day|3 times daily|tds|t\.d\.s\.|tid",
    4: r"four times a day|four times daily|4 times a day|4 times daily|qds|q\.d\.s\.|qid",
}
_QTY = r"(?P<qty>\d+(?:\.\d+)?|one and a half|a half|half|one|two|three|four|an?|1/2|½)"
_INLINE = r"(?P<mg>\d+(?:\.\d+)?)\s*(?P<mgunit>mg|milligrams?|micrograms?|mcg)"
_UNIT = r"(?P<unit>tablets?|tabs?|capsules?|caps?)"
_INLINE2 = r"(?P<mg2>\d+(?:\.\d+)?)\s*(?P<mgunit2>mg|milligrams?|micrograms?|mcg)"
_AMOUNT = rf"(?:{_QTY}\s+(?:a\s+|x\s+)?(?:{_INLINE}\s+)?{_UNIT}|{_INLINE2})"
_ONE_SLOT = "|".join(f"(?:{p})" for p in _SINGLE.values())
_WHEN = rf"(?P<when>(?:{_ONE_SLOT})(?:\s+and\s+(?:{_ONE_SLOT}))*|{'|'.join(_MULTI.values())})"
_TEXT = re.compile(
    rf"(?:take|give)?\s*{_AMOUNT}\s+(?:by mouth\s+|orally\s+|po\s+)?{_WHEN}", re.IGNORECASE
)
_ANY_AMOUNT = re.compile(r"\d|\b(one|two|three|four|half|a|an)\b", re.IGNORECASE)


def _when_slots(when: str) -> TimingReading:
    for count, pattern in _MULTI.items():
        if re.fullmatch(pattern, when, re.IGNORECASE):
            return _times_a_day(Decimal(count))
    slots: list[str] = []
    for part in re.split(r"\s+and\s+", when, flags=re.IGNORECASE):
        for slot, pattern in _SINGLE.items():
            if re.fullmatch(pattern, part, re.IGNORECASE):
                slots.append(slot)
                break
    if len(set(slots)) != len(slots):
        return TimingReading(None, ["the same time of day is named twice"])
    return TimingReading(tuple(slots))


def read_text(
    text: str, strengths: Strengths
) -> tuple[list[tuple[str, Decimal]], list[str], list[str]]:
    """(slot, mg) pairs, problems, notes for a dosage text; pairs empty when not read."""
    clean = re.sub(r"\s+", " ", text).strip().rstrip(".").strip()
    match = _TEXT.fullmatch(clean)
    if not match:
        if not _ANY_AMOUNT.search(clean):
            return [], [f'dosage text "{text}" gives no amount'], []
        return [], [f'dosage text "{text}" could not be read with certainty'], []
    if match["unit"]:
        count = Decimal(_QTY_WORDS.get(match["qty"].lower(), match["qty"]))
        if match["mg"]:
            inline = _to_mg(match["mg"], match["mgunit"])
            if strengths.per_unit and any(s != inline for s in strengths.per_unit):
                return [], [f'dosage text "{text}" names a strength the medicine does not'], []
            strengths = Strengths((inline,))
        mg, problem = dose_in_mg(count, match["unit"], strengths)
    else:
        mg, problem = dose_in_mg(Decimal(match["mg2"]), match["mgunit2"], strengths)
    if mg is None:
        return [], [problem], []
    timing = _when_slots(match["when"])
    if timing.slots is None:
        return [], timing.problems, []
    return [(slot, mg) for slot in timing.slots], [], timing.notes


def text_says_prn(text: str) -> bool:
    return bool(_PRN_TEXT.search(text))


def slot_order(slot: str) -> int:
    return SLOTS.index(slot)
