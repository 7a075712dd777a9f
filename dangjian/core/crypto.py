"""Personal data at rest: AES-GCM encryption and an HMAC blind index (PIPL).

ID numbers and phone numbers are stored encrypted; an exact look-up or a uniqueness check uses
the blind index, an HMAC of the normalized value under a second key, so the clear value never
reaches the database. Both keys come from the environment (`DANGJIAN_FIELD_KEY`,
`DANGJIAN_INDEX_KEY`: 32 bytes, base64). In debug and tests, keys are derived from the secret
key so that the demo runs without configuration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "v1:"
NONCE_BYTES = 12


def _key(setting: str, purpose: bytes) -> bytes:
    lenient = bool(settings.DEBUG or getattr(settings, "DANGJIAN_TESTING", False))
    return _derived_key(setting, getattr(settings, setting, ""), purpose, settings.SECRET_KEY, lenient)


@lru_cache(maxsize=16)
def _derived_key(setting: str, value: str, purpose: bytes, secret_key: str, lenient: bool) -> bytes:
    """The key `setting` holds (decoded once per value rather than for every field read: a page
    of fifty members decrypts fifty phones); in debug or tests without one, a key derived from
    the secret key."""
    if value:
        key = base64.b64decode(value)
        if len(key) != 32:
            raise ImproperlyConfigured(f"{setting} must be 32 bytes, base64-encoded")
        return key
    if lenient:
        return hashlib.sha256(purpose + secret_key.encode()).digest()
    raise ImproperlyConfigured(f"{setting} must be set outside debug (32 random bytes, base64)")


@lru_cache(maxsize=4)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(clear: str) -> str:
    key = _key("DANGJIAN_FIELD_KEY", b"field")
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(key).encrypt(nonce, clear.encode("utf-8"), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    raw = base64.b64decode(stored[len(PREFIX) :])
    key = _key("DANGJIAN_FIELD_KEY", b"field")
    return _cipher(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode("utf-8")


def seal(clear: bytes) -> bytes:
    """Encrypt a blob (an uploaded file holding ID numbers) with the field key."""
    key = _key("DANGJIAN_FIELD_KEY", b"field")
    nonce = os.urandom(NONCE_BYTES)
    return PREFIX.encode("ascii") + nonce + _cipher(key).encrypt(nonce, clear, None)


def unseal(sealed: bytes) -> bytes:
    """The clear blob that `seal` encrypted; empty stays empty."""
    if not sealed:
        return b""
    prefix = PREFIX.encode("ascii")
    if not sealed.startswith(prefix):
        raise ValueError("not a sealed value")
    raw = sealed[len(prefix) :]
    key = _key("DANGJIAN_FIELD_KEY", b"field")
    return _cipher(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)


def blind_index(clear: str) -> str:
    """A keyed digest for exact look-up: the same value always gives the same index."""
    normalized = clear.strip().upper().replace(" ", "")
    key = _key("DANGJIAN_INDEX_KEY", b"index")
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


class EncryptedCharField(models.TextField):
    """A text column holding AES-GCM ciphertext; Python code sees the clear value."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value in (None, ""):
            return value
        return encrypt(str(value))


def mask_id_number(value: str) -> str:
    """110101********123X: the region and the last four characters."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
