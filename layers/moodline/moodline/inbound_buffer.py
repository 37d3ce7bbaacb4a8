"""No reply lost to a short AWS fault (issue 8 §3): the webhook's last line of defence, and its drain.

Once a webhook is known to be Twilio's, nothing may lose the reply. When storing it fails (a
DynamoDB or Secrets Manager fault, a throttle, a bug), :class:`InboundWebhook` puts it on the
inbound buffer (SQS: it shares nothing with the table or the secrets), triages it in-process (the
rules need no AWS) and answers 200: with the crisis resources on crisis language, after paging the
team with the MessageSid (SNS does not depend on DynamoDB). :class:`InboundDrain` later stores each
buffered reply through the same, idempotent :class:`~moodline.inbound.InboundSmsService`, so a
reply stored before the fault is not stored twice, and scoring pages its coach as usual.

When the signature itself cannot be checked (the webhook secret could not be read), the request is
buffered as it came and checked by the drain: it is answered, but nobody is paged for it until then.

A delivery status callback can outrun its message: send_probe records a batch of probes a second or
two after sending them. :class:`DeliveryStatusCallbacks` puts a callback for a MessageSid not recorded
yet on the same buffer, delayed, and the drain applies it then, trying a bounded number of times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from moodline.domain import DeliveryReport, InboundAnswer, InboundSms, Page
from moodline.events import BadEvent, form_of
from moodline.inbound import UNKNOWN_MESSAGE
from moodline.observability import logger, metrics
from moodline.ports import Pager, Queue
from moodline.schedule import from_iso, to_iso
from moodline.triage.model import Assessment, Level
from moodline.vocabulary import TEAM, DeliveryStatus, Refusal

# What the drain keeps of an API Gateway event it must verify later: the signed parts, nothing else.
_KEPT_HEADERS = ("host", "x-forwarded-proto", "x-twilio-signature", "x-twilio-webhooks-signature-settings",
                 "authorization")

# When a status callback for a MessageSid not recorded yet is tried again, in seconds after the
# previous try (each at most SQS's 900). The first nearly always finds the record, written a second
# or two after the send; the others outlast a throttled batch write and its redelivery. After the
# last, the message is not coming: not ours, or its client erased. Dropped then, never to the DLQ.
STATUS_RETRY_DELAYS = (30, 120, 600)


class Receive(Protocol):
    def __call__(self, sms: InboundSms, received_at: datetime) -> Any:
        """Store and answer one SMS, once per MessageSid; returns something with ``.answer``."""
        ...


class InboundWebhook:
    """Verify, parse, receive - and on any fault after the check, buffer, triage and answer anyway."""

    def __init__(self, *, verify: Callable[[Mapping[str, Any]], dict[str, str]],
                 parse: Callable[[Mapping[str, str]], InboundSms], receive: Receive, buffer: Queue,
                 pager: Pager | None, assess: Callable[[str, Sequence[float | None]], Assessment],
                 crisis_text: Callable[[str], str], rejections: tuple[type[Exception], ...]) -> None:
        self._verify = verify
        self._parse = parse
        self._receive = receive
        self._buffer = buffer
        self._pager = pager
        self._assess = assess
        self._crisis_text = crisis_text
        self._rejections = rejections

    def handle(self, event: Mapping[str, Any], received_at: datetime) -> InboundAnswer:
        """The answer to one inbound-SMS webhook; raises only a rejection or bad input (4xx)."""
        try:
            form = self._verify(event)
        except self._rejections:
            raise
        except Exception as exc:
            return self._buffer_unverified(event, received_at, exc)
        sms = self._parse(form)
        try:
            answer: InboundAnswer = self._receive(sms, received_at).answer
        except Exception as exc:
            # Any fault, a cancelled write included unless only its SID claim collided (a concurrent
            # delivery of the same MessageSid, which the service answers as a retry): if in doubt, buffer.
            # The drain goes through the same service, so a reply stored meanwhile is not stored twice.
            return self._buffer_verified(sms, received_at, exc)
        return answer

    def _buffer_verified(self, sms: InboundSms, received_at: datetime, fault: Exception) -> InboundAnswer:
        crisis = self._assess(sms.body, ()).level is Level.CRISIS
        logger.warning("inbound buffered: storing failed", message_sid=sms.message_sid,
                       fault=type(fault).__name__, crisis=crisis)
        if crisis:
            self._page_team(sms.message_sid)
        # If SQS fails too, the original fault propagates: a 5xx, which Twilio retries
        # (connection overrides) and sends to the Fallback URL; the page above already went out.
        self._buffer.send_all([json.dumps({"kind": "verified", "received_at": to_iso(received_at),
                                           "sms": asdict(sms)})])
        metrics.add_metric(name="InboundBuffered", unit="Count", value=1)
        return InboundAnswer(self._crisis_text("en-US") if crisis else None)

    def _buffer_unverified(self, event: Mapping[str, Any], received_at: datetime,
                           fault: Exception) -> InboundAnswer:
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        context = event.get("requestContext") or {}
        kept = {
            "headers": {k: headers[k] for k in _KEPT_HEADERS if k in headers},
            "path": event.get("path"),
            "requestContext": {k: context.get(k) for k in ("path", "domainName", "requestTimeEpoch")},
            "multiValueQueryStringParameters": event.get("multiValueQueryStringParameters"),
            "body": event.get("body"),
            "isBase64Encoded": event.get("isBase64Encoded", False),
        }
        if "rawQueryString" in event:
            kept["rawQueryString"] = event["rawQueryString"]
        logger.warning("inbound buffered unverified: signature could not be checked", fault=type(fault).__name__)
        self._buffer.send_all([json.dumps({"kind": "unverified", "received_at": to_iso(received_at),
                                           "event": kept})])
        metrics.add_metric(name="InboundBuffered", unit="Count", value=1)
        # Crisis resources harm no one, even sent to a forger; a page waits for the drain's check.
        body = _form_body(event)
        crisis = body is not None and self._assess(body, ()).level is Level.CRISIS
        return InboundAnswer(self._crisis_text("en-US") if crisis else None)

    def _page_team(self, message_sid: str) -> None:
        if self._pager is None:
            return
        try:
            self._pager.publish(Page(
                alert_id=f"buffered-{message_sid}", step="buffered", coach_id=TEAM, severity=Level.CRISIS.value,
                subject="Moodline CRISIS: a reply could not be stored yet",
                body=f"Crisis language in an inbound SMS received while storage was failing. Twilio MessageSid "
                     f"{message_sid}: the client was sent crisis resources; find the sender in the Twilio console "
                     "and reach out. The reply is buffered and will be stored when storage recovers.",
            ))
            metrics.add_metric(name="PagesPublished", unit="Count", value=1)
        except Exception as exc:
            logger.error("crisis page for a buffered reply failed", message_sid=message_sid,
                         fault=type(exc).__name__)


def _form_body(event: Mapping[str, Any]) -> str | None:
    try:
        return form_of(event).get("Body")
    except BadEvent:
        return None


class InboundDrain:
    """Stores buffered replies (through the idempotent inbound service, unverified ones checked first),
    and applies buffered delivery statuses."""

    def __init__(self, *, verify: Callable[[Mapping[str, Any]], dict[str, str]],
                 parse: Callable[[Mapping[str, str]], InboundSms], receive: Receive,
                 rejections: tuple[type[Exception], ...], statuses: DeliveryStatusCallbacks) -> None:
        self._verify = verify
        self._parse = parse
        self._receive = receive
        self._rejections = rejections
        self._statuses = statuses

    def drain_one(self, body: str) -> str:
        """Store one buffered reply or status; returns what was done. Raises to have SQS retry it (then its DLQ)."""
        item = json.loads(body)
        if item["kind"] == "status":
            return self._statuses.retry(item)
        received_at = from_iso(item["received_at"])
        if item["kind"] == "verified":
            sms = InboundSms(**item["sms"])
        else:
            try:
                sms = self._parse(self._verify(item["event"]))
            except self._rejections as exc:
                metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
                logger.warning("buffered webhook rejected", cause=getattr(exc, "cause", type(exc).__name__))
                return "rejected"
        self._receive(sms, received_at)
        metrics.add_metric(name="InboundDrained", unit="Count", value=1)
        logger.info("buffered inbound stored", message_sid=sms.message_sid)
        return "stored"


class RecordStatus(Protocol):
    def __call__(self, report: DeliveryReport, *, now: datetime) -> str:
        """Apply one delivery status; returns what was done, ``UNKNOWN_MESSAGE`` for a SID not recorded."""
        ...


class DeliveryStatusCallbacks:
    """Delivery status callbacks: applied at once, or - for a message not recorded yet - from the buffer.

    A ``failed`` callback with a refusal about the number is what stops a client or marks it
    unreachable, so one that outruns its message's record is kept, not dropped. Applying a status
    again, or late, is safe: the store advances a message's status only up its rank ("sent" after
    "delivered" changes nothing).
    """

    def __init__(self, *, record: RecordStatus, buffer: Queue,
                 delays: Sequence[int] = STATUS_RETRY_DELAYS) -> None:
        self._record = record
        self._buffer = buffer
        self._delays = tuple(delays)

    def handle(self, report: DeliveryReport, received_at: datetime) -> str:
        """Apply one callback now, or buffer it for later; returns what was done (for the log)."""
        outcome = self._record(report, now=received_at)
        if outcome != UNKNOWN_MESSAGE:
            return outcome
        # If SQS fails too, the fault propagates: a 5xx, which Twilio retries, likely after the record.
        return self._defer(report, received_at, attempt=1)

    def retry(self, item: Mapping[str, Any]) -> str:
        """Apply one buffered callback; buffer it again (later) while its message is unknown, up to the bound."""
        report, received_at, attempt = _report_of(item["report"]), from_iso(item["received_at"]), int(item["attempt"])
        outcome = self._record(report, now=received_at)
        if outcome != UNKNOWN_MESSAGE:
            metrics.add_metric(name="DeliveryStatusAppliedLate", unit="Count", value=1)
            logger.info("delivery status applied late", message_sid=report.message_sid,
                        status=_value(report.status), attempt=attempt, outcome=outcome)
            return outcome
        if attempt >= len(self._delays):
            # Not an incident (an erased client's late callback, another app's SID): a count, not the DLQ.
            metrics.add_metric(name="DeliveryStatusDropped", unit="Count", value=1)
            logger.warning("delivery status for an unknown message dropped", message_sid=report.message_sid,
                           status=_value(report.status), error_code=report.error_code, attempts=attempt)
            return "dropped"
        return self._defer(report, received_at, attempt=attempt + 1)

    def _defer(self, report: DeliveryReport, received_at: datetime, *, attempt: int) -> str:
        delay = self._delays[attempt - 1]
        self._buffer.send_all([json.dumps({
            "kind": "status", "received_at": to_iso(received_at), "attempt": attempt,
            "report": {"message_sid": report.message_sid, "status": _value(report.status), "rank": report.rank,
                       "error_code": report.error_code, "refusal": _value(report.refusal)},
        })], delay_seconds=delay)
        metrics.add_metric(name="DeliveryStatusDeferred", unit="Count", value=1)
        logger.info("delivery status for a message not recorded yet deferred", message_sid=report.message_sid,
                    status=_value(report.status), attempt=attempt, delay_seconds=delay)
        return "deferred"


def _value(member: DeliveryStatus | Refusal | None) -> str | None:
    return member.value if member is not None else None


def _report_of(data: Mapping[str, Any]) -> DeliveryReport:
    return DeliveryReport(
        message_sid=str(data["message_sid"]),
        status=DeliveryStatus(data["status"]) if data.get("status") is not None else None,
        rank=int(data["rank"]),
        error_code=int(data["error_code"]) if data.get("error_code") is not None else None,
        refusal=Refusal(data["refusal"]) if data.get("refusal") is not None else None,
    )
