"""Two-factor authentication: TOTP devices (django-otp) and single-use recovery codes.

Who must use it is :attr:`accounts.models.User.needs_two_factor` (prescribers, clinic admins,
superusers; nurses when their clinic's policy says so). A session is *verified* once the user has
typed a code from their authenticator or a recovery code (:func:`verify`); django-otp keeps the
device's id in the session and :class:`django_otp.middleware.OTPMiddleware` reads it back.

Secrets and codes are never logged, and never put in a URL: the enrolment page shows the QR
code inline as SVG. Recovery codes are kept only as keyed hashes (:mod:`accounts.recovery_codes`):
they are shown once, when made, and never again.
"""

from __future__ import annotations

import io
import logging
from base64 import b32encode
from dataclasses import dataclass

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import recovery_codes
from accounts.models import RecoveryCode, RecoveryCodeDevice, User

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed 2FA (set by OTPMiddleware on the session's user)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def must_verify(request: HttpRequest) -> bool:
    """A logged-in session that has not passed 2FA though its user needs it, or chose it (a
    nurse who enrolled without the clinic's policy is asked for the code too)."""
    user = request.user
    return (
        isinstance(user, User)
        and user.is_authenticated
        and not is_verified(request)
        and (user.needs_two_factor or is_enrolled(user))
    )


def may_enrol(request: HttpRequest) -> bool:
    """Enrolling is for a user without a device: once enrolled, a new device needs the old one
    (a password alone must never be enough to add an authenticator)."""
    user = request.user
    return isinstance(user, User) and user.is_authenticated and not is_enrolled(user)


# --- enrolment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    secret: str  # base32, as authenticator apps take it when typed in
    qr_svg: str


def pending_enrolment(user: User) -> Enrolment:
    """The user's unconfirmed TOTP device (made on first call), with its QR code and secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    secret = b32encode(device.bin_key).decode("ascii")
    return Enrolment(device=device, secret=secret, qr_svg=_qr_svg(device.config_url))


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]  # inline in the page: drop the XML declaration


_clean = recovery_codes.clean


def confirm_enrolment(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a code from the app: the session is verified and the new recovery
    codes are returned (to be shown once). ``None`` when the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if device.confirmed or not device.verify_token(_clean(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
        codes = new_recovery_codes(device.user)
    django_otp.login(request, device)
    logger.info("two-factor enrolment confirmed for user %s", device.user_id)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` new single-use ones. The
    codes are returned to be shown once (grouped, ``abcd-efgh-ijkl``); only their hashes are
    kept."""
    codes = [recovery_codes.new_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        device, _ = RecoveryCodeDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.codes.all().delete()
        rows = []
        for code in codes:
            salt = recovery_codes.new_salt()
            rows.append(
                RecoveryCode(device=device, salt=salt, digest=recovery_codes.digest(code, salt))
            )
        RecoveryCode.objects.bulk_create(rows)
    return [recovery_codes.shown(code) for code in codes]


def remove_devices(user: User) -> None:
    """Remove the user's authenticator and recovery codes (the session stops being verified:
    OTPMiddleware no longer finds its device)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
    logger.info("two-factor devices removed for user %s", user.pk)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(device__user=user, device__confirmed=True).count()


# --- verification -----------------------------------------------------------------------------


def check_totp(user: User, code: str) -> TOTPDevice | None:
    """The user's authenticator device if ``code`` is its current code (each code works once;
    failures are throttled by django-otp)."""
    device = confirmed_totp(user)
    if device is None:
        return None
    verified = django_otp.verify_token(user, device.persistent_id, _clean(code))
    return verified if isinstance(verified, TOTPDevice) else None


def check_recovery_code(user: User, code: str) -> RecoveryCodeDevice | None:
    """The recovery-code device if ``code`` is one of the user's unused codes; it is used up."""
    device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    verified = django_otp.verify_token(user, device.persistent_id, _clean(code))
    return verified if isinstance(verified, RecoveryCodeDevice) else None


def verify(request: HttpRequest, code: str) -> bool:
    """Pass 2FA for this session with an authenticator code or a recovery code."""
    user = request.user
    if not isinstance(user, User):
        return False
    # By its shape, so that a recovery code never counts as a failed authenticator code (and
    # the reverse) in django-otp's throttling.
    cleaned = _clean(code)
    used_recovery = not (len(cleaned) == TOTP_DIGITS and cleaned.isdigit())
    device = check_recovery_code(user, code) if used_recovery else check_totp(user, code)
    if device is None:
        logger.info("two-factor verification failed for user %s", user.pk)
        return False
    django_otp.login(request, device)
    if used_recovery:
        logger.info("recovery code used by user %s", user.pk)
    return True
