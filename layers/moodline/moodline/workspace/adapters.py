"""The real ports, over today's modules: ``store`` / ``paging`` / ``sms`` and ``store_workspace``.

Deliberately thin - translation to view values and one call each - so the lead can re-point it at the
repositories of issue 6 without touching a view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from moodline import store, store_workspace
from moodline.paging import AlertDesk, AlertError, acknowledge_alert, resolve_alert
from moodline.schedule import from_iso, local_date_in
from moodline.sms import SmsSendError, TwilioSms
from moodline.triage.model import Assessment, Level, Reason
from moodline.workspace.ports import (
    ActionError,
    AlertView,
    AuditEntry,
    ClientView,
    CoachView,
    MessageView,
    ReviewMark,
    Sent,
    TimelineView,
)

OPT_OUT_CODE = 21610


def client_view(client: store.Client) -> ClientView:
    return ClientView(client.client_id, client.coach_id, client.display_name, client.phone_e164, client.timezone,
                      client.status, client.open_alert_id)


def message_view(m: Any) -> MessageView:
    return MessageView(
        client_id=m.client_id, key=m.at, at=m.received_at, direction=m.direction, kind=m.kind, body=m.body,
        mood=float(m.mood) if m.mood is not None else None, level=m.level, reasons=tuple(m.reasons or ()),
        review=bool(getattr(m, "review", False)), alert_id=m.alert_id, coach_id=getattr(m, "coach_id", None),
        reply_sent=m.reply_sent,
    )


def alert_view(a: store.Alert) -> AlertView:
    timeline = tuple(TimelineView(from_iso(t.at), t.event, t.detail) for t in a.timeline)
    paged = tuple(dict.fromkeys(t.detail.split(" ", 1)[0] for t in timeline if t.event == "paged" and t.detail))
    return AlertView(a.alert_id, a.client_id, a.coach_id, a.level, a.status, from_iso(a.opened_at),
                     tuple(a.reasons), tuple(a.replies), timeline, paged, a.acknowledged_by, a.outcome)


class StoreData:
    """``WorkspaceData`` over DynamoDB."""

    def alert(self, alert_id: str) -> AlertView | None:
        found = store.get_alert(alert_id)
        return alert_view(found) if found else None

    def open_alerts(self) -> list[AlertView]:
        # A filtered scan: the alerts table holds episodes, not messages, and stays small. An
        # "open" sparse index is the next step if it grows (noted in docs/workspace.md).
        return [alert_view(a) for a in store.Alert.scan(store.Alert.status.is_in("open", "acknowledged"))]

    def client(self, client_id: str) -> ClientView | None:
        found = store.get_client(client_id)
        return client_view(found) if found else None

    def clients_of(self, coach_id: str) -> list[ClientView]:
        return [client_view(c) for c in store.clients_of_coach(coach_id)]

    def all_clients(self) -> list[ClientView]:
        return [client_view(c) for c in store.Client.scan()]

    def alerts_of_client(self, client_id: str, since: datetime, until: datetime) -> list[AlertView]:
        return [alert_view(a) for a in store.alerts_of_client(client_id, since, until)]

    def messages(self, client_id: str, since: datetime, until: datetime) -> list[MessageView]:
        return [message_view(m) for m in store_workspace.messages_between(client_id, since, until)]

    def coach(self, coach_id: str) -> CoachView | None:
        found = store.get_coach(coach_id)
        return CoachView(found.coach_id, found.name) if found else None

    def review_marks(self, client_id: str, since: datetime) -> list[ReviewMark]:
        return [ReviewMark(r.client_id, r.message_key, r.mark, r.coach_id, from_iso(r.at))
                for r in store_workspace.reviews_of_client(client_id, since)]

    def record_audit(self, entries: list[AuditEntry]) -> None:
        if entries:
            store_workspace.record_audit([(e.coach_id, e.client_id, e.at, e.what) for e in entries])

    def record_review(self, mark: ReviewMark) -> bool:
        return store_workspace.record_review(mark.client_id, mark.message_key, mark.mark, mark.coach_id, mark.at)


class StoreActions:
    """``WorkspaceActions`` over ``paging`` and Twilio."""

    def __init__(self, *, sms: Callable[[], TwilioSms], desk: Callable[[], AlertDesk], retention_days: int) -> None:
        # Factories: Twilio (~120 ms import) and the pager are built by the first action that needs them.
        self._sms = cache(sms)
        self._desk = cache(desk)
        self._retention_days = retention_days

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> AlertView:
        try:
            return alert_view(acknowledge_alert(alert_id, by=by, via="workspace", at=at))
        except AlertError as exc:
            raise ActionError(str(exc)) from None

    def resolve(self, alert_id: str, *, by: str, outcome: str, note: str, at: datetime) -> AlertView:
        try:
            return alert_view(resolve_alert(alert_id, by=by, outcome=outcome, note=note, at=at))
        except AlertError as exc:
            raise ActionError(str(exc)) from None

    def text_client(self, client: ClientView, body: str, *, by: str, submission_id: str, at: datetime) -> Sent:
        if not store_workspace.claim_send(submission_id, by, client.client_id, at):
            return Sent(ok=True, duplicate=True)
        try:
            sent = self._sms().send(client.phone, body)
        except SmsSendError as exc:
            if exc.code == OPT_OUT_CODE:
                return Sent(ok=False, error="opted_out")
            store_workspace.release_send(submission_id)
            return Sent(ok=False, error="Twilio did not take the message; try again or call.")
        row = store_workspace.record_coach_message(
            client.client_id, sid=sent.sid, at=at, body=body, coach_id=by,
            local_date=local_date_in(client.timezone, at).isoformat(), status=sent.status,
            retention_days=self._retention_days)
        return Sent(ok=True, message=message_view(row))

    def should_have_paged(self, client: ClientView, message: MessageView, *, by: str, at: datetime) -> AlertView:
        record = store.get_client(client.client_id)
        if record is None:
            raise ActionError("no such client")
        assessment = Assessment(Level.HIGH, message.mood, (Reason("coach.should_have_paged", by),))
        alert, _, step = self._desk().record_risk(record, message.key, assessment, at)
        self._desk().page(alert, record, at, step=step)
        return alert_view(store.get_alert(alert.alert_id) or alert)

