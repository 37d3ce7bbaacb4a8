"""A simulated week of Moodline, end to end on the local stack, printed as a timeline and a report."""

from __future__ import annotations

import heapq
import io
import json
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import boto3

from moodline.schedule import slot_end
from moodline_local.stack import LOCAL_FROM_NUMBER, LocalStack
from moodline_local.template import REGION

# Monday 30 November 2026, midnight on the US west coast: from here every client's Monday is ahead.
WEEK_START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
# It runs on to the next Monday morning, when the weekly e-mails go out (08:00 New York).
SIM_END = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Persona:
    """A simulated client: who they are, when they are asked, and what they answer each day."""

    name: str
    phone: str
    timezone: str
    checkin: str
    coach: str
    locale: str
    delay_minutes: int
    replies: tuple[str | None, ...]  # Mon..Sun; None = no answer


PERSONAS = (
    Persona("Ana", "+15550100001", "America/New_York", "09:00", "c1", "es-US", 12,
            ("7, bien", "8 hoy muy bien", "7", "6, cansada", "7/10", "8", "siete")),
    Persona("Ben", "+15550100002", "America/Chicago", "08:30", "c1", "en-US", 25,
            ("6", "5 rough night", "4", "honestly i can't do this anymore. i've been saving my pills and "
             "tonight is the night", None, "3", "5")),
    Persona("Chloe", "+15550100003", "America/Los_Angeles", "19:00", "c2", "en-US", 40,
            ("8 great run today", "7", "had a long day at work", "7.5", "8", None, "9")),
    Persona("Dev", "+445550100004", "Europe/London", "10:00", "c2", "en-GB", 5,
            ("6", "STOP", "5", "5", "5", "5", "5")),
    Persona("Eli", "+15550100005", "America/Denver", "12:00", "c1", "en-US", 90,
            ("7", None, "6", "2, everything feels heavy", "4", "5", None)),
    Persona("Fay", "+15550100006", "America/Phoenix", "20:00", "c2", "en-US", 15,
            ("9", "8", "killing it at work, 9", "my phone died lol. 8", "9", "8", "9")),
)
COACHES = (("c1", "Casey Morgan", "casey@practice.example", "+15550200001"),
           ("c2", "Jordan Lee", "jordan@practice.example", "+15550200002"))
# How the coaches answer pages in the simulation: crisis pages are acknowledged within minutes; the
# first high page is missed (asleep, in session), so it escalates and the backup acknowledges it.
ACK_DELAY = {"crisis": timedelta(minutes=3), "escalated": timedelta(minutes=2)}
OUTCOME = {"crisis": "true_alarm", "high": "follow_up"}
STRANGER = "+15550199999"


@dataclass(order=True)
class _Pending:
    """Something a person does at ``at``: a client's reply, or a coach's ACK or resolve."""

    at: datetime
    seq: int
    kind: str = field(compare=False)  # reply | ack | resolve
    persona: Persona | None = field(compare=False, default=None)
    text: str = field(compare=False, default="")
    coach: str = field(compare=False, default="")


