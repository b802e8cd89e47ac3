from django.urls import path

from schedules.views import plans as views

app_name = "schedules"

urlpatterns = [
    path("patients/<int:patient_id>/plans/new/", views.plan_new, name="new"),
    path("patients/<int:patient_id>/plans/preview/", views.builder_preview, name="preview"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path(
        "plans/<int:plan_id>/revisions/<int:revision_id>/edit/",
        views.draft_edit,
        name="draft-edit",
    ),
    path("plans/<int:plan_id>/sign/", views.plan_sign, name="sign"),
    path("plans/<int:plan_id>/discard/", views.plan_discard, name="discard"),
    path("plans/<int:plan_id>/hold/", views.plan_hold, name="hold"),
    path("plans/<int:plan_id>/slow/", views.plan_slow, name="slow"),
    path("plans/<int:plan_id>/return/", views.plan_return, name="return"),
    path("plans/<int:plan_id>/dispensing/", views.plan_dispensing, name="dispensing"),
]
