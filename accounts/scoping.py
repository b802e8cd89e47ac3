"""The one place that scopes data to the user's clinic.

Every queryset a user can reach goes through :func:`for_clinic`, and every object lookup through
:func:`get_for_clinic_or_404`. A model is scoped by its ``clinic`` field, or by the path named in
its ``CLINIC_PATH`` class attribute (for example ``"patient__clinic"``). Another clinic's object is
a 404, never a 403, so its existence is not disclosed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import User

M = TypeVar("M", bound=Model)


def clinic_path(model: type[Model]) -> str:
    return getattr(model, "CLINIC_PATH", "clinic")


def for_clinic(queryset: QuerySet[M], user: User | Any) -> QuerySet[M]:
    """Return only the rows of ``queryset`` that belong to ``user``'s clinic.

    A user without a clinic (or anonymous) sees nothing, superusers included: the clinical data
    is only ever reached through a clinic membership.
    """
    clinic_id = getattr(user, "clinic_id", None)
    if not getattr(user, "is_authenticated", False) or clinic_id is None:
        return queryset.none()
    return queryset.filter(**{f"{clinic_path(queryset.model)}_id": clinic_id})


def get_for_clinic_or_404(queryset: QuerySet[M], user: User | Any, **lookup: Any) -> M:
    """Fetch one object of the user's clinic, or raise :class:`Http404`."""
    try:
        return for_clinic(queryset, user).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such object.") from exc
