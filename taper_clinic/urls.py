from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from clinic import urls as clinic_urls
from patients import urls as patient_urls


class FaviconView(RedirectView):
    """``/favicon.ico``, which browsers ask for on their own, points at the static icon."""

    permanent = False  # the static URL carries a content hash in production

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("favicon.ico")


handler404 = "taper_clinic.api_errors.page_not_found"

urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("", include(clinic_urls)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "patients/",
        include(
            (clinic_urls.patient_urlpatterns + patient_urls.urlpatterns, "patients"),
            namespace="patients",
        ),
    ),
    path("", include("medications.urls")),
    path("", include("schedules.urls")),
    path("", include("checkins.urls")),
    path("documents/", include("schedules.urls_documents")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("taper_clinic.urls_api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
