"""The composition root: settings from the environment, tables bound, real gateways built."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from moodline.credentials import app_keys, twilio_credentials
from moodline.pager import SnsPager
from moodline.paging import AlertDesk, EscalationPolicy
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


def alert_desk(settings: Settings) -> AlertDesk:
    """The alert desk with the SNS pager, signed links and the configured escalation delays."""
    return AlertDesk(
        pager=SnsPager(settings.alerts_topic_arn),
        idempotency_table=settings.idempotency_table,
        public_base_url=settings.public_base_url,
        link_key=partial(link_key, settings) if settings.app_secret_id else None,
        policy=EscalationPolicy(
            crisis=timedelta(minutes=settings.escalate_crisis_minutes),
            high=timedelta(minutes=settings.escalate_high_minutes),
        ),
    )


def link_key(settings: Settings) -> bytes:
    """The key that signs acknowledge / resolve links in pages."""
    return app_keys(settings).link_signing_key


def phone_key(settings: Settings) -> bytes:
    """The key of the phone-number hash (cached by Powertools; read per call so rotation applies)."""
    return app_keys(settings).phone_hash_key


def twilio_auth_token(settings: Settings) -> str:
    """The token Twilio signs webhooks with."""
    return twilio_credentials(settings).auth_token
