"""Credentials and keys from Secrets Manager, cached by Powertools so a rotation is picked up within minutes."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities import parameters

from moodline.settings import Settings, SettingsError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

# Five minutes: a rotated Twilio token is picked up without a redeploy, and a warm function
# does not call Secrets Manager on every message.
CACHE_SECONDS = 300


@dataclass(frozen=True)
class TwilioCredentials:
    """Twilio account SID and auth token (the token signs webhooks and authenticates API calls)."""

    account_sid: str
    auth_token: str


@dataclass(frozen=True)
class AppKeys:
    """Moodline's own keys: one for the phone-number hash, one for signing links in pages."""

    phone_hash_key: bytes
    link_signing_key: bytes


def _secret_json(secret_id: str, fields: tuple[str, ...], provider: SecretsProvider | None = None) -> dict[str, str]:
    if not secret_id:
        raise SettingsError("secret id is not configured")
    value: object
    if provider is None:  # Powertools' default provider: a boto3 session and client of its own
        value = parameters.get_secret(secret_id, transform="json", max_age=CACHE_SECONDS)
    else:
        value = provider.get(secret_id, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict) or any(not isinstance(value.get(f), str) or not value[f] for f in fields):
        raise SettingsError(f"secret must be a JSON object with non-empty {', '.join(fields)}")
    return {f: value[f] for f in fields}


def twilio_credentials(settings: Settings, provider: SecretsProvider | None = None) -> TwilioCredentials:
    """The Twilio credentials from the secret named by ``TWILIO_SECRET_ID``."""
    value = _secret_json(settings.twilio_secret_id, ("account_sid", "auth_token"), provider)
    return TwilioCredentials(value["account_sid"], value["auth_token"])


def derive_keys(master_key: str) -> AppKeys:
    """Derive one key per purpose from the master key, so no key serves two purposes."""
    master = master_key.encode()
    return AppKeys(
        phone_hash_key=hmac.new(master, b"moodline/phone-hash/v1", hashlib.sha256).digest(),
        link_signing_key=hmac.new(master, b"moodline/link-signing/v1", hashlib.sha256).digest(),
    )


def app_keys(settings: Settings, provider: SecretsProvider | None = None) -> AppKeys:
    """Moodline's keys, derived from the generated ``master_key`` in the secret named by ``APP_SECRET_ID``."""
    return derive_keys(_secret_json(settings.app_secret_id, ("master_key",), provider)["master_key"])
