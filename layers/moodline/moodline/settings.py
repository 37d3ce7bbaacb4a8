"""Runtime settings, read from the environment once and validated at cold start."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moodline.crisis_lines import DEFAULT_CRISIS_LINES, CrisisLine
from moodline.crisis_lines import crisis_text as _crisis_text_of
from moodline.domain import DUE_SHARDS_MAX

# Environment variable names, declared once: template.yaml sets exactly these.
CLIENTS_TABLE = "CLIENTS_TABLE"
MESSAGES_TABLE = "MESSAGES_TABLE"
ALERTS_TABLE = "ALERTS_TABLE"
COACHES_TABLE = "COACHES_TABLE"
ONCALL_TABLE = "ONCALL_TABLE"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
CLAIMS_TABLE = "CLAIMS_TABLE"
SCORING_DLQ_URL = "SCORING_DLQ_URL"
PROBES_QUEUE_URL = "PROBES_QUEUE_URL"
WEEKLY_QUEUE_URL = "WEEKLY_QUEUE_URL"  # one job per coach, from the Monday tick to the weekly_coach worker
ALERTS_TOPIC_ARN = "ALERTS_TOPIC_ARN"
TWILIO_SECRET_ID = "TWILIO_SECRET_ID"  # noqa: S105 - the name of a variable holding a secret's id
APP_SECRET_ID = "APP_SECRET_ID"  # noqa: S105
TWILIO_REST_SECRET_ID = "TWILIO_REST_SECRET_ID"  # noqa: S105 - the API key senders use (never the webhook)
INBOUND_BUFFER_URL = "INBOUND_BUFFER_URL"  # where ingest buffers a reply it could not store (issue 8 §3)
TWILIO_MESSAGING_SERVICE_SID = "TWILIO_MESSAGING_SERVICE_SID"
TWILIO_FROM_NUMBER = "TWILIO_FROM_NUMBER"
TWILIO_API_BASE_URL = "TWILIO_API_BASE_URL"
PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
SENDER_EMAIL = "SENDER_EMAIL"
CRISIS_RESOURCES = "CRISIS_RESOURCES"
PRACTICE_TIMEZONE = "PRACTICE_TIMEZONE"
DUE_SHARDS = "DUE_SHARDS"
RETENTION_DAYS = "RETENTION_DAYS"
ESCALATE_CRISIS_MINUTES = "ESCALATE_CRISIS_MINUTES"
ESCALATE_HIGH_MINUTES = "ESCALATE_HIGH_MINUTES"
REVIEW_TABLE = "REVIEW_TABLE"  # the coach workspace's tables: review marks, audit, one SMS per form
AUDIT_TABLE = "AUDIT_TABLE"
COACH_SENDS_TABLE = "COACH_SENDS_TABLE"
REVIEW_NUDGE_HOURS = "REVIEW_NUDGE_HOURS"  # a reply unreviewed this long nudges its coach (issue 11 §3)
REVIEW_TEAM_NUDGE_HOURS = "REVIEW_TEAM_NUDGE_HOURS"  # ... and this much longer, the whole team
PRACTICE_NAME = "PRACTICE_NAME"
USER_POOL_ID = "USER_POOL_ID"

# The welcome SMS names the practice and must stay one GSM-7 segment (tests/unit/test_consent.py).
PRACTICE_NAME_MAX = 40
_GSM7_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,'&-!?:()/+")

DEFAULT_CRISIS_RESOURCES = {
    "en": "If you are in danger or thinking about suicide, call or text 988 now "
    "(Suicide & Crisis Lifeline), or text HOME to 741741. In an emergency call 911. "
    "Your coach has been alerted and will reach out.",
    "es": "Si estás en peligro o pensando en el suicidio, llama o envía un mensaje al 988 ahora "
    "(oprime 2 para español), o envía AYUDA al 741741. En una emergencia llama al 911. "
    "Tu coach ha sido avisado y se comunicará contigo.",
}


class SettingsError(RuntimeError):
    """A required setting is missing or invalid; raised at cold start, never at 3 a.m."""


@dataclass(frozen=True)
class Settings:
    """Every setting a Moodline function reads, validated together."""

    clients_table: str
    messages_table: str
    alerts_table: str
    coaches_table: str
    oncall_table: str
    idempotency_table: str
    probes_queue_url: str = ""
    weekly_queue_url: str = ""
    claims_table: str = ""
    scoring_dlq_url: str = ""
    alerts_topic_arn: str = ""
    twilio_secret_id: str = ""
    app_secret_id: str = ""
    twilio_rest_secret_id: str = ""
    inbound_buffer_url: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_base_url: str = ""
    public_base_url: str = ""
    sender_email: str = ""
    practice_timezone: str = "America/New_York"
    due_shards: int = 4
    retention_days: int = 400
    escalate_crisis_minutes: int = 5
    escalate_high_minutes: int = 30
    crisis_resources: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CRISIS_RESOURCES))
    review_table: str = ""
    audit_table: str = ""
    coach_sends_table: str = ""
    review_nudge_hours: int = 24
    review_team_nudge_hours: int = 24
    # Country -> its crisis lines; CRISIS_RESOURCES overrides texts per country and language.
    crisis_lines: Mapping[str, CrisisLine] = field(default_factory=lambda: dict(DEFAULT_CRISIS_LINES))
    practice_name: str = "Moodline"
    user_pool_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, require: tuple[str, ...] = ()) -> Settings:
        """Read settings from ``env`` (default ``os.environ``); ``require`` names env vars this function needs."""
        env = os.environ if env is None else env
        missing = [
            name
            for name in (CLIENTS_TABLE, MESSAGES_TABLE, ALERTS_TABLE, COACHES_TABLE, ONCALL_TABLE,
                         IDEMPOTENCY_TABLE, *require)
            if not env.get(name)
        ]
        if missing:
            raise SettingsError(f"missing environment variables: {', '.join(sorted(missing))}")
        settings = cls(
            clients_table=env[CLIENTS_TABLE],
            messages_table=env[MESSAGES_TABLE],
            alerts_table=env[ALERTS_TABLE],
            coaches_table=env[COACHES_TABLE],
            oncall_table=env[ONCALL_TABLE],
            idempotency_table=env[IDEMPOTENCY_TABLE],
            probes_queue_url=env.get(PROBES_QUEUE_URL, ""),
            weekly_queue_url=env.get(WEEKLY_QUEUE_URL, ""),
            claims_table=env.get(CLAIMS_TABLE, ""),
            scoring_dlq_url=env.get(SCORING_DLQ_URL, ""),
            alerts_topic_arn=env.get(ALERTS_TOPIC_ARN, ""),
            twilio_secret_id=env.get(TWILIO_SECRET_ID, ""),
            app_secret_id=env.get(APP_SECRET_ID, ""),
            twilio_rest_secret_id=env.get(TWILIO_REST_SECRET_ID, ""),
            inbound_buffer_url=env.get(INBOUND_BUFFER_URL, ""),
            twilio_messaging_service_sid=env.get(TWILIO_MESSAGING_SERVICE_SID, ""),
            twilio_from_number=env.get(TWILIO_FROM_NUMBER, ""),
            twilio_api_base_url=env.get(TWILIO_API_BASE_URL, ""),
            public_base_url=env.get(PUBLIC_BASE_URL, "").rstrip("/"),
            sender_email=env.get(SENDER_EMAIL, ""),
            practice_timezone=env.get(PRACTICE_TIMEZONE, "America/New_York"),
            due_shards=_positive_int(env, DUE_SHARDS, 4),
            retention_days=_positive_int(env, RETENTION_DAYS, 400),
            escalate_crisis_minutes=_positive_int(env, ESCALATE_CRISIS_MINUTES, 5),
            escalate_high_minutes=_positive_int(env, ESCALATE_HIGH_MINUTES, 30),
            crisis_resources=_crisis_resources(env.get(CRISIS_RESOURCES, "")),
            review_table=env.get(REVIEW_TABLE, ""),
            audit_table=env.get(AUDIT_TABLE, ""),
            coach_sends_table=env.get(COACH_SENDS_TABLE, ""),
            review_nudge_hours=_positive_int(env, REVIEW_NUDGE_HOURS, 24),
            review_team_nudge_hours=_positive_int(env, REVIEW_TEAM_NUDGE_HOURS, 24),
            crisis_lines=_crisis_lines(env.get(CRISIS_RESOURCES, "")),
            practice_name=env.get(PRACTICE_NAME, "").strip() or "Moodline",
            user_pool_id=env.get(USER_POOL_ID, ""),
        )
        settings._validate()
        return settings

    def _validate(self) -> None:
        try:
            ZoneInfo(self.practice_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"{PRACTICE_TIMEZONE} is not an IANA timezone") from exc
        if self.twilio_from_number and self.twilio_messaging_service_sid:
            raise SettingsError(f"set one of {TWILIO_FROM_NUMBER} and {TWILIO_MESSAGING_SERVICE_SID}, not both")
        if self.due_shards > DUE_SHARDS_MAX:
            # The scheduler reads shards 0 .. DUE_SHARDS_MAX - 1: a client on a higher one would never be probed.
            raise SettingsError(f"{DUE_SHARDS} must be at most {DUE_SHARDS_MAX}, got {self.due_shards}")
        if "en" not in self.crisis_resources:
            raise SettingsError(f"{CRISIS_RESOURCES} must define an 'en' text as the fallback")
        if len(self.practice_name) > PRACTICE_NAME_MAX or not set(self.practice_name) <= _GSM7_PLAIN:
            raise SettingsError(f"{PRACTICE_NAME} must be at most {PRACTICE_NAME_MAX} plain letters, digits and "
                                "punctuation (the welcome SMS must stay one GSM-7 segment)")

    def crisis_text(self, locale: str, country: str | None = None) -> str:
        """The crisis SMS for a person: their country's lines (US when unknown), in their language.

        Without ``country`` this is the US text, as before crisis lines were chosen by country.
        """
        return _crisis_text_of(country=country, locale=locale, lines=self.crisis_lines)

    def has_crisis_lines(self, country: str | None) -> bool:
        """Whether crisis lines are configured for ``country`` (enrolment refuses a client without)."""
        return country is not None and country.upper() in self.crisis_lines


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _crisis_resources(raw: str) -> dict[str, str]:
    # Format: "en=...|es=..." would be fragile with free text; JSON is explicit and console-editable.
    if not raw:
        return dict(DEFAULT_CRISIS_RESOURCES)
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{CRISIS_RESOURCES} must be a JSON object of language → text") from exc
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and _texts_ok(v) for k, v in parsed.items()):
        raise SettingsError(f"{CRISIS_RESOURCES} must be a JSON object of language → non-empty text "
                            "(or country → language → non-empty text)")
    return {**DEFAULT_CRISIS_RESOURCES, **{k: v for k, v in parsed.items() if isinstance(v, str)}}


def _texts_ok(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items())


def _crisis_lines(raw: str) -> dict[str, CrisisLine]:
    """Defaults by country, overridden by CRISIS_RESOURCES.

    Two shapes are accepted. Country -> language -> text (``{"GB": {"en": "..."}, "DE": {"en": "...",
    "de": "..."}}``) overrides or adds a country (a new one needs an ``en`` text, the fallback). The
    older language -> text (``{"en": "...", "es": "..."}``) still works: those texts named 988 and
    911, so they override the US lines, as they always did in practice.
    """
    lines = dict(DEFAULT_CRISIS_LINES)
    if not raw:
        return lines
    parsed = json.loads(raw)  # _crisis_resources has validated it is a JSON object
    legacy = {k: v for k, v in parsed.items() if isinstance(v, str)}
    if legacy:
        us = lines["US"]
        lines["US"] = CrisisLine("US", {**us.texts, **legacy}, us.source + "; CrisisResources")
    for country, texts in parsed.items():
        if isinstance(texts, str):
            continue
        code = country.upper()
        current = lines.get(code)
        merged = {**(current.texts if current else {}), **texts}
        if "en" not in merged:
            raise SettingsError(f"{CRISIS_RESOURCES}: country {code} needs an 'en' text as the fallback")
        lines[code] = CrisisLine(code, merged, (current.source + "; " if current else "") + "CrisisResources")
    return lines
