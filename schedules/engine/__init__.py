"""Taper Clinic's clinical core: pure Python, Decimal milligrams, standard library only.

Public API::

    reference = load_reference()                       # or Reference(...) from database rows
    request = parse_plan_request(body, reference)      # raises PlanInputError(errors)
    plan = build_plan(request, reference)              # deterministic; plan.to_dict() is JSON

The modules, in the order a plan is built: :mod:`~schedules.engine.units` (Decimal helpers),
:mod:`~schedules.engine.reference` (drugs, figures, products),
:mod:`~schedules.engine.equivalence` (diazepam-equivalents per source),
:mod:`~schedules.engine.formulations` (makeable doses),
:mod:`~schedules.engine.strategies` (planned next dose),
:mod:`~schedules.engine.crossover` (switch to diazepam),
:mod:`~schedules.engine.planner` (steps), :mod:`~schedules.engine.guardrails` (named rules).
"""

from schedules.engine.defaults import DEFAULT_PLAN_REQUEST, default_request
from schedules.engine.equivalence import regimen_equivalents
from schedules.engine.guardrails import RULES, Rule
from schedules.engine.planner import (
    ALGORITHM_VERSION,
    MAX_DAYS,
    MAX_STEPS,
    build_plan,
    parse_plan_request,
    plan_from_data,
)
from schedules.engine.reference import (
    DIAZEPAM,
    DrugInfo,
    EquivalenceFigure,
    Product,
    Reference,
    ReferenceDataError,
    Source,
    load_reference,
)
from schedules.engine.types import (
    SLOTS,
    BandProfile,
    CrossoverPace,
    CustomStep,
    Dose,
    Edit,
    EquivalenceSummary,
    FigureUsed,
    Hold,
    Issue,
    Phase,
    Plan,
    PlanRequest,
    RegimenDrug,
    Review,
    Slot,
    Step,
    StrategyKind,
    Unit,
)
from schedules.engine.validation import (
    PATIENT_FACTORS,
    PlanInputError,
    parse_regimen,
    validate_request,
)

__all__ = [
    "ALGORITHM_VERSION",
    "DEFAULT_PLAN_REQUEST",
    "DIAZEPAM",
    "MAX_DAYS",
    "MAX_STEPS",
    "PATIENT_FACTORS",
    "RULES",
    "SLOTS",
    "BandProfile",
    "CrossoverPace",
    "CustomStep",
    "Dose",
    "DrugInfo",
    "Edit",
    "EquivalenceFigure",
    "EquivalenceSummary",
    "FigureUsed",
    "Hold",
    "Issue",
    "Phase",
    "Plan",
    "PlanInputError",
    "PlanRequest",
    "Product",
    "Reference",
    "ReferenceDataError",
    "RegimenDrug",
    "Review",
    "Rule",
    "Slot",
    "Source",
    "Step",
    "StrategyKind",
    "Unit",
    "build_plan",
    "default_request",
    "load_reference",
    "parse_plan_request",
    "parse_regimen",
    "plan_from_data",
    "regimen_equivalents",
    "validate_request",
]
