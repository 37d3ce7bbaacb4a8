"""Scoring a stored reply: triage against the client's baseline, then alert, page and crisis resources."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moodline.domain import Client, Message, SentSms, SmsSendError, country_for, message_key
from moodline.observability import logger, metrics
from moodline.paging import AlertDesk
from moodline.ports import Clients, Messages, OncePerKey, SmsSender
from moodline.schedule import from_iso, local_date_in, to_iso
from moodline.triage.model import Assessment, Level
from moodline.vocabulary import Direction, InboundOutcome, MessageKind

RESOURCES_KEY_SECONDS = 7 * 24 * 3600
BASELINE_DAYS = 14

# What scores a reply: text and the client's recent moods in, an assessment out. The composition
# root binds triage (and, later, a semantic second opinion) here.
AssessReply = Callable[[str, Sequence[float | None]], Assessment]


REVIEW_CLIENT_LANGUAGE = "review.client_language"


@dataclass(frozen=True)
class ScoreOutcome:
    """The result of scoring one reply."""

    level: Level
    mood: float | None
    alert_id: str | None
    paged: str | None
    resources_sent: bool


def mood_history(messages: Messages, reply: Message, *, days: int = BASELINE_DAYS) -> list[float]:
    """The client's rated moods in the ``days`` before ``reply``, oldest first: the triage baseline."""
    at = reply.received_at
    return [
        m.mood
        for m in messages.between(reply.client_id, at - timedelta(days=days), at)
        if m.direction is Direction.INBOUND and m.mood is not None and m.at != reply.at
    ]


class ReplyScorer:
    """Scores each reply once; every side effect it has is keyed, so stream retries are harmless."""

    def __init__(self, *, assess: AssessReply, clients: Clients, messages: Messages, desk: AlertDesk,
                 sms: SmsSender, once: OncePerKey, crisis_text: Callable[[str, str | None], str],
                 retention_days: int) -> None:
        self._assess = assess
        self._retention_days = retention_days
        self._clients = clients
        self._messages = messages
        self._desk = desk
        self._sms = sms
        self._crisis_text = crisis_text
        self._send_resources = once(
            self._send_resources_once,
            key_prefix="resources",
            data_keyword="reply",
            key_jmespath="sid",
            expires_after_seconds=RESOURCES_KEY_SECONDS,
        )

    def score(self, reply: Message, at: datetime | None = None) -> ScoreOutcome:
        """Score ``reply`` (received at ``at``, by default when it was received) and act on the level."""
        at = at or reply.received_at
        client = self._clients.get(reply.client_id)
        if client is None:
            logger.warning("reply of an erased client skipped", message_sid=reply.sid)
            return ScoreOutcome(Level.LOW, None, None, None, False)
        assessment = self._assess(reply.body or "", mood_history(self._messages, reply))
        metrics.add_metric(name=f"Replies{assessment.level.value.title()}", unit="Count", value=1)

        alert_id = paged = None
        if assessment.level.pages:
            alert, _, step = self._desk.record_risk(client, reply.at, assessment, at)
            alert_id = alert.alert_id
            # One page per alert and severity (a rise to crisis pages again, more of the same does
            # not), and one per reply that re-triggers an acknowledged alert.
            paged = self._desk.page(alert, client, at, step=step)
        resources_sent = False
        if assessment.level is Level.CRISIS and reply.reply_sent != InboundOutcome.CRISIS:
            # The webhook answers crisis language with resources itself; this covers a reply whose
            # answer was something else, so the client always gets them. After the page: a human
            # first, whatever the SMS provider does.
            resources_sent = self._send_resources(
                reply={"sid": reply.sid, "client_id": client.client_id, "at": to_iso(at)})["sent"]

        reasons = [r.rule for r in assessment.reasons]
        if client.review_all:
            # Enrolled in a language triage cannot read (--review-all): a coach reads every reply.
            reasons.append(REVIEW_CLIENT_LANGUAGE)
        if not self._messages.save_assessment(reply, mood=assessment.mood, level=assessment.level,
                                              reasons=reasons, alert_id=alert_id, review=assessment.review):
            logger.warning("reply gone before its verdict was saved (client erased?): nothing written",
                           client_id=client.client_id, message_sid=reply.sid)
        logger.info("reply scored", client_id=client.client_id, message_sid=reply.sid,
                    triage_level=assessment.level.value, alert_id=alert_id)
        return ScoreOutcome(assessment.level, assessment.mood, alert_id, paged, resources_sent)

    def rescore_unscored(self, since: datetime) -> list[ScoreOutcome]:
        """Score every stored reply since ``since`` that has no level yet: the redrive after a DLQ alarm.

        Lambda's on-failure record for a stream names only shard and sequence numbers (and stream
        records expire after 24 h), so the replies themselves are the source of truth. Scoring is
        idempotent, so a reply scored meanwhile is simply re-scored without a second page.
        """
        return [self.score(reply) for reply in self._messages.unscored_replies(since)]

    def _send_resources_once(self, reply: dict[str, Any]) -> dict[str, Any]:
        client = self._clients.get(reply["client_id"])
        if client is None:
            return {"sent": False}
        try:
            sent = self._sms.send(client.phone_e164, self._crisis_text(client.locale, country_for(client)))
        except SmsSendError as exc:
            if not exc.recipient:
                raise  # an outage or our configuration: retry, and the DLQ alarms if it persists
            # Opted out at the carrier: resources cannot reach them by SMS; the page still goes out.
            logger.warning("crisis resources refused", client_id=client.client_id, sms_error_code=exc.code)
            return {"sent": False}
        metrics.add_metric(name="CrisisResourcesSent", unit="Count", value=1)
        self._record_resources(client, sent, from_iso(str(reply["at"])))
        return {"sent": True}

    def _record_resources(self, client: Client, sent: SentSms, at: datetime) -> None:
        """Keep the resources SMS on the client's timeline, so the coach sees it went and its delivery
        callbacks find it. Never raises: the SMS has left, and a retry of the once-guard would send it again."""
        message = Message(client_id=client.client_id, at=message_key(at, sent.sid), sid=sent.sid,
                          direction=Direction.OUTBOUND, kind=MessageKind.RESOURCES,
                          local_date=local_date_in(client.timezone, at).isoformat(),
                          status=sent.status, status_rank=sent.rank)
        try:
            self._messages.record(message, retention_days=self._retention_days)
        except Exception as exc:
            logger.warning("crisis resources sent, record failed", client_id=client.client_id,
                           message_sid=sent.sid, error=type(exc).__name__)
            metrics.add_metric(name="ResourcesRecordFailed", unit="Count", value=1)
