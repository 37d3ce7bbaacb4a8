"""Settings fail loudly at cold start; client texts are short, GSM-7 and answer the keywords like Twilio."""

from __future__ import annotations

import json

import pytest

from moodline.phones import InvalidPhoneNumber, normalize_e164, phone_hash, redact
from moodline.settings import Settings, SettingsError
from moodline.texts import _TEXTS, keyword_of, text_for
from moodline_local.twilio_standin import sms_segments

TABLES = {"CLIENTS_TABLE": "c", "MESSAGES_TABLE": "m", "ALERTS_TABLE": "a", "COACHES_TABLE": "co",
          "ONCALL_TABLE": "o", "IDEMPOTENCY_TABLE": "i"}


def test_missing_settings_are_named_all_at_once():
    with pytest.raises(SettingsError, match="ALERTS_TOPIC_ARN, CLIENTS_TABLE"):
        Settings.from_env({k: v for k, v in TABLES.items() if k != "CLIENTS_TABLE"}, require=("ALERTS_TOPIC_ARN",))


@pytest.mark.parametrize(("extra", "message"), [
    ({"DUE_SHARDS": "four"}, "whole number"),
    ({"DUE_SHARDS": "0"}, "at least 1"),
    ({"PRACTICE_TIMEZONE": "Narnia/Cair_Paravel"}, "IANA"),
    ({"CRISIS_RESOURCES": "988"}, "JSON object"),
    ({"CRISIS_RESOURCES": '{"fr": ""}'}, "non-empty"),
    ({"TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_MESSAGING_SERVICE_SID": "MG1"}, "not both"),
])
def test_invalid_settings_fail_with_a_clear_message(extra, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**TABLES, **extra})


def test_crisis_resources_are_configurable_per_language_with_us_defaults():
    settings = Settings.from_env({**TABLES, "CRISIS_RESOURCES": json.dumps({"fr": "Appelez le 3114."})})
    assert settings.crisis_text("fr-CA") == "Appelez le 3114."
    assert "988" in settings.crisis_text("es-US") and "741741" in settings.crisis_text("en-US")
    assert settings.crisis_text("de-DE") == settings.crisis_text("en")


@pytest.mark.parametrize("key", sorted(_TEXTS["en"]))
def test_every_english_text_fits_one_gsm7_segment(key):
    # A curly quote or emoji would switch the SMS to UCS-2 and can triple what it costs.
    body = text_for(key, "en-US", name="Alexandra")
    encoding, segments = sms_segments(body)
    assert encoding == "GSM-7" and segments == 1, (key, len(body))


@pytest.mark.parametrize(("body", "keyword"), [
    ("STOP", "stop"), (" stop ", "stop"), ("Unsubscribe", "stop"), ("stopall", "stop"), ("quit!", "stop"),
    ("START", "start"), ("unstop", "start"), ("HELP", "help"), ("ayuda", "help"),
    ("stop, i can't take this anymore", None), ("please don't stop", None), ("7", None), ("", None),
])
def test_keywords_match_the_whole_message_only(body, keyword):
    assert keyword_of(body) == keyword


@pytest.mark.parametrize(("raw", "e164"), [("+1 (555) 010-0001", "+15550100001"), ("555.010.0001", "+15550100001"),
                                           ("0044 7700 900123", "+447700900123"), ("15550100001", "+15550100001")])
def test_phone_numbers_are_normalised_to_e164(raw, e164):
    assert normalize_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "12345", "+0123456789", "call me", "MyBrand"])
def test_non_numbers_are_rejected(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_e164(raw)


def test_the_phone_hash_is_keyed_and_redaction_hides_the_middle():
    assert phone_hash(b"k1", "+15550100001") != phone_hash(b"k2", "+15550100001")
    assert len(phone_hash(b"k1", "+15550100001")) == 64
    assert redact("+15550100001") == "+1…01"
