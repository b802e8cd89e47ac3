from django.urls import path, register_converter

from catalogue import api as catalogue_api
from checkins import api as checkins_api
from clinic import api as patient_api
from medications import api as medications_api
from schedules.api import exports as api_exports
from schedules.api import plans as api
from schedules.views.documents import PlanDocumentView
from taper_clinic.converters import IdConverter

# Object ids in paths: at most 18 digits, so a longer number is a 404, never a database overflow.
register_converter(IdConverter, "id")

urlpatterns = [
    path("drugs/", catalogue_api.DrugListView.as_view(), name="api-drugs"),
    path("products/", catalogue_api.ProductListView.as_view(), name="api-products"),
    path("schedules/preview/", api.SchedulePreviewView.as_view(), name="api-schedule-preview"),
    path("patients/", patient_api.PatientListCreateView.as_view(), name="api-patients"),
    path("patients/<id:patient_id>/", patient_api.PatientDetailView.as_view(), name="api-patient"),
    path(
        "patients/<id:patient_id>/plans/",
        api.PatientPlanCreateView.as_view(),
        name="api-patient-plans",
    ),
    path(
        "patients/<id:patient_id>/medications/",
        medications_api.MedicationRecordView.as_view(),
        name="api-patient-medications",
    ),
    path(
        "patients/<id:patient_id>/medications/import/",
        medications_api.MedicationImportView.as_view(),
        name="api-patient-medications-import",
    ),
    path(
        "patients/<id:patient_id>/medications/fhir/",
        medications_api.MedicationFhirView.as_view(),
        name="api-patient-medications-fhir",
    ),
    path("plans/<id:plan_id>/", api.PlanDetailView.as_view(), name="api-plan"),
    path("plans/<id:plan_id>/sign/", api.PlanSignView.as_view(), name="api-plan-sign"),
    path("plans/<id:plan_id>/hold/", api.PlanHoldView.as_view(), name="api-plan-hold"),
    path("plans/<id:plan_id>/document/", PlanDocumentView.as_view(), name="api-plan-document"),
    path(
        "plans/<id:plan_id>/dispensing/",
        api_exports.PlanDispensingView.as_view(),
        name="api-plan-dispensing",
    ),
    path("plans/<id:plan_id>/fhir/", api_exports.PlanFhirView.as_view(), name="api-plan-fhir"),
    path(
        "plans/<id:plan_id>/calendar.ics",
        api_exports.PlanCalendarView.as_view(),
        name="api-plan-calendar",
    ),
    path("checkins/queue/", checkins_api.QueueView.as_view(), name="api-checkin-queue"),
    path(
        "checkins/<id:checkin_id>/review/",
        checkins_api.ReviewView.as_view(),
        name="api-checkin-review",
    ),
    path(
        "patients/<id:patient_id>/checkins/",
        checkins_api.PatientCheckinView.as_view(),
        name="api-patient-checkins",
    ),
]
