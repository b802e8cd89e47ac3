from django.urls import path

from medications import views

app_name = "medications"

urlpatterns = [
    path("patients/<int:patient_id>/medications/", views.record_edit, name="edit"),
    path("patients/<int:patient_id>/medications/import/", views.record_import, name="import"),
]
