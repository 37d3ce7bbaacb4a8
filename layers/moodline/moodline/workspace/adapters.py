"""``WorkspaceData`` and ``WorkspaceActions`` over the ports of :mod:`moodline.ports`.

Thin: translate domain values into the views' plain values, and make one call each. Acknowledge,
resolve and "should have paged" go through the alert use cases (``AlertActions``, ``AlertDesk``:
the pure alert machine underneath); texting goes through the ``SmsSender`` port. The composition
root builds these (``moodline.workspace.wiring``); ``tests/`` builds them on the in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from functools import cached_property

from moodline.alerting import AlertError
from moodline.domain import Alert, AuditEntry, Client, Message, ReviewMark, SmsSendError, message_key
from moodline.paging import AlertActions, AlertDesk
from moodline.ports import Alerts, AuditLog, Clients, Coaches, CoachSends, Messages, Reviews, SmsSender
from moodline.schedule import from_iso, local_date_in
from moodline.triage.model import Assessment, Level, Reason
from moodline.vocabulary import AlertEvent, ClientStatus, Direction, MessageKind, Refusal, Via
from moodline.workspace.ports import (
    ActionError,
    AlertView,
    ClientView,
    CoachView,
    MessageView,
    Sent,
    TimelineView,
)

SHOULD_HAVE_PAGED_RULE = "coach.should_have_paged"


def client_view(client: Client) -> ClientView:
    return ClientView(client.client_id, client.coach_id, client.display_name, client.phone_e164, client.timezone,
                      client.status.value, client.open_alert_id)


def message_view(m: Message) -> MessageView:
    return MessageView(
        client_id=m.client_id, key=m.at, at=m.received_at, direction=m.direction.value, kind=m.kind.value,
        body=m.body, mood=m.mood, level=m.level.value if m.level else None, reasons=m.reasons, review=m.review,
        alert_id=m.alert_id, coach_id=m.coach_id, reply_sent=m.reply_sent,
    )


def alert_view(a: Alert) -> AlertView:
    timeline = tuple(TimelineView(from_iso(t.at), t.event.value, t.detail) for t in a.timeline)
    # "paged" entries read "<target> (<source>), step <step>": everyone this alert reached.
    paged = tuple(dict.fromkeys(t.detail.split(" ", 1)[0] for t in a.timeline
                                if t.event is AlertEvent.PAGED and t.detail))
    return AlertView(a.alert_id, a.client_id, a.coach_id, a.level.value, a.status.value, from_iso(a.opened_at),
                     a.reasons, a.replies, timeline, paged, a.acknowledged_by,
                     a.outcome.value if a.outcome else None)


class PortsData:
    """``WorkspaceData`` over the repositories."""

    def __init__(self, *, clients: Clients, messages: Messages, alerts: Alerts, coaches: Coaches, reviews: Reviews,
                 audit: AuditLog) -> None:
        self._clients = clients
        self._messages = messages
        self._alerts = alerts
        self._coaches = coaches
        self._reviews = reviews
        self._audit = audit

    def alert(self, alert_id: str) -> AlertView | None:
        found = self._alerts.get(alert_id)
        return alert_view(found) if found else None

    def open_alerts(self) -> list[AlertView]:
        return [alert_view(a) for a in self._alerts.unresolved()]

    def client(self, client_id: str) -> ClientView | None:
        found = self._clients.get(client_id)
        return client_view(found) if found else None

    def clients_of(self, coach_id: str) -> list[ClientView]:
        return [client_view(c) for c in self._clients.of_coach(coach_id)]

    def all_coaches(self) -> list[CoachView]:
        return [CoachView(c.coach_id, c.name) for c in self._coaches.all()]

    def alerts_of_client(self, client_id: str, since: datetime, until: datetime) -> list[AlertView]:
        return [alert_view(a) for a in self._alerts.of_client(client_id, since, until)]

    def messages(self, client_id: str, since: datetime, until: datetime) -> list[MessageView]:
        return [message_view(m) for m in self._messages.between(client_id, since, until)]

    def awaiting_review(self, since: datetime, clients: Collection[str] | None = None) -> list[tuple[str, str]]:
        return self._reviews.waiting(since, clients)

    def record_audit(self, entries: list[AuditEntry]) -> None:
        if entries:
            self._audit.record(entries)

    def record_review(self, mark: ReviewMark) -> bool:
        return self._reviews.mark(mark)


class PortsActions:
    """``WorkspaceActions`` over the alert use cases and the ``SmsSender`` port.

    Factories for what costs imports or clients (Twilio, the pager behind the desk), so a page view
    builds neither: they come on the first action that needs them.
    """

    def __init__(self, *, clients: Clients, messages: Messages, sends: CoachSends,
                 actions: Callable[[], AlertActions], desk: Callable[[], AlertDesk], sms: Callable[[], SmsSender],
                 retention_days: int, shards: int) -> None:
        self._clients = clients
        self._messages = messages
        self._sends = sends
        self._actions_factory = actions
        self._desk_factory = desk
        self._sms_factory = sms
        self._retention_days = retention_days
        self._shards = shards

    @cached_property
    def _actions(self) -> AlertActions:
        return self._actions_factory()

    @cached_property
    def _desk(self) -> AlertDesk:
        return self._desk_factory()

    @cached_property
    def _sms(self) -> SmsSender:
        return self._sms_factory()

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> AlertView:
        try:
            return alert_view(self._actions.acknowledge(alert_id, by=by, via=Via.WORKSPACE, at=at))
        except AlertError as exc:
            raise ActionError(str(exc)) from None

    def resolve(self, alert_id: str, *, by: str, outcome: str, note: str, at: datetime) -> AlertView:
        try:
            return alert_view(self._actions.resolve(alert_id, by=by, outcome=outcome, note=note, at=at))
        except AlertError as exc:
            raise ActionError(str(exc)) from None

    def text_client(self, client: ClientView, body: str, *, by: str, submission_id: str, at: datetime) -> Sent:
        if not self._sends.claim(submission_id, coach_id=by, client_id=client.client_id, at=at):
            return Sent(ok=True, duplicate=True)
        try:
            sent = self._sms.send(client.phone, body)
        except SmsSendError as exc:
            if exc.recipient:
                # Opted out at the carrier, or not a mobile: the client's status follows, as for a probe.
                self._follow_refusal(client.client_id, exc.refusal, at)
                return Sent(ok=False, error="opted_out" if exc.refusal is Refusal.OPTED_OUT else
                            "This number cannot take SMS; call instead.")
            self._sends.release(submission_id)
            return Sent(ok=False, error="The SMS provider did not take the message; try again or call.")
        message = self._messages.record(Message(
            client_id=client.client_id, at=message_key(at, sent.sid), sid=sent.sid, direction=Direction.OUTBOUND,
            kind=MessageKind.COACH, local_date=local_date_in(client.timezone, at).isoformat(), body=body,
            status=sent.status, status_rank=sent.rank, coach_id=by), retention_days=self._retention_days)
        return Sent(ok=True, message=message_view(message))

    def _follow_refusal(self, client_id: str, refusal: Refusal, at: datetime) -> None:
        status = refusal.client_status
        stored = self._clients.get(client_id)
        if status is not None and stored is not None and stored.status is ClientStatus.ACTIVE:
            self._clients.set_status(stored, status, now=at, shards=self._shards)

    def should_have_paged(self, client: ClientView, message: MessageView, *, by: str, at: datetime) -> AlertView:
        """Open (or add to) the client's alert at HIGH and page now: a coach judged triage wrong."""
        stored = self._clients.get(client.client_id)
        if stored is None:
            raise ActionError("no such client")
        assessment = Assessment(Level.HIGH, message.mood, (Reason(SHOULD_HAVE_PAGED_RULE, by),))
        alert, _, step = self._desk.record_risk(stored, message.key, assessment, at)
        self._desk.page(alert, stored, at, step=step)
        # The reply now names its alert, as a scored risky reply does: the weekly e-mail finds a week's alerts
        # through its replies (one query per client). Triage's verdict on it stays as it was.
        self._messages.link_alert(client.client_id, message.key, alert.alert_id)
        return alert_view(self._actions.get(alert.alert_id))
