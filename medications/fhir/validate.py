"""Structural checks of a FHIR R4 Bundle, all problems collected before anything is read.

Only what the importer reads is checked (the Bundle shape and the fields of Medication*
resources it uses); other resources only need a ``resourceType``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from .types import BundleError

MAX_STRING = 2000
MAX_DEPTH = 64
MAX_DIGITS = 18
MAX_POSITIVE_INT = 2_147_483_647  # FHIR positiveInt is 32-bit
MEDICATION_TYPES = ("MedicationStatement", "MedicationRequest")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?")


def _describe(value: object) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and abs(value) >= 10**MAX_DIGITS:
        return "a number too large to use"
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_DIGITS:
        return "a number too large or too small to use"
    return str(value)


def is_number(value: object) -> bool:
    """A finite JSON number within FHIR's 18 digits (so Decimal arithmetic stays small)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) < 10**MAX_DIGITS
    if isinstance(value, float):
        if not math.isfinite(value):
            return False
        value = Decimal(str(value))
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    return value.is_zero() or abs(value.adjusted()) <= MAX_DIGITS


class _Checker:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    # Typed field helpers: each returns the value when it has the right type, else None.
    def obj(self, parent: dict, key: str, path: str, *, required: bool = False) -> dict | None:
        if key not in parent:
            if required:
                self.add(f"{path}.{key}", "Missing: expected an object.")
            return None
        value = parent[key]
        if not isinstance(value, dict):
            self.add(f"{path}.{key}", f"Expected an object, got {_describe(value)}.")
            return None
        return value

    def objects(self, parent: dict, key: str, path: str) -> list[tuple[str, dict]]:
        if key not in parent:
            return []
        value = parent[key]
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"Expected a list, got {_describe(value)}.")
            return []
        items = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                items.append((f"{path}.{key}.{i}", item))
            else:
                self.add(f"{path}.{key}.{i}", f"Expected an object, got {_describe(item)}.")
        return items

    def string(self, parent: dict, key: str, path: str, *, required: bool = False) -> None:
        if key not in parent:
            if required:
                self.add(f"{path}.{key}", "Missing: expected a string.")
            return
        if not isinstance(parent[key], str):
            self.add(f"{path}.{key}", f"Expected a string, got {_describe(parent[key])}.")

    def strings(self, parent: dict, key: str, path: str) -> None:
        if key not in parent:
            return
        value = parent[key]
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"Expected a list of strings, got {_describe(value)}.")
            return
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(f"{path}.{key}.{i}", f"Expected a string, got {_describe(item)}.")

    def number(self, parent: dict, key: str, path: str, *, positive: bool = False) -> None:
        if key not in parent:
            return
        value = parent[key]
        if not is_number(value):
            self.add(f"{path}.{key}", f"Expected a number, got {_describe(value)}.")
        elif positive and not value > 0:  # type: ignore[operator]
            self.add(f"{path}.{key}", f"Expected a number above 0, got {_describe(value)}.")

    def positive_int(self, parent: dict, key: str, path: str) -> None:
        if key not in parent:
            return
        value = parent[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_POSITIVE_INT
        ):
            self.add(f"{path}.{key}", f"Expected a positive integer, got {_describe(value)}.")

    def boolean(self, parent: dict, key: str, path: str) -> None:
        if key in parent and not isinstance(parent[key], bool):
            self.add(f"{path}.{key}", f"Expected true or false, got {_describe(parent[key])}.")

    def date(self, parent: dict, key: str, path: str) -> None:
        if key not in parent:
            return
        value = parent[key]
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"Expected a date string, got {_describe(value)}.")
        elif not _DATE.fullmatch(value):
            self.add(f"{path}.{key}", f"Expected a date like 2024-05-01, got {_describe(value)}.")

    # FHIR datatypes
    def codeable(self, concept: dict | None, path: str) -> None:
        if concept is None:
            return
        for coding_path, coding in self.objects(concept, "coding", path):
            for key in ("system", "code", "display"):
                self.string(coding, key, coding_path)
        self.string(concept, "text", path)

    def quantity(self, quantity: dict | None, path: str) -> None:
        if quantity is None:
            return
        self.number(quantity, "value", path)
        for key in ("unit", "code", "system"):
            self.string(quantity, key, path)

    def dosage(self, dosage: dict, path: str) -> None:
        self.string(dosage, "text", path)
        if "sequence" in dosage and (
            isinstance(dosage["sequence"], bool)
            or not isinstance(dosage["sequence"], int)
            or abs(dosage["sequence"]) > MAX_POSITIVE_INT
        ):
            self.add(
                f"{path}.sequence", f"Expected an integer, got {_describe(dosage['sequence'])}."
            )
        self.boolean(dosage, "asNeededBoolean", path)
        self.codeable(
            self.obj(dosage, "asNeededCodeableConcept", path), f"{path}.asNeededCodeableConcept"
        )
        timing = self.obj(dosage, "timing", path)
        if timing is not None:
            tpath = f"{path}.timing"
            self.strings(timing, "event", tpath)
            self.codeable(self.obj(timing, "code", tpath), f"{tpath}.code")
            repeat = self.obj(timing, "repeat", tpath)
            if repeat is not None:
                rpath = f"{tpath}.repeat"
                self.positive_int(repeat, "frequency", rpath)
                self.positive_int(repeat, "frequencyMax", rpath)
                self.positive_int(repeat, "count", rpath)
                self.number(repeat, "period", rpath, positive=True)
                self.number(repeat, "periodMax", rpath, positive=True)
                self.string(repeat, "periodUnit", rpath)
                self.strings(repeat, "when", rpath)
                self.strings(repeat, "timeOfDay", rpath)
        for dr_path, dose_and_rate in self.objects(dosage, "doseAndRate", path):
            self.quantity(
                self.obj(dose_and_rate, "doseQuantity", dr_path), f"{dr_path}.doseQuantity"
            )
            dose_range = self.obj(dose_and_rate, "doseRange", dr_path)
            if dose_range is not None:
                for end in ("low", "high"):
                    self.quantity(
                        self.obj(dose_range, end, f"{dr_path}.doseRange"),
                        f"{dr_path}.doseRange.{end}",
                    )

    def medication(self, resource: dict, path: str) -> None:
        self.codeable(self.obj(resource, "code", path), f"{path}.code")
        self.codeable(self.obj(resource, "form", path), f"{path}.form")
        self.string(resource, "id", path)

    def medication_use(self, resource: dict, path: str) -> None:
        self.string(resource, "status", path, required=True)
        concept = self.obj(resource, "medicationCodeableConcept", path)
        self.codeable(concept, f"{path}.medicationCodeableConcept")
        reference = self.obj(resource, "medicationReference", path)
        if reference is not None:
            self.string(reference, "reference", f"{path}.medicationReference")
            self.string(reference, "display", f"{path}.medicationReference")
        if "medicationCodeableConcept" not in resource and "medicationReference" not in resource:
            self.add(
                f"{path}.medication[x]",
                "Missing: medicationCodeableConcept or medicationReference.",
            )
        for cpath, contained in self.objects(resource, "contained", path):
            self.string(contained, "resourceType", cpath, required=True)
            if contained.get("resourceType") == "Medication":
                self.medication(contained, cpath)
        for key in ("dosage", "dosageInstruction"):
            for dpath, dosage in self.objects(resource, key, path):
                self.dosage(dosage, dpath)
        period = self.obj(resource, "effectivePeriod", path)
        if period is not None:
            self.date(period, "start", f"{path}.effectivePeriod")
        self.date(resource, "effectiveDateTime", path)
        self.date(resource, "authoredOn", path)


