"""The offline Twilio stand-in, driven through the real twilio v9 client and a real HTTP receiver."""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from moodline_local.twilio_standin import (
    DEFAULT_SERVICE_SENDER,
    SentMessage,
    TwilioStandIn,
    build_inbound_params,
    sms_segments,
)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "standin-test-token-0001"
SERVICE_SID = "MG" + "a" * 32
MOODLINE_NUMBER = "+15005550006"
PARTICIPANT = "+15551230001"
OTHER_PARTICIPANT = "+15551230002"
SID_PATTERN = re.compile(r"^SM[0-9a-f]{32}$")


@dataclass(frozen=True)
class Received:
    """One POST the receiver got, as a webhook handler would see it."""

    path: str
    params: dict[str, str]
    signature: str | None
    content_type: str | None


class Receiver:
    """A tiny local HTTP server standing in for Moodline's webhooks (status callback, inbound SMS)."""

    def __init__(self, status: int = 200, reply: str = "") -> None:
        self.status = status
        self.reply = reply
        self._lock = threading.Lock()
        self._received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output clean."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                with receiver._lock:
                    receiver._received.append(
                        Received(
                            path=self.path,
                            params={name: values[0] for name, values in form.items()},
                            signature=self.headers.get("X-Twilio-Signature"),
                            content_type=self.headers.get("Content-Type"),
                        )
                    )
                data = receiver.reply.encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)


@pytest.fixture
def standin() -> Iterator[TwilioStandIn]:
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as running:
        yield running


@pytest.fixture
def client(standin: TwilioStandIn) -> Client:
    return _client_for(standin, AUTH_TOKEN)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _client_for(standin: TwilioStandIn, auth_token: str, account_sid: str = ACCOUNT_SID) -> Client:
    twilio = Client(account_sid, auth_token)
    twilio.api.base_url = standin.url
    return twilio


def _is_signed_by_twilio(received: Received, url: str) -> bool:
    return bool(RequestValidator(AUTH_TOKEN).validate(url, received.params, received.signature or ""))


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- creating messages ----------------------------------------------------------------------------


def test_create_returns_a_queued_outbound_message_shaped_like_twilios(
    standin: TwilioStandIn, client: Client
) -> None:
    # Given a running stand-in and the real twilio client pointed at it
    # When Moodline sends a check-in
    message = client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="How are you today? 1-5")

    # Then Twilio's answer comes back: queued, SM sid, the spec's fields
    assert SID_PATTERN.match(message.sid)
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.account_sid == ACCOUNT_SID
    assert (message.to, message.from_, message.body) == (
        PARTICIPANT,
        MOODLINE_NUMBER,
        "How are you today? 1-5",
    )
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.price is None
    assert message.error_code is None
    assert message.messaging_service_sid is None
    assert message.api_version == "2010-04-01"
    assert message.date_created is not None  # the client parsed the RFC 2822 string
    assert message.date_sent is not None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"
    assert message.subresource_uris == {
        "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}/Media.json"
    }
    # And the stand-in recorded it
    assert standin.messages == [
        SentMessage(
            sid=message.sid,
            to=PARTICIPANT,
            from_=MOODLINE_NUMBER,
            body="How are you today? 1-5",
            status="queued",
            status_callback=None,
            num_segments=1,
            encoding="GSM-7",
            messaging_service_sid=None,
        )
    ]


