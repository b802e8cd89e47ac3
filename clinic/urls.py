"""Pages that combine apps. ``patient_urlpatterns`` join the ``patients`` namespace."""

from django.urls import path

from clinic import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

patient_urlpatterns = [
    path("", views.patient_list, name="list"),
    path("<int:patient_id>/", views.patient_detail, name="detail"),
]
