"""CIWA-B (Busto, Sykora & Sellers 1989) as data.

Source of the form text: CIWAB-FORM, the hospital form transcription in the clinical reference
§4a (it cites BUSTO-1989 and Hulse et al. 2013). What is verbatim and what is ours:

* Items 1-20: ``form_text`` is the reference's form text. ``text`` (shown to the patient) is the
  same words where they are already plain (``Provenance.VERBATIM``), or our plain-words version
  (``Provenance.ADAPTED``: items 2, 6, 15, 16, 17).
* Anchors of the self-report items: the form prints one header for every item, 0 "Not at all"
  and 4 "Very much so" (verbatim). The words for 1-3 are ours.
* Items 12 and 14 (sleep) are ADAPTED and must be checked against BUSTO-1989: under the shared
  header, "Very much so" restful sleep would score 4, the most withdrawal. Every CIWA-B item
  scores withdrawal upwards, so our anchors put good sleep at 0 and poor sleep at 4.
* Anchors of the observed items 18-20: NONE ... VERY SEVERE, the labels of the Center for
  Network Therapy variant (secondary, CNT-OPENEMR). The original per-item descriptors were not
  retrieved.
* Bands 0 / 1-20 / 21-40 / 41-60 / 61-80 and their labels: verbatim from the form. Urgent from
  41 (severe and above): the reference's §4c escalation trigger.
* Item 19's and the consciousness check's form text is cut off in the transcription; the part
  we have is kept as it is.

The unscored sleep-hours and minutes-to-sleep questions on the form are left out (free numbers,
no part of the total).
"""

from __future__ import annotations

from checkins.instruments.sources import APP_RULE
from checkins.instruments.types import Anchor, Band, Instrument, Item, Provenance, Rater

__all__ = ["CIWA_B"]

FORM = "CIWAB-FORM"
V = Provenance.VERBATIM
A = Provenance.ADAPTED

_SELF_REPORT_ANCHORS = (
    Anchor(0, "Not at all", V, FORM),
    Anchor(1, "A little", A, APP_RULE),
    Anchor(2, "Moderately", A, APP_RULE),
    Anchor(3, "Quite a lot", A, APP_RULE),
    Anchor(4, "Very much so", V, FORM),
)

_RESTFUL_SLEEP_ANCHORS = (
    Anchor(0, "Very restful", A, APP_RULE),
    Anchor(1, "Mostly restful", A, APP_RULE),
    Anchor(2, "Partly restful", A, APP_RULE),
    Anchor(3, "Hardly restful", A, APP_RULE),
    Anchor(4, "Not at all restful", A, APP_RULE),
)

_ENOUGH_SLEEP_ANCHORS = (
    Anchor(0, "Yes, plenty", A, APP_RULE),
    Anchor(1, "Nearly enough", A, APP_RULE),
    Anchor(2, "Somewhat too little", A, APP_RULE),
    Anchor(3, "Much too little", A, APP_RULE),
    Anchor(4, "Not at all enough", A, APP_RULE),
)

_OBSERVED_ANCHORS = (
    Anchor(0, "None", V, "CNT-OPENEMR"),
    Anchor(1, "Mild", V, "CNT-OPENEMR"),
    Anchor(2, "Moderate", V, "CNT-OPENEMR"),
    Anchor(3, "Severe", V, "CNT-OPENEMR"),
    Anchor(4, "Very severe", V, "CNT-OPENEMR"),
)

_SLEEP_NOTE = (
    "Anchors adapted so that poor sleep scores high; the form's shared 'Not at all' ... "
    "'Very much so' header would read backwards here. Check against BUSTO-1989."
)


def _patient(number: int, form_text: str, text: str | None = None) -> Item:
    return Item(
        number=number,
        text=form_text if text is None else text,
        form_text=form_text,
        text_provenance=V if text is None else A,
        rater=Rater.PATIENT,
        anchors=_SELF_REPORT_ANCHORS,
    )


def _observed(number: int, form_text: str, note: str = "") -> Item:
    return Item(
        number=number,
        text=form_text,
        form_text=form_text,
        text_provenance=V,
        rater=Rater.OBSERVER,
        anchors=_OBSERVED_ANCHORS,
        note=note,
    )


CIWA_B = Instrument(
    id="ciwa-b",
    version="1",
    name="Clinical Institute Withdrawal Assessment for Benzodiazepines (CIWA-B)",
    citation=("BUSTO-1989", FORM),
    items=(
        _patient(1, "Do you feel irritable?"),
        _patient(2, "Do you feel fatigued?", "Do you feel tired or worn out (fatigued)?"),
        _patient(3, "Do you feel tense?"),
        _patient(4, "Do you have difficulty concentrating?"),
        _patient(5, "Do you have any loss of appetite?"),
        _patient(
            6,
            "Have you any numbness or burning in your face, hands [or feet]?",
            "Do you have any numbness or burning in your face, hands or feet?",
        ),
        _patient(7, "Do you feel your heart racing (palpitations)?"),
        _patient(8, "Does your head feel full or achy?"),
        _patient(9, "Do you feel muscle aches or stiffness?"),
        _patient(10, "Do you feel anxious, nervous or jittery?"),
        _patient(11, "Do you feel upset?"),
        Item(
            number=12,
            text="How restful was your sleep last night?",
            form_text="How restful was your sleep last night?",
            text_provenance=V,
            rater=Rater.PATIENT,
            anchors=_RESTFUL_SLEEP_ANCHORS,
            note=_SLEEP_NOTE,
        ),
        _patient(13, "Do you feel weak?"),
        Item(
            number=14,
            text="Do you think you had enough sleep last night?",
            form_text="Do you think you had enough sleep last night?",
            text_provenance=V,
            rater=Rater.PATIENT,
            anchors=_ENOUGH_SLEEP_ANCHORS,
            note=_SLEEP_NOTE,
        ),
        _patient(
            15,
            "Do you have any visual disturbances? (sensitivity to light, blurred vision)",
            "Are you having any trouble with your eyes, such as light hurting them or blurred "
            "vision?",
        ),
        _patient(16, "Are you fearful?", "Do you feel afraid (fearful)?"),
        _patient(
            17,
            "Have you been worrying about possible misfortunes lately?",
            "Have you been worrying lately that bad things might happen?",
        ),
        _observed(18, "Observe behaviour for restlessness and agitation"),
        _observed(
            19,
            "Tremor: ask the patient to extend arms with fingers apart",
            note="The transcription's text is cut off after 'fingers apart'.",
        ),
        _observed(20, "Observe for sweating - feel palms"),
    ),
    bands=(
        Band("none", "No signs of withdrawal", 0, 0, FORM),
        Band("mild", "Mild withdrawal", 1, 20, FORM),
        Band("moderate", "Moderate withdrawal", 21, 40, FORM),
        Band("severe", "Severe withdrawal", 41, 60, f"{FORM}; CLINICAL-REFERENCE §4c", True),
        Band(
            "very_severe", "Very severe withdrawal", 61, 80, f"{FORM}; CLINICAL-REFERENCE §4c", True
        ),
    ),
    bands_source=FORM,
    validated=True,
    consciousness_check="Alert, orientated, obeys commands?",
    notes=(
        "Items 18-20 need an observer: a remote self-report total is out of 68 and partial "
        "(CLINICAL-REFERENCE §4a).",
        "The form asks for a vital signs observation chart alongside; not part of the score.",
    ),
)
