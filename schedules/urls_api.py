from django.urls import path

from schedules import api

urlpatterns = [
    path("drugs/", api.DrugListView.as_view(), name="api-drugs"),
    path("products/", api.ProductListView.as_view(), name="api-products"),
]
