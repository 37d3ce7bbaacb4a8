"""A simulated week of Moodline, end to end on the local stack, printed as a timeline and a report."""

from __future__ import annotations

import heapq
import html
import io
import json
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from moodline.schedule import slot_end
from moodline_local.pagers import LocalPagers, page_lines
from moodline_local.stack import LOCAL_FROM_NUMBER, LocalStack
from moodline_local.workspace import (
    CHROMIUM,
    SignIn,
    WorkspaceUnavailable,
    create_sign_ins,
    export_pages,
    find_chromium,
    screenshot,
    unavailable_reason,
)


def last_full_week(now: datetime) -> tuple[datetime, datetime]:
    """The last simulated week that is over by ``now``: Monday 08:00 UTC (midnight on the US west
    coast, so every client's Monday is ahead) to the next Monday 13:30 UTC, after the weekly e-mails
    (08:00 New York). In the past, because the workspace pages are rendered at the real time: a
    coach's sign-in token from Cognito carries the real clock, and the pages then say "3 days ago".
    """
    end = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), UTC) \
        + timedelta(hours=13, minutes=30)
    if end > now:
        end -= timedelta(days=7)
    return end - timedelta(days=7, hours=5, minutes=30), end


WEEK_START, SIM_END = last_full_week(datetime.now(UTC))
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


PRACTICE_ZONE = "America/New_York"
WIDTH = 100


@dataclass(order=True)
class Entry:
    """One line of the story: when (UTC), in whose time zone, who, what, and lines shown under it."""

    at: datetime
    seq: int
    zone: str = field(compare=False)
    who: str = field(compare=False)
    what: str = field(compare=False)
    details: tuple[str, ...] = field(compare=False, default=())


class Timeline:
    """The week as a story, in time order; never a phone number.

    Each line starts with the practice's clock (New York), which only goes forward, then the time on
    the client's own clock with its zone. Whole messages, wrapped: nothing is cut, the crisis text least.
    """

    def __init__(self, practice_zone: str = PRACTICE_ZONE, width: int = WIDTH) -> None:
        self.zone = ZoneInfo(practice_zone)
        self.width = width
        self.entries: list[Entry] = []

    def line(self, at: datetime, zone: str, who: str, what: str, details: Sequence[str] = ()) -> None:
        self.entries.append(Entry(at, len(self.entries), zone, who, what, tuple(details)))

    def render(self) -> list[str]:
        lines: list[str] = []
        day = None
        for entry in sorted(self.entries):
            practice = entry.at.astimezone(self.zone)
            if practice.date() != day:
                day = practice.date()
                lines.append(f"— {practice:%A %d %B} —  (New York time, then the client's own)")
            local = entry.at.astimezone(ZoneInfo(entry.zone))
            zone = local.tzname() or ""
            stamp = f"  {practice:%H:%M}  {DAYS[local.weekday()]} {local:%H:%M} {zone:<5} {entry.who:<7} "
            lines += self._wrap(entry.what, stamp)
            for detail in entry.details:
                # A page's body keeps its bar on wrapped lines, so it reads as one block.
                bar = "│ " if detail.startswith("│ ") else "  "
                lines += self._wrap(detail[len(bar):] if bar == "│ " else detail, " " * len(stamp) + "  " + bar,
                                    " " * len(stamp) + "  " + bar + ("  " if bar == "  " else ""))
        return lines

    def _wrap(self, text: str, prefix: str, continuation: str | None = None) -> list[str]:
        # Links and codes stay whole (a wrapped URL cannot be copied); words wrap under the text.
        return textwrap.wrap(text, width=self.width, initial_indent=prefix,
                             subsequent_indent=continuation if continuation is not None else " " * len(prefix),
                             break_long_words=False, break_on_hyphens=False) or [prefix.rstrip()]


def _quoted(text: str) -> str:
    return f"\u201c{text}\u201d"