@pytest.mark.parametrize(
    ("body", "encoding", "segments"),
    [
        pytest.param("a" * 160, "GSM-7", 1, id="160 GSM-7 chars fit one SMS"),
        pytest.param("a" * 161, "GSM-7", 2, id="161 GSM-7 chars need two parts"),
        pytest.param("a" * 306, "GSM-7", 2, id="two full 153-septet parts"),
        pytest.param("a" * 307, "GSM-7", 3, id="one septet past two parts"),
        pytest.param("€" * 80, "GSM-7", 1, id="extension chars count two septets"),
        pytest.param("€" * 81, "GSM-7", 2, id="162 septets of extension chars"),
        pytest.param("Feeling 🙂 today", "UCS-2", 1, id="an emoji switches to UCS-2"),
        pytest.param("ł" * 70, "UCS-2", 1, id="70 UCS-2 chars fit one SMS"),
        pytest.param("ł" * 71, "UCS-2", 2, id="71 UCS-2 chars need two parts"),
        pytest.param("a" * 150 + "🙂", "UCS-2", 3, id="one emoji makes 151 GSM chars UCS-2"),
    ],
)
def test_create_counts_segments_like_twilio(
    standin: TwilioStandIn, client: Client, body: str, encoding: str, segments: int
) -> None:
    # Given a message body
    # When it is sent
    message = client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body=body)

    # Then the segment count and encoding are Twilio's
    assert message.num_segments == str(segments)
    assert (standin.messages[0].encoding, standin.messages[0].num_segments) == (encoding, segments)


def test_segments_never_split_an_escape_pair_or_an_emoji() -> None:
    # Given bodies whose two-unit characters straddle the 153-septet / 67-unit part boundary,
    # where naive ceil(units / per_part) would answer one part fewer than Twilio
    gsm = "a" * 152 + "€" + "a" * 152  # 306 septets: 152 | € + 151 | 1
    ucs2 = "ł" * 66 + "🙂" + "ł" * 66  # 134 units: 66 | 🙂 + 65 | 1

    # When they are segmented / Then the pair moves whole into the next part
    assert sms_segments(gsm) == ("GSM-7", 3)
    assert sms_segments(ucs2) == ("UCS-2", 3)
    # And without a straddle the same lengths pack into two parts
    assert sms_segments("a" * 306) == ("GSM-7", 2)
    assert sms_segments("ł" * 134) == ("UCS-2", 2)


def test_messaging_service_send_is_accepted_without_sender_until_queued(
    standin: TwilioStandIn, client: Client
) -> None:
    # Given Moodline configured with a Messaging Service instead of a number
    # When it sends
    message = client.messages.create(to=PARTICIPANT, messaging_service_sid=SERVICE_SID, body="Hello")

    # Then Twilio's Messaging Service answer: accepted, no sender yet, 0 segments
    assert message.status == "accepted"
    assert message.from_ is None
    assert message.num_segments == "0"
    assert message.date_sent is None
    assert message.messaging_service_sid == SERVICE_SID


# -- Twilio's errors ------------------------------------------------------------------------------


def test_wrong_auth_token_is_401_authenticate(standin: TwilioStandIn) -> None:
    # Given a client holding a stale auth token
    stale = _client_for(standin, "not-the-token")

    # When it sends / Then Twilio's 20003 comes back and nothing is recorded
    with pytest.raises(TwilioRestException) as raised:
        stale.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="hi")
    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert standin.messages == []


def test_other_account_in_path_is_401_even_with_valid_credentials(standin: TwilioStandIn) -> None:
    # Given valid credentials but another account's SID in the URL
    other_account = _client_for(standin, AUTH_TOKEN)

    # When it fetches under that account / Then it is refused like bad credentials
    with pytest.raises(TwilioRestException) as raised:
        other_account.api.v2010.accounts("AC" + "f" * 32).messages.create(
            to=PARTICIPANT, from_=MOODLINE_NUMBER, body="hi"
        )
    assert (raised.value.status, raised.value.code) == (401, 20003)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"to": ""}, 21604, id="missing To"),
        pytest.param({"to": "5551230001"}, 21211, id="To not E.164"),
        pytest.param({"to": "+1 555 123 0001"}, 21211, id="To with spaces"),
        pytest.param({"body": None}, 21602, id="neither Body nor MediaUrl"),
        pytest.param({"body": "x" * 1601}, 21617, id="Body over 1600 chars"),
        pytest.param({"from_": None}, 21603, id="neither From nor MessagingServiceSid"),
        pytest.param({"from_": PARTICIPANT}, 21266, id="To equals From"),
        pytest.param(
            {"status_callback": "http://bad_host.local/cb"}, 21609, id="callback host with underscore"
        ),
        pytest.param({"validity_period": 36001}, 21624, id="validity period too long"),
    ],
)
def test_invalid_requests_get_twilios_400_codes(
    standin: TwilioStandIn, client: Client, overrides: dict[str, Any], code: int
) -> None:
    # Given a valid request with one thing wrong
    request: dict[str, Any] = {"to": PARTICIPANT, "from_": MOODLINE_NUMBER, "body": "hi", **overrides}

    # When it is sent / Then Twilio's error code comes back and nothing is recorded
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**{name: value for name, value in request.items() if value is not None})
    assert (raised.value.status, raised.value.code) == (400, code)
    assert standin.messages == []


