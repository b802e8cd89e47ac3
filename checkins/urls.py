from django.urls import path

from checkins import views

app_name = "checkins"

urlpatterns = [
    path("c/<str:token>/", views.patient_checkin, name="patient"),
    path("checkins/", views.queue, name="queue"),
    path("checkins/review/", views.review, name="review"),
    path("checkins/<int:checkin_id>/", views.detail, name="detail"),
    path("checkins/requests/<int:review_id>/done/", views.resolve, name="resolve"),
]
