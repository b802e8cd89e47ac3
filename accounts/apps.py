from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and clinics"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import reauth

        user_logged_in.connect(reauth.on_login, dispatch_uid="accounts.reauth.on_login")
