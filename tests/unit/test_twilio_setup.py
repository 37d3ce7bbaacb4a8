"""Issue 8 §3: Twilio's redelivery is set from code (``moodline twilio configure``) and checked (``check``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from moodline.adapters.twilio import setup

BASE = "https://abc123defg.execute-api.us-east-1.amazonaws.com/Prod"


class FakeTwilio:
    """The corner of twilio.rest.Client the setup touches: one number, one messaging service."""

    def __init__(self) -> None:
        self.number = SimpleNamespace(sid="PN1", sms_url="", sms_method="POST", sms_fallback_url="",
                                      sms_fallback_method="POST")
        self.service = SimpleNamespace(inbound_request_url="", inbound_method="POST", fallback_url="",
                                       fallback_method="POST", use_inbound_webhook_on_number=True)
        outer = self

        class Numbers:
            def list(self, phone_number: str, limit: int) -> list[Any]:
                return [outer.number] if phone_number == "+15005550006" else []

            def __call__(self, sid: str) -> Any:
                return SimpleNamespace(update=lambda **kw: vars(outer.number).update(kw),
                                       fetch=lambda: outer.number)

        self.incoming_phone_numbers = Numbers()
        services = lambda sid: SimpleNamespace(update=lambda **kw: vars(outer.service).update(kw),  # noqa: E731
                                               fetch=lambda: outer.service)
        self.messaging = SimpleNamespace(v1=SimpleNamespace(services=services))


def test_the_inbound_url_asks_twilio_to_retry_and_has_a_fallback():
    want = setup.desired(BASE)
    assert want.url == f"{BASE}/twilio/inbound#ct=2000&rt=6000&rc=2&rp=ct,rt,5xx"
    assert want.fallback_url == f"{BASE}/twilio/inbound?attempt=fallback"
    with pytest.raises(ValueError, match="https"):
        setup.desired("http://sms.example.org")  # Twilio would send the form in clear


@pytest.mark.parametrize("target", [{"from_number": "+15005550006"}, {"messaging_service_sid": "MG" + "1" * 32}])
def test_configure_sets_what_check_then_finds_and_check_reports_drift(target):
    twilio, want = FakeTwilio(), setup.desired(BASE)
    assert setup.check(twilio, want, **target)  # a fresh number: no webhook, no retries
    setup.configure(twilio, want, **target)
    assert setup.check(twilio, want, **target) == []
    # Someone edits the webhook in the console and drops the retries: check says so
    if "from_number" in target:
        twilio.number.sms_url = f"{BASE}/twilio/inbound"
    else:
        twilio.service.use_inbound_webhook_on_number = True
    assert len(setup.check(twilio, want, **target)) == 1


def test_a_number_not_in_the_account_is_a_clear_error():
    with pytest.raises(LookupError):
        setup.configure(FakeTwilio(), setup.desired(BASE), from_number="+15550000000")


def test_the_cli_has_one_twilio_command_with_configure_and_check(capsys):
    from moodline.cli import main

    with pytest.raises(SystemExit):
        main(["twilio", "--help"])
    assert "configure" in capsys.readouterr().out
