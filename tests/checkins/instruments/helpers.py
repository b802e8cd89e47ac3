"""Builders for check-in bodies: no database, no Django."""

from __future__ import annotations

SELF = [str(n) for n in range(1, 18)]
OBSERVED = ["18", "19", "20"]
NO_FLAGS = {
    "seizure": False,
    "confusion": False,
    "hallucinations": False,
    "suicidal_thoughts": False,
}


def answers(value: object = 0, **overrides: object) -> dict[str, object]:
    """All 17 self-report items at ``value``; ``overrides`` as ``_7=3`` (leading underscore)."""
    body: dict[str, object] = dict.fromkeys(SELF, value)
    body.update({key.lstrip("_"): v for key, v in overrides.items()})
    return body


def observed(value: object = 0) -> dict[str, object]:
    return dict.fromkeys(OBSERVED, value)


def spread(total: int, keys: list[str]) -> dict[str, int]:
    """Values 0-4 on ``keys`` adding up to ``total`` (fills 4s first)."""
    assert 0 <= total <= 4 * len(keys)
    values = {}
    left = total
    for key in keys:
        values[key] = min(4, left)
        left -= values[key]
    return values


def complete(total: int) -> tuple[dict[str, int], dict[str, int]]:
    """(answers, observed) of a complete CIWA-B adding up to ``total``."""
    values = spread(total, SELF + OBSERVED)
    return {k: values[k] for k in SELF}, {k: values[k] for k in OBSERVED}
