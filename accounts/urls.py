from django.urls import path

from accounts import staff_views, views

app_name = "accounts"

urlpatterns = [
    path("security/", views.security, name="security"),
    path("two-factor/enrol/", views.two_factor_enrol, name="two-factor-enrol"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path(
        "staff/<int:staff_id>/two-factor-reset/",
        staff_views.reset_two_factor,
        name="staff-two-factor-reset",
    ),
]
