"""Moodline's words, typed: every status, outcome, kind and keyword is one of these, never a bare string.

They are ``StrEnum`` so that the stored form stays the plain string it always was (``"open"``,
``"stop"``), and so that a value read back from storage compares equal to the word it was written as.
Triage levels live with triage: :class:`moodline.triage.model.Level`.
"""

from __future__ import annotations

from enum import StrEnum


class ClientStatus(StrEnum):
    """Whether a client gets check-ins."""

    ACTIVE = "active"
    STOPPED = "stopped"  # texted STOP (or the carrier reported an opt-out): no probes until START
    UNREACHABLE = "unreachable"  # the number cannot receive SMS (invalid, landline, dead route)
    PENDING_CONSENT = "pending_consent"  # enrolled; the welcome SMS asks for YES before any check-in
    NO_CONSENT = "no_consent"  # the welcome went twice, 48 h apart, and no YES came back
    PAUSED = "paused"  # ops paused the check-ins (a holiday, a hospital stay): resume restarts them


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageKind(StrEnum):
    """What a stored message is. Inbound replies keep their text; outbound messages keep a kind only."""

    PROBE = "probe"
    REPLY = "reply"
    KEYWORD = "keyword"
    RESOURCES = "resources"
    NOTICE = "notice"
    COACH = "coach"  # a coach's own text to the client, from the workspace


class Keyword(StrEnum):
    """An SMS that is a whole keyword (as carriers and Twilio match them), not a reply to triage."""

    STOP = "stop"
    START = "start"
    HELP = "help"


class InboundOutcome(StrEnum):
    """What happened to one inbound SMS (stored on the message as ``reply_sent``)."""

    ACK = "ack"
    CRISIS = "crisis"
    STOP = "stop"
    START = "start"
    HELP = "help"
    UNKNOWN_SENDER = "unknown_sender"
    UNKNOWN_SENDER_CRISIS = "unknown_sender_crisis"
    COACH = "coach"
    COACH_ACK = "coach_ack"
    CONSENT = "consent"  # YES to the welcome: check-ins start


class DeliveryStatus(StrEnum):
    """The delivery states of an outbound SMS, as SMS providers report them."""

    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"

    @property
    def failed(self) -> bool:
        return self in {DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED}


class Refusal(StrEnum):
    """Why an SMS could not be sent or delivered, in the terms the use cases act on."""

    RETRYABLE = "retryable"  # throttling, an outage: the same message may go through later
    OPTED_OUT = "opted_out"  # the recipient opted out at the carrier: stop the client
    UNREACHABLE = "unreachable"  # the number cannot take SMS: mark the client unreachable
    CONFIGURATION = "configuration"  # our own setup (credentials, sender, region): alarm, never touch a client

    @property
    def about_recipient(self) -> bool:
        """Whether the refusal is about the number (so the client's status changes), not about us."""
        return self in {Refusal.OPTED_OUT, Refusal.UNREACHABLE}

    @property
    def client_status(self) -> ClientStatus | None:
        """The status a refusal puts the client in, if any."""
        if self is Refusal.OPTED_OUT:
            return ClientStatus.STOPPED
        if self is Refusal.UNREACHABLE:
            return ClientStatus.UNREACHABLE
        return None


class AlertStatus(StrEnum):
    OPEN = "open"  # waiting for a human: escalates until acknowledged
    ACKNOWLEDGED = "acknowledged"  # a coach has it: no escalation, still open until resolved
    RESOLVED = "resolved"  # the episode is over, with an outcome


class Outcome(StrEnum):
    """What the coach found when they resolved an alert."""

    TRUE_ALARM = "true_alarm"
    FALSE_ALARM = "false_alarm"
    FOLLOW_UP = "follow_up"


class AlertEvent(StrEnum):
    """What an alert's timeline records."""

    RAISED = "raised"
    APPENDED = "appended"
    RAISED_SEVERITY = "raised_severity"
    RETRIGGERED = "retriggered"
    PAGED = "paged"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Rota(StrEnum):
    """On-call rotas, in the order they win: an override (swap, sick day) beats the regular rota."""

    OVERRIDE = "override"
    PRIMARY = "primary"


class Via(StrEnum):
    """How a coach acknowledged."""

    LINK = "link"
    SMS = "sms"
    CLI = "cli"
    RESOLVE = "resolve"
    WORKSPACE = "workspace"


TEAM = "team"  # the page target that reaches every coach: paging the team pages everyone
