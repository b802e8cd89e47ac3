"""export_statements: the regimen as FHIR MedicationStatements, and back again."""

import datetime
import json
from decimal import Decimal

from medications.fhir import export_statements, parse_bundle

from .helpers import doses

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def dumps(data: dict) -> str:
    """What a Decimal-aware encoder (DRF's) does: Decimals as JSON numbers."""

    class Encoder(json.JSONEncoder):
        def default(self, o):
            if isinstance(o, Decimal):
                return float(o) if o != o.to_integral_value() else int(o)
            return super().default(o)

    return json.dumps(data, cls=Encoder)


REGIMEN = [
    {"drug": "diazepam", "doses": {"morning": "2.5", "night": "5"}, "form": "ir"},
    {
        "drug": "alprazolam",
        "doses": {"morning": "0.25", "midday": "0.25", "night": "0.5"},
        "form": "er",
    },
    {"drug": "zopiclone", "doses": {"night": "3.75"}, "form": "ir"},
]
OTHER = [
    {"name": "Oxycodone 5 mg capsules", "kind": "opioid"},
    {"name": "Ramipril", "kind": "other"},
]


def test_one_statement_per_drug_with_a_dosage_per_slot():
    bundle = export_statements(
        REGIMEN, OTHER, patient_reference="Patient/42", since=datetime.date(2026, 12, 1)
    )
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert len(bundle["entry"]) == 5
    diazepam = bundle["entry"][0]["resource"]
    assert diazepam["resourceType"] == "MedicationStatement"
    assert diazepam["status"] == "active"
    assert diazepam["subject"] == {"reference": "Patient/42"}
    assert diazepam["effectivePeriod"] == {"start": "2026-12-01"}
    assert diazepam["medicationCodeableConcept"] == {
        "text": "Diazepam",
        "coding": [{"system": RXNORM, "code": "3322", "display": "diazepam"}],
    }
    night = diazepam["dosage"][1]
    assert night["text"] == "5 mg at night"
    assert night["timing"] == {
        "repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["NIGHT"]}
    }
    assert night["doseAndRate"][0]["doseQuantity"] == {
        "value": 5, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg",
    }  # fmt: skip
    assert diazepam["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == Decimal("2.5")
    oxycodone = bundle["entry"][3]["resource"]
    assert oxycodone["medicationCodeableConcept"] == {"text": "Oxycodone 5 mg capsules"}
    assert "dosage" not in oxycodone


def test_unverified_codes_are_not_written_only_the_name():
    bundle = export_statements(REGIMEN, [], patient_reference="Patient/42")
    alprazolam = bundle["entry"][1]["resource"]["medicationCodeableConcept"]
    assert alprazolam == {"text": "Alprazolam (extended-release)"}  # 596 is verified=false
    assert "effectivePeriod" not in bundle["entry"][1]["resource"]


def test_decimals_serialise_without_float_noise():
    bundle = export_statements(REGIMEN, [], patient_reference="Patient/42")
    text = dumps(bundle)
    assert '"value": 0.25' in text and '"value": 3.75' in text and '"value": 5,' in text


def test_round_trip_gives_the_same_drugs_slots_and_mg():
    bundle = export_statements(REGIMEN, OTHER, patient_reference="Patient/42")
    for data in (bundle, json.loads(dumps(bundle)), json.loads(dumps(bundle), parse_float=Decimal)):
        result = parse_bundle(data)
        read = [(e.drug, e.form, doses(e)) for e in result.entries if e.understood]
        assert read == [
            (item["drug"], item["form"], {slot: Decimal(v) for slot, v in item["doses"].items()})
            for item in REGIMEN
        ]
        assert [(e.name, e.kind) for e in result.entries[3:]] == [
            ("Oxycodone 5 mg capsules", "opioid"),
            ("Ramipril", "other"),
        ]
