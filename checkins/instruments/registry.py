"""Which instruments the app offers. Adding one is adding a data module and a line here."""

from __future__ import annotations

from types import MappingProxyType

from checkins.instruments.bwsq import BWSQ
from checkins.instruments.ciwa_b import CIWA_B
from checkins.instruments.types import Instrument

__all__ = ["INSTRUMENTS", "UNVERIFIED_INSTRUMENTS", "UnknownInstrumentError", "get_instrument"]

#: Instruments a check-in may use.
INSTRUMENTS: MappingProxyType[str, Instrument] = MappingProxyType({CIWA_B.id: CIWA_B})

#: Instruments held as data but not to be shown to patients until verified (reference §7.17).
UNVERIFIED_INSTRUMENTS: MappingProxyType[str, Instrument] = MappingProxyType({BWSQ.id: BWSQ})


class UnknownInstrumentError(KeyError):
    """No offered instrument has this id."""


def get_instrument(instrument_id: str, *, include_unverified: bool = False) -> Instrument:
    """The instrument with this id.

    Raises:
        UnknownInstrumentError: the id is unknown, or names an unverified instrument and
            ``include_unverified`` is False.
    """
    if instrument_id in INSTRUMENTS:
        return INSTRUMENTS[instrument_id]
    if include_unverified and instrument_id in UNVERIFIED_INSTRUMENTS:
        return UNVERIFIED_INSTRUMENTS[instrument_id]
    raise UnknownInstrumentError(instrument_id)
