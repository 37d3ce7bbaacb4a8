"""Credentials and keys from Secrets Manager, cached by Powertools so a rotation is picked up within minutes.

Two Twilio secrets, each read only by the functions that need it (issue 8 §1, §10):

- ``TWILIO_SECRET_ID`` - webhook validation only: the account SID and auth token, optionally the
  previous token with the end of its grace period (a rotation), a Webhooks-Rules shared key
  (HMAC-SHA256 signing) and HTTP basic-auth credentials for the webhook URL;
- ``TWILIO_REST_SECRET_ID`` - REST sends: the account SID and a revocable API key (SID and secret).

A placeholder or malformed value is refused here (:class:`MalformedCredentials`): the template
creates both secrets with a generated value that can never pass, and a webhook that reads one
fails closed (503 and an alarm) instead of trusting a key that anyone can read in the template.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moodline.settings import Settings, SettingsError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

# Five minutes: a rotated Twilio token is picked up without a redeploy, and a warm function
# does not call Secrets Manager on every message.
CACHE_SECONDS = 300

ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
API_KEY_SID = re.compile(r"^SK[0-9a-f]{32}$")
AUTH_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")
# An API key secret is 32 alphanumerics; a shared key or basic-auth password: at least 16 printable.
API_KEY_SECRET = re.compile(r"^[0-9A-Za-z]{32}$")
LONG_SECRET = re.compile(r"^[\x21-\x7e]{16,}$")
BASIC_AUTH_USER = re.compile(r"^[\x21-\x39\x3b-\x7e]{1,64}$")  # printable ASCII without ':'


class MalformedCredentials(SettingsError):
    """A Twilio secret holds a placeholder or a malformed value: nothing signed with it can be trusted."""


@dataclass(frozen=True)
class TwilioWebhookCredentials:
    """What validates Twilio's webhooks, and nothing that can send or read through Twilio's API."""

    account_sid: str
    auth_token: str
    previous_auth_token: str = ""
    previous_valid_until: datetime | None = None
    shared_key_secret: str = ""  # Twilio Webhooks Rules: HMAC-SHA256 with this key instead of the token
    basic_auth_username: str = ""
    basic_auth_password: str = ""

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        return (self.basic_auth_username, self.basic_auth_password) if self.basic_auth_username else None


@dataclass(frozen=True)
class TwilioRestCredentials:
    """A revocable Twilio API key: ``Client(api_key_sid, api_key_secret, account_sid)``."""

    account_sid: str
    api_key_sid: str
    api_key_secret: str


@dataclass(frozen=True)
class AppKeys:
    """Moodline's own keys: one for the phone-number hash, one for signing links in pages."""

    phone_hash_key: bytes
    link_signing_key: bytes


def _secret(secret_id: str, provider: SecretsProvider | None = None) -> dict[str, Any]:
    if not secret_id:
        raise SettingsError("secret id is not configured")
    value: object
    if provider is None:  # Powertools' default provider: a boto3 session and client of its own
        # Imported here: the parameters package imports boto3, and the webhook imports this module
        # at cold start for MalformedCredentials alone.
        from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

        value = parameters.get_secret(secret_id, transform="json", max_age=CACHE_SECONDS)
    else:
        value = provider.get(secret_id, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict):
        raise MalformedCredentials("secret is not a JSON object")
    return value


def _secret_json(secret_id: str, fields: tuple[str, ...], provider: SecretsProvider | None = None) -> dict[str, str]:
    value = _secret(secret_id, provider)
    if any(not isinstance(value.get(f), str) or not value[f] for f in fields):
        raise SettingsError(f"secret must be a JSON object with non-empty {', '.join(fields)}")
    return {f: value[f] for f in fields}


def _field(value: dict[str, Any], name: str, pattern: re.Pattern[str], *, required: bool = True) -> str:
    raw = value.get(name, "")
    if raw in ("", None) and not required:
        return ""
    if not isinstance(raw, str) or not pattern.match(raw):
        # The cause names the field, never its value.
        raise MalformedCredentials(f"{name} is missing, a placeholder or malformed")
    return raw


def webhook_credentials_from(value: dict[str, Any]) -> TwilioWebhookCredentials:
    """Validate the webhook secret's JSON; raises :class:`MalformedCredentials` naming the bad field."""
    previous = _field(value, "previous_auth_token", AUTH_TOKEN, required=False)
    until: datetime | None = None
    if previous:
        raw_until = value.get("previous_valid_until")
        try:
            until = datetime.fromisoformat(raw_until) if isinstance(raw_until, str) else None
        except ValueError:
            until = None
        if until is None or until.tzinfo is None:
            raise MalformedCredentials("previous_valid_until must be an ISO time with a timezone")
    user = _field(value, "basic_auth_username", BASIC_AUTH_USER, required=False)
    password = _field(value, "basic_auth_password", LONG_SECRET, required=bool(user))
    return TwilioWebhookCredentials(
        account_sid=_field(value, "account_sid", ACCOUNT_SID),
        auth_token=_field(value, "auth_token", AUTH_TOKEN),
        previous_auth_token=previous,
        previous_valid_until=until,
        shared_key_secret=_field(value, "shared_key_secret", LONG_SECRET, required=False),
        basic_auth_username=user,
        basic_auth_password=password,
    )


def rest_credentials_from(value: dict[str, Any]) -> TwilioRestCredentials:
    """Validate the REST secret's JSON; raises :class:`MalformedCredentials` naming the bad field."""
    return TwilioRestCredentials(
        account_sid=_field(value, "account_sid", ACCOUNT_SID),
        api_key_sid=_field(value, "api_key_sid", API_KEY_SID),
        api_key_secret=_field(value, "api_key_secret", API_KEY_SECRET),
    )


def twilio_webhook_credentials(settings: Settings, provider: SecretsProvider | None = None) -> TwilioWebhookCredentials:
    """The webhook-validation credentials from the secret named by ``TWILIO_SECRET_ID``."""
    return webhook_credentials_from(_secret(settings.twilio_secret_id, provider))


def twilio_rest_credentials(settings: Settings, provider: SecretsProvider | None = None) -> TwilioRestCredentials:
    """The REST API key from the secret named by ``TWILIO_REST_SECRET_ID``."""
    return rest_credentials_from(_secret(settings.twilio_rest_secret_id, provider))


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
