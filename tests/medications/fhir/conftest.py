import json
from pathlib import Path

import pytest

from medications.fhir import ImportResult, parse_bundle

BUNDLES = Path(__file__).parent / "bundles"


def load(name: str) -> dict:
    return json.loads((BUNDLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def parsed():
    def parse(name: str) -> ImportResult:
        return parse_bundle(load(name))

    return parse
