"""Named guardrails: each rule is a constant with an id, a message template and a source.

Violations break a rule and are REPORTED, never silently fixed: the preview still answers
and signing needs an override with a reason (DESIGN.md). Warnings are advice.

Rules (source key in brackets):

* ``max-25-percent-per-14-days`` [asam-2025], violation: "The pace of the taper should
  typically not exceed 25% every 2 weeks." Each day's diazepam-equivalent (DE) is compared
  with the DE 14 days earlier (the starting DE for the first 14 days); a fall of more than
  ``max_reduction_percent`` (default 25) is a violation. The final stop from a dose at or
  below the stop threshold is exempt and carries ``final-stop`` instead. Example: 20 mg for
  14 days, then 14 mg: 30% in 14 days, a violation at the 14 mg step. Where the products
  forced the cut (no makeable dose within the pace; the planner lengthened the step before),
  the message says so, and offers the switch to diazepam for a direct taper of another drug.
* ``initial-reduction-5-10-percent`` [asam-2025], warning: the first reduction is above 10%
  ("consider dose reductions of 5% to 10% when determining the initial pace").
* ``min-7-days-per-step`` [asam-pt-2025], warning: a dosing step shorter than 7 days ("it
  may take up to a week for withdrawal symptoms to occur").
* ``plausible-daily-dose`` [taper-clinic], violation: a drug's daily dose is above its
  ``plausible_max_daily_mg`` (an app rule, about 200 mg DE at the Ashton figure).
* ``no-increase-outside-crossover`` [taper-clinic], violation: a step that is not a
  cross-over stage has a higher DE than the step before (possible only by hand edits). An
  edit flagged ``return_to_previous`` gives the ``return-to-previous-dose`` warning instead
  [asam-pt-2025: a temporary return to the previous dose is "less common"].
* ``crossover-above-start`` [taper-clinic, after the Ashton Manual's substitution schedules],
  violation: a cross-over stage above the starting DE (only by edits).

* ``stop-above-1-mg`` [cks], violation: the final stop is from more than 1 mg DE (possible
  with ``stop_threshold_mg`` between 1 and 5): CKS cites 0.5-1 mg, then stop; stopping from
  5 mg diazepam is abrupt. Replaces the ``final-stop`` warning for such a stop.
* ``step-over-8-weeks`` [cks] and ``plan-over-3-years`` [asam-pt-2025], warnings: a step
  longer than 56 days (CKS / SCOT / Ashton steps last 1-4 weeks) or a plan longer than 1096
  days, each saying why (the products, the interval, a hold or an edit).
* ``consider-switch-to-diazepam`` [prescqipp], warning: a direct taper whose products cannot
  make a cut within the chosen pace; the switch to diazepam is offered.
* ``ashton-crossover-pace`` and ``ashton-crossover-stage`` [ashton-2007], warnings: the
  switch follows Ashton's pace (crossover_pace "ashton") and each stage's percentage cut.
* ``diazepam-above-40-mg-after-switch`` [ashton-2007], warning: the equivalence-preserving
  switch ends above the 40 mg diazepam Ashton's schedules reach before reducing.
* Clinical cautions (:func:`check_cautions`), warnings unless said: ``epilepsy-indication``
  [nhs-scotland-2024] (clobazam, clonazepam), ``private-prescription-only`` [taper-clinic,
  reference section 5, unverified] (GB alprazolam), and per ``patient_factors``:
  ``age-65-plus`` [nhs-scotland-2024], ``liver-disease`` / ``liver-disease-diazepam`` [sps],
  ``epilepsy`` [nhs-scotland-2024], ``opioids`` [openfda], ``alcohol`` and ``pregnancy``
  [asam-2025 Rec 5], ``withdrawal-seizure-history`` [asam-2025 Rec 12];
  ``slower-pace-advised`` [asam-pt-2025]: with any factor, the "slower default" is 5% of the
  current dose per 4 weeks (ASAM patient guide: "5% every 2-4 weeks"); a plan that cuts
  faster than that (any reduction's percentage scaled to 28 days by the length of the step
  before it, the final stop excepted) gets this warning. ``inpatient-care-advised``
  [asam-2025 Rec 5 / 12], violation: a withdrawal-seizure history with a high dose (more
  than 15 mg DE, ASAM Table 2) calls for inpatient or residential care.

Warnings raised elsewhere use the rules here too: ``final-stop`` [cks], ``sources-disagree``
[asam-2025, Table 7 caveat] and ``unverified-figure`` (equivalence), ``off-licence-split``
[prescqipp] (formulations), ``step-lengthened`` [prescqipp] (the planner's realisation rule
made a step k intervals long because the products cannot make a smaller cut).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import chain, compress, repeat
from operator import attrgetter, itemgetter, le, lt, mul
from string import Formatter

from schedules.engine.reference import DIAZEPAM
from schedules.engine.types import Issue, Phase, Step, make_issue
from schedules.engine.units import HUNDRED, ZERO, div, fmt, q1, q2

__all__ = [
    "CROSSOVER_ABOVE_START",
    "FACTOR_RULES",
    "FINAL_STOP",
    "INITIAL_REDUCTION",
    "MAX_REDUCTION",
    "MIN_STEP_DAYS",
    "NO_INCREASE",
    "OFF_LICENCE_SPLIT",
    "PLAUSIBLE_DAILY_DOSE",
    "RETURN_TO_PREVIOUS",
    "RULES",
    "SOURCES_DISAGREE",
    "STEP_LENGTHENED",
    "UNVERIFIED_FIGURE",
    "Rule",
    "check_cautions",
    "check_crossover",
    "check_lengths",
    "check_plan",
    "check_slower_pace",
    "sort_issues",
]

_FORMAT_PARSE = Formatter().parse
VIOLATION = "violation"
WARNING = "warning"
WINDOW_DAYS = 14
MIN_STEP = 7
INITIAL_MAX_PERCENT = Decimal(10)


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule. ``message`` is a ``str.format`` template; ``source`` a source key;
    ``title`` the rule's name as clinicians read it (pages and the PDF never show ``rule``)."""

    rule: str
    kind: str
    message: str
    source: str
    source_label: str
    title: str = ""
    #: ``message`` as a positional ``%`` template up to its last field, what picks that
    #: template's values from the fields' dict, and the text after the last field
    _printf: tuple[str, Callable[[dict[str, object]], tuple[object, ...]], str] = field(
        init=False, repr=False, compare=False, default=("", tuple, "")
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_printf", _printf_positional(self.message))

    def issue(self, step: int | None, **values: object) -> Issue:
        """This rule's violation or warning at ``step`` (1-based, or None for the plan)."""
        template, pick, tail = self._printf
        values["step"] = step  # ``values`` is this call's own dict
        # ``self.message.format(step=step, **values)``: the same text (see _printf_template)
        # without str.format parsing the long template on every issue; the values are
        # picked in C in the template's order (a positional ``%`` looks up no names), and
        # the text after the last field is added as it is, not scanned
        return make_issue(self.rule, step, template % pick(values) + tail, self.source_label)


def _printf_parts(message: str, *, positional: bool = False) -> tuple[str, str]:
    """``message`` split after its last ``{field}``: that head as a ``%`` template (see
    :func:`_printf_template`) and the plain text after it."""
    pieces = list(_FORMAT_PARSE(message))
    tail = ""
    if pieces and pieces[-1][1] is None:  # the text after the last field
        tail = pieces[-1][0]
        message = message[: len(message) - len(tail.replace("{", "{{").replace("}", "}}"))]
    return _printf_template(message, positional=positional), tail


def _printf_positional(
    message: str,
) -> tuple[str, Callable[[dict[str, object]], tuple[object, ...]], str]:
    """``message``'s head as a positional ``%`` template (``"{a} and {b}"`` ->
    ``"%s and %s"``), a function giving the tuple of its fields' values in order from a dict
    of them, and the text after its last field: ``template % pick(values) + tail`` is
    ``_printf_parts(message)``'s ``head % values + tail``."""
    template, tail = _printf_parts(message, positional=True)
    names = [name for _, name, _, _ in _FORMAT_PARSE(message) if name is not None]
    if len(names) > 1:  # itemgetter of two or more names gives a tuple
        pick: Callable[[dict[str, object]], tuple[object, ...]] = itemgetter(*names)
    else:
        pick = partial(_pick_few, tuple(names))
    return template, pick, tail


def _pick_few(names: tuple[str, ...], values: dict[str, object]) -> tuple[object, ...]:
    """The values of ``names`` (none or one) as a tuple."""
    return tuple(values[name] for name in names)


def _printf_template(message: str, *, positional: bool = False) -> str:
    """``message`` (a ``str.format`` template of plain ``{name}`` fields) as a ``%``
    template: ``"{drug} is 5%"`` -> ``"%(drug)s is 5%%"`` (``"%s is 5%%"`` when
    ``positional``). ``%s`` is ``str(value)``, which for
    the values rules are given (str, int, Decimal, None) is what ``str.format`` writes,
    ``format(value, "")``. A field with a conversion or format spec is refused."""
    parts: list[str] = []
    for literal, name, spec, conversion in _FORMAT_PARSE(message):
        parts.append(literal.replace("%", "%%"))
        if name is not None:
            if spec or conversion or not name.isidentifier():
                raise ValueError(f"Rule message field {{{name}}} is not a plain name")
            parts.append("%s" if positional else f"%({name})s")
    return "".join(parts)


MAX_REDUCTION = Rule(
    "max-25-percent-per-14-days",
    VIOLATION,
    "Step {step}: the daily diazepam-equivalent falls from {before} mg to {after} mg within "
    "14 days ({percent}%), more than the {limit}% limit. ASAM 2025: the pace of the taper "
    '"should typically not exceed 25% every 2 weeks".',
    "asam-2025",
    "ASAM 2025",
    title="At most 25% less in any 14 days",
)
#: Appended to a ``max-25-percent-per-14-days`` violation at a cut the products forced (the
#: planner's realisation rule found no makeable dose within the chosen pace and lengthened the
#: step before): the prescriber reads why the engine planned a cut over the limit.
FORCED_CUT_NOTE = (
    " The products cannot make a smaller cut from {before} mg, so the step before was "
    "lengthened to keep the average pace; this one cut still breaks the limit."
)
_FORCED_CUT_NOTE = _printf_template(FORCED_CUT_NOTE)
FORCED_CUT_SWITCH = (
    " Crossing over to diazepam first would allow smaller cuts (PrescQIPP: preparations "
    "that do not allow small reductions are a reason to switch to diazepam)."
)
INITIAL_REDUCTION = Rule(
    "initial-reduction-5-10-percent",
    WARNING,
    "The first reduction (step {step}) is {percent}% of the daily dose. ASAM 2025 suggests "
    "considering reductions of 5% to 10% for the initial pace.",
    "asam-2025",
    "ASAM 2025",
    title="First reduction of 5% to 10%",
)
MIN_STEP_DAYS = Rule(
    "min-7-days-per-step",
    WARNING,
    "Step {step} lasts {days} days. After a reduction it may take up to a week for withdrawal "
    "symptoms to appear, so steps of at least 7 days are advised.",
    "asam-pt-2025",
    "ASAM patient guide 2025",
    title="Steps of at least 7 days",
)
PLAUSIBLE_DAILY_DOSE = Rule(
    "plausible-daily-dose",
    VIOLATION,
    "{where}: {drug} {mg} mg a day is above {limit} mg a day, the most this app treats as "
    "plausible (an app rule, about 200 mg diazepam-equivalent). Confirm the dose.",
    "taper-clinic",
    "Taper Clinic",
    title="Plausible daily dose",
)
NO_INCREASE = Rule(
    "no-increase-outside-crossover",
    VIOLATION,
    "Step {step} raises the daily diazepam-equivalent from {before} mg to {after} mg. Outside "
    "a cross-over a taper does not go back up; mark the edit as a return to the previous dose "
    "if that is intended.",
    "taper-clinic",
    "Taper Clinic",
    title="No increase outside a switch",
)
CROSSOVER_ABOVE_START = Rule(
    "crossover-above-start",
    VIOLATION,
    "Cross-over step {step} is {after} mg diazepam-equivalent a day, above the starting "
    "{start} mg. A switch to diazepam keeps the total at or below the start (Ashton Manual "
    "substitution schedules).",
    "taper-clinic",
    "Taper Clinic",
    title="Switch stays at or below the starting dose",
)
FINAL_STOP = Rule(
    "final-stop",
    WARNING,
    "Step {step} stops from {before} mg diazepam-equivalent a day, at or below the {threshold} "
    "mg stop threshold (CKS, after Ashton: 0.5 to 1 mg, then stop). This last step is larger "
    "than 25% by nature; watch for symptoms in the following weeks.",
    "cks",
    "NICE CKS",
    title="Final stop",
)
RETURN_TO_PREVIOUS = Rule(
    "return-to-previous-dose",
    WARNING,
    "Step {step} goes back up from {before} mg to {after} mg diazepam-equivalent, as edited. A "
    "temporary return to the previous dose is a less common response to withdrawal symptoms "
    "(ASAM patient guide); plan the next reduction with the patient.",
    "asam-pt-2025",
    "ASAM patient guide 2025",
    title="Return to the previous dose",
)
SOURCES_DISAGREE = Rule(
    "sources-disagree",
    WARNING,
    "Sources disagree {ratio}-fold on {drug}: {low} mg ({low_sources}) to {high} mg "
    "({high_sources}) is equivalent to diazepam 10 mg. ASAM 2025 Table 7: conversion "
    "is not straightforward; titrate to symptoms.",
    "asam-2025",
    "ASAM 2025",
    title="Equivalence sources disagree",
)
UNVERIFIED_FIGURE = Rule(
    "unverified-figure",
    WARNING,
    "The {source} figure for {drug} ({mg} mg equivalent to diazepam 10 mg) has not been "
    "checked against the primary document; confirm it before relying on the conversion.",
    "taper-clinic",
    "Taper Clinic",
    title="Unverified equivalence figure",
)
OFF_LICENCE_SPLIT = Rule(
    "off-licence-split",
    WARNING,
    "{product} is split in steps {steps}; splitting it is off-licence. {note}",
    "prescqipp",
    "PrescQIPP",
    title="Off-licence tablet splitting",
)

STEP_LENGTHENED = Rule(
    "step-lengthened",
    WARNING,
    "Step {step} lasts {days} days ({k} intervals of {interval}): the products cannot make a "
    "smaller reduction after it, so the step is lengthened to keep the average pace. "
    "PrescQIPP: preparations that do not allow small reductions are a reason to switch to "
    "diazepam or to use a liquid.",
    "prescqipp",
    "PrescQIPP",
    title="Step lengthened",
)

STOP_ABOVE_CKS = Rule(
    "stop-above-1-mg",
    VIOLATION,
    "Step {step} stops from {before} mg diazepam-equivalent a day, above the 1 mg CKS cites "
    "(after Ashton: reduce to 0.5 to 1 mg, then stop); the stop threshold is {threshold} mg. "
    "Stopping from this dose is abrupt: lower the threshold, or give a reason to override.",
    "cks",
    "NICE CKS",
    title="Stopping from above 1 mg",
)
LONG_STEP = Rule(
    "step-over-8-weeks",
    WARNING,
    "Step {step} lasts {days} days, more than 8 weeks, because {why}. Steps usually last 1 to "
    "4 weeks (CKS, NHS Scotland, Ashton); review the patient during it.",
    "cks",
    "NICE CKS",
    title="A step longer than 8 weeks",
)
LONG_PLAN = Rule(
    "plan-over-3-years",
    WARNING,
    "The plan lasts {days} days (about {years} years), more than 3 years, because {why}. "
    "Some tapers take more than a year (ASAM patient guide); check this length is intended.",
    "asam-pt-2025",
    "ASAM patient guide 2025",
    title="A plan longer than 3 years",
)
CONSIDER_SWITCH = Rule(
    "consider-switch-to-diazepam",
    WARNING,
    "{drug} products cannot make a reduction within the chosen pace, so steps {steps} are "
    "lengthened to wait for the next dose they can make. Consider crossing over to diazepam "
    "first, whose tablets and liquids allow small reductions. PrescQIPP: preparations that do "
    "not allow small reductions are a reason to "
    "switch to diazepam.",
    "prescqipp",
    "PrescQIPP",
    title="Products too coarse: consider diazepam",
)
ASHTON_PACE = Rule(
    "ashton-crossover-pace",
    WARNING,
    "The switch follows Ashton's schedule pace (switch pace: Ashton's stages): after the 1-week "
    "substitution stages it removes about 10 mg diazepam-equivalent every 2 weeks, "
    "whatever reduction was chosen, ending on diazepam {end} mg from {start} mg "
    "diazepam-equivalent ({percent}% lower). The chosen pace applies after the switch.",
    "ashton-2007",
    "Ashton Manual",
    title="Ashton's switch pace",
)
ASHTON_STAGE = Rule(
    "ashton-crossover-stage",
    WARNING,
    "Cross-over step {step} (Ashton's pace) lowers the daily diazepam-equivalent from {before} "
    "mg to {after} mg, a {percent}% cut, for {days} days.",
    "ashton-2007",
    "Ashton Manual",
    title="Ashton switch stage",
)
HIGH_DIAZEPAM = Rule(
    "diazepam-above-40-mg-after-switch",
    WARNING,
    "The switch keeps the full equivalent and ends on diazepam {mg} mg a day, above the 40 mg "
    "Ashton's schedules reach before reducing (Schedule 1: alprazolam 6 mg to diazepam 50 mg). "
    "Check the dose is tolerable (sedation), or choose Ashton's stages as the switch pace.",
    "ashton-2007",
    "Ashton Manual",
    title="Diazepam above 40 mg after the switch",
)
EPILEPSY_INDICATION = Rule(
    "epilepsy-indication",
    WARNING,
    "{drug} may be prescribed for epilepsy: check the indication before reducing it (NHS "
    "Scotland 2024: clobazam and clonazepam may be prescribed for intractable epilepsy; "
    "caution before reducing).",
    "nhs-scotland-2024",
    "NHS Scotland 2024",
    title="May be prescribed for epilepsy",
)
PRIVATE_ONLY = Rule(
    "private-prescription-only",
    WARNING,
    "{drug} is not prescribable on the NHS in GB (private prescription only; unverified in the "
    "clinical reference, section 5). Check the patient can obtain every step's products, or "
    "switch to diazepam.",
    "taper-clinic",
    "Taper Clinic",
    title="Private prescription only",
)
AGE_65 = Rule(
    "age-65-plus",
    WARNING,
    "Patient aged 65 or over: diazepam's long half-life can cause next-day sedation in older "
    "or frail people, and equivalents are approximate (NHS Scotland 2024); falls risk. A "
    "slower pace is advised.",
    "nhs-scotland-2024",
    "NHS Scotland 2024",
    title="Aged 65 or over",
)
LIVER = Rule(
    "liver-disease",
    WARNING,
    "Liver disease: benzodiazepine half-lives are longer in liver impairment (NHS Scotland "
    "2024) and long-acting drugs can build up (SPS); get specialist advice.",
    "sps",
    "SPS",
    title="Liver disease",
)
LIVER_DIAZEPAM = Rule(
    "liver-disease-diazepam",
    WARNING,
    "Liver disease and diazepam: diazepam and other long-acting drugs can build up to toxic "
    "levels in hepatic impairment. Get specialist (hepatic) advice before using diazepam; "
    "oxazepam (no active metabolites) or lorazepam may be preferred (SPS, PrescQIPP).",
    "sps",
    "SPS",
    title="Liver disease and diazepam",
)
EPILEPSY = Rule(
    "epilepsy",
    WARNING,
    "Epilepsy: reducing a benzodiazepine can lower the seizure threshold; check with the "
    "epilepsy team before reducing (NHS Scotland 2024) and reduce slowly.",
    "nhs-scotland-2024",
    "NHS Scotland 2024",
    title="Epilepsy",
)
OPIOIDS = Rule(
    "opioids",
    WARNING,
    "Opioids: benzodiazepines with opioids carry a boxed warning (profound sedation, "
    "respiratory depression, death; FDA labels). Do not stop either abruptly; coordinate the "
    "plans.",
    "openfda",
    "openFDA",
    title="Taking opioids",
)
ALCOHOL = Rule(
    "alcohol",
    WARNING,
    "Alcohol use: a comorbidity that can complicate the taper (ASAM 2025 Rec 5: consider a "
    "more supported setting); assess for alcohol withdrawal too.",
    "asam-2025",
    "ASAM 2025",
    title="Alcohol use",
)
PREGNANCY = Rule(
    "pregnancy",
    WARNING,
    "Pregnancy: get specialist (obstetric) advice; the clinical reference has no retrieved "
    "guidance on tapering in pregnancy, and ASAM 2025 Rec 5 lists comorbidities that complicate "
    "a taper as a reason for more support.",
    "asam-2025",
    "ASAM 2025",
    title="Pregnancy",
)
SEIZURE_HISTORY = Rule(
    "withdrawal-seizure-history",
    WARNING,
    "History of withdrawal seizures: assess seizure risk and monitor each reduction (ASAM 2025 "
    "Rec 12); reduce slowly.",
    "asam-2025",
    "ASAM 2025",
    title="Previous withdrawal seizure",
)
INPATIENT = Rule(
    "inpatient-care-advised",
    VIOLATION,
    "A history of withdrawal seizures with a high dose ({mg} mg diazepam-equivalent a day, "
    "above 15 mg, ASAM Table 2) means severe or complicated withdrawal is expected: ASAM 2025 "
    "Rec 5 and 12 advise inpatient or residential medically managed care with seizure-risk "
    "assessment. Override only with a reason (e.g. the taper is supervised as an inpatient).",
    "asam-2025",
    "ASAM 2025",
    title="Inpatient care advised",
)
SLOWER_PACE = Rule(
    "slower-pace-advised",
    WARNING,
    "With {factors}, start slower: the slower default is 5% of the current dose every 4 weeks "
    '(ASAM patient guide: "5% every 2-4 weeks"). This plan cuts {percent}% at step {worst} '
    "({rate}% per 4 weeks).",
    "asam-pt-2025",
    "ASAM patient guide 2025",
    title="A slower pace advised",
)

UNVERIFIED_PRODUCT = Rule(
    "unverified-product",
    WARNING,
    "{product} ({country}) is not verified against a product leaflet or listing (source: "
    "{source}); confirm it is dispensed as described before using steps {steps}. {note}",
    "clinical-reference",
    "Clinical reference, products to confirm",
    title="Unverified product",
)

RULES: dict[str, Rule] = {
    rule.rule: rule
    for rule in (
        MAX_REDUCTION,
        INITIAL_REDUCTION,
        MIN_STEP_DAYS,
        PLAUSIBLE_DAILY_DOSE,
        NO_INCREASE,
        CROSSOVER_ABOVE_START,
        FINAL_STOP,
        RETURN_TO_PREVIOUS,
        SOURCES_DISAGREE,
        UNVERIFIED_FIGURE,
        OFF_LICENCE_SPLIT,
        UNVERIFIED_PRODUCT,
        STEP_LENGTHENED,
        STOP_ABOVE_CKS,
        LONG_STEP,
        LONG_PLAN,
        CONSIDER_SWITCH,
        ASHTON_PACE,
        ASHTON_STAGE,
        HIGH_DIAZEPAM,
        EPILEPSY_INDICATION,
        PRIVATE_ONLY,
        AGE_65,
        LIVER,
        LIVER_DIAZEPAM,
        EPILEPSY,
        OPIOIDS,
        ALCOHOL,
        PREGNANCY,
        SEIZURE_HISTORY,
        INPATIENT,
        SLOWER_PACE,
    )
}

#: The final stop may be from at most this DE without a violation (CKS: 0.5-1 mg).
CKS_STOP_MAX = Decimal(1)
#: The diazepam dose (mg/day) Ashton's schedules reach before reducing (Schedule 1 stage 4).
ASHTON_PLATEAU = Decimal(40)
LONG_STEP_DAYS = 56
LONG_PLAN_DAYS = 1096
#: ASAM Table 2: a high daily dose is more than 15 mg DE.
HIGH_DOSE_EQUIVALENT = Decimal(15)
#: The slower default with patient factors: 5% per 28 days (ASAM patient guide).
SLOW_PERCENT = Decimal(5)
SLOW_DAYS = 28
EPILEPSY_DRUGS = ("clobazam", "clonazepam")
FACTOR_RULES: dict[str, Rule] = {
    "age-65-plus": AGE_65,
    "liver-disease": LIVER,
    "epilepsy": EPILEPSY,
    "opioids": OPIOIDS,
    "alcohol": ALCOHOL,
    "pregnancy": PREGNANCY,
    "withdrawal-seizure-history": SEIZURE_HISTORY,
}


def _percent(before: Decimal, after: Decimal) -> str:
    return fmt(q1(div((before - after) * HUNDRED, before)))


def check_plan(
    steps: tuple[Step, ...],
    *,
    start_equivalent: Decimal,
    max_reduction_percent: Decimal,
    stop_threshold: Decimal,
    return_to_previous: Iterable[int] = (),
    start_daily_mg: Mapping[str, Decimal] | None = None,
    plausible_max: Mapping[str, Decimal] | None = None,
    drug_names: Mapping[str, str] | None = None,
) -> tuple[list[Issue], list[Issue]]:
    """Run every step guardrail over finished steps.

    Args:
        steps: the plan's steps (after edits and holds).
        start_equivalent: the DE of the regimen before the plan (exact).
        max_reduction_percent: the limit for ``max-25-percent-per-14-days``.
        stop_threshold: DE at or below which the final stop is exempt from that rule.
        return_to_previous: step indices whose edit is flagged ``return_to_previous``.
        start_daily_mg: the starting regimen's mg per day per drug.
        plausible_max: ``plausible_max_daily_mg`` per drug.
        drug_names: display names per drug slug.

    Returns:
        ``(violations, warnings)`` in step order.
    """
    violations: list[Issue] = []
    warnings: list[Issue] = []
    names = drug_names or {}
    flagged = set(return_to_previous)
    # the steps' DEs and lengths, read once in C for the shortcuts below
    values: list[Decimal] = list(map(_EXACT, steps))
    never_rises = _never_rises(values, start_equivalent)
    lengths = list(map(_DAYS, steps))
    if never_rises and _whole_windows(steps, lengths, start_equivalent):
        _check_pairs(
            steps,
            values,
            start_equivalent,
            max_reduction_percent,
            stop_threshold,
            violations,
            warnings,
        )
    else:
        _check_window(
            steps, start_equivalent, max_reduction_percent, stop_threshold, violations, warnings
        )
    _check_initial(steps, start_equivalent, stop_threshold, warnings)
    if plausible_max:
        _check_plausible(steps, start_daily_mg or {}, plausible_max, names, violations)
    # a plan that never rises (so no cross-over stage is above the start) and has no step of
    # 1 to 6 days gets nothing from the loop below: what running it gives
    if never_rises and min(filter(None, lengths), default=MIN_STEP) >= MIN_STEP:
        return sort_issues(violations), sort_issues(warnings)
    previous = start_equivalent
    crossover = Phase.CROSSOVER
    stop = Phase.STOP
    # a step's fields unpacked at once (a named tuple's attributes are one call each)
    for index, _, _, days, _, _, phase, _, current in steps:
        if 0 < days < MIN_STEP and phase is not stop:
            warnings.append(MIN_STEP_DAYS.issue(index, days=days))
        if phase is crossover:
            if current > start_equivalent:
                violations.append(
                    CROSSOVER_ABOVE_START.issue(
                        index, after=fmt(q2(current)), start=fmt(q2(start_equivalent))
                    )
                )
        elif current > previous:
            rule = RETURN_TO_PREVIOUS if index in flagged else NO_INCREASE
            target = warnings if index in flagged else violations
            target.append(rule.issue(index, before=fmt(q2(previous)), after=fmt(q2(current))))
        previous = current
    return sort_issues(violations), sort_issues(warnings)


def explain_forced_cuts(
    violations: list[Issue], forced: Mapping[int, bool], steps: tuple[Step, ...]
) -> list[Issue]:
    """The violations with each over-limit cut at a ``forced`` step (the products made no
    smaller cut; the planner lengthened the step before) saying so; ``forced[step]`` is True
    where the switch to diazepam would allow smaller cuts. The rule, step and figures are
    unchanged: only the message explains where the cut comes from."""
    explained: list[Issue] = []
    for issue in violations:
        step = issue.step
        if step is not None and step in forced and issue.rule == MAX_REDUCTION.rule:
            before = steps[step - 2].equivalent_exact  # the step before it (1-based)
            note = _FORCED_CUT_NOTE % {"before": fmt(q2(before))}  # FORCED_CUT_NOTE.format
            if forced[step]:
                note += FORCED_CUT_SWITCH
            issue = make_issue(issue.rule, step, issue.message + note, issue.source)
        explained.append(issue)
    return explained


def _order(issue: Issue) -> tuple[int, int, str]:
    return (0 if issue.step is None else 1, issue.step or 0, issue.rule)


_BY_RULE = attrgetter("rule")
_BY_STEP = attrgetter("step")
_BY_STEP_RULE = attrgetter("step", "rule")


def sort_issues(issues: Iterable[Issue], *, by_rule: bool = True) -> list[Issue]:
    """Issues in plan order: the plan-wide ones (no step) first, then by step; within each,
    by rule when ``by_rule`` (else as given). What a stable sort with the key
    :func:`_order` (or its first two items) gives, with keys that are not Python calls."""
    if type(issues) is list and len(issues) < 2:  # none or one: the sorts give a copy
        return issues[:]
    plan_wide: list[Issue] = []
    by_step: list[Issue] = []
    for issue in issues:
        if issue.step is None:
            plan_wide.append(issue)
        else:
            by_step.append(issue)
    if by_rule:
        plan_wide.sort(key=_BY_RULE)
        by_step.sort(key=_BY_STEP_RULE)
    else:
        by_step.sort(key=_BY_STEP)
    plan_wide.extend(by_step)
    return plan_wide


_NOT_YET = 1 << 62  # a day no plan reaches (see _check_window)
_DAYS = itemgetter(3)  # step.days
_EXACT = itemgetter(8)  # step.equivalent_exact


def _never_rises(values: list[Decimal], start: Decimal) -> bool:
    """No step's DE (``values``, in step order) is above the DE before it (the start before
    the first): ``all(value <= before for each step)``, compared in C."""
    return all(map(le, values, chain((start,), values)))


def _whole_windows(steps: tuple[Step, ...], days: list[int], start: Decimal) -> bool:
    """Whether :func:`_check_pairs` gives what :func:`_check_window` gives for these steps
    (whose DE never rises): every step but the last lasts at least 14 days, the last is a
    stop or lasts a day or more, the start DE is above 0 and no DE is below 0."""
    if not steps or start <= ZERO:
        return False
    last = steps[-1]
    if last[8] < ZERO or (last[3] <= 0 and last[6] is not Phase.STOP):
        return False
    before_last = days[:-1]
    # all exactly 14 (counted by identity: small ints are shared objects), or all at least 14
    return (
        before_last.count(WINDOW_DAYS) == len(before_last)
        or min(before_last, default=WINDOW_DAYS) >= WINDOW_DAYS
    )


def _check_pairs(
    steps: tuple[Step, ...],
    values: list[Decimal],
    start: Decimal,
    limit: Decimal,
    threshold: Decimal,
    violations: list[Issue],
    warnings: list[Issue],
) -> None:
    """:func:`_check_window` for steps where :func:`_whole_windows` holds and the DE never
    rises: each step's days 14 days earlier begin in the step before it (which lasts 14 days
    or more; before the plan for the first step, whose reference is the start DE), and as the
    DE never rises the largest DE there is that step's. So each step is compared with the
    step before it, all in C; the issues are the same, in the same order."""
    count = len(steps)
    befores = [start, *values[:-1]]
    last = steps[-1]
    # the last step is the final stop at or below the threshold: exempt (see _final_stop)
    exempt = last[6] is Phase.STOP and befores[-1] <= threshold
    # a breach: current * 100 < keep * reference, as in _check_window; the same test as
    # current < (keep / 100) * reference: keep / 100 is exact and the product has the digits of
    # keep * reference (so the same rounding), two places lower; current * 100 is exact for any
    # DE of at most 28 digits (CONTEXT's precision: every DE the engine makes)
    fraction = (HUNDRED - limit) / HUNDRED
    breaches = list(map(lt, values, map(mul, repeat(fraction), befores)))
    if exempt:
        breaches[-1] = False
    if any(breaches):
        for i in range(count):
            if breaches[i]:
                violations.append(_over_limit(steps[i][0], befores[i], values[i], limit))
    if exempt:
        _final_stop(last[0], befores[-1], threshold, violations, warnings)


def _final_stop(
    step: int, before: Decimal, threshold: Decimal, violations: list[Issue], warnings: list[Issue]
) -> None:
    """The final stop from ``before`` at or below the threshold: exempt from the 14-day rule,
    a ``final-stop`` warning, or ``stop-above-1-mg`` when ``before`` is above 1 mg."""
    if before > CKS_STOP_MAX:
        violations.append(
            STOP_ABOVE_CKS.issue(step, before=fmt(q2(before)), threshold=fmt(threshold))
        )
    else:
        warnings.append(FINAL_STOP.issue(step, before=fmt(q2(before)), threshold=fmt(threshold)))


def _check_window(
    steps: tuple[Step, ...],
    start: Decimal,
    limit: Decimal,
    threshold: Decimal,
    violations: list[Issue],
    warnings: list[Issue],
) -> None:
    """Compare each day's DE with the DE 14 days earlier (the start DE before day 0).

    The DE is constant within a step, so for step i the days 14 earlier are the days
    ``[first - 14, last - 14]``; the largest DE there is what step i's DE is compared with.
    """
    count = len(steps)
    # the dosing steps (days > 0) reached so far, in order: first day, last day, DE (a step
    # joins before its own window is searched: a step over 14 days overlaps its own window)
    firsts: list[int] = []
    lasts: list[int] = []
    values: list[Decimal] = []
    seen = 0  # len(firsts)
    day = 0
    keep = HUNDRED - limit  # a breach: current * 100 < keep * reference
    stop = Phase.STOP
    pointer = 0  # first dosing step that may still overlap the window
    previous = start  # the DE of the step before (the start before the first)
    for i, step in enumerate(steps):
        first = day
        days = step[3]  # step.days (the tuple's item: no attribute lookup)
        current = step[8]  # step.equivalent_exact
        before = previous
        previous = current
        if step[6] is stop:  # step.phase
            day += days
            last = first
            if i == count - 1 and before <= threshold:
                _final_stop(step[0], before, threshold, violations, warnings)
                continue
            if days > 0:
                firsts.append(first)
                lasts.append(day - 1)
                values.append(current)
                seen += 1
        elif days <= 0:
            day += days
            continue
        else:
            day += days
            last = day - 1
            firsts.append(first)
            lasts.append(last)
            values.append(current)
            seen += 1
        high = last - WINDOW_DAYS
        if first < WINDOW_DAYS:  # the window starts before day 0
            reference = start
            if high < 0:
                if reference <= ZERO:
                    continue
                if current * HUNDRED < keep * reference:
                    violations.append(_over_limit(step[0], reference, current, limit))
                continue
            floor_day = 0
        else:
            reference = None
            floor_day = first - WINDOW_DAYS
        while pointer < seen and lasts[pointer] < floor_day:
            pointer += 1
        j = pointer
        while j < seen and firsts[j] <= high:
            value = values[j]
            if reference is None or value > reference:
                reference = value
            j += 1
        if reference is None or reference <= ZERO:  # ZERO: no int converted per step
            continue
        if current * HUNDRED < keep * reference:
            violations.append(_over_limit(step[0], reference, current, limit))


def _over_limit(step: int, reference: Decimal, current: Decimal, limit: Decimal) -> Issue:
    """The ``max-25-percent-per-14-days`` violation at ``step`` (built only on a breach)."""
    return MAX_REDUCTION.issue(
        step,
        before=fmt(q2(reference)),
        after=fmt(q2(current)),
        percent=_percent(reference, current),
        limit=fmt(limit),
    )


def _check_initial(
    steps: tuple[Step, ...], start: Decimal, threshold: Decimal, warnings: list[Issue]
) -> None:
    previous = start
    for i, step in enumerate(steps):
        current = step.equivalent_exact
        if current < previous:
            exempt_stop = step.phase is Phase.STOP and i == len(steps) - 1 and previous <= threshold
            if not exempt_stop and (previous - current) * HUNDRED > INITIAL_MAX_PERCENT * previous:
                warnings.append(
                    INITIAL_REDUCTION.issue(step.index, percent=_percent(previous, current))
                )
            return
        previous = current


def _check_plausible(
    steps: tuple[Step, ...],
    start_daily: Mapping[str, Decimal],
    limits: Mapping[str, Decimal],
    names: Mapping[str, str],
    violations: list[Issue],
) -> None:
    reported: set[str] = set()
    for drug in sorted(start_daily):
        limit = limits.get(drug)
        if limit is not None and start_daily[drug] > limit:
            reported.add(drug)
            violations.append(
                PLAUSIBLE_DAILY_DOSE.issue(
                    None,
                    where="Current regimen",
                    drug=names.get(drug, drug),
                    mg=fmt(start_daily[drug]),
                    limit=fmt(limit),
                )
            )
    # no drug's daily total in a step exceeds the step's total of all doses: a step whose
    # total is within every limit needs no count per drug
    known = [limit for limit in limits.values() if limit is not None]
    lowest = min(known) if known else None
    if lowest is None:
        return  # no drug has a limit: no step is above one
    for step in steps:
        doses = step[7]  # step.doses (the tuple's item: no unpacking, no attribute lookup)
        count = len(doses)
        if count == 1:
            only = doses[0]
            mg = only.mg
            if mg <= lowest:  # within every limit: what the per-drug test below gives
                continue
            limit = limits.get(only.drug)
            if limit is None or mg <= limit or only.drug in reported:
                continue
            totals = {only.drug: mg}
        else:
            if count == 2:  # twice a day: one addition, no loop
                whole = doses[0].mg + doses[1].mg
            elif not count:
                continue  # the stop step: no dose
            else:
                whole = ZERO
                for dose in doses:
                    whole += dose.mg
            if whole <= lowest:
                continue
            totals = {}
            for dose in doses:
                totals[dose.drug] = totals.get(dose.drug, Decimal(0)) + dose.mg
        for drug, total in totals.items():
            limit = limits.get(drug)
            if limit is not None and total > limit and drug not in reported:
                reported.add(drug)
                index = step[0]
                violations.append(
                    PLAUSIBLE_DAILY_DOSE.issue(
                        index,
                        where=f"Step {index}",
                        drug=names.get(drug, drug),
                        mg=fmt(total),
                        limit=fmt(limit),
                    )
                )


def check_lengths(steps: tuple[Step, ...], why: Mapping[int, str], default_why: str) -> list[Issue]:
    """``step-over-8-weeks`` for each step longer than 56 days and ``plan-over-3-years``.

    Args:
        steps: the final steps.
        why: step index -> the reason that step is long (products, hold, edit).
        default_why: the reason when none is given (the chosen interval).
    """
    issues = []
    lengths = list(map(_DAYS, steps))
    total = sum(lengths)
    # the steps longer than 8 weeks, picked in C: [s for s in steps if s.days > LONG_STEP_DAYS]
    for step in compress(steps, map(lt, repeat(LONG_STEP_DAYS), lengths)):
        index = step[0]
        issues.append(LONG_STEP.issue(index, days=step[3], why=why.get(index, default_why)))
    if total > LONG_PLAN_DAYS:
        long_days = sum(step.days for step in steps if step.days > LONG_STEP_DAYS)
        dosing = len([step for step in steps if step.days])
        if long_days * 2 > total:
            reason = (
                f"{long_days} of its days are in steps longer than 8 weeks (see those warnings)"
            )
        else:
            reason = f"it has {dosing} dosing steps at the chosen pace"
        issues.append(
            LONG_PLAN.issue(None, days=total, years=fmt(q1(Decimal(total) / 365)), why=reason)
        )
    return issues


def check_crossover(
    steps: tuple[Step, ...], *, ashton: bool, start_equivalent: Decimal
) -> list[Issue]:
    """Name Ashton's pace and each of its cuts; flag a high diazepam dose after the switch."""
    issues: list[Issue] = []
    phase = Phase.CROSSOVER
    crossover = [step for step in steps if step.phase is phase]
    if not crossover:
        return issues
    end = crossover[-1]
    if ashton:
        issues.append(
            ASHTON_PACE.issue(
                None,
                end=fmt(q2(end.equivalent_exact)),
                start=fmt(q2(start_equivalent)),
                percent=_percent(start_equivalent, end.equivalent_exact),
            )
        )
        previous = start_equivalent
        for step in crossover:
            current = step.equivalent_exact
            if current < previous:
                issues.append(
                    ASHTON_STAGE.issue(
                        step.index,
                        before=fmt(q2(previous)),
                        after=fmt(q2(current)),
                        percent=_percent(previous, current),
                        days=step.days,
                    )
                )
            previous = current
    elif all(dose.drug == DIAZEPAM for dose in end.doses) and end.equivalent_exact > ASHTON_PLATEAU:
        issues.append(HIGH_DIAZEPAM.issue(end.index, mg=fmt(q2(end.equivalent_exact))))
    return issues


def check_slower_pace(
    steps: tuple[Step, ...],
    *,
    start_equivalent: Decimal,
    stop_threshold: Decimal,
    factors: Iterable[str],
) -> list[Issue]:
    """``slower-pace-advised`` when any patient factor is present and some reduction is faster
    than 5% per 28 days (scaled by the length of the step before it; the final stop at or
    below the threshold excepted)."""
    names = list(factors)
    if not names:
        return []
    worst: tuple[Decimal, Decimal, int] | None = None
    previous = start_equivalent
    previous_days = 0
    last = len(steps) - 1
    for i, step in enumerate(steps):
        current = step.equivalent_exact
        exempt = step.phase is Phase.STOP and i == last and previous <= stop_threshold
        if current < previous and previous > 0 and not exempt:
            percent = div((previous - current) * HUNDRED, previous)
            days = previous_days if previous_days > 0 else SLOW_DAYS
            rate = div(percent * SLOW_DAYS, Decimal(days))
            if worst is None or rate > worst[0]:
                worst = (rate, percent, step.index)
        previous = current
        previous_days = step.days
    if worst is None or worst[0] <= SLOW_PERCENT:
        return []
    rate, percent, index = worst
    return [
        SLOWER_PACE.issue(
            None,
            factors=", ".join(names),
            percent=fmt(q1(percent)),
            worst=index,
            rate=fmt(q1(rate)),
        )
    ]


def check_cautions(
    *,
    drugs: Iterable[str],
    country: str,
    factors: Iterable[str],
    uses_diazepam: bool,
    start_equivalent: Decimal,
    drug_names: Mapping[str, str],
) -> tuple[list[Issue], list[Issue]]:
    """Clinical cautions from the drugs, the country and ``patient_factors``.

    Returns:
        ``(violations, warnings)``, plan-level (step None).
    """
    violations: list[Issue] = []
    warnings: list[Issue] = []
    regimen = list(drugs)
    for drug in regimen:
        name = drug_names.get(drug, drug.capitalize())
        if drug in EPILEPSY_DRUGS:
            warnings.append(EPILEPSY_INDICATION.issue(None, drug=name))
        if drug == "alprazolam" and country == "GB":
            warnings.append(PRIVATE_ONLY.issue(None, drug=name))
    chosen = set(factors)
    if chosen:  # without factors the loop below adds nothing
        for factor, rule in FACTOR_RULES.items():
            if factor in chosen:
                warnings.append(rule.issue(None))
    if "liver-disease" in chosen and uses_diazepam:
        warnings.append(LIVER_DIAZEPAM.issue(None))
    if "withdrawal-seizure-history" in chosen and start_equivalent > HIGH_DOSE_EQUIVALENT:
        violations.append(INPATIENT.issue(None, mg=fmt(q2(start_equivalent))))
    return violations, warnings
