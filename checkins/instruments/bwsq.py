"""BWSQ (Tyrer, Murphy & Riley 1990) as data: UNVERIFIED, not offered to patients.

The clinical reference (§4b, §7.13, §7.17) gives the 20 items and a 0 / 1 / 2 scoring (total
0-40) but marks both **unverified**, and says no validated severity bands were found. So this
instrument is ``validated=False``, has no bands (totals and trends only) and every item and
anchor is ``Provenance.UNVERIFIED``. It is NOT in
:data:`~checkins.instruments.registry.INSTRUMENTS`; ``get_instrument("bwsq")`` refuses it unless
``include_unverified=True``. Once the wording and scoring are checked against TYRER-1990, mark
the provenance VERBATIM and move it into the registry: a data change only.
"""

from __future__ import annotations

from checkins.instruments.types import Anchor, Instrument, Item, Provenance, Rater

__all__ = ["BWSQ"]

U = Provenance.UNVERIFIED
SOURCE = "TYRER-1990"

_ANCHORS = (
    Anchor(0, "No", U, SOURCE),
    Anchor(1, "Yes, moderately", U, SOURCE),
    Anchor(2, "Yes, severely", U, SOURCE),
)

_SYMPTOMS = (
    "Feeling unreal",
    "Very sensitive to noise",
    "Very sensitive to light",
    "Very sensitive to smell",
    "Very sensitive to touch",
    "Peculiar taste in mouth",
    "Pains in muscles",
    "Muscle twitching",
    "Shaking or trembling",
    "Pins and needles",
    "Dizziness",
    "Feeling faint",
    "Feeling sick",
    "Feeling depressed",
    "Sore eyes",
    "Feeling of things moving when they are still",
    "Seeing or hearing things that aren't there",
    "Unable to control movements",
    "Loss of memory",
    "Loss of appetite",
)

BWSQ = Instrument(
    id="bwsq",
    version="0-unverified",
    name="Benzodiazepine Withdrawal Symptom Questionnaire (BWSQ)",
    citation=(SOURCE, "COUVEE-2002"),
    items=tuple(
        Item(
            number=number,
            text=symptom,
            form_text=symptom,
            text_provenance=U,
            rater=Rater.PATIENT,
            anchors=_ANCHORS,
        )
        for number, symptom in enumerate(_SYMPTOMS, start=1)
    ),
    bands=(),
    bands_source="",
    validated=False,
    notes=(
        "Items and 0/1/2 scoring unverified (CLINICAL-REFERENCE §4b); no validated bands: "
        "show totals and trends only.",
    ),
)