class WeekSimulation:
    """Drives the stack through the week: schedules fire, clients answer, pages and e-mails go out."""

    def __init__(self, stack: LocalStack, out_dir: Path) -> None:
        self.stack = stack
        self.out_dir = out_dir
        self.timeline = Timeline()
        self.now = WEEK_START
        self.by_phone = {p.phone: p for p in PERSONAS}
        self.client_ids: dict[str, str] = {}
        self.pending: list[_Pending] = []
        self.seen_messages = 0
        self.pagers = LocalPagers(stack.resource("AlertsTopic").arn)
        self.counts: Counter[str] = Counter()
        self.stopped_at: dict[str, datetime] = {}
        self.iso_week = ""
        self.seq = 0
        self.awaiting_ack: set[str] = set()
        self.ack_scheduled: set[str] = set()
        self.coach_phones = {coach_id: phone for coach_id, _, _, phone in COACHES}
        self.coach_names = {coach_id: f"{name} ({coach_id})" for coach_id, name, _, _ in COACHES}
        self.first_names = {coach_id: name.split()[0] for coach_id, name, _, _ in COACHES}
        self.sign_ins: list[SignIn] = []
        self.crisis_alert_id = ""
        self.questions: dict[str, str] = {}  # the check-in question each client was last shown

    # --- set-up ---------------------------------------------------------------------------------

    def enrol(self) -> str:
        """The roster, a pager per coach, the rota and the coaches' sign-ins; returns the phase line."""
        from moodline.admin import Enrolment

        roster = self.stack.roster
        settings, key = self.stack.settings(), self.stack.phone_key()
        for coach_id, name, email, phone in COACHES:
            roster.add_coach(coach_id, name, email, phone=phone, phone_key=key)
            # Each coach's pager: an SQS queue here; SMS, e-mail or an HTTPS pager service in production.
            self.pagers.subscribe(coach_id)
        for p in PERSONAS:
            client = roster.enroll_client(
                Enrolment(p.coach, p.name, p.phone, p.timezone, p.checkin, p.locale),
                phone_key=key, now=WEEK_START, shards=settings.due_shards,
            )
            self.client_ids[p.name] = client.client_id
        # The rota: Casey Monday to Wednesday, Jordan Thursday to Sunday, each backing the other up.
        thursday = WEEK_START + timedelta(days=3)
        roster.set_shift("primary", starts_at=WEEK_START, ends_at=thursday, primary="c1", backup="c2")
        roster.set_shift("primary", starts_at=thursday, ends_at=SIM_END, primary="c2", backup="c1")
        sign_ins = "no workspace sign-ins"
        try:
            self.sign_ins = create_sign_ins(self.stack, [(c[0], c[1], c[2]) for c in COACHES])
            sign_ins = "a workspace sign-in"
        except WorkspaceUnavailable as exc:
            sign_ins = f"no workspace sign-ins ({exc})"
        return (f"enrolled {len(PERSONAS)} clients in {len({p.timezone for p in PERSONAS})} timezones and "
                f"{len(COACHES)} coaches, each with a pager and {sign_ins}; on call: Casey Mon-Wed, Jordan Thu-Sun")

    # --- the week -------------------------------------------------------------------------------

    def run(self) -> None:
        while self.now < SIM_END:
            self.stack.clock = lambda: self.now
            paged = queued = False
            for name, result in self.stack.fire_schedules(self.now):
                queued = queued or bool(isinstance(result, dict) and result.get("queued"))
                if name.startswith("WeeklySummary"):
                    self.iso_week = str(result["iso_week"])
                    self.timeline.line(self.now, PRACTICE_ZONE, "weekly",
                                       f"weekly summary e-mails queued for {result['queued']} coaches "
                                       f"({result['iso_week']}); weekly_coach sends each")
                for escalation in result.get("escalated", []) if isinstance(result, dict) else []:
                    paged = True
                    self.timeline.line(self.now, PRACTICE_ZONE, "ESCALATE",
                                       f"no acknowledgement in time: the page goes on to "
                                       f"{self.coach_names.get(escalation['paged'], escalation['paged'])}")
            if queued or paged:
                # Only a tick that queued probes or weekly jobs, or paged, has anything to deliver; a reply settles
                # the stack itself (the simulation's shortcut, not the product's behaviour).
                self.stack.settle()
            if paged:
                self._show_pages(self.now, PRACTICE_ZONE)
            self._collect_sms()
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

    def _collect_sms(self) -> None:
        """What the clients' phones received: the check-in question, or any other text, whole."""
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
                # The question in full the first time (and whenever it changes), then by reference.
                if self.questions.get(persona.name) == message.body:
                    self.timeline.line(self.now, persona.timezone, persona.name, "→ check-in (the same question)")
                else:
                    self.questions[persona.name] = message.body
                    self.timeline.line(self.now, persona.timezone, persona.name,
                                       f"→ check-in: {_quoted(message.body)}")
                answer = persona.replies[day] if day < len(persona.replies) else None
                if answer is not None:
                    self._push(self.now + timedelta(minutes=persona.delay_minutes), "reply", persona=persona,
                               text=answer)
            else:
                self.timeline.line(self.now, persona.timezone, persona.name, f"→ SMS: {_quoted(message.body)}")
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
        scored = f"mood {last.mood:g}" if last and last.mood is not None else "no mood"
        level = last.level if last and last.level else (last.kind if last else "?")
        answer = _twiml_text(body)
        details = []
        if status != 200:
            details.append(f"↳ the webhook answered {status}")
        elif answer:
            details.append(f"↳ answered: {_quoted(html.unescape(answer))}")
        self.timeline.line(self.now, persona.timezone, persona.name, f"← {_quoted(text)}  ({scored}, {level})",
                           details)
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
        ack = f"ACK {alert.ack_code}"
        answer = f"↳ answered: {_quoted(html.unescape(_twiml_text(body)))}"
        self.timeline.line(self.now, PRACTICE_ZONE, self.first_names[coach_id], f"→ texts {_quoted(ack)}", [answer])
        self._push(self.now + timedelta(hours=1), "resolve", coach=coach_id, text=alert_id)

    def _coach_resolves(self, coach_id: str, alert_id: str) -> None:
        alert = self.stack.ops.alerts.get(alert_id)
        if alert is None:
            return
        outcome = OUTCOME.get(alert.level, "follow_up")
        # What `moodline alert resolve ID --by COACH --outcome OUTCOME` does.
        self.stack.ops.actions.resolve(alert_id, by=coach_id, outcome=outcome, at=self.now, note="called the client")
        client = next((name for name, cid in self.client_ids.items() if cid == alert.client_id), alert.client_id)
        self.timeline.line(self.now, PRACTICE_ZONE, self.first_names[coach_id],
                           f"called {client}, then resolved the {alert.level} alert: {outcome.replace('_', ' ')}")

    def _stranger_texts(self) -> None:
        status, body = self.stack.twilio.post_inbound(
            self.stack.inbound_url, to=LOCAL_FROM_NUMBER, from_=STRANGER, body="hi who is this?")
        self.timeline.line(self.now, PRACTICE_ZONE, "unknown",
                           f"← {_quoted('hi who is this?')}  (a number not enrolled)",
                           [f"↳ answered ({status}): {_quoted(html.unescape(_twiml_text(body)))}"])

    def _show_pages(self, at: datetime, zone: str) -> None:
        for page in self.pagers.drain():
            self.counts[f"pages:{page.pager}"] += 1
            lines = page_lines(page, self.coach_names)
            self.timeline.line(at, zone, "PAGE", lines[0], lines[1:])
            if page.severity == "crisis" and not self.crisis_alert_id:
                self.crisis_alert_id = page.alert_id
            self.awaiting_ack.add(page.alert_id)
            if page.alert_id in self.ack_scheduled or page.target == "team":
                continue
            delay = ACK_DELAY["escalated"] if page.escalated else ACK_DELAY.get(page.severity)
            if delay is not None:
                self.ack_scheduled.add(page.alert_id)
                self._push(at + delay, "ack", coach=page.pager, text=page.alert_id)

    # --- the report -----------------------------------------------------------------------------

    def report(self, elapsed: float, emails: list[Path]) -> dict[str, Any]:
        from moodline.adapters.dynamodb import AlertRow, MessageRow

        alerts = Counter(a.level for a in AlertRow.scan())
        dev = self.by_phone["+445550100004"]
        dev_probes = [m for m in self.stack.twilio.messages_to(dev.phone) if m.body.startswith("Hi ")]
        # The stand-in keeps messages in send order; count those sent after Dev's STOP.
        dev_after_stop = dev_probes[self.counts["dev_probes_before_stop"]:]
        stored = list(MessageRow.scan())
        unparseable = [m for m in stored if m.kind == "reply" and m.mood is None]
        return {
            "probes_sent": self.counts["probes"],
            "replies": self.counts["replies"],
            "replies_stored": sum(1 for m in stored if m.direction == "inbound"),
            "replies_without_mood": len(unparseable),
            "alerts": dict(sorted(alerts.items())),
            "pages": {k.split(":", 1)[1]: v for k, v in sorted(self.counts.items()) if k.startswith("pages:")},
            "emails": len(emails),
            "email_files": [str(p) for p in emails],
            "probes_after_stop": len(dev_after_stop),
            "acknowledged": self.counts["acks"],
            "escalations": sum(1 for a in AlertRow.scan() for e in a.timeline if e.event == "escalated"),
            "seconds": round(elapsed, 1),
        }

    def write_emails(self) -> list[Path]:
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

    def export_workspace(self, out_dir: Path) -> list[Path]:
        """The alert page, the review inbox and the roster as a demo coach sees them (Casey, Ben's coach)."""
        if not self.sign_ins:
            raise WorkspaceUnavailable(unavailable_reason(self.stack) or "no coach could be given a sign-in")
        # The workspace is read now, after the week: sign-in tokens carry the real clock.
        self.stack.clock = lambda: datetime.now(UTC)
        pages = {"roster": "/coach/clients", "inbox": "/coach/inbox"}
        if self.crisis_alert_id:
            pages = {"alert": f"/coach/alerts/{self.crisis_alert_id}", **pages}
        return export_pages(self.stack, self.sign_ins[0], pages, out_dir)


