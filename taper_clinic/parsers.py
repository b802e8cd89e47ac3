"""The API's JSON parser: DRF's, plus the checks that keep bad input a 400 instead of a 500.

- **Depth.** JSON nested deeper than :data:`MAX_JSON_DEPTH` is refused *before* it is parsed
  (Python's ``json`` module recurses once per level, and 100,000 levels is a RecursionError).
- **Lone surrogates and NUL.** ``"\\ud800"`` is valid JSON text but not a character: it cannot be
  encoded as UTF-8 (the database, the renderer and the logs all fail on it), and NUL is refused
  by PostgreSQL. Either, in any key or string value, is refused after parsing.

The refusals are :class:`ParseError`, which ``taper_clinic.api_errors`` turns into
``{"errors": {"body": [message]}}`` with status 400, on every API route (it is DRF's
``DEFAULT_PARSER_CLASSES``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]
from rest_framework.utils import json

MAX_JSON_DEPTH = 64
TOO_DEEP = f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
BAD_CHARACTER = (
    "The JSON body contains a lone surrogate (\\ud800-\\udfff) or a NUL character, "
    "which no field accepts."
)
NOT_TEXT = "The request body is not valid text in its declared charset."

# Strings (with their escapes) first, so brackets inside them are skipped; then the brackets.
_TOKENS = re.compile(r'"(?:[^"\\]+|\\.)*"|[\[\]{}]', re.DOTALL)
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays/objects inside each other (strings are
    skipped; malformed text is left for the JSON parser to refuse)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif piece in ("]", "}"):
            depth -= 1
    return False


def has_bad_characters(value: Any) -> bool:
    """Whether any string (key or value) in parsed JSON has a lone surrogate or NUL."""
    if isinstance(value, str):
        return _BAD_CHARS.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_characters(item) for item in value)
    return False


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with a depth limit and no lone surrogates or NUL characters."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(NOT_TEXT) from exc
        if json_depth_exceeds(text):
            raise ParseError(TOO_DEEP)
        try:
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if has_bad_characters(data):
            raise ParseError(BAD_CHARACTER)
        return data
