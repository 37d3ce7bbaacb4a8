"""Scoring a stored reply: triage against the client's baseline, then alert, page and crisis resources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moodline import store
from moodline.idempotency import once_per_key
from moodline.observability import logger, metrics
from moodline.paging import AlertDesk
from moodline.schedule import to_iso
from moodline.settings import Settings
from moodline.sms import SmsSendError, TwilioSms
from moodline.triage.engine import assess_reply
from moodline.triage.model import Level

RESOURCES_KEY_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class ScoreOutcome:
    """The result of scoring one reply."""

    level: str
    mood: float | None
    alert_id: str | None
    paged: str | None
    resources_sent: bool


class ReplyScorer:
    """Scores each reply once; every side effect it has is keyed, so stream retries are harmless."""

    def __init__(self, *, settings: Settings, desk: AlertDesk, sms: TwilioSms) -> None:
        self._settings = settings
        self._desk = desk
        self._sms = sms
        self._send_resources = once_per_key(
            self._send_resources_once,
            table_name=settings.idempotency_table,
            key_prefix="resources",
            data_keyword="reply",
            key_jmespath="sid",
            expires_after_seconds=RESOURCES_KEY_SECONDS,
        )

    def score_stream_image(self, new_image: dict[str, Any]) -> ScoreOutcome:
        """Score the reply in a stream record's ``NewImage`` (DynamoDB JSON), at the time it was received."""
        reply = store.Message.from_raw_data(new_image)
        return self.score(reply, reply.received_at)

    def score(self, reply: store.Message, at: datetime) -> ScoreOutcome:
        """Score ``reply`` (received at ``at``) and act on the level."""
        client = store.get_client(reply.client_id)
        if client is None:
            logger.warning("reply of an erased client skipped", message_sid=reply.sid)
            return ScoreOutcome("low", None, None, None, False)
        assessment = assess_reply(reply.body or "", store.mood_history(reply))
        metrics.add_metric(name=f"Replies{assessment.level.value.title()}", unit="Count", value=1)

        alert_id = paged = None
        if assessment.level.pages:
            alert, _, step = self._desk.record_risk(client, reply.at, assessment, at)
            alert_id = alert.alert_id
            # One page per alert and severity (a rise to crisis pages again, more of the same does
            # not), and one per reply that re-triggers an acknowledged alert.
            paged = self._desk.page(alert, client, at, step=step)
        resources_sent = False
        if assessment.level is Level.CRISIS and reply.reply_sent != "crisis":
            # The webhook answers crisis language with resources itself; this covers a reply whose
            # answer was something else, so the client always gets them. After the page: a human
            # first, whatever Twilio does.
            resources_sent = self._send_resources(reply={"sid": reply.sid, "client_id": client.client_id})[
                "sent"
            ]

        store.save_assessment(
            reply,
            mood=assessment.mood,
            level=assessment.level.value,
            reasons=[f"{r.rule}" for r in assessment.reasons],
            alert_id=alert_id,
        )
        logger.info("reply scored", client_id=client.client_id, message_sid=reply.sid,
                    triage_level=assessment.level.value, alert_id=alert_id)
        return ScoreOutcome(assessment.level.value, assessment.mood, alert_id, paged, resources_sent)

    def rescore_unscored(self, since: datetime) -> list[ScoreOutcome]:
        """Score every stored reply since ``since`` that has no level yet: the redrive after a DLQ alarm.

        Lambda's on-failure record for a stream names only shard and sequence numbers (and stream
        records expire after 24 h), so the replies themselves are the source of truth. A scan:
        for ops, after an incident, never on a hot path. Scoring is idempotent, so a reply scored
        meanwhile is simply skipped or re-scored without a second page.
        """
        unscored = store.Message.scan(
            (store.Message.kind == "reply") & store.Message.level.does_not_exist() & (store.Message.at >= to_iso(since))
        )
        return [self.score(reply, reply.received_at) for reply in unscored]

    def _send_resources_once(self, reply: dict[str, Any]) -> dict[str, Any]:
        client = store.get_client(reply["client_id"])
        if client is None:
            return {"sent": False}
        try:
            self._sms.send(client.phone_e164, self._settings.crisis_text(client.locale))
        except SmsSendError as exc:
            if not exc.recipient:
                raise  # an outage or our configuration: retry, and the DLQ alarms if it persists
            # Opted out at the carrier: resources cannot reach them by SMS; the page still goes out.
            logger.warning("crisis resources refused", client_id=client.client_id, twilio_code=exc.code)
            return {"sent": False}
        metrics.add_metric(name="CrisisResourcesSent", unit="Count", value=1)
        return {"sent": True}
