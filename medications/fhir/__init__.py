"""FHIR R4 import and export of a patient's medication record (standard library only).

``parse_bundle`` reads a Bundle of MedicationStatement / MedicationRequest resources:

* Recognises benzodiazepines and z-drugs (the catalogue's 27 slugs) by RxNorm code, by
  SNOMED CT / dm+d code, or by name (generic or brand, whole words); opioids, gabapentinoids
  and other sedatives by name or RxNorm code; everything else comes back as kind "other".
* Reads a dose only when it is certain: ``doseQuantity`` in mg / micrograms, tablets or
  capsules x the one strength named by the medicine, or mL x the one mg/mL concentration;
  times from ``timing.repeat`` (frequency/period/periodUnit, ``when``, ``timeOfDay``) or
  ``timing.code`` (BID, TID, QID, QD, QHS, QAM, QPM, HS...); or simple English in
  ``Dosage.text`` ("1 tablet at night", "2 mg twice a day", "half a tablet in the morning
  and at night"). Dosage lines are added up per slot.
* Once a day with no time of day is shown at night, with the problem
  "time of day not stated: shown at night — check".
* Everything else is returned not understood, with no dose and the reason: as needed (PRN),
  every N days / weekly, a set number of doses, dose ranges, several dosage steps, no unit,
  tablets without a stated strength, two strengths named, unit and code disagreeing, code and
  name naming different drugs, meal-time codes, free text it cannot parse, an unresolvable
  medicationReference.

``export_statements`` writes the app's regimen back as MedicationStatements.
"""

from .bundle import parse_bundle
from .export import export_statements
from .types import SLOTS, BundleError, ImportedDose, ImportedEntry, ImportResult
from .vocabulary import Vocabulary, load_vocabulary

__all__ = [
    "SLOTS",
    "BundleError",
    "ImportResult",
    "ImportedDose",
    "ImportedEntry",
    "Vocabulary",
    "export_statements",
    "load_vocabulary",
    "parse_bundle",
]
