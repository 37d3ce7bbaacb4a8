"""The weekly e-mail: for each coach, their own clients' last ISO week and the pages they handled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moodline.domain import Client
from moodline.observability import logger, metrics
from moodline.ports import Alerts, Clients, Coaches, Mailer, Messages, OncePerKey
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


@dataclass(frozen=True)
class WeeklyRun:
    """What one weekly run did."""

    iso_week: str
    coaches: int
    emails_sent: int
    clients: int


def previous_iso_week(now: datetime, timezone: str) -> str:
    """The last complete ISO week before ``now`` in the practice's timezone, e.g. ``2026-W47``."""
    year, week, _ = (now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def client_week(messages: Messages, alerts: Alerts, client: Client, week_start: date) -> ClientWeekInput:
    """Gather one client's week (and the weeks before it, for the trend) from their messages and alerts."""
    week_end = week_start + timedelta(days=7)
    start = _local_midnight(week_start - timedelta(weeks=TREND_WEEKS), client.timezone)
    end = _local_midnight(week_end, client.timezone)
    days: dict[date, dict[str, Any]] = {}
    previous: list[float] = []
    earlier: dict[str, bool] = {}  # local date → replied, for probes before the week
    for message in messages.between(client.client_id, start, end):
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
    briefs = [
        AlertBrief(datetime.fromisoformat(a.opened_at.replace("Z", "+00:00")), a.level.value, a.status.value)
        for a in alerts.of_client(client.client_id, _local_midnight(week_start, client.timezone), end)
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


def _aware(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


class WeeklySummaries:
    """Sends each coach their summary once per ISO week (a retry skips coaches already e-mailed)."""

    def __init__(self, *, clients: Clients, messages: Messages, alerts: Alerts, coaches: Coaches, mailer: Mailer,
                 once: OncePerKey, practice_timezone: str, workspace_url: str = "") -> None:
        self._workspace_url = workspace_url
        self._handled: dict[str, dict[str, list[HandledPage]]] = {}  # iso week -> coach -> pages they handled
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

    def send_all(self, now: datetime) -> WeeklyRun:
        """E-mail every coach the summary of the ISO week before ``now``."""
        iso_week = previous_iso_week(now, self._timezone)
        coaches = self._coaches.all()
        sent = clients = 0
        for coach in coaches:
            result = self._send(job={"coach_id": coach.coach_id, "iso_week": iso_week})
            sent += 1 if result["sent"] else 0
            clients += int(result["clients"])
        metrics.add_metric(name="WeeklyEmailsSent", unit="Count", value=sent)
        return WeeklyRun(iso_week, len(coaches), sent, clients)

    def _send_once(self, job: dict[str, str]) -> dict[str, Any]:
        coach = self._coaches.get(job["coach_id"])
        if coach is None:
            return {"sent": False, "clients": 0}
        week_start, _ = iso_week_bounds(job["iso_week"])
        summaries = [
            summarize_client_week(client_week(self._messages, self._alerts, client, week_start), week_start=week_start)
            for client in self._clients.of_coach(coach.coach_id)
        ]
        handled = self._handled_by(job["iso_week"]).get(coach.coach_id, [])
        if not should_send(summaries, handled):
            # Nothing happened for this coach (a new deployment's first Monday, a coach without clients).
            return {"sent": False, "clients": len(summaries)}
        email = render_weekly_email(coach_name=coach.name, iso_week=job["iso_week"], summaries=summaries,
                                    handled_pages=handled, workspace_url=self._workspace_url,
                                    timezone=self._timezone)
        message_id = self._mailer.send(to=coach.email, subject=email.subject, html=email.html, text=email.text)
        logger.info("weekly summary sent", coach_id=coach.coach_id, iso_week=job["iso_week"],
                    clients=len(summaries))
        return {"sent": True, "clients": len(summaries), "message_id": message_id}

    def _handled_by(self, iso_week: str) -> dict[str, list[HandledPage]]:
        """Every page a coach acknowledged or resolved in the week, by coach: the on-call coach's e-mail lists
        them even for other coaches' clients. One read of the alerts per run (they are a practice's few risky
        episodes), not one per coach."""
        if iso_week not in self._handled:
            week_start, _ = iso_week_bounds(iso_week)
            start = _local_midnight(week_start, self._timezone)
            end = _local_midnight(week_start + timedelta(days=7), self._timezone)
            by_coach: dict[str, list[HandledPage]] = {}
            names: dict[str, str] = {}
            for alert in [*self._alerts.unresolved(), *self._alerts.resolved()]:
                acted = {alert.acknowledged_by: alert.acknowledged_at, alert.resolved_by: alert.resolved_at}
                for coach_id, at in acted.items():
                    if not coach_id or not at or not start <= _aware(at) < end:
                        continue
                    if alert.client_id not in names:
                        client = self._clients.get(alert.client_id)
                        names[alert.client_id] = client.display_name if client else "(erased)"
                    resolved = alert.status is AlertStatus.RESOLVED and alert.outcome is not None
                    by_coach.setdefault(coach_id, []).append(HandledPage(
                        client_id=alert.client_id, client_name=names[alert.client_id], level=alert.level.value,
                        acknowledged_at=_aware(alert.acknowledged_at or at),
                        outcome=alert.outcome.value if resolved and alert.outcome else None,
                        alert_id=alert.alert_id, own_client=alert.coach_id == coach_id))
            self._handled[iso_week] = by_coach
        return self._handled[iso_week]
