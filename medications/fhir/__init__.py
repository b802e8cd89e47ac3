"""FHIR R4 import and export of a patient's medication record (standard library only)."""

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
