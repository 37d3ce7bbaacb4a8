"""Inbound SMS: who sent it, STOP/START/HELP, storing the reply, the immediate answer, delivery statuses."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import assert_never

from moodline.alerting import AlertError
from moodline.crisis_lines import country_of, without_coach_sentence
from moodline.domain import (
    Client,
    Coach,
    DeliveryReport,
    InboundAnswer,
    InboundSms,
    Message,
    Page,
    country_for,
    inbound_sid_key,
    message_key,
)
from moodline.observability import logger, metrics
from moodline.paging import AlertActions
from moodline.phones import InvalidPhoneNumber, normalize_e164, phone_hash
from moodline.ports import Claims, Clients, Coaches, InboundSidInFlight, Messages, Pager
from moodline.schedule import from_iso, local_date_in, to_iso
from moodline.texts import is_yes, keyword_of, text_for
from moodline.triage.model import Assessment, Level
from moodline.vocabulary import TEAM, ClientStatus, Direction, InboundOutcome, Keyword, MessageKind

# How long an inbound MessageSid is remembered: providers retry within minutes, but the inbound
# buffer keeps a reply up to 14 days, and its redrive must still collide with a copy stored meanwhile.
INBOUND_SID_KEPT = timedelta(days=15)
# A keyword texted this soon after a high or crisis reply may be distress, not admin: the coach hears of it.
KEYWORD_WATCH = timedelta(hours=72)
# What DeliveryStatuses.record answers for a MessageSid with no message (yet): the webhook tries it later.
UNKNOWN_MESSAGE = "unknown_message"

AssessText = Callable[[str, Sequence[float | None]], Assessment]
CrisisText = Callable[[str, str | None], str]  # (locale, country) -> the crisis SMS


@dataclass(frozen=True)
class InboundResult:
    """What happened to one inbound SMS, and the SMS to answer with (None: answer nothing)."""

    outcome: InboundOutcome
    reply: str | None

    @property
    def answer(self) -> InboundAnswer:
        return InboundAnswer(self.reply)


class InboundSmsService:
    """Receives each inbound SMS once (keyed by MessageSid) and decides the immediate answer.

    The message write is the commit point: it stores the reply and claims its MessageSid in one
    transaction, so a provider's retry (same SID, later request time) collides there and is answered
    again from what the first delivery answered, with none of its effects (no second page, no second
    opt-out). A concurrent delivery, whose write meets the first one's still in progress on the claim,
    is answered the same way from its own reading of the text: the first delivery does the storing.
    An ordinary reply costs the client lookup and that one write: no idempotency record.
    """

    def __init__(self, *, clients: Clients, messages: Messages, coaches: Coaches, actions: AlertActions,
                 claims: Claims, assess: AssessText, phone_key: Callable[[], bytes],
                 crisis_text: CrisisText, retention_days: int, shards: int,
                 pager: Pager | None = None) -> None:
        self._clients = clients
        self._messages = messages
        self._coaches = coaches
        self._actions = actions
        self._claims = claims
        self._assess = assess
        self._phone_key = phone_key
        self._crisis_text = crisis_text
        self._retention_days = retention_days
        self._shards = shards
        self._pager = pager

    def receive(self, sms: InboundSms, received_at: datetime) -> InboundResult:
        """Store and answer ``sms``; a redelivery of the same MessageSid gets the first answer's kind again."""
        sender = self._sender_key(sms.from_number)
        client = self._clients.by_phone(sender) if sender else None
        coach = self._coaches.by_phone(sender) if sender and client is None else None
        if coach is not None:
            # Naturally idempotent: acknowledging an acknowledged alert changes nothing and answers the same.
            return self._coach_command(coach, sms.body, received_at)
        if client is None:
            return self._stranger(sms, received_at)

        keyword = keyword_of(sms.body)
        if keyword is Keyword.START and is_yes(sms.body) and client.status is ClientStatus.ACTIVE:
            keyword = None  # "yes" from someone already checking in answers the check-in: a reply
        if keyword is not None:
            # A keyword changes the client before its message is written: a retry must not change it again.
            first = self._messages.inbound_answered(sms.message_sid)
            if first is not None:
                return self._again(first, client, sms)
        if keyword is Keyword.START and client.consented_at is None:
            result = self._consent(client, sms, received_at)
        else:
            result = self._answer(client, sms.body, keyword, received_at)  # a reply: pure, no write
        key = message_key(received_at, sms.message_sid)
        # Keywords are kept as sent (not only answered): "HELP" during a crisis is read by a coach.
        message = Message(
            client_id=client.client_id,
            at=key,
            sid=sms.message_sid,
            direction=Direction.INBOUND,
            kind=MessageKind.KEYWORD if keyword else MessageKind.REPLY,
            local_date=local_date_in(client.timezone, received_at).isoformat(),
            body=sms.body,
            reply_sent=result.outcome.value,
        )
        try:
            first = self._messages.record_inbound(message, retention_days=self._retention_days,
                                                  sid_kept=INBOUND_SID_KEPT)
        except InboundSidInFlight:
            # Twilio's retry racing its original: answered as a retry, with crisis resources again for
            # crisis text, and none of the effects (no page, nothing buffered). The original holds the SID.
            metrics.add_metric(name="InboundInFlight", unit="Count", value=1)
            logger.info("inbound duplicate in flight", client_id=client.client_id, message_sid=sms.message_sid)
            return self._again(result.outcome.value, client, sms)
        if first is not None:
            return self._again(first, client, sms)
        metrics.add_metric(name="InboundStored", unit="Count", value=1)
        logger.info("inbound stored", client_id=client.client_id, message_sid=sms.message_sid,
                    kind=MessageKind.KEYWORD.value if keyword else MessageKind.REPLY.value)
        if keyword is not None:
            self._keyword_in_an_episode(client, keyword, key, sms.message_sid, received_at)
        return result

    def _again(self, first: str, client: Client, sms: InboundSms) -> InboundResult:
        """The answer to a retry of a stored MessageSid: the first answer's kind, and none of its effects.

        The message was stored once, so scoring pages once; crisis resources go back again (safe: the
        first answer may never have arrived, which is why the provider retried).
        """
        metrics.add_metric(name="InboundDuplicate", unit="Count", value=1)
        logger.info("inbound duplicate answered again", client_id=client.client_id, message_sid=sms.message_sid,
                    first=first)
        try:
            outcome = InboundOutcome(first)
        except ValueError:
            return InboundResult(InboundOutcome.ACK, None)  # stored by another version: answer nothing twice
        match outcome:
            case InboundOutcome.CRISIS:
                return InboundResult(outcome, self._crisis_text(client.locale, country_for(client)))
            case InboundOutcome.ACK:
                return self._thanks(client, self._assess(sms.body, ()))
            case InboundOutcome.HELP:
                return self._help(client)
            case InboundOutcome.START:
                return InboundResult(outcome, text_for("started", client.locale))
            case InboundOutcome.CONSENT:
                return InboundResult(outcome, text_for("consented", client.locale))
            case _:
                return InboundResult(outcome, None)  # STOP: the carrier confirms the opt-out, once

    def _consent(self, client: Client, inbound: InboundSms, at: datetime) -> InboundResult:
        """YES (or START) from a client who has not consented yet: consent by SMS, recorded, and check-ins start."""
        consented = replace(client, consented_at=to_iso(at), consent_sid=inbound.message_sid,
                            consent_text=inbound.body.strip()[:160])
        self._clients.save(consented)
        self._clients.set_status(consented, ClientStatus.ACTIVE, now=at, shards=self._shards)
        fresh = self._clients.get(client.client_id)
        if fresh is not None and fresh.next_probe_at and client.welcomed_at:
            # A probe is sent once per client and local date, and today's key went to the welcome:
            # a first check-in later the same day would be dropped as a duplicate. Tomorrow's it is.
            first, checkin = from_iso(fresh.next_probe_at), fresh.checkin
            if checkin.local_date_of(first) == checkin.local_date_of(from_iso(client.welcomed_at)):
                self._clients.schedule_next_probe(fresh, checkin.next_after(first), shards=self._shards)
        metrics.add_metric(name="ConsentGiven", unit="Count", value=1)
        logger.info("consent given by SMS", client_id=client.client_id, message_sid=inbound.message_sid)
        return InboundResult(InboundOutcome.CONSENT, text_for("consented", client.locale))

    def _keyword_in_an_episode(self, client: Client, keyword: Keyword, reply_key: str, sid: str,
                               at: datetime) -> None:
        """A keyword during an open alert, or within 72 h of a high or crisis reply: on the alert, and to the coach.

        "HELP" or "STOP" from someone in crisis may be the last thing they say; carriers still get
        their answer, and a human hears about it. A failure here never loses the stored message.
        """
        try:
            alert_id = client.open_alert_id
            if alert_id is None:
                recent = self._messages.between(client.client_id, at - KEYWORD_WATCH, at)
                risky = [m for m in recent if m.level is not None and m.level.pages and m.alert_id]
                if not risky:
                    return
                alert_id = risky[-1].alert_id
            assert alert_id is not None
            alert = self._actions.note_client_keyword(alert_id, keyword=keyword.value, reply_key=reply_key, at=at)
            level = alert.level.value if alert is not None else Level.HIGH.value
            coach_id = (alert.acknowledged_by if alert is not None and alert.acknowledged_by else client.coach_id)
            if self._pager is not None:
                self._pager.publish(Page(
                    alert_id=alert_id, step=f"keyword-{sid}", coach_id=coach_id, severity=level,
                    subject=f"Moodline: {client.display_name} texted {keyword.value.upper()} during an alert",
                    body=f"{client.display_name} texted {keyword.value.upper()} (alert {alert_id}, {level}). "
                         + ("Check-ins have stopped: reach out by phone. " if keyword is Keyword.STOP else "")
                         + "It is on the alert's timeline.",
                ))
                metrics.add_metric(name="PagesPublished", unit="Count", value=1)
            metrics.add_metric(name="KeywordDuringAlert", unit="Count", value=1)
        except Exception:
            logger.exception("keyword during an alert not passed on", client_id=client.client_id, message_sid=sid)
            metrics.add_metric(name="KeywordNoticeFailed", unit="Count", value=1)

    def _stranger(self, inbound: InboundSms, at: datetime) -> InboundResult:
        """Nothing is stored for a number that is not enrolled; crisis language still reaches a human, once."""
        metrics.add_metric(name="InboundUnknownSender", unit="Count", value=1)
        logger.info("inbound from an unknown number", message_sid=inbound.message_sid)
        country = country_of(inbound.from_number)
        # The lines, never "your coach has been alerted": a stranger has no coach (and in crisis, the team
        # is paged with the provider's SID only; nobody can promise to reach out).
        resources = without_coach_sentence(self._crisis_text("en-US", country))
        if self._assess(inbound.body, ()).level is not Level.CRISIS:
            return InboundResult(InboundOutcome.UNKNOWN_SENDER, f"{text_for('unknown', 'en-US')} {resources}")
        outcome = InboundOutcome.UNKNOWN_SENDER_CRISIS
        key = inbound_sid_key(inbound.message_sid)
        # The SID is claimed before the page (a retry finds it and pages nobody), and freed if the
        # page fails, so the buffered retry of this very request pages after all.
        if self._pager is not None and self._claims.claim(key, outcome.value, now=at, expires_at=at + INBOUND_SID_KEPT):
            try:
                # The page names only the provider's SID: a coach finds the number in its console.
                self._pager.publish(Page(
                    alert_id=f"unknown-{inbound.message_sid}", step="stranger", coach_id=TEAM,
                    severity=Level.CRISIS.value, subject="Moodline CRISIS: text from a number not enrolled",
                    body=f"Crisis language from a number that is not a Moodline client. Twilio MessageSid "
                         f"{inbound.message_sid}: look it up in the Twilio console and reach out. "
                         "Nothing was stored.",
                ))
            except Exception:
                self._claims.release(key, outcome.value)
                raise
            metrics.add_metric(name="PagesPublished", unit="Count", value=1)
        return InboundResult(InboundOutcome.UNKNOWN_SENDER_CRISIS, resources)

    def _sender_key(self, from_number: str) -> str | None:
        try:
            e164 = normalize_e164(from_number)
        except InvalidPhoneNumber:
            return None  # short codes and alphanumeric senders are never clients or coaches
        return phone_hash(self._phone_key(), e164)

    def _answer(self, client: Client, body: str, keyword: Keyword | None, now: datetime) -> InboundResult:
        # Exhaustive over Keyword: a new keyword without a branch here fails mypy (assert_never),
        # instead of falling silently into triage.
        match keyword:
            case Keyword.STOP:
                self._clients.set_status(client, ClientStatus.STOPPED, now=now, shards=self._shards)
                metrics.add_metric(name="OptOuts", unit="Count", value=1)
                return InboundResult(InboundOutcome.STOP, None)  # the carrier sends the opt-out confirmation
            case Keyword.START:
                if client.status in {ClientStatus.STOPPED, ClientStatus.UNREACHABLE}:
                    self._clients.set_status(client, ClientStatus.ACTIVE, now=now, shards=self._shards)
                return InboundResult(InboundOutcome.START, text_for("started", client.locale))
            case Keyword.HELP:
                return self._help(client)
            case None:
                return self._reply(client, body)
            case _:
                assert_never(keyword)

    def _reply(self, client: Client, body: str) -> InboundResult:
        # The crisis text goes back in this very response: it depends on nothing downstream.
        # Scoring (on the table's stream) does the paging, and re-sends this text if it was missing.
        assessment = self._assess(body, ())
        if assessment.level is Level.CRISIS:
            return InboundResult(InboundOutcome.CRISIS, self._crisis_text(client.locale, country_for(client)))
        return self._thanks(client, assessment)

    def _thanks(self, client: Client, assessment: Assessment) -> InboundResult:
        key = "thanks" if assessment.mood is not None else "thanks_no_mood"
        return InboundResult(InboundOutcome.ACK, text_for(key, client.locale, name=client.display_name))

    def _help(self, client: Client) -> InboundResult:
        crisis = self._crisis_text(client.locale, country_for(client))
        return InboundResult(InboundOutcome.HELP, f"{text_for('help', client.locale)} {crisis}")

    def _coach_command(self, coach: Coach, body: str, at: datetime) -> InboundResult:
        """A coach texting the Moodline number: ``ACK 12345678`` acknowledges the alert whose page had that code."""
        match = _ACK.match(body)
        if match is None:
            return InboundResult(InboundOutcome.COACH,
                                 "Moodline: to acknowledge a page, text ACK and its 8-digit code.")
        try:
            alert = self._actions.acknowledge_by_code(match[1], by=coach.coach_id, at=at)
        except AlertError as exc:  # a wrong code, a code not paged to this coach, or a locked-out phone
            return InboundResult(InboundOutcome.COACH, f"Moodline: {exc}. Check the page.")
        return InboundResult(InboundOutcome.COACH_ACK,
                             f"Moodline: acknowledged {alert.level.value} alert {alert.alert_id}. "
                             "Escalation stopped. Resolve it when you have spoken with the client.")


