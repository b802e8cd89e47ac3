"""Recovery codes: how they are made and how they are kept (only a keyed hash, never the code).

Why HMAC-SHA256 with a per-code salt and not the password hasher (Argon2):

- A code is 12 random base32 characters, 60 bits from :func:`secrets.token_bytes`. A slow hash
  protects *guessable* secrets such as passwords; it adds nothing against 2^60 guesses per code.
- The hash is keyed by the server's ``SECRET_KEY`` (never in the database), so a copy of the
  database alone cannot test a single guess; the random salt makes equal codes hash apart.
- Checking a code compares it with each of the user's unused codes (up to 10): ten Argon2
  verifications per attempt would make every recovery login slow, and a cheap way to load the
  server; ten HMACs are microseconds.
- Online guessing is throttled by django-otp (``ThrottlingMixin``) and each code works once.

Codes made before the hash was kept (8 characters, 40 bits) were hashed in place by migration
``0006``; they keep working, once each, until the user makes new ones.
"""

from __future__ import annotations

import hmac
import secrets
from base64 import b32encode

from django.conf import settings
from django.utils.crypto import salted_hmac

CODE_BYTES = 15  # base32 of 15 bytes is 24 characters; the first 12 are kept: 60 bits
CODE_LENGTH = 12
GROUP = 4
_KEY_SALT = "taper_clinic.accounts.recovery_code"


def clean(code: str) -> str:
    """A code as typed (spaces, hyphens, capitals) in its canonical form."""
    return "".join(code.split()).replace("-", "").lower()


def new_code() -> str:
    """A fresh code, canonical form (lowercase base32, ``CODE_LENGTH`` characters)."""
    return b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").lower()[:CODE_LENGTH]


def shown(code: str) -> str:
    """A code as shown to the user: groups of four joined by hyphens (``abcd-efgh-ijkl``)."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(code: str, salt: str, *, secret: str | None = None) -> str:
    """The keyed hash kept for ``code`` (canonical form) with ``salt``."""
    key = secret if secret is not None else settings.SECRET_KEY
    value = f"{salt}${clean(code)}"
    return salted_hmac(_KEY_SALT, value, secret=key, algorithm="sha256").hexdigest()


def matches(code: str, salt: str, stored: str) -> bool:
    """``code`` is the one hashed into ``stored``, under the current key or a fallback one
    (``SECRET_KEY_FALLBACKS``: rotating the key does not void the codes at once)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(digest(code, salt, secret=key), stored) for key in keys)
