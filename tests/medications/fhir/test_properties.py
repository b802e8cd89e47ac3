"""Whatever arrives, parse_bundle either refuses it with BundleError or returns honest doses."""

import copy
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medications.fhir import SLOTS, BundleError, parse_bundle

from .conftest import BUNDLES, load

KEYS = st.sampled_from(
    ["resourceType", "entry", "resource", "status", "dosage", "dosageInstruction", "text",
     "medicationCodeableConcept", "coding", "code", "system", "display", "timing", "repeat",
     "frequency", "period", "periodUnit", "when", "doseAndRate", "doseQuantity", "value", "unit",
     "asNeededBoolean", "medicationReference", "reference", "contained", "id", "fullUrl"]
) | st.text(max_size=8)  # fmt: skip
WORDS = ["Bundle", "MedicationStatement", "MedicationRequest", "active", "d", "NIGHT", "BID",
         "mg", "tablet", "Diazepam 5mg tablets", "#m1"]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.sampled_from(WORDS)
    | st.text(max_size=20)
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=30,
)
VALID = [
    load(path.name) for path in sorted(BUNDLES.glob("*.json")) if not path.name.startswith("06")
]


def check(data) -> None:
    try:
        result = parse_bundle(data)
    except BundleError as error:
        errors = error.errors
    else:
        errors = None
    if errors is not None:
        assert errors
        assert all(isinstance(k, str) and v for k, v in errors.items())
        assert all(isinstance(m, str) for v in errors.values() for m in v)
        return
    for entry in result.entries:
        if entry.understood:
            assert entry.drug is not None and entry.kind in ("benzodiazepine", "z-drug")
            assert entry.doses
        else:
            assert entry.doses == () and entry.problems
        for dose in entry.doses:
            assert dose.slot in SLOTS
            assert isinstance(dose.mg, Decimal) and dose.mg.is_finite() and dose.mg > 0
        assert len({d.slot for d in entry.doses}) == len(entry.doses)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_arbitrary_json_like_input(data):
    check(data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSONISH, max_size=4).map(lambda d: {"resourceType": "Bundle", **d}))
def test_arbitrary_bundle_shaped_input(data):
    check(data)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


@st.composite
def mutated_bundles(draw):
    data = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete"]))
        if action == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSONISH)
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bundles())
def test_mutations_of_valid_bundles(data):
    check(data)


@settings(max_examples=200, deadline=None)
@given(
    value=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3),
    frequency=st.integers(min_value=1, max_value=6),
    when=st.lists(st.sampled_from(["MORN", "NOON", "EVE", "NIGHT", "HS", "WAKE", "C"]), max_size=4),
    unit=st.sampled_from(["mg", "tablet", "{tbl}", "mL", "ug", "", "puff"]),
)
def test_structured_doses_are_read_exactly_or_refused(value, frequency, when, unit):
    repeat: dict = {"frequency": frequency, "period": 1, "periodUnit": "d"}
    if when:
        repeat["when"] = when
    data = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationCodeableConcept": {"text": "Diazepam 2 mg tablets"},
                    "dosage": [
                        {
                            "timing": {"repeat": repeat},
                            "doseAndRate": [{"doseQuantity": {"value": value, "unit": unit}}],
                        }
                    ],
                }
            }
        ],
    }
    (entry,) = parse_bundle(data).entries
    if entry.understood:
        per_dose = {"mg": value, "tablet": value * 2, "{tbl}": value * 2, "ug": value / 1000}[unit]
        assert all(d.mg == per_dose for d in entry.doses)
        assert len(entry.doses) == (len(when) if when else frequency)
    check(data)