def test_invalid_to_message_does_not_echo_the_number(client: Client) -> None:
    # Given / When a bad number is refused
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="5551230001", from_=MOODLINE_NUMBER, body="hi")

    # Then the message (which callers log) carries no phone number
    assert raised.value.code == 21211
    assert "5551230001" not in raised.value.msg


def test_opted_out_recipient_gets_21610_until_opted_back_in(standin: TwilioStandIn, client: Client) -> None:
    # Given a participant who texted STOP
    standin.opt_out(PARTICIPANT)

    # When Moodline sends to them / Then Twilio refuses with 21610
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in")
    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert raised.value.msg.endswith("Attempt to send to unsubscribed recipient")
    assert standin.messages == []

    # And after START, sending works again
    standin.opt_in(PARTICIPANT)
    client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in")
    assert [message.to for message in standin.messages] == [PARTICIPANT]


def test_fail_next_rate_limits_once_then_sends(standin: TwilioStandIn, client: Client) -> None:
    # Given Twilio will throttle the next create
    standin.fail_next(429, 20429, "Too Many Requests")

    # When Moodline sends / Then the client sees 429 / 20429
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in")
    assert (raised.value.status, raised.value.code) == (429, 20429)

    # And the retry goes through
    retried = client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in")
    assert retried.status == "queued"
    assert [message.sid for message in standin.messages] == [retried.sid]


def test_fail_next_with_count_fails_that_many_creates(standin: TwilioStandIn, client: Client) -> None:
    # Given a two-request outage
    standin.fail_next(500, 20500, "Internal Server Error", count=2)

    # When Moodline sends three times / Then two 500s, then success
    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="x")
        assert (raised.value.status, raised.value.code) == (500, 20500)
    assert client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="x").status == "queued"


# -- reading messages back ------------------------------------------------------------------------


def test_fetch_by_sid_returns_the_message(client: Client) -> None:
    # Given a sent message
    sent = client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="hi")

    # When it is fetched by sid / Then it is the same message
    fetched = client.messages(sent.sid).fetch()
    assert (fetched.sid, fetched.to, fetched.body, fetched.status) == (sent.sid, PARTICIPANT, "hi", "queued")


def test_fetch_unknown_sid_is_404(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_list_filters_by_to_and_pages_newest_first(client: Client) -> None:
    # Given five messages to one participant and one to another
    sids = [client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body=f"m{i}").sid for i in range(5)]
    client.messages.create(to=OTHER_PARTICIPANT, from_=MOODLINE_NUMBER, body="other")

    # When the client lists by To with pages of two (following next_page_uri)
    listed = client.messages.list(to=PARTICIPANT, page_size=2)

    # Then it gets exactly that participant's messages, newest first
    assert [message.sid for message in listed] == list(reversed(sids))
    assert len(client.messages.list()) == 6


# -- status callbacks -----------------------------------------------------------------------------


