"""Small template helpers for the plan pages: look-ups and formatting, no decisions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from schedules.exports.wording import count_words
from schedules.forms import EQUIVALENCE_SOURCES
from schedules.presenters import mg_text, rule_title

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key)


@register.simple_tag
def errors_for(form: Any, name: str, extra: Mapping[str, list[str]] | None = None) -> list[str]:
    """The messages for field ``name``: the form's own and the services' (``extra``)."""
    messages: list[str] = []
    if name == "__all__":
        messages.extend(form.non_field_errors())
    elif name in form.errors:
        messages.extend(form.errors[name])
    if extra and name in extra:
        messages.extend(extra[name])
    return messages


@register.simple_tag
def edit_value(values: Mapping[str, str] | None, index: Any, part: str) -> str:
    if not values:
        return ""
    return values.get(f"edit_{index}_{part}", "")


@register.simple_tag
def override_value(values: Mapping[str, str] | None, rule: str, step: Any) -> str:
    if not values:
        return ""
    return values.get(f"override__{rule}__{'plan' if step is None else step}", "")


@register.simple_tag
def override_name(rule: str, step: Any) -> str:
    return f"override__{rule}__{'plan' if step is None else step}"


@register.filter
def mg(value: Any) -> str:
    return mg_text(value)


@register.filter
def tablets(value: Any) -> str:
    return count_words(value)


@register.filter
def slot_dose(cell: Mapping[str, Any], drug: str) -> str:
    """The mg of ``drug`` in a step's slot cell (for edit placeholders)."""
    for dose in cell.get("doses", []):
        if dose["drug"] == drug:
            return str(dose["mg"])
    return ""


@register.filter
def source_label(key: str) -> str:
    return dict(EQUIVALENCE_SOURCES).get(key, key)


@register.filter(name="rule_title")
def rule_title_filter(key: str) -> str:
    """A guardrail's human title; the rule key stays in form field names and the API."""
    return rule_title(key)