_ACK = re.compile(r"^\s*ack\s*#?\s*(\d{8})\s*[.!]?\s*$", re.IGNORECASE)


class DeliveryStatuses:
    """Applies delivery status callbacks to outbound messages; a refusal about the number changes the client."""

    def __init__(self, *, clients: Clients, messages: Messages, shards: int) -> None:
        self._clients = clients
        self._messages = messages
        self._shards = shards

    def record(self, report: DeliveryReport, *, now: datetime) -> str:
        """Apply one callback; returns what was done (for the log)."""
        message = self._messages.by_sid(report.message_sid)
        if message is None:
            # Not recorded yet (a callback can outrun its batch's write), not ours, or erased: the
            # caller decides whether to try again later (moodline.inbound_buffer.DeliveryStatusCallbacks).
            return UNKNOWN_MESSAGE
        current_rank = message.status_rank if message.status_rank is not None else -1
        if report.status is None or report.rank <= current_rank:
            return "stale"
        if not self._messages.advance_delivery_status(message, report.status, report.rank, report.error_code):
            return "stale"
        if report.status.failed:
            metrics.add_metric(name="DeliveryFailed", unit="Count", value=1)
            status = report.refusal.client_status if report.refusal is not None else None
            client = self._clients.get(message.client_id) if status is not None else None
            if client is not None and status is not None:
                self._clients.set_status(client, status, now=now, shards=self._shards)
                if status is ClientStatus.STOPPED and client.status is not ClientStatus.STOPPED:
                    metrics.add_metric(name="OptOuts", unit="Count", value=1)
                return f"client_{status.value}"
        return "updated"
