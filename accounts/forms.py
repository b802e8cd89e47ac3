"""Forms of the two-factor and security pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app (or, on the verify page, a recovery code)."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the code your authenticator app shows.")},
    )


class ReauthForm(forms.Form):
    """Your password or a current code: asked before a sensitive action when the last
    authentication is older than the re-authentication window."""

    reauth = forms.CharField(
        label=_("Your password or a code from your authenticator"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password or a code from your authenticator.")},
    )
