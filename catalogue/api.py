"""JSON API of the reference catalogue: drugs with their equivalence figures, products."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalogue import selectors
from catalogue.serializers import DrugSerializer, ProductSerializer


class DrugListView(generics.ListAPIView):
    """Drugs with half-lives and every equivalence figure, each with its source."""

    serializer_class = DrugSerializer
    queryset = selectors.drug_list()


class ProductListView(generics.ListAPIView):
    """Products a patient can be dispensed, optionally for one country."""

    serializer_class = ProductSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("country", OpenApiTypes.STR, enum=list(selectors.COUNTRIES)),
        ]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        country = self.request.query_params.get("country")
        if country is not None and country.upper() not in selectors.COUNTRIES:
            raise ValidationError(
                {"country": [f"Unknown country {country!r}; use one of: GB, US."]}
            )
        return selectors.product_list(country=country.upper() if country else None)
