"""What a clinician sees when a patient's medication record is imported (bundles/*.json)."""

import datetime
from decimal import Decimal

from medications.fhir import ImportedEntry, parse_bundle

from .helpers import doses, mg


def only(entries: tuple[ImportedEntry, ...], drug: str) -> ImportedEntry:
    (entry,) = [e for e in entries if e.drug == drug]
    return entry


def test_diazepam_one_tablet_three_times_a_day(parsed):
    (entry,) = parsed("01_diazepam_three_times_daily.json").entries
    assert entry.understood
    assert (entry.kind, entry.drug, entry.form) == ("benzodiazepine", "diazepam", "ir")
    assert doses(entry) == {"morning": mg("5"), "midday": mg("5"), "night": mg("5")}
    assert entry.problems == ()
    assert entry.since == datetime.date(2024, 1, 15)
    assert entry.source_text == "Diazepam 5 mg tablets — 1 tablet three times a day"
    assert all(isinstance(d.mg, Decimal) for d in entry.doses)


def test_a_benzodiazepine_and_a_z_drug(parsed):
    result = parsed("02_lorazepam_and_zopiclone.json")
    assert result.ignored == ((0, "Patient"),)
    lorazepam, zopiclone = result.entries
    assert lorazepam.index == 1 and zopiclone.index == 2
    assert (lorazepam.kind, lorazepam.drug, doses(lorazepam)) == (
        "benzodiazepine", "lorazepam", {"morning": mg("1"), "night": mg("1")},
    )  # fmt: skip
    assert (zopiclone.kind, zopiclone.drug, doses(zopiclone)) == (
        "z-drug", "zopiclone", {"night": mg("7.5")},
    )  # fmt: skip
    assert lorazepam.understood and zopiclone.understood


def test_synthea_requests_with_an_opioid_alongside(parsed):
    result = parsed("03_synthea_oxycodone_and_alprazolam.json")
    assert result.ignored == ((0, "Patient"), (1, "Encounter"), (5, "Claim"))
    oxycodone, alprazolam_no_unit, alprazolam = result.entries
    assert oxycodone.resource_type == "MedicationRequest"
    assert (oxycodone.kind, oxycodone.drug, oxycodone.understood) == ("opioid", None, False)
    assert oxycodone.name == "Oxycodone Hydrochloride 5 MG Oral Tablet"
    assert oxycodone.since == datetime.date(2019, 3, 2)
    # Synthea writes doseQuantity {"value": 1.0} with no unit: 1 tablet? 1 mg? Not guessed.
    assert alprazolam_no_unit.drug == "alprazolam" and alprazolam_no_unit.matched_by == "rxnorm"
    assert not alprazolam_no_unit.understood and alprazolam_no_unit.doses == ()
    assert "has no unit" in alprazolam_no_unit.problems[0]
    # With a unit ({tbl}) the RxNorm clinical drug's strength gives the mg.
    assert alprazolam.understood
    assert doses(alprazolam) == {"morning": mg("0.5"), "night": mg("0.5")}


def test_coded_and_uncoded_entries(parsed):
    clonazepam, diazepam, temazepam = parsed("04_coded_and_uncoded.json").entries
    assert (clonazepam.drug, clonazepam.matched_by) == ("clonazepam", "rxnorm")
    assert doses(clonazepam) == {"morning": mg("0.5"), "night": mg("0.5")}
    assert (diazepam.drug, diazepam.matched_by) == ("diazepam", "dmd")
    assert doses(diazepam) == {"morning": mg("2"), "night": mg("2")}
    assert (temazepam.drug, temazepam.matched_by) == ("temazepam", "name")
    assert doses(temazepam) == {"night": mg("20")}
    assert all(e.understood for e in (clonazepam, diazepam, temazepam))


def test_doses_that_cannot_be_read_are_shown_with_the_reason_and_nothing_is_guessed(parsed):
    entries = parsed("05_doses_that_cannot_be_read.json").entries
    assert len(entries) == 6  # none dropped
    assert all(not e.understood and e.doses == () for e in entries)
    assert all(e.drug for e in entries)  # the drug itself was still recognised
    reasons = [e.problems for e in entries]
    assert reasons == [
        ('dosage text "Take as directed" gives no amount',),
        ("as needed (PRN): no regular daily dose",),
        ("dose in tablets but the tablet strength is not stated",),
        ("every 2 days: no regular daily dose",),
        ('dosage text "1-2 tablets at night" could not be read with certainty',),
        ("the dose changes over time (several dosage steps): which one is current is not stated",),
    ]
    assert entries[1].as_needed and not entries[0].as_needed