def _twiml_text(body: str) -> str:
    start, end = body.find("<Message>"), body.find("</Message>")
    return body[start + 9:end] if start >= 0 else ""


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def run_demo(root: Path, out_dir: Path, out: IO[str] = sys.stdout, *, chromium: str = CHROMIUM) -> dict[str, Any]:
    """Run the simulated week: one line per phase, then the timeline, the report and where the files are.

    Logs go to ``out_dir/demo-logs.jsonl``; returns the report figures.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    pages_dir = out_dir / "workspace"
    started = time.perf_counter()

    def phase(number: int, text: str) -> None:
        print(f"[{number}/6] {text}", file=out, flush=True)

    with (out_dir / "demo-logs.jsonl").open("w", encoding="utf-8") as logs, \
            LocalStack(root, log_stream=logs) as stack:
        phase(1, f"local stack up in {time.perf_counter() - started:.1f} s: API {stack.base_url} · "
                 f"AWS (moto) {stack.moto_url} · Twilio stand-in {stack.twilio.url}")
        simulation = WeekSimulation(stack, out_dir)
        phase(2, simulation.enrol())
        week_started = time.perf_counter()
        simulation.run()
        phase(3, f"simulated {WEEK_START:%a %d %b} to {SIM_END:%a %d %b} in {time.perf_counter() - week_started:.1f} s"
                 f" ({simulation.counts['probes']} check-ins, {simulation.counts['replies']} replies, "
                 f"{sum(v for k, v in simulation.counts.items() if k.startswith('pages:'))} pages)")
        emails = simulation.write_emails()
        phase(4, f"weekly e-mails: {', '.join(_relative(p, root) for p in emails) or 'none'}")
        html_files: list[Path] = []
        try:
            html_files = simulation.export_workspace(pages_dir)
            phase(5, f"workspace pages as {simulation.sign_ins[0].name} sees them: "
                     f"{', '.join(_relative(p, root) for p in html_files)}")
        except WorkspaceUnavailable as exc:
            phase(5, f"workspace pages skipped: {exc}")
        shots: list[Path] = []
        if not html_files:
            phase(6, "screenshots skipped: no workspace pages to take")
        elif find_chromium(chromium) is None:
            phase(6, f"screenshots skipped: no browser at {chromium} (apt-get install chromium)")
        else:
            try:
                for page in html_files:
                    screenshot(page, page.with_suffix(".png"), chromium=chromium)
                    shots.append(page.with_suffix(".png"))
                phase(6, f"screenshots (400 px wide): {', '.join(_relative(p, root) for p in shots)}")
            except (OSError, subprocess.SubprocessError) as exc:
                phase(6, f"screenshots failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        report = simulation.report(time.perf_counter() - started, emails)

    print("\nThe week", file=out)
    for line in simulation.timeline.render():
        print(line, file=out)
    print("\nReport", file=out)
    print(f"  check-ins sent ..... {report['probes_sent']}", file=out)
    print(f"  replies ............ {report['replies']} ({report['replies_without_mood']} without a mood)", file=out)
    print(f"  alerts by level .... {report['alerts'] or 'none'}", file=out)
    print(f"  pages .............. {report['pages'] or 'none'} · escalations {report['escalations']} · "
          f"acknowledged by SMS {report['acknowledged']}", file=out)
    print(f"  Dev texted STOP on Tuesday; check-ins sent to him since: {report['probes_after_stop']}", file=out)
    print(f"  8 days simulated in {report['seconds']} s", file=out)
    print("\nWhere to look", file=out)
    print(f"  weekly e-mails ..... {', '.join(_relative(p, root) for p in emails) or 'none'}", file=out)
    print(f"  workspace pages .... {', '.join(_relative(p, root) for p in html_files) or 'none (see phase 5)'}",
          file=out)
    print(f"  screenshots ........ {', '.join(_relative(p, root) for p in shots) or 'none (see phase 6)'}", file=out)
    print(f"  function logs ...... {_relative(out_dir / 'demo-logs.jsonl', root)} (no phone numbers, no message text)",
          file=out)
    report["workspace_pages"] = [str(p) for p in html_files]
    report["screenshots"] = [str(p) for p in shots]
    return report


if __name__ == "__main__":
    run_demo(Path.cwd(), Path("out"), io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8"))