class Timeline:
    """Prints what happens, in each client's own local time; never a phone number."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def line(self, at: datetime, zone: str, who: str, what: str) -> None:
        local = at.astimezone(ZoneInfo(zone))
        stamp = f"{DAYS[local.weekday()]} {local:%d %b %H:%M} {local.tzname():>5}"
        print(f"  {stamp}  {who:<7} {what}", file=self.out)


class WeekSimulation:
    """Drives the stack through the week: schedules fire, clients answer, pages and e-mails go out."""

    def __init__(self, stack: LocalStack, out: IO[str], out_dir: Path) -> None:
        self.stack = stack
        self.out = out
        self.out_dir = out_dir
        self.timeline = Timeline(out)
        self.now = WEEK_START
        self.by_phone = {p.phone: p for p in PERSONAS}
        self.client_ids: dict[str, str] = {}
        self.pending: list[_Pending] = []
        self.seen_messages = 0
        self.pager_queues: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.stopped_at: dict[str, datetime] = {}
        self.iso_week = ""
        self.seq = 0
        self.awaiting_ack: set[str] = set()
        self.ack_scheduled: set[str] = set()
        self.coach_phones = {coach_id: phone for coach_id, _, _, phone in COACHES}

    # --- set-up ---------------------------------------------------------------------------------

    def enrol(self) -> None:
        from moodline.adapters.sns import subscribe_pager
        from moodline.admin import Enrolment

        roster = self.stack.roster
        settings, key = self.stack.settings(), self.stack.phone_key()
        sqs = boto3.client("sqs", region_name=REGION)
        topic = self.stack.resource("AlertsTopic").arn
        for coach_id, name, email, phone in COACHES:
            roster.add_coach(coach_id, name, email, phone=phone, phone_key=key)
            # Each coach's pager: an SQS queue here; SMS, e-mail or an HTTPS pager service in production.
            url = sqs.create_queue(QueueName=f"pager-{coach_id}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            subscribe_pager(coach_id, topic_arn=topic, protocol="sqs", endpoint=arn)
            self.pager_queues[coach_id] = url
        enrolled_at = WEEK_START
        for p in PERSONAS:
            client = roster.enroll_client(
                Enrolment(p.coach, p.name, p.phone, p.timezone, p.checkin, p.locale),
                phone_key=key, now=enrolled_at, shards=settings.due_shards,
            )
            self.client_ids[p.name] = client.client_id
        # The rota: Casey Monday to Wednesday, Jordan Thursday to Sunday, each backing the other up.
        thursday = WEEK_START + timedelta(days=3)
        roster.set_shift("primary", starts_at=WEEK_START, ends_at=thursday, primary="c1", backup="c2")
        roster.set_shift("primary", starts_at=thursday, ends_at=SIM_END, primary="c2", backup="c1")
        print(f"Enrolled {len(PERSONAS)} clients in {len({p.timezone for p in PERSONAS})} timezones, "
              f"{len(COACHES)} coaches; on call: Casey (c1) Mon-Wed, Jordan (c2) Thu-Sun.\n", file=self.out)

    # --- the week -------------------------------------------------------------------------------

    def run(self) -> None:
        self.enrol()
        current_day = None
        while self.now < SIM_END:
            day = self.now.astimezone(ZoneInfo("America/New_York")).date()
            if day != current_day:
                current_day = day
                print(f"— {day:%A %d %B} —", file=self.out)
            self.stack.clock = lambda: self.now
            paged = queued = False
            for name, result in self.stack.fire_schedules(self.now):
                queued = queued or bool(isinstance(result, dict) and result.get("queued"))
                if name.startswith("WeeklySummary"):
                    self.iso_week = str(result["iso_week"])
                    self.timeline.line(self.now, "America/New_York", "weekly",
                                       f"summary e-mails sent to {result['emails_sent']} coaches "
                                       f"({result['iso_week']})")
                for escalation in result.get("escalated", []) if isinstance(result, dict) else []:
                    paged = True
                    self.timeline.line(self.now, "America/New_York", "ESCALATE",
                                       f"no acknowledgement: {escalation['paged']} paged")
            if queued or paged:
                # Only a tick that queued probes or paged has anything to deliver; a reply settles
                # the stack itself (the simulation's shortcut, not the product's behaviour).
                self.stack.settle()
            if paged:
                self._show_pages(self.now, "America/New_York")
            self._collect_probes()
            self.stack.twilio.flush_status_callbacks("delivered")
            # Minute by minute while a page waits for an acknowledgement, so escalation is on time;
            # otherwise on to the next quarter hour, the scheduler's slot.
            tick = self.now
            step = timedelta(minutes=1) if self.awaiting_ack else slot_end(tick) - tick
            self._act_until(tick + step)
            if tick == WEEK_START + timedelta(days=2, hours=10):
                self._stranger_texts()
            self.now = tick + step

    def _push(self, at: datetime, kind: str, **values: Any) -> None:
        self.seq += 1
        heapq.heappush(self.pending, _Pending(at, self.seq, kind, **values))

    def _collect_probes(self) -> None:
        messages = self.stack.twilio.messages
        for message in messages[self.seen_messages:]:
            persona = self.by_phone.get(message.to)
            if persona is None:
                continue
            if message.body.startswith(("Hi ", "Hola ")):
                self.counts["probes"] += 1
                if persona.name == "Dev" and persona.phone not in self.stopped_at:
                    self.counts["dev_probes_before_stop"] += 1
                day = self.now.astimezone(ZoneInfo(persona.timezone)).weekday()
                self.timeline.line(self.now, persona.timezone, persona.name, "→ check-in sent")
                answer = persona.replies[day] if day < len(persona.replies) else None
                if answer is not None:
                    self._push(self.now + timedelta(minutes=persona.delay_minutes), "reply", persona=persona,
                               text=answer)
            else:
                self.timeline.line(self.now, persona.timezone, persona.name, f"→ SMS: {message.body[:70]}…")
        self.seen_messages = len(messages)

    def _act_until(self, end: datetime) -> None:
        while self.pending and self.pending[0].at < end:
            item = heapq.heappop(self.pending)
            self.now = item.at
            if item.kind == "reply" and item.persona is not None:
                self._reply(item.persona, item.text)
            elif item.kind == "ack":
                self._coach_acks(item.coach, item.text)
            elif item.kind == "resolve":
                self._coach_resolves(item.coach, item.text)

    def _reply(self, persona: Persona, text: str) -> None:
        status, body = self.stack.twilio.post_inbound(
            self.stack.inbound_url, to=LOCAL_FROM_NUMBER, from_=persona.phone, body=text)
        self.counts["replies"] += 1
        if text.strip().upper() == "STOP":
            self.stopped_at[persona.phone] = self.now
        self.stack.settle()
        stored = self.stack.ops.messages.between(self.client_ids[persona.name], WEEK_START, SIM_END)
        last = stored[-1] if stored else None
        scored = f"mood {last.mood:g}" if last and last.mood is not None else "mood —"
        level = last.level if last and last.level else (last.kind if last else "?")
        self.timeline.line(self.now, persona.timezone, persona.name, f"← \"{text[:48]}\"  [{scored}, {level}]")
        answer = _twiml_text(body)
        if status != 200:
            self.timeline.line(self.now, persona.timezone, persona.name, f"  webhook answered {status}")
        elif answer:
            self.timeline.line(self.now, persona.timezone, "", f"  ↳ answered: {answer[:78]}")
        self._show_pages(self.now, persona.timezone)

    def _coach_acks(self, coach_id: str, alert_id: str) -> None:
        alert = self.stack.ops.alerts.get(alert_id)
        if alert is None or alert.status != "open":
            return
        _status, body = self.stack.twilio.post_inbound(
            self.stack.inbound_url, to=LOCAL_FROM_NUMBER, from_=self.coach_phones[coach_id],
            body=f"ACK {alert.ack_code}")
        self.awaiting_ack.discard(alert_id)
        self.counts["acks"] += 1
        self.timeline.line(self.now, "America/New_York", coach_id,
                           f"→ texted ACK {alert.ack_code}  ↳ {_twiml_text(body)[:60]}")
        self._push(self.now + timedelta(hours=1), "resolve", coach=coach_id, text=alert_id)

    def _coach_resolves(self, coach_id: str, alert_id: str) -> None:
        alert = self.stack.ops.alerts.get(alert_id)
        if alert is None:
            return
        outcome = OUTCOME.get(alert.level, "follow_up")
        # What `moodline alert resolve ID --by COACH --outcome OUTCOME` does.
        self.stack.ops.actions.resolve(alert_id, by=coach_id, outcome=outcome, at=self.now, note="called the client")
        self.timeline.line(self.now, "America/New_York", coach_id, f"resolved {alert_id}: {outcome}")

    def _stranger_texts(self) -> None:
        status, body = self.stack.twilio.post_inbound(
            self.stack.inbound_url, to=LOCAL_FROM_NUMBER, from_=STRANGER, body="hi who is this?")
        self.timeline.line(self.now, "America/New_York", "unknown",
                           f"← \"hi who is this?\" [{status}] ↳ {_twiml_text(body)[:60]}")

    def _show_pages(self, at: datetime, zone: str) -> None:
        sqs = boto3.client("sqs", region_name=REGION)
        for coach_id, url in self.pager_queues.items():
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                envelope = json.loads(message["Body"])
                attributes = envelope["MessageAttributes"]
                alert_id = attributes["alert_id"]["Value"]
                target, severity = attributes["coach_id"]["Value"], attributes["severity"]["Value"]
                self.counts[f"pages:{coach_id}"] += 1
                self.timeline.line(at, zone, "PAGE", f"⚠ {coach_id} paged ({target}): {envelope.get('Subject', '')}")
                self.awaiting_ack.add(alert_id)
                if alert_id in self.ack_scheduled or target == "team":
                    continue
                escalated = "(escalated)" in envelope.get("Subject", "")
                delay = ACK_DELAY["escalated"] if escalated else ACK_DELAY.get(severity)
                if delay is not None:
                    self.ack_scheduled.add(alert_id)
                    self._push(at + delay, "ack", coach=coach_id, text=alert_id)

    # --- the report -----------------------------------------------------------------------------

    def report(self, elapsed: float) -> dict[str, Any]:
        from moodline.adapters.dynamodb import AlertRow, MessageRow

        alerts = Counter(a.level for a in AlertRow.scan())
        dev = self.by_phone["+445550100004"]
        dev_probes = [m for m in self.stack.twilio.messages_to(dev.phone) if m.body.startswith("Hi ")]
        # The stand-in keeps messages in send order; count those sent after Dev's STOP.
        dev_after_stop = dev_probes[self.counts["dev_probes_before_stop"]:]
        stored = list(MessageRow.scan())
        unparseable = [m for m in stored if m.kind == "reply" and m.mood is None]
        emails = self._write_emails()
        report = {
            "probes_sent": self.counts["probes"],
            "replies": self.counts["replies"],
            "replies_stored": sum(1 for m in stored if m.direction == "inbound"),
            "replies_without_mood": len(unparseable),
            "alerts": dict(sorted(alerts.items())),
            "pages": {k.split(":", 1)[1]: v for k, v in sorted(self.counts.items()) if k.startswith("pages:")},
            "emails": len(emails),
            "probes_after_stop": len(dev_after_stop),
            "acknowledged": self.counts["acks"],
            "escalations": sum(1 for a in AlertRow.scan() for e in a.timeline if e.event == "escalated"),
            "seconds": round(elapsed, 1),
        }
        print("\nReport", file=self.out)
        print(f"  probes sent ........ {report['probes_sent']}", file=self.out)
        print(f"  replies ............ {report['replies']} ({report['replies_without_mood']} without a mood)",
              file=self.out)
        print(f"  alerts by level .... {report['alerts'] or 'none'}", file=self.out)
        print(f"  pages .............. {report['pages'] or 'none'} · escalations {report['escalations']} · "
              f"acknowledged by SMS {report['acknowledged']}", file=self.out)
        print(f"  weekly e-mails ..... {report['emails']} → {', '.join(str(p) for p in emails)}", file=self.out)
        print(f"  Dev texted STOP on Tuesday; check-ins sent to him since: {len(dev_after_stop)}", file=self.out)
        print(f"  simulated 8 days in {report['seconds']} s", file=self.out)
        return report

    def _write_emails(self) -> list[Path]:
        with urllib.request.urlopen(f"{self.stack.moto_url}/moto-api/data.json") as response:
            data = json.load(response)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for message in data.get("ses", {}).get("Message", []):
            if self.iso_week not in message["subject"]:
                continue  # the run on the first Monday covered the week before the simulation
            to = message["destinations"]["ToAddresses"][0].split("@")[0]
            path = self.out_dir / f"weekly-{to}.html"
            path.write_text(message["body"], encoding="utf-8")
            paths.append(path)
        return paths


def _twiml_text(body: str) -> str:
    start, end = body.find("<Message>"), body.find("</Message>")
    return body[start + 9:end] if start >= 0 else ""


def run_demo(root: Path, out_dir: Path, out: IO[str] = sys.stdout) -> dict[str, Any]:
    """Run the simulated week; logs go to ``out_dir/demo-logs.jsonl``; returns the report figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with (out_dir / "demo-logs.jsonl").open("w", encoding="utf-8") as logs, \
            LocalStack(root, log_stream=logs) as stack:
        print(f"Moodline local stack: API {stack.base_url} · AWS (moto) {stack.moto_url} · "
              f"Twilio stand-in {stack.twilio.url}\n", file=out)
        simulation = WeekSimulation(stack, out, out_dir)
        simulation.run()
        return simulation.report(time.perf_counter() - started)


if __name__ == "__main__":
    run_demo(Path.cwd(), Path("out"), io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8"))
