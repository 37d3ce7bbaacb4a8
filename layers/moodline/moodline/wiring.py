"""The composition root: settings from the environment, tables bound, real gateways built."""

from __future__ import annotations

from functools import partial

from moodline.credentials import app_keys, twilio_credentials
from moodline.settings import Settings
from moodline.sms import TwilioSms
from moodline.store import bind_tables


def load_settings(*require: str) -> Settings:
    """Validate the environment at cold start and bind the tables; ``require`` adds this function's needs."""
    settings = Settings.from_env(require=require)
    bind_tables(settings)
    return settings


def twilio_sms(settings: Settings) -> TwilioSms:
    """The Twilio gateway; delivery callbacks come back to ``/twilio/status`` when the API URL is known."""
    return TwilioSms(
        partial(twilio_credentials, settings),
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        status_callback_url=f"{settings.public_base_url}/twilio/status" if settings.public_base_url else "",
        api_base_url=settings.twilio_api_base_url,
    )


def phone_key(settings: Settings) -> bytes:
    """The key of the phone-number hash (cached by Powertools; read per call so rotation applies)."""
    return app_keys(settings).phone_hash_key


def twilio_auth_token(settings: Settings) -> str:
    """The token Twilio signs webhooks with."""
    return twilio_credentials(settings).auth_token
