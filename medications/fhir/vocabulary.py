"""What the importer recognises: benzodiazepines, z-drugs and other medicines that change a taper.

Reads ``medications/data/codes.json``. Recognition is by RxNorm code, by SNOMED CT / dm+d code,
or by name (whole words, case-insensitive, brand names included).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DMD_SYSTEMS = frozenset({"https://dmd.nhs.uk", "http://snomed.info/sct"})

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "codes.json"


@dataclass(frozen=True)
class Medicine:
    """A medicine the vocabulary knows: a catalogue drug (slug set) or another medicine."""

    key: str  # catalogue slug for benzodiazepines / z-drugs, else the generic name
    name: str
    kind: str  # "benzodiazepine" | "z-drug" | "opioid" | "gabapentinoid" | "sedative"
    slug: str | None


@dataclass(frozen=True)
class Match:
    medicine: Medicine
    matched_by: str  # "rxnorm" | "dmd" | "name"


@dataclass(frozen=True)
class Vocabulary:
    medicines: tuple[Medicine, ...]
    rxnorm: dict[str, Medicine]
    dmd: dict[str, Medicine]
    code_displays: dict[tuple[str, str], str]  # (system family, code) -> display
    name_patterns: tuple[tuple[re.Pattern[str], Medicine], ...]
    verified_ingredients: frozenset[str]  # RxNorm ingredient codes confirmed in a public source

    def is_ingredient(self, code: str) -> bool:
        """True for a verified RxNorm ingredient code (the only kind the exporter writes)."""
        return code in self.verified_ingredients

    def by_code(self, system: str, code: str) -> Match | None:
        if system == RXNORM and code in self.rxnorm:
            return Match(self.rxnorm[code], "rxnorm")
        if system in DMD_SYSTEMS and code in self.dmd:
            return Match(self.dmd[code], "dmd")
        return None

    def display_for(self, system: str, code: str) -> str:
        family = "rxnorm" if system == RXNORM else "dmd" if system in DMD_SYSTEMS else ""
        return self.code_displays.get((family, code), "")

    def by_name(self, text: str) -> list[Medicine]:
        """Every known medicine named in ``text``, in order of first appearance, no repeats."""
        found: list[tuple[int, Medicine]] = []
        for pattern, medicine in self.name_patterns:
            hit = pattern.search(text)
            if hit:
                found.append((hit.start(), medicine))
        found.sort(key=lambda item: item[0])
        seen: list[Medicine] = []
        for _, medicine in found:
            if medicine not in seen:
                seen.append(medicine)
        return seen


def _pattern(name: str) -> re.Pattern[str]:
    words = r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", name.strip()))
    return re.compile(rf"(?<![\w-]){words}(?![\w-])", re.IGNORECASE)


def _codes(items: list[dict]) -> list[tuple[str, str]]:
    return [(str(item["code"]), str(item.get("display", ""))) for item in items]


def build_vocabulary(data: dict) -> Vocabulary:
    medicines: list[Medicine] = []
    rxnorm: dict[str, Medicine] = {}
    dmd: dict[str, Medicine] = {}
    displays: dict[tuple[str, str], str] = {}
    patterns: list[tuple[re.Pattern[str], Medicine]] = []
    verified: set[str] = set()

    def add(
        medicine: Medicine, names: list[str], rx: list[tuple[str, str]], sn: list[tuple[str, str]]
    ):
        medicines.append(medicine)
        for code, display in rx:
            rxnorm[code] = medicine
            displays[("rxnorm", code)] = display
        for code, display in sn:
            dmd[code] = medicine
            displays[("dmd", code)] = display
        for name in dict.fromkeys([medicine.name, *names]):
            patterns.append((_pattern(name), medicine))

    for group in [
        *data["drugs"].values(),
        *(o for g in data["other"].values() for o in g.values()),
    ]:
        verified.update(
            str(c["code"]) for c in group.get("rxnorm_ingredient", []) if c.get("verified")
        )
    for slug, drug in data["drugs"].items():
        medicine = Medicine(slug, drug["name"], drug["class"], slug)
        rx = _codes(drug.get("rxnorm_ingredient", [])) + _codes(drug.get("rxnorm_scd", []))
        add(medicine, drug.get("names", []), rx, _codes(drug.get("dmd_vtm", [])))
    for kind, group in data["other"].items():
        for key, other in group.items():
            medicine = Medicine(key, key[:1].upper() + key[1:], kind, None)
            add(medicine, other.get("names", []), _codes(other.get("rxnorm_ingredient", [])), [])
    # Longer names first, so "gabapentin enacarbil" or "Xanax XR" win over shorter names.
    patterns.sort(key=lambda item: -len(item[0].pattern))
    return Vocabulary(tuple(medicines), rxnorm, dmd, displays, tuple(patterns), frozenset(verified))


@functools.cache
def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """The vocabulary in ``path`` (default ``medications/data/codes.json``), read once."""
    with open(path or DEFAULT_PATH, encoding="utf-8") as handle:
        return build_vocabulary(json.load(handle))
