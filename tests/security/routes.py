"""Every route of the URL configuration, with a concrete URL for a given set of ids."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

SKIPPED_PREFIXES = ("admin/",)  # the Django admin has its own tests (tests/accounts/test_admin.py)


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str

    def url(self, ids: dict[str, int], token: str) -> str:
        path = self.pattern
        for key, value in ids.items():
            for converter in ("int", "id"):  # id: the API's ids, at most 18 digits
                path = path.replace(f"<{converter}:{key}>", str(value))
        path = path.replace("<str:token>", token)
        return "/" + path

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def all_routes() -> Iterator[Route]:
    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> Iterator[Route]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                pattern = prefix + str(entry.pattern)
                if pattern.startswith(SKIPPED_PREFIXES):
                    continue
                inner = entry.namespace
                ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                yield from walk(entry, pattern, ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                yield Route(name, prefix + str(entry.pattern))

    yield from walk(get_resolver(), "", None)