def test_status_callbacks_are_signed_and_walk_sent_then_delivered(
    standin: TwilioStandIn, client: Client, receiver: Receiver
) -> None:
    # Given a message sent with a status callback (query string included, as Moodline's may have)
    callback_url = f"{receiver.url}/twilio/status?env=local"
    message = client.messages.create(
        to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in", status_callback=callback_url
    )
    assert receiver.received == []  # Twilio sends no callback for the initial status

    # When the carrier reports delivery
    posted = standin.flush_status_callbacks()

    # Then two callbacks arrive, form-encoded, each with a valid X-Twilio-Signature
    assert posted == 2
    received = receiver.received
    assert [callback.params["MessageStatus"] for callback in received] == ["sent", "delivered"]
    for callback in received:
        assert callback.path == "/twilio/status?env=local"
        assert callback.content_type == "application/x-www-form-urlencoded"
        assert _is_signed_by_twilio(callback, callback_url)
        assert callback.params["MessageSid"] == callback.params["SmsSid"] == message.sid
        assert callback.params["SmsStatus"] == callback.params["MessageStatus"]
        assert callback.params["AccountSid"] == ACCOUNT_SID
        assert (callback.params["To"], callback.params["From"]) == (PARTICIPANT, MOODLINE_NUMBER)
        assert callback.params["ApiVersion"] == "2010-04-01"
        assert "ErrorCode" not in callback.params
    # And the stored status moved on
    assert standin.messages[0].status == "delivered"
    assert client.messages(message.sid).fetch().status == "delivered"
    assert [attempt.http_status for attempt in standin.callback_attempts] == [200, 200]
    # And a second flush has nothing left to report
    assert standin.flush_status_callbacks() == 0


def test_undelivered_callback_carries_error_code(
    standin: TwilioStandIn, client: Client, receiver: Receiver
) -> None:
    # Given a sent message with a status callback
    message = client.messages.create(
        to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in", status_callback=f"{receiver.url}/status"
    )

    # When the carrier reports the handset unreachable
    standin.flush_status_callbacks("undelivered")

    # Then the final callback says so with Twilio's error code, and the resource agrees
    final = receiver.received[-1]
    assert (final.params["MessageStatus"], final.params["ErrorCode"]) == ("undelivered", "30003")
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert standin.messages[0].error_code == 30003


def test_failed_message_reports_failed_without_sent(
    standin: TwilioStandIn, client: Client, receiver: Receiver
) -> None:
    # Given a sent message with a status callback
    client.messages.create(
        to=PARTICIPANT, from_=MOODLINE_NUMBER, body="check-in", status_callback=f"{receiver.url}/status"
    )

    # When Twilio could not send it at all
    posted = standin.flush_status_callbacks("failed", error_code=30001)

    # Then a single 'failed' callback: a failed message never reached 'sent'
    assert posted == 1
    assert [(c.params["MessageStatus"], c.params["ErrorCode"]) for c in receiver.received] == [
        ("failed", "30001")
    ]


def test_messaging_service_callbacks_report_queued_and_the_assigned_sender(
    standin: TwilioStandIn, client: Client, receiver: Receiver
) -> None:
    # Given a Messaging Service send with a status callback
    callback_url = f"{receiver.url}/status"
    client.messages.create(
        to=PARTICIPANT, messaging_service_sid=SERVICE_SID, body="hi", status_callback=callback_url
    )

    # When it is delivered
    assert standin.flush_status_callbacks() == 3

    # Then accepted -> queued -> sent -> delivered, from the sender the service picked
    received = receiver.received
    assert [callback.params["MessageStatus"] for callback in received] == ["queued", "sent", "delivered"]
    assert {callback.params["From"] for callback in received} == {DEFAULT_SERVICE_SENDER}
    assert {callback.params["MessagingServiceSid"] for callback in received} == {SERVICE_SID}
    assert all(_is_signed_by_twilio(callback, callback_url) for callback in received)
    assert standin.messages[0].from_ == DEFAULT_SERVICE_SENDER


def test_messages_without_callback_still_advance_but_post_nothing(
    standin: TwilioStandIn, client: Client
) -> None:
    # Given a message sent without a status callback
    client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="hi")

    # When the flush runs / Then nothing is posted but the status is final
    assert standin.flush_status_callbacks() == 0
    assert standin.messages[0].status == "delivered"


def test_broken_callback_targets_are_recorded_not_raised(standin: TwilioStandIn, client: Client) -> None:
    # Given one callback target answering 500 and another not listening at all
    with Receiver(status=500) as failing:
        client.messages.create(
            to=PARTICIPANT, from_=MOODLINE_NUMBER, body="a", status_callback=f"{failing.url}/status"
        )
        client.messages.create(
            to=OTHER_PARTICIPANT,
            from_=MOODLINE_NUMBER,
            body="b",
            status_callback=f"http://127.0.0.1:{_unused_port()}/status",
        )

        # When the flush runs
        posted = standin.flush_status_callbacks()

    # Then every attempt is recorded with what happened and the stand-in keeps serving
    assert posted == 4
    assert [attempt.http_status for attempt in standin.callback_attempts] == [500, 500, None, None]
    assert standin.callback_attempts[-1].error is not None
    assert {message.status for message in standin.messages} == {"delivered"}
    assert client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="c").status == "queued"


