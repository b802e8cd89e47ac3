"""Pages for the printable schedule (staff only), mounted at ``documents/``."""

from django.urls import path

from schedules.views import documents as document_views

app_name = "documents"

urlpatterns = [
    path("plans/<int:plan_id>/status/", document_views.document_status, name="status"),
    path("<int:document_id>/download/", document_views.document_download, name="download"),
    path("<int:document_id>/retry/", document_views.document_retry, name="retry"),
]
