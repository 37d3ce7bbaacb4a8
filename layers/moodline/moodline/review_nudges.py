"""The review inbox's safety net: a reply nobody has reviewed in time nudges its coach, then the team.

Issue 11 §3 "Waiting": every reply with words (and every reply triage flags for review) must be read
by a human within a day. A scheduled run finds the replies still unmarked: after ``coach_after``
(24 h by default) the client's own coach gets an e-mail; after a further ``team_after`` every coach
does. Each nudge is keyed on reply + stage + recipient, so a re-run, a retry or an overlapping run
never sends the same nudge twice. E-mails name the client and how long replies have waited, never
the text of a reply or a phone number, and link to the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from html import escape
from typing import Any

from moodline.domain import Client, Message
from moodline.observability import logger, metrics
from moodline.ports import Clients, Coaches, Mailer, Messages, OncePerKey, Reviews
from moodline.schedule import to_iso

NUDGE_KEY_SECONDS = 30 * 24 * 3600  # longer than a reply can stay in the inbox
INBOX_DAYS = 14  # what the workspace inbox shows (moodline.workspace.app.INBOX_DAYS)


class Stage(StrEnum):
    COACH = "coach"
    TEAM = "team"


@dataclass(frozen=True)
class Waiting:
    client: Client
    reply: Message
    waited: timedelta


@dataclass
class NudgeRun:
    """What one run found and sent."""

    waiting: int = 0
    nudged: list[tuple[str, str, str]] = field(default_factory=list)  # (message key, stage, coach id)


class ReviewNudges:
    """Nudges coaches, then the team, about replies waiting in the review inbox too long."""

    def __init__(self, *, clients: Clients, messages: Messages, reviews: Reviews, coaches: Coaches,
                 mailer: Mailer, once: OncePerKey, coach_after: timedelta = timedelta(hours=24),
                 team_after: timedelta = timedelta(hours=24), inbox_url: str = "") -> None:
        self._clients = clients
        self._messages = messages
        self._reviews = reviews
        self._coaches = coaches
        self._mailer = mailer
        self.coach_after = coach_after
        self.team_after = team_after
        self._inbox_url = inbox_url
        self._send = once(self._send_once, key_prefix="review-nudge", data_keyword="nudge",
                          key_jmespath="[client_id, message_key, stage, coach_id]",
                          expires_after_seconds=NUDGE_KEY_SECONDS)

    def waiting(self, now: datetime) -> list[Waiting]:
        """Every reply in the inbox window no coach has marked, oldest first.

        From the index of replies awaiting review (``Reviews.waiting``), then one read of each reply and
        of each client found: cost ∝ replies waiting, not clients enrolled (it was a scan of the clients).
        """
        since = now - timedelta(days=INBOX_DAYS)
        found: list[Waiting] = []
        clients: dict[str, Client | None] = {}
        for client_id, key in self._reviews.waiting(since):
            if client_id not in clients:
                clients[client_id] = self._clients.get(client_id)
            client, reply = clients[client_id], self._messages.get(client_id, key)
            if client is not None and reply is not None and reply.received_at <= now:
                found.append(Waiting(client, reply, now - reply.received_at))
        return sorted(found, key=lambda w: w.reply.at)

    def run(self, now: datetime) -> NudgeRun:
        """Send every nudge that is due at ``now`` and not yet sent."""
        run = NudgeRun()
        waiting = self.waiting(now)
        run.waiting = len(waiting)
        team: list[str] | None = None
        for item in waiting:
            if item.waited < self.coach_after:
                continue
            stages = [(Stage.COACH, [item.client.coach_id])]
            if item.waited >= self.coach_after + self.team_after:
                if team is None:
                    team = [c.coach_id for c in self._coaches.all()]
                stages.append((Stage.TEAM, [c for c in team if c != item.client.coach_id]))
            for stage, coach_ids in stages:
                for coach_id in coach_ids:
                    nudge = {"client_id": item.client.client_id, "message_key": item.reply.at, "stage": stage.value,
                             "coach_id": coach_id, "name": item.client.display_name,
                             "hours": int(item.waited.total_seconds() // 3600), "run": to_iso(now)}
                    # A key seen before returns the first run's result: "sent by this run" is its stamp.
                    if self._send(nudge=nudge).get("sent_by") == nudge["run"]:
                        run.nudged.append((item.reply.at, stage.value, coach_id))
        logger.info("review nudges", waiting=run.waiting, nudged=len(run.nudged))
        return run

    def _send_once(self, nudge: dict[str, Any]) -> dict[str, Any]:
        coach = self._coaches.get(nudge["coach_id"])
        if coach is None or not coach.email:
            logger.warning("review nudge has no one to go to", coach_id=nudge["coach_id"])
            return {"sent": False}
        own = nudge["stage"] == Stage.COACH
        subject = (f"Moodline: a reply from {nudge['name']} has waited {nudge['hours']} h for review" if own else
                   f"Moodline (team): a reply from {nudge['name']} has waited {nudge['hours']} h; nobody has read it")
        why = ("It is in your review inbox." if own else
               "Their own coach was nudged and has not marked it yet. Any coach can read and mark it.")
        link = f"Open the inbox: {self._inbox_url}" if self._inbox_url else "Open the review inbox in the workspace."
        text = f"{subject}.\n\n{why}\n{link}\n"
        html = f"<p>{escape(subject)}.</p><p>{escape(why)}</p>" + (
            f'<p><a href="{escape(self._inbox_url)}">Open the review inbox</a></p>' if self._inbox_url else "")
        self._mailer.send(to=coach.email, subject=subject, html=html, text=text)
        metrics.add_metric(name="ReviewNudges", unit="Count", value=1)
        return {"sent": True, "sent_by": nudge["run"]}