# -- inbound SMS and generic signed posts ---------------------------------------------------------


def test_post_inbound_signs_the_webhook_like_twilio() -> None:
    # Given Moodline's inbound webhook, replying with TwiML
    twiml = "<Response><Message>Thanks, logged a 4.</Message></Response>"
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as standin, Receiver(reply=twiml) as webhook:
        webhook_url = f"{webhook.url}/twilio/inbound"

        # When a participant texts a mood score
        status, body = standin.post_inbound(webhook_url, to=MOODLINE_NUMBER, from_=PARTICIPANT, body="4")

        # Then the webhook's answer comes back and the request validates with the auth token
        assert (status, body) == (200, twiml)
        (request,) = webhook.received
    assert RequestValidator(AUTH_TOKEN).validate(webhook_url, request.params, request.signature) is True
    assert RequestValidator("another-token").validate(webhook_url, request.params, request.signature) is False
    # And the form carries Twilio's inbound field names
    params = request.params
    assert SID_PATTERN.match(params["MessageSid"])
    assert params["SmsSid"] == params["SmsMessageSid"] == params["MessageSid"]
    assert (params["From"], params["To"], params["Body"]) == (PARTICIPANT, MOODLINE_NUMBER, "4")
    assert (params["AccountSid"], params["ApiVersion"]) == (ACCOUNT_SID, "2010-04-01")
    assert (params["NumMedia"], params["NumSegments"], params["SmsStatus"]) == ("0", "1", "received")
    assert (params["FromCountry"], params["ToCountry"]) == ("US", "US")
    assert {"FromCity", "FromState", "FromZip", "ToCity", "ToState", "ToZip"} <= params.keys()


def test_build_inbound_params_keeps_a_given_sid_and_service() -> None:
    # Given / When the params are built with an explicit sid and Messaging Service
    params = build_inbound_params(
        account_sid=ACCOUNT_SID,
        to=MOODLINE_NUMBER,
        from_="+447700900123",
        body="STOP",
        message_sid="SM" + "1" * 32,
        messaging_service_sid=SERVICE_SID,
    )

    # Then they are used as given
    assert params["MessageSid"] == "SM" + "1" * 32
    assert params["MessagingServiceSid"] == SERVICE_SID
    assert params["FromCountry"] == "GB"


def test_post_signed_can_forge_or_omit_the_signature(standin: TwilioStandIn, receiver: Receiver) -> None:
    # Given an inbound form and Moodline's webhook URL
    url = f"{receiver.url}/twilio/inbound"
    params = build_inbound_params(account_sid=ACCOUNT_SID, to=MOODLINE_NUMBER, from_=PARTICIPANT, body="5")

    # When one copy is posted with a forged signature and one with none
    standin.post_signed(url, params, signature="Zm9yZ2VkIHNpZ25hdHVyZQ==")
    standin.post_signed(url, params, sign=False)
    standin.post_signed(url, params)

    # Then only the properly signed one validates
    forged, unsigned, signed = receiver.received
    assert forged.signature == "Zm9yZ2VkIHNpZ25hdHVyZQ=="
    assert not _is_signed_by_twilio(forged, url)
    assert unsigned.signature is None
    assert _is_signed_by_twilio(signed, url)


def test_post_signed_returns_the_webhooks_error_status(standin: TwilioStandIn) -> None:
    # Given a webhook that rejects the request
    with Receiver(status=403, reply="invalid signature") as webhook:
        # When Twilio posts / Then the status and body are returned, not raised
        assert standin.post_signed(f"{webhook.url}/in", {"Body": "x"}, sign=False) == (
            403,
            "invalid signature",
        )


