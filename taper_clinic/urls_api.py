from django.urls import path

from patients import api as patient_api
from schedules import api, api_exports
from schedules.document_views import PlanDocumentView

urlpatterns = [
    path("drugs/", api.DrugListView.as_view(), name="api-drugs"),
    path("products/", api.ProductListView.as_view(), name="api-products"),
    path("schedules/preview/", api.SchedulePreviewView.as_view(), name="api-schedule-preview"),
    path("patients/", patient_api.PatientListCreateView.as_view(), name="api-patients"),
    path("patients/<int:patient_id>/", patient_api.PatientDetailView.as_view(), name="api-patient"),
    path(
        "patients/<int:patient_id>/plans/",
        api.PatientPlanCreateView.as_view(),
        name="api-patient-plans",
    ),
    path("plans/<int:plan_id>/", api.PlanDetailView.as_view(), name="api-plan"),
    path("plans/<int:plan_id>/sign/", api.PlanSignView.as_view(), name="api-plan-sign"),
    path("plans/<int:plan_id>/hold/", api.PlanHoldView.as_view(), name="api-plan-hold"),
    path("plans/<int:plan_id>/document/", PlanDocumentView.as_view(), name="api-plan-document"),
    path(
        "plans/<int:plan_id>/dispensing/",
        api_exports.PlanDispensingView.as_view(),
        name="api-plan-dispensing",
    ),
    path("plans/<int:plan_id>/fhir/", api_exports.PlanFhirView.as_view(), name="api-plan-fhir"),
    path(
        "plans/<int:plan_id>/calendar.ics",
        api_exports.PlanCalendarView.as_view(),
        name="api-plan-calendar",
    ),
]
