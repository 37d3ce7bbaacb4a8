"""The welcome SMS (consent by SMS), the practice name, and CRISIS_RESOURCES by country (issues 8 §8, 9 §2)."""

from __future__ import annotations

import json

import pytest

from moodline.settings import PRACTICE_NAME_MAX, Settings, SettingsError
from moodline.texts import is_yes, welcome_text
from moodline_local.twilio_standin import sms_segments

TABLES = {"CLIENTS_TABLE": "c", "MESSAGES_TABLE": "m", "ALERTS_TABLE": "a", "COACHES_TABLE": "co",
          "ONCALL_TABLE": "o", "IDEMPOTENCY_TABLE": "i"}
LONGEST_PRACTICE = "Northside Family Counselling Partners LLC"[:PRACTICE_NAME_MAX]


@pytest.mark.parametrize("locale", ["en-US", "es-US"])
def test_the_welcome_names_the_practice_says_what_and_how_often_and_fits_one_gsm7_segment(locale):
    body = welcome_text(LONGEST_PRACTICE, locale)
    assert body.startswith(LONGEST_PRACTICE + ":") and "1 " in body and "coach" in body
    assert "YES" in body and "STOP" in body and "HELP" in body
    assert sms_segments(body) == ("GSM-7", 1), len(body)


def test_the_english_welcome_says_exactly_what_carriers_expect():
    assert "Reply YES to start, STOP to opt out, HELP for help" in welcome_text("Moodline", "en-US")


@pytest.mark.parametrize(("body", "yes"), [("YES", True), (" yes! ", True), ("Yes.", True), ("yes please", False),
                                           ("start", False)])
def test_yes_is_the_whole_message(body, yes):
    assert is_yes(body) is yes


def test_the_practice_name_comes_from_the_template_parameter():
    assert Settings.from_env({**TABLES, "PRACTICE_NAME": "Northside Counselling"}).practice_name == \
        "Northside Counselling"
    assert Settings.from_env(TABLES).practice_name == "Moodline"


@pytest.mark.parametrize("name", ["N" * (PRACTICE_NAME_MAX + 1), "Café Calme", "Mind \U0001f33f Works"])
def test_a_practice_name_that_would_break_the_one_segment_welcome_fails_at_cold_start(name):
    with pytest.raises(SettingsError, match="PRACTICE_NAME"):
        Settings.from_env({**TABLES, "PRACTICE_NAME": name})


def test_crisis_resources_override_a_country_per_language_and_add_new_countries():
    overrides = {"GB": {"en": "Call Samaritans on 116 123 or our clinic line."},
                 "DE": {"en": "Call 0800 111 0 111 (TelefonSeelsorge).", "de": "Ruf 0800 111 0 111 an."}}
    settings = Settings.from_env({**TABLES, "CRISIS_RESOURCES": json.dumps(overrides)})
    assert settings.crisis_text("en-GB", "GB") == overrides["GB"]["en"]
    assert "116 123" in settings.crisis_text("es-ES", "GB")  # Spanish default for GB kept
    assert settings.crisis_text("de-DE", "DE") == "Ruf 0800 111 0 111 an."
    assert settings.has_crisis_lines("DE") and not settings.has_crisis_lines("FR")


def test_the_older_language_shape_still_overrides_the_us_lines():
    settings = Settings.from_env({**TABLES, "CRISIS_RESOURCES": json.dumps({"en": "Call 988 or our line."})})
    assert settings.crisis_text("en-US") == "Call 988 or our line."
    assert settings.crisis_text("en-US", "US") == "Call 988 or our line."
    assert "116 123" in settings.crisis_text("en-GB", "GB")


def test_a_new_country_needs_an_english_fallback():
    with pytest.raises(SettingsError, match="DE needs an 'en'"):
        Settings.from_env({**TABLES, "CRISIS_RESOURCES": json.dumps({"DE": {"de": "Ruf 0800 111 0 111 an."}})})


def test_the_template_passes_the_practice_name_to_every_function_under_the_same_rules():
    import re

    from samtranslator.yaml_helper import yaml_parse

    from moodline.settings import _GSM7_PLAIN
    from tests.conftest import ROOT

    template = yaml_parse((ROOT / "template.yaml").read_text())
    parameter = template["Parameters"]["PracticeName"]
    assert parameter["MaxLength"] == PRACTICE_NAME_MAX
    assert template["Globals"]["Function"]["Environment"]["Variables"]["PRACTICE_NAME"] == {"Ref": "PracticeName"}
    allowed = re.compile(parameter["AllowedPattern"])
    assert all(allowed.match(ch) for ch in _GSM7_PLAIN)
    assert not any(allowed.match(ch) for ch in "é\u2019\U0001f33f")