def _check_sizes(data: object, checker: _Checker) -> None:
    """Strings over MAX_STRING characters anywhere, and nesting over MAX_DEPTH (no recursion)."""
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            checker.add("bundle", f"Nested more than {MAX_DEPTH} levels deep.")
            return
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                checker.add(
                    path or "bundle",
                    f"Text of {len(value):,} characters: the limit is {MAX_STRING:,}.",
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                key_text = str(key)
                if len(key_text) > MAX_STRING:
                    checker.add(
                        path or "bundle",
                        f"A key of {len(key_text):,} characters: the limit is {MAX_STRING:,}.",
                    )
                    continue
                stack.append((item, f"{path}.{key_text}" if path else key_text, depth + 1))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                stack.append((item, f"{path}.{i}" if path else str(i), depth + 1))


def validate_bundle(data: object, max_entries: int) -> None:
    """Raise BundleError listing every structural problem; return quietly when there are none."""
    checker = _Checker()
    if not isinstance(data, dict):
        raise BundleError({"bundle": [f"Not a JSON object: got {_describe(data)}."]})
    resource_type = data.get("resourceType")
    if resource_type != "Bundle":
        shown = "missing" if resource_type is None else f"{_describe(resource_type)}"
        checker.add("bundle", f"Not a FHIR Bundle: resourceType is {shown}.")
    _check_sizes(data, checker)
    entries = data.get("entry")
    if "entry" not in data:
        checker.add("entry", 'Missing: a Bundle lists its resources in "entry".')
    elif not isinstance(entries, list):
        checker.add("entry", f"Expected a list, got {_describe(entries)}.")
    elif len(entries) > max_entries:
        checker.add("entry", f"Too many entries: {len(entries):,} (the limit is {max_entries:,}).")
    else:
        for i, entry in enumerate(entries):
            path = f"entry.{i}"
            if not isinstance(entry, dict):
                checker.add(path, f"Expected an object, got {_describe(entry)}.")
                continue
            checker.string(entry, "fullUrl", path)
            resource = checker.obj(entry, "resource", path, required=True)
            if resource is None:
                continue
            rpath = f"{path}.resource"
            checker.string(resource, "resourceType", rpath, required=True)
            kind = resource.get("resourceType")
            if kind in MEDICATION_TYPES:
                checker.medication_use(resource, rpath)
            elif kind == "Medication":
                checker.medication(resource, rpath)
    if checker.errors:
        raise BundleError(checker.errors)
