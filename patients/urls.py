"""Patient pages of this app (added to the ``patients`` namespace by the root URLconf)."""

from django.urls import path

from patients import views

urlpatterns = [
    path("new/", views.patient_create, name="create"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
]