# -- state, logging, threads -----------------------------------------------------------------------


def test_messages_to_and_reset(standin: TwilioStandIn, client: Client) -> None:
    # Given messages to two participants, an opt-out and a pending failure
    client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="a")
    client.messages.create(to=OTHER_PARTICIPANT, from_=MOODLINE_NUMBER, body="b")
    standin.opt_out(PARTICIPANT)
    standin.fail_next(500, 20500, "Internal Server Error")

    # Then messages_to picks one participant's
    assert [message.body for message in standin.messages_to(OTHER_PARTICIPANT)] == ["b"]

    # When reset / Then everything is forgotten
    standin.reset()
    assert standin.messages == []
    assert not standin.is_opted_out(PARTICIPANT)
    assert client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="c").status == "queued"


def test_sent_message_repr_hides_numbers_and_body(standin: TwilioStandIn, client: Client) -> None:
    client.messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="feeling low")
    shown = repr(standin.messages[0])
    assert PARTICIPANT not in shown
    assert "feeling low" not in shown


def test_nothing_reaches_stderr_or_logs_with_numbers_or_bodies(
    standin: TwilioStandIn,
    client: Client,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given verbose logging from the stand-in
    caplog.set_level(logging.DEBUG, logger="moodline_local.twilio_standin")

    # When it serves successes, errors and a failing callback
    client.messages.create(
        to=PARTICIPANT,
        from_=MOODLINE_NUMBER,
        body="private mood note",
        status_callback=f"http://127.0.0.1:{_unused_port()}/status",
    )
    with pytest.raises(TwilioRestException):
        _client_for(standin, "wrong").messages.create(to=PARTICIPANT, from_=MOODLINE_NUMBER, body="x")
    client.messages.list(to=PARTICIPANT)
    standin.flush_status_callbacks()

    # Then no request lines on stderr, and no phone number or body in any log record
    assert capfd.readouterr().err == ""
    logged = [record.getMessage() for record in caplog.records if record.name.startswith("moodline_local")]
    assert logged  # it did log (sids and statuses)
    for secret in (PARTICIPANT, MOODLINE_NUMBER, "private mood note"):
        assert not any(secret in line for line in logged)


def test_malformed_request_gets_a_json_error_and_prints_nothing(
    standin: TwilioStandIn, capfd: pytest.CaptureFixture[str]
) -> None:
    # Given raw HTTP no twilio client would send: a Content-Length that is not a number
    with socket.create_connection(("127.0.0.1", standin.port)) as raw:
        raw.sendall(b"POST /2010-04-01/Accounts/x/Messages.json HTTP/1.0\r\nContent-Length: many\r\n\r\n")
        # When the stand-in answers (reading to EOF waits for the whole reply)
        reply = raw.makefile("rb").read().decode()

    # Then it is Twilio's JSON error shape, not a traceback on stderr
    assert reply.startswith("HTTP/1.0 400")
    assert '"code": 20001' in reply
    assert standin.messages == []
    assert capfd.readouterr().err == ""


def test_concurrent_sends_are_all_recorded(standin: TwilioStandIn) -> None:
    # Given eight workers, each with its own client
    sids: list[str] = []
    lock = threading.Lock()

    def send_five(worker: int) -> None:
        worker_client = _client_for(standin, AUTH_TOKEN)
        for index in range(5):
            sid = worker_client.messages.create(
                to=f"+1555123{worker:04d}", from_=MOODLINE_NUMBER, body=f"{worker}-{index}"
            ).sid
            with lock:
                sids.append(sid)

    # When they send at once
    workers = [threading.Thread(target=send_five, args=(worker,)) for worker in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    # Then every message is recorded once, with a distinct sid
    assert len(set(sids)) == 40
    assert sorted(message.sid for message in standin.messages) == sorted(sids)


def test_stop_releases_the_port_and_url_needs_a_running_server() -> None:
    # Given a started then stopped stand-in
    standin = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN).start()
    port = standin.port
    standin.stop()
    standin.stop()  # idempotent

    # Then its port is free again and url refuses to answer
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    with pytest.raises(RuntimeError):
        _ = standin.url
