"""Inbound SMS: who sent it, STOP/START/HELP, storing the reply, and the immediate answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from moodline import store
from moodline.idempotency import once_per_key
from moodline.observability import logger, metrics
from moodline.pager import TEAM, Page, SnsPager
from moodline.paging import AlertError, acknowledge_by_code
from moodline.phones import InvalidPhoneNumber, normalize_e164, phone_hash
from moodline.schedule import from_iso, local_date_in, to_iso
from moodline.settings import Settings
from moodline.texts import keyword_of, text_for
from moodline.triage.engine import assess_reply
from moodline.triage.model import Level
from moodline.webhook import InboundSms, StatusUpdate

INBOUND_KEY_SECONDS = 24 * 3600  # Twilio retries within minutes; a day is ample

# Delivery errors that say the number cannot take our SMS any more.
_OPTED_OUT_CODES = {21610}
_UNREACHABLE_CODES = {30005, 30006, 21614}


@dataclass(frozen=True)
class InboundResult:
    """What happened to one inbound SMS, and the SMS to answer with (None: answer nothing)."""

    outcome: str  # ack | crisis | stop | start | help | unknown_sender[_crisis] | coach | coach_ack
    reply: str | None


class InboundSmsService:
    """Receives each inbound SMS once (keyed by MessageSid) and decides the immediate answer."""

    def __init__(self, settings: Settings, phone_key: Callable[[], bytes], pager: SnsPager | None = None) -> None:
        self._settings = settings
        self._phone_key = phone_key
        self._pager = pager
        self._receive = once_per_key(
            self._receive_once,
            table_name=settings.idempotency_table,
            key_prefix="inbound",
            data_keyword="sms",
            key_jmespath="message_sid",
            expires_after_seconds=INBOUND_KEY_SECONDS,
        )

    def receive(self, sms: InboundSms, received_at: datetime) -> InboundResult:
        """Store and answer ``sms``; a redelivery of the same MessageSid returns the first answer."""
        result = self._receive(sms={**asdict(sms), "received_at": to_iso(received_at)})
        return InboundResult(**result)

    def _receive_once(self, sms: dict[str, Any]) -> dict[str, Any]:
        inbound = InboundSms(**{k: v for k, v in sms.items() if k != "received_at"})
        received_at = from_iso(sms["received_at"])
        sender = self._sender_key(inbound.from_number)
        client = store.find_client_by_phone(sender) if sender else None
        coach = store.find_coach_by_phone(sender) if sender and client is None else None
        if coach is not None:
            return asdict(coach_command(coach, inbound.body, received_at))
        if client is None:
            return asdict(self._stranger(inbound))

        local_date = local_date_in(client.timezone, received_at).isoformat()
        keyword = keyword_of(inbound.body)
        message = store.Message(
            client_id=client.client_id,
            at=store.message_key(received_at, inbound.message_sid),
            sid=inbound.message_sid,
            direction="inbound",
            kind="keyword" if keyword else "reply",
            local_date=local_date,
            body=keyword.upper() if keyword else inbound.body,
        )
        result = self._answer(client, inbound.body, keyword, received_at)
        message.reply_sent = result.outcome
        store.record_message(message, retention_days=self._settings.retention_days)
        metrics.add_metric(name="InboundStored", unit="Count", value=1)
        logger.info("inbound stored", client_id=client.client_id, message_sid=inbound.message_sid,
                    kind=message.kind)
        return asdict(result)

    def _stranger(self, inbound: InboundSms) -> InboundResult:
        """Nothing is stored for a number that is not enrolled; crisis language still reaches a human."""
        metrics.add_metric(name="InboundUnknownSender", unit="Count", value=1)
        logger.info("inbound from an unknown number", message_sid=inbound.message_sid)
        if assess_reply(inbound.body).level is not Level.CRISIS:
            return InboundResult("unknown_sender", text_for("unknown", "en-US"))
        if self._pager is not None:
            # The page names only Twilio's SID: a coach finds the number in the Twilio console.
            self._pager.publish(Page(
                alert_id=f"unknown-{inbound.message_sid}", step="stranger", coach_id=TEAM, severity="crisis",
                subject="Moodline CRISIS: text from a number not enrolled",
                body=f"Crisis language from a number that is not a Moodline client. Twilio MessageSid "
                     f"{inbound.message_sid}: look it up in the Twilio console and reach out. Nothing was stored.",
            ))
            metrics.add_metric(name="PagesPublished", unit="Count", value=1)
        return InboundResult("unknown_sender_crisis", self._settings.crisis_text("en-US"))

    def _sender_key(self, from_number: str) -> str | None:
        try:
            e164 = normalize_e164(from_number)
        except InvalidPhoneNumber:
            return None  # short codes and alphanumeric senders are never clients or coaches
        return phone_hash(self._phone_key(), e164)

    def _answer(self, client: store.Client, body: str, keyword: str | None, now: datetime) -> InboundResult:
        shards = self._settings.due_shards
        if keyword == "stop":
            store.set_client_status(client, store.STOPPED, now=now, shards=shards)
            return InboundResult("stop", None)  # the carrier / Twilio sends the opt-out confirmation
        if keyword == "start":
            if client.status in {store.STOPPED, store.UNREACHABLE}:
                store.set_client_status(client, store.ACTIVE, now=now, shards=shards)
            return InboundResult("start", text_for("started", client.locale))
        if keyword == "help":
            return InboundResult("help", text_for("help", client.locale))
        # The crisis text goes back in this very response: it depends on nothing downstream.
        # Scoring (on the table's stream) does the paging, and re-sends this text if it was missing.
        assessment = assess_reply(body)
        if assessment.level is Level.CRISIS:
            return InboundResult("crisis", self._settings.crisis_text(client.locale))
        key = "thanks" if assessment.mood is not None else "thanks_no_mood"
        return InboundResult("ack", text_for(key, client.locale, name=client.display_name))


_ACK = re.compile(r"^\s*ack\s*#?\s*(\d{6})\s*[.!]?\s*$", re.IGNORECASE)


def coach_command(coach: store.Coach, body: str, at: datetime) -> InboundResult:
    """A coach texting the Moodline number: ``ACK 123456`` acknowledges the alert whose page had that code."""
    match = _ACK.match(body)
    if match is None:
        return InboundResult("coach", "Moodline: to acknowledge a page, text ACK and its 6-digit code.")
    try:
        alert = acknowledge_by_code(match[1], by=coach.coach_id, at=at)
    except AlertError:
        return InboundResult("coach", f"Moodline: no open alert has code {match[1]}. Check the page.")
    return InboundResult("coach_ack", f"Moodline: acknowledged {alert.level} alert {alert.alert_id}. "
                         "Escalation stopped. Resolve it when you have spoken with the client.")


def record_delivery_status(update: StatusUpdate, *, now: datetime, shards: int) -> str:
    """Apply a status callback to the outbound message; returns what was done (for the log)."""
    message = store.find_message_by_sid(update.message_sid)
    if message is None:
        return "unknown_message"  # not ours, or erased: nothing to do, and no reason for Twilio to retry
    if not store.update_delivery_status(message, update.status, update.error_code):
        return "stale"
    if update.status in {"undelivered", "failed"}:
        metrics.add_metric(name="DeliveryFailed", unit="Count", value=1)
        status = (
            store.STOPPED if update.error_code in _OPTED_OUT_CODES
            else store.UNREACHABLE if update.error_code in _UNREACHABLE_CODES
            else None
        )
        client = store.get_client(message.client_id) if status else None
        if client is not None and status is not None:
            store.set_client_status(client, status, now=now, shards=shards)
            return f"client_{status}"
    return "updated"
