"""URL path converters."""

from __future__ import annotations


class IdConverter:
    """A database id: 1 to 18 ASCII digits (fits a 64-bit integer column). A longer number
    does not match the route (404) instead of overflowing the database driver (a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
