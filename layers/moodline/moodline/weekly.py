"""The weekly e-mail: for each coach, their own clients' last ISO week and the pages they handled.

Fanned out: the Monday tick queues one job per coach (``queue_all``); a worker builds and sends each
(``send``), reading one query of messages per client and one batch of alerts per coach.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moodline.domain import Alert, Client, Message
from moodline.observability import logger, metrics
from moodline.ports import Alerts, Clients, Coaches, Mailer, Messages, OncePerKey, Queue
from moodline.schedule import from_iso, to_iso
from moodline.summary import (
    AlertBrief,
    ClientWeekInput,
    DayCheckin,
    HandledPage,
    iso_week_bounds,
    render_weekly_email,
    should_send,
    summarize_client_week,
)
from moodline.triage.model import Level
from moodline.vocabulary import AlertStatus, ClientStatus, Direction, MessageKind

TREND_WEEKS = 3
WEEKLY_KEY_SECONDS = 14 * 24 * 3600


class InvalidWeeklyJob(ValueError):
    """An SQS body that is not a weekly job (it lands in the weekly DLQ after its retries)."""


@dataclass(frozen=True)
class WeeklyJob:
    """One coach's e-mail for one ISO week: what the Monday tick queues. ``coach_id + iso_week`` is its key.

    ``handled`` names the alerts the coach acknowledged or resolved that week, found by the tick's one
    read of the alerts: ids only, so no name or text rides on the queue, and the worker reads them fresh.
    """

    coach_id: str
    iso_week: str
    handled: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, body: str) -> WeeklyJob:
        """Parse and validate an SQS message body."""
        try:
            data = json.loads(body)
            handled = data.get("handled", [])
            if not isinstance(handled, list):
                raise TypeError("handled is not a list")
            job = cls(str(data["coach_id"]), str(data["iso_week"]), tuple(str(a) for a in handled))
            iso_week_bounds(job.iso_week)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidWeeklyJob("not a weekly job") from exc
        return job

    def to_json(self) -> str:
        return json.dumps({"coach_id": self.coach_id, "iso_week": self.iso_week, "handled": list(self.handled)},
                          separators=(",", ":"))


@dataclass(frozen=True)
class WeeklyFanOut:
    """What one Monday tick did: one job queued per coach."""

    iso_week: str
    coaches: int
    queued: int


@dataclass(frozen=True)
class WeeklySent:
    """What one coach's job did (a redelivered job returns the first delivery's result, sending nothing)."""

    coach_id: str
    iso_week: str
    sent: bool
    clients: int


def previous_iso_week(now: datetime, timezone: str) -> str:
    """The last complete ISO week before ``now`` in the practice's timezone, e.g. ``2026-W47``."""
    year, week, _ = (now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def week_window(client: Client, week_start: date) -> tuple[datetime, datetime]:
    """The instants whose messages one client's week needs: the trend weeks before it, and the week."""
    return (_local_midnight(week_start - timedelta(weeks=TREND_WEEKS), client.timezone),
            _local_midnight(week_start + timedelta(days=7), client.timezone))


def alerts_raised(messages: Iterable[Message], week_start: date) -> set[str]:
    """The alerts the week's replies raised or joined: every scored risky reply names its alert.

    So one query of a client's messages finds the week's alerts too, without a query of the alerts
    index per client; the alerts themselves are then read for all of a coach's clients in one batch.
    """
    week_end = week_start + timedelta(days=7)
    return {m.alert_id for m in messages
            if m.alert_id and week_start <= date.fromisoformat(m.local_date) < week_end}


def client_week(client: Client, messages: Iterable[Message], alerts: Iterable[Alert],
                week_start: date) -> ClientWeekInput:
    """One client's week (and the weeks before it, for the trend) from their messages and alerts.

    ``messages``: the client's messages in :func:`week_window`; ``alerts``: any alerts, of which those of
    this client opened during the week (in the client's timezone) are counted.
    """
    week_end = week_start + timedelta(days=7)
    days: dict[date, dict[str, Any]] = {}
    previous: list[float] = []
    earlier: dict[str, bool] = {}  # local date → replied, for probes before the week
    for message in messages:
        day = date.fromisoformat(message.local_date)
        if day < week_start:
            if message.direction is Direction.INBOUND and message.mood is not None:
                previous.append(float(message.mood))
            if message.direction is Direction.OUTBOUND and message.kind is MessageKind.PROBE:
                earlier.setdefault(message.local_date, False)
            elif (message.direction is Direction.INBOUND and message.kind is MessageKind.REPLY
                  and message.local_date in earlier):
                earlier[message.local_date] = True
            continue
        if day >= week_end:
            continue
        entry = days.setdefault(day, {"probe_sent": False, "replied": False, "mood": None, "alert_level": None})
        if message.direction is Direction.OUTBOUND and message.kind is MessageKind.PROBE:
            entry["probe_sent"] = True
        elif message.direction is Direction.INBOUND and message.kind is MessageKind.REPLY:
            entry["replied"] = True
            if message.mood is not None:
                entry["mood"] = float(message.mood)  # the day's latest rating wins
            if message.level is not None and (entry["alert_level"] is None
                                              or message.level.rank > Level(entry["alert_level"]).rank):
                entry["alert_level"] = message.level.value  # the day's most severe reply: an alert day if it paged
    opened_from = to_iso(_local_midnight(week_start, client.timezone))
    opened_to = to_iso(_local_midnight(week_end, client.timezone))
    briefs = [
        AlertBrief(from_iso(a.opened_at), a.level.value, a.status.value)
        for a in sorted(alerts, key=lambda a: a.opened_at)
        if a.client_id == client.client_id and opened_from <= a.opened_at <= opened_to
    ]
    return ClientWeekInput(
        client_id=client.client_id,
        display_name=client.display_name,
        checkins=[DayCheckin(local_date=day, **entry) for day, entry in sorted(days.items())],
        alerts=briefs,
        previous_moods=previous,
        opted_out=client.status is ClientStatus.STOPPED,
        previous_answered=[earlier[day] for day in sorted(earlier)],
    )



def _practice_week(iso_week: str, timezone: str) -> tuple[datetime, datetime]:
    week_start, _ = iso_week_bounds(iso_week)
    return _local_midnight(week_start, timezone), _local_midnight(week_start + timedelta(days=7), timezone)


def _acted(alert: Alert) -> list[tuple[str, datetime]]:
    """Who acted on an alert, and when: the acknowledging and the resolving coach. One coach may be both
    (acknowledged in one week, resolved in the next): each act counts for its own week."""
    acts = ((alert.acknowledged_by, alert.acknowledged_at), (alert.resolved_by, alert.resolved_at))
    return [(coach_id, from_iso(at)) for coach_id, at in acts if coach_id and at]


class WeeklyTick:
    """Monday: queue one job per coach for last week; :class:`WeeklySummaries` sends each."""

    def __init__(self, *, coaches: Coaches, alerts: Alerts, queue: Queue, practice_timezone: str) -> None:
        self._coaches = coaches
        self._alerts = alerts
        self._queue = queue
        self._timezone = practice_timezone

    def queue_all(self, now: datetime) -> WeeklyFanOut:
        """Queue one job per coach for the ISO week before ``now`` (SQS batches of ten)."""
        iso_week = previous_iso_week(now, self._timezone)
        coaches = self._coaches.all()
        handled = self._handled_by(iso_week, now)
        jobs = [WeeklyJob(coach.coach_id, iso_week, tuple(handled.get(coach.coach_id, ()))) for coach in coaches]
        self._queue.send_all([job.to_json() for job in jobs])
        metrics.add_metric(name="WeeklySummariesQueued", unit="Count", value=len(jobs))
        return WeeklyFanOut(iso_week, len(coaches), len(jobs))

    def _handled_by(self, iso_week: str, now: datetime) -> dict[str, list[str]]:
        """The alerts each coach acknowledged or resolved in the week, by coach: the on-call coach's e-mail
        lists them even for other coaches' clients. Read once per run, here in the tick, not once per coach.

        An alert acted on in the week is either unresolved now or was resolved after that act, so between the
        week's start and ``now``: the unresolved ones and those resolved since the week began, both from an
        index, so the read does not grow with the practice's history of resolved alerts."""
        start, end = _practice_week(iso_week, self._timezone)
        by_coach: dict[str, list[str]] = {}
        for alert in [*self._alerts.unresolved(), *self._alerts.resolved_between(start, max(now, end))]:
            for coach_id, at in _acted(alert):
                if start <= at < end and alert.alert_id not in by_coach.get(coach_id, []):
                    by_coach.setdefault(coach_id, []).append(alert.alert_id)
        return by_coach


class WeeklySummaries:
    """One coach's summary per job, once per ISO week: a retried tick or a redelivered job sends nothing twice
    (the e-mail is keyed on ``coach_id + iso_week``)."""

    def __init__(self, *, clients: Clients, messages: Messages, alerts: Alerts, coaches: Coaches, mailer: Mailer,
                 once: OncePerKey, practice_timezone: str, workspace_url: str = "") -> None:
        self._workspace_url = workspace_url
        self._clients = clients
        self._messages = messages
        self._alerts = alerts
        self._coaches = coaches
        self._mailer = mailer
        self._timezone = practice_timezone
        self._send = once(
            self._send_once,
            key_prefix="weekly",
            data_keyword="job",
            key_jmespath="[coach_id, iso_week]",
            expires_after_seconds=WEEKLY_KEY_SECONDS,
        )

    def send(self, job: WeeklyJob) -> WeeklySent:
        """Build and send one coach's e-mail, once per coach and ISO week."""
        result = self._send(job={"coach_id": job.coach_id, "iso_week": job.iso_week, "handled": list(job.handled)})
        return WeeklySent(job.coach_id, job.iso_week, bool(result["sent"]), int(result["clients"]))

    def _send_once(self, job: dict[str, Any]) -> dict[str, Any]:
        coach = self._coaches.get(job["coach_id"])
        if coach is None:
            return {"sent": False, "clients": 0}
        week_start, _ = iso_week_bounds(job["iso_week"])
        clients = self._clients.of_coach(coach.coach_id)
        # One query per client: the week's messages also name the week's alerts (alerts_raised).
        weeks = {client.client_id: self._messages.between(client.client_id, *week_window(client, week_start))
                 for client in clients}
        wanted = set(job.get("handled", ())).union(*(alerts_raised(m, week_start) for m in weeks.values()))
        alerts = self._alerts.get_many(sorted(wanted)) if wanted else []
        summaries = [
            summarize_client_week(client_week(client, weeks[client.client_id], alerts, week_start),
                                  week_start=week_start)
            for client in clients
        ]
        handled = self._handled_pages(coach.coach_id, job["iso_week"], alerts,
                                      {c.client_id: c.display_name for c in clients})
        if not should_send(summaries, handled):
            # Nothing happened for this coach (a new deployment's first Monday, a coach without clients).
            return {"sent": False, "clients": len(summaries)}
        email = render_weekly_email(coach_name=coach.name, iso_week=job["iso_week"], summaries=summaries,
                                    handled_pages=handled, workspace_url=self._workspace_url,
                                    timezone=self._timezone)
        message_id = self._mailer.send(to=coach.email, subject=email.subject, html=email.html, text=email.text)
        metrics.add_metric(name="WeeklyEmailsSent", unit="Count", value=1)
        logger.info("weekly summary sent", coach_id=coach.coach_id, iso_week=job["iso_week"],
                    clients=len(summaries))
        return {"sent": True, "clients": len(summaries), "message_id": message_id}

    def _handled_pages(self, coach_id: str, iso_week: str, alerts: Iterable[Alert],
                       names: dict[str, str]) -> list[HandledPage]:
        """The pages ``coach_id`` handled in the week, from the alerts as read now."""
        start, end = _practice_week(iso_week, self._timezone)
        pages: list[HandledPage] = []
        for alert in alerts:
            acts = [at for by, at in _acted(alert) if by == coach_id and start <= at < end]
            if not acts:
                continue
            if alert.client_id not in names:  # another coach's client: the on-call coach handled it
                client = self._clients.get(alert.client_id)
                names[alert.client_id] = client.display_name if client else "(erased)"
            resolved = alert.status is AlertStatus.RESOLVED and alert.outcome is not None
            pages.append(HandledPage(
                client_id=alert.client_id, client_name=names[alert.client_id], level=alert.level.value,
                acknowledged_at=from_iso(alert.acknowledged_at) if alert.acknowledged_at else acts[0],
                outcome=alert.outcome.value if resolved and alert.outcome else None,
                alert_id=alert.alert_id, own_client=alert.coach_id == coach_id))
        return pages
