"""Withdrawal instruments: pure Python, standard library only (an import-linter contract).

Public API::

    instrument = get_instrument("ciwa-b")                      # Instrument (data)
    result = score(instrument, answers, observed)              # Score; InstrumentInputError
    checkin = assess(instrument, answers, observed, red_flags) # Assessment; .to_dict() for the API
    advice = suggest([WeekPoint(...), ...])                    # Suggestion(action, rule, ...)

Modules: :mod:`~checkins.instruments.types` (the data shapes),
:mod:`~checkins.instruments.ciwa_b` and :mod:`~checkins.instruments.bwsq` (instruments as data),
:mod:`~checkins.instruments.registry`, :mod:`~checkins.instruments.scoring`,
:mod:`~checkins.instruments.red_flags` (and urgency), :mod:`~checkins.instruments.assessment`,
:mod:`~checkins.instruments.suggest`, :mod:`~checkins.instruments.sources` (citation keys).
"""

from checkins.instruments.assessment import Assessment, assess
from checkins.instruments.bwsq import BWSQ
from checkins.instruments.ciwa_b import CIWA_B
from checkins.instruments.red_flags import (
    RED_FLAGS,
    RedFlag,
    RedFlags,
    Urgency,
    UrgentReason,
    parse_flag,
    parse_red_flags,
    urgency,
)
from checkins.instruments.registry import (
    INSTRUMENTS,
    UNVERIFIED_INSTRUMENTS,
    UnknownInstrumentError,
    get_instrument,
)
from checkins.instruments.scoring import InstrumentInputError, parse_item_value, score
from checkins.instruments.sources import APP_RULE, SOURCES
from checkins.instruments.suggest import (
    RULES,
    Action,
    Comparison,
    Rule,
    Suggestion,
    WeekPoint,
    compare,
    suggest,
)
from checkins.instruments.types import (
    Anchor,
    Band,
    Instrument,
    Item,
    ItemValue,
    Provenance,
    Rater,
    Score,
)

__all__ = [
    "APP_RULE",
    "BWSQ",
    "CIWA_B",
    "INSTRUMENTS",
    "RED_FLAGS",
    "RULES",
    "SOURCES",
    "UNVERIFIED_INSTRUMENTS",
    "Action",
    "Anchor",
    "Assessment",
    "Band",
    "Comparison",
    "Instrument",
    "InstrumentInputError",
    "Item",
    "ItemValue",
    "Provenance",
    "Rater",
    "RedFlag",
    "RedFlags",
    "Rule",
    "Score",
    "Suggestion",
    "UnknownInstrumentError",
    "Urgency",
    "UrgentReason",
    "WeekPoint",
    "assess",
    "compare",
    "get_instrument",
    "parse_flag",
    "parse_item_value",
    "parse_red_flags",
    "score",
    "suggest",
    "urgency",
]