def test_extended_release_alprazolam(parsed):
    coded, named = parsed("08_alprazolam_extended_release.json").entries
    assert (coded.drug, coded.form, coded.matched_by) == ("alprazolam", "er", "rxnorm")
    assert doses(coded) == {"morning": mg("1")}
    assert coded.problems == ()
    assert (named.drug, named.form, named.matched_by) == ("alprazolam", "er", "name")
    # Once daily, no time of day: shown at night, understood, and the assumption is said.
    assert named.understood and doses(named) == {"night": mg("0.5")}
    assert named.problems == ("time of day not stated: shown at night — check",)


def test_medication_reference_to_a_contained_or_bundled_medication(parsed):
    result = parsed("09_contained_medication.json")
    assert result.ignored == ((0, "Medication"),)
    contained, bundled, missing = result.entries
    assert (contained.drug, contained.matched_by) == ("lorazepam", "rxnorm")
    assert doses(contained) == {"morning": mg("1"), "midday": mg("1"), "night": mg("1")}
    # 2.5 mL of a 1 mg/mL solution, found by fullUrl.
    assert bundled.drug == "diazepam" and doses(bundled) == {"night": mg("2.5")}
    assert not missing.understood and missing.doses == ()
    assert missing.drug == "clonazepam"  # from the reference's display
    assert missing.problems == (
        'medicationReference "Medication/not-here" does not point to a Medication in this bundle',
    )


def test_stopped_and_completed_are_not_current(parsed):
    entries = parsed("10_stopped_and_current.json").entries
    assert [(e.status, e.current) for e in entries] == [
        ("stopped", False),
        ("completed", False),
        ("on-hold", True),
        ("entered-in-error", False),
        ("intended", True),
    ]
    assert entries[0].understood and doses(entries[0]) == {"night": mg("10")}


def test_hypnotics_follow_the_same_rules(parsed):
    entries = parsed("11_hypnotics.json").entries
    read = {e.drug: (e.kind, doses(e)) for e in entries}
    assert read == {
        "nitrazepam": ("benzodiazepine", {"night": mg("10")}),
        "zolpidem": ("z-drug", {"night": mg("10")}),
        "lormetazepam": ("benzodiazepine", {"night": mg("1")}),  # timeOfDay 22:00
        "zaleplon": ("z-drug", {"night": mg("10")}),  # brand name Sonata
        "triazolam": ("benzodiazepine", {"night": mg("0.25")}),  # brand name Halcion
    }
    assert all(e.understood and e.problems == () for e in entries)


def test_other_medicines_that_change_a_taper_are_listed_not_read(parsed):
    entries = parsed("12_other_medicines.json").entries
    assert [(e.kind, e.matched_by) for e in entries] == [
        ("gabapentinoid", "name"),
        ("opioid", "name"),  # co-codamol
        ("sedative", "rxnorm"),
        ("opioid", "name"),  # Butrans
        ("other", ""),
        ("benzodiazepine", "name"),
    ]
    assert all(e.drug is None and e.doses == () for e in entries[:5])
    # Two dosage lines for one drug are added up per slot.
    assert doses(entries[5]) == {"morning": mg("2"), "night": mg("4")}


def test_numbers_read_as_decimal_or_float_give_the_same_doses():
    import json

    from .conftest import BUNDLES

    text = (BUNDLES / "09_contained_medication.json").read_text()
    as_float = parse_bundle(json.loads(text))
    as_decimal = parse_bundle(json.loads(text, parse_float=Decimal))
    assert [e.doses for e in as_float.entries] == [e.doses for e in as_decimal.entries]


def test_a_dosage_text_alone_in_plain_english():
    def read(text: str, medicine: str = "Diazepam 5mg tablets"):
        bundle = {
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "MedicationStatement",
                        "status": "active",
                        "medicationCodeableConcept": {"text": medicine},
                        "dosage": [{"text": text}],
                    }
                }
            ],
        }
        (entry,) = parse_bundle(bundle).entries
        return doses(entry) if entry.understood else entry.problems

    assert read("1 tablet at night") == {"night": mg("5")}
    assert read("2 mg twice a day") == {"morning": mg("2"), "night": mg("2")}
    assert read("one 5 mg tablet three times daily") == {
        "morning": mg("5"), "midday": mg("5"), "night": mg("5"),
    }  # fmt: skip
    assert read("Take half a tablet in the morning and at night.") == {
        "morning": mg("2.5"), "night": mg("2.5"),
    }  # fmt: skip
    assert read("1 or 2 tablets at night") == (
        'dosage text "1 or 2 tablets at night" could not be read with certainty',
    )
    assert read("half tablet in the morning and at night") == {
        "morning": mg("2.5"), "night": mg("2.5"),
    }  # fmt: skip
    assert read("one 10 mg tablet at night") == (
        'dosage text "one 10 mg tablet at night" names a strength the medicine does not',
    )
    assert read("1 tablet at night", "Diazepam tablets") == (
        "dose in tablets but the tablet strength is not stated",
    )
    assert read("2 tablets at night or as needed") == ("as needed (PRN): no regular daily dose",)
