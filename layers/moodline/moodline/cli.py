"""The ``moodline`` command for ops: the roster (coaches, pagers, rota, clients), alerts, triage and rescore.

The same commands against a deployed stack (``--stack``) and the local stack (``moodline-local serve``):
see ``moodline --help`` for how it finds either.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moodline.domain import Alert, Client
    from moodline.ports import Messages


def score_lines(lines: Iterable[str], out: IO[str]) -> int:
    """Score JSON lines ``{"text": ..., "history": [...]}``; one JSON line out per line in, in order.

    A bad line gets ``{"error": ...}`` in its place (nothing is skipped); returns how many were bad.
    """
    from moodline.triage.engine import assess_reply

    errors = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            history = item.get("history") or []
            if not isinstance(history, list) or not all(
                h is None or (isinstance(h, int | float) and not isinstance(h, bool)) for h in history
            ):
                raise ValueError('"history" must be a list of numbers (or null)')
            moods = [None if h is None else float(h) for h in history]
            result: dict[str, Any] = assess_reply(item["text"], moods).to_json()
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            errors += 1
            result = {"error": f"line {number}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return errors


def _score(args: argparse.Namespace) -> int:
    if args.replay:
        return _replay()
    return 1 if score_lines(sys.stdin, sys.stdout) else 0


def _services(*require: str) -> Any:
    return _Current.connection.services(*require)


def _replay() -> int:
    from moodline.replay import replay, resolved_cases

    services = _services()
    result = replay(resolved_cases(services.alerts, services.messages))
    for rule in result.rules:
        print(json.dumps({"rule": rule.rule, "fired": rule.fired, "useful": rule.useful,
                          "false_alarm": rule.false_alarm, "precision": rule.precision}))
    for alert_id, before, now in result.changed:
        print(json.dumps({"alert_id": alert_id, "level_then": before, "level_now": now}))
    summary: dict[str, Any] = {"replayed": result.cases, "rules": len(result.rules), "changed": len(result.changed)}
    if services.settings.review_table:  # the coach workspace's "should have paged" marks
        from datetime import UTC, datetime

        from moodline.replay import replay_misses, triage_misses

        misses = replay_misses(triage_misses(services.reviews, services.messages, datetime(2000, 1, 1, tzinfo=UTC)))
        for family in misses.families:
            print(json.dumps({"miss_family": family.family, "misses": family.misses,
                              "caught_now": family.caught_now}))
        summary |= {"misses": misses.total, "misses_caught_now": misses.caught_now}
    print(json.dumps(summary))
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from moodline.schedule import from_iso
    from moodline.settings import ALERTS_TOPIC_ARN, APP_SECRET_ID, TWILIO_REST_SECRET_ID

    services = _services(ALERTS_TOPIC_ARN, TWILIO_REST_SECRET_ID, APP_SECRET_ID)
    # Outside Lambda there is no remaining time to give Powertools; its in-progress records then
    # simply use their default expiry.
    warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
    try:
        since = from_iso(args.since) if args.since else datetime.now(UTC) - timedelta(hours=args.since_hours)
    except ValueError:
        raise SystemExit("moodline: --since must be ISO-8601 with a timezone, e.g. 2026-11-30T00:00Z") from None
    outcomes = services.scorer.rescore_unscored(since)
    for outcome in outcomes:
        print(json.dumps({"level": outcome.level.value, "alert_id": outcome.alert_id, "paged": outcome.paged}))
    print(json.dumps({"rescored": len(outcomes), "paged": sum(1 for o in outcomes if o.paged)}))
    return 0


def _alert(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from moodline.paging import AlertError
    from moodline.vocabulary import Via

    services = _services()
    now = datetime.now(UTC)
    try:
        if args.alert_command in ("ack", "resolve"):
            from moodline.admin import Roster

            services.actions.get(args.alert_id)  # an unknown alert is named first
            Roster.on(services).coach(args.by)  # a typo must not stop an escalation or close an episode
        if args.alert_command == "ack":
            alert = services.actions.acknowledge(args.alert_id, by=args.by, via=Via.CLI, at=now)
        elif args.alert_command == "resolve":
            alert = services.actions.resolve(args.alert_id, by=args.by, outcome=args.outcome, at=now, note=args.note)
        else:
            alert = services.actions.get(args.alert_id)
    except AlertError as exc:
        raise CliError(str(exc)) from None
    print(render_alert(alert, services.messages if args.alert_command == "show" else None))
    return 0


def render_alert(alert: Alert, messages: Messages | None = None) -> str:
    """An alert for a coach's terminal: state, timeline and (given ``messages``) the replies that raised it."""
    lines = [f"{alert.alert_id}  {alert.level.value.upper()}  {alert.status.value}"
             + (f" ({alert.outcome.value})" if alert.outcome else ""),
             f"client {alert.client_id} (coach {alert.coach_id}) · opened {alert.opened_at} · code {alert.ack_code}",
             f"why: {', '.join(alert.reasons)}", "timeline:"]
    lines += [f"  {entry.at}  {entry.event.value:<16} {entry.detail}" for entry in alert.timeline]
    if messages is not None:
        lines.append("replies:")
        for key in alert.replies:
            reply = messages.get(alert.client_id, key)
            lines.append(f"  {key.split('#')[0]}  {reply.body if reply and reply.body else '(expired)'}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------- where it points

# The state file `moodline-local serve` (infra/local, moodline_local.serve) writes; the shipped package cannot import
# the local stack, so the path and the keys it reads are spelled here too (tests/integration hold them together).
LOCAL_STATE_ENV = "MOODLINE_LOCAL_STATE"


def local_state_path() -> Path:
    """Where a running ``moodline-local serve`` leaves its endpoint and environment (see ``--help``)."""
    return Path(os.environ.get(LOCAL_STATE_ENV) or Path.home() / ".moodline" / "local.json")


class CliError(Exception):
    """Anything the operator must fix, as one line."""


@dataclass
class Connection:
    """The stack the CLI works on: its function environment (settings) and how to reach AWS (or moto)."""

    environment: dict[str, str] = field(default_factory=dict)
    where: str = ""
    local: bool = False
    _built: Any = None

    def services(self, *require: str) -> Any:
        if self._built is None:
            from moodline.composition import Services
            from moodline.settings import Settings, SettingsError

            env = {**os.environ, **self.environment}
            try:
                settings = Settings.from_env(env, require=require)
            except SettingsError as exc:
                where = self.where or "no stack"
                raise CliError(f"{exc} ({where}; use --stack NAME or start moodline serve)") from None
            from moodline.adapters.dynamodb import bind_tables

            bind_tables(settings)
            self._built = Services(settings)
        return self._built


class _Current:
    """The connection of this run (set once by main)."""

    connection = Connection()


def connect(stack: str | None, *, profile: str | None, region: str | None) -> Connection:
    """``--stack``: the stack's outputs and its webhook function's environment. No flag: the exported
    environment if the tables are in it, else a running ``moodline-local serve`` (its state file)."""
    if stack:
        return _from_stack(stack, profile=profile, region=region)
    if os.environ.get("CLIENTS_TABLE"):
        return Connection(where="the exported environment")
    return _from_local_state(local_state_path())


def _from_stack(stack: str, *, profile: str | None, region: str | None) -> Connection:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    # Adapters build their own boto3 clients (and PynamoDB its connection): they follow these.
    if profile:
        os.environ["AWS_PROFILE"] = profile
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
    session = boto3.Session(profile_name=profile, region_name=region)
    try:
        cfn = session.client("cloudformation")
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        function = cfn.describe_stack_resource(StackName=stack, LogicalResourceId="IngestSmsFunction")
        name = function["StackResourceDetail"]["PhysicalResourceId"]
        config = session.client("lambda").get_function_configuration(FunctionName=name)
    except ClientError as exc:
        raise CliError(f"stack {stack!r}: {exc.response['Error'].get('Message', exc)}") from None
    except BotoCoreError as exc:
        raise CliError(f"stack {stack!r}: {exc}") from None
    environment = dict(config.get("Environment", {}).get("Variables", {}))
    if outputs.get("CoachUserPoolId"):
        environment.setdefault("USER_POOL_ID", outputs["CoachUserPoolId"])
    if outputs.get("AlertsTopicArn"):
        environment.setdefault("ALERTS_TOPIC_ARN", outputs["AlertsTopicArn"])
    return Connection(environment, where=f"stack {stack}")


def _from_local_state(path: Path) -> Connection:
    try:
        state = json.loads(path.read_text())
        pid, endpoint, environment = int(state["pid"]), str(state["endpoint_url"]), dict(state["env"])
    except FileNotFoundError:
        raise CliError("no stack: pass --stack NAME (and --profile/--region), or start `make serve` "
                       f"(it writes {path})") from None
    except (ValueError, KeyError, TypeError):
        raise CliError(f"{path} is not a moodline serve state file; remove it and restart moodline serve") from None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise CliError(f"moodline serve (pid {pid}) is not running; start it, or pass --stack NAME") from None
    except PermissionError:
        pass  # alive, another user's
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_DEFAULT_REGION", str(state.get("region", "us-east-1")))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")  # moto accepts any credentials
    return Connection({k: str(v) for k, v in environment.items()}, where=f"moodline serve at {endpoint}", local=True)


# --------------------------------------------------------------------------------------- output


def _print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, as_json: bool) -> None:
    """A readable table, or (``--json``) one JSON object per line for scripts."""
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
        return
    if not rows:
        print("(none)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _client_row(client: Client) -> dict[str, Any]:
    from moodline.phones import redact

    return {"client_id": client.client_id, "name": client.display_name, "timezone": client.timezone,
            "checkin_time": client.checkin_time, "locale": client.locale, "coach_id": client.coach_id,
            "status": client.status.value, "phone": redact(client.phone_e164),
            "consent": ("sms" if client.consent_sid else "on file" if client.consented_at else "-"),
            "review_all": client.review_all, "next_probe_at": client.next_probe_at}


def _now() -> datetime:
    return datetime.now(UTC)


def _instant(raw: str | None, flag: str) -> datetime:
    from moodline.schedule import from_iso

    if raw is None:
        return _now()
    try:
        return from_iso(raw if raw[-1] in "Zz" or "+" in raw[10:] else raw + "Z")
    except (ValueError, IndexError):
        raise CliError(f"{flag} must be ISO-8601, e.g. 2026-12-01T09:00Z") from None


# --------------------------------------------------------------------------------------- coach


def _sign_in(services: Any) -> Any:
    if not services.settings.user_pool_id:
        return None
    from moodline.adapters.cognito import CognitoSignIn

    return CognitoSignIn(services.settings.user_pool_id, send_invitation=not _Current.connection.local)


def _coach(args: argparse.Namespace) -> int:
    from moodline.admin import Roster

    services = _services()
    roster = Roster.on(services)
    if args.coach_command == "add":
        sign_in = _sign_in(services)
        coach, password = roster.onboard_coach(args.id, args.name, args.email, phone=args.phone, sign_in=sign_in,
                                               update=args.update)
        print(f"coach {coach.coach_id} ({coach.name}, {coach.email}) added"
              + (", can text ACK <code> from their phone" if coach.phone_hash else ""))
        if sign_in is None:
            print("no user pool in this stack's settings (USER_POOL_ID): no workspace sign-in was created")
        elif password is None:
            print(f"workspace sign-in for {coach.email} exists already: unchanged")
        else:
            print(f"workspace sign-in created for {coach.email}; temporary password (shown once, changed at first "
                  f"sign-in): {password}")
        return 0
    if args.coach_command == "remove":
        now = _now()
        roster.check_removable(args.id, now=now)
        pagers = 0
        if services.settings.alerts_topic_arn:
            from moodline.adapters.sns import unsubscribe_pagers

            # Pagers first: should SNS fail, the coach is still there and the same command finishes the job.
            pagers = unsubscribe_pagers(args.id, topic_arn=services.settings.alerts_topic_arn)
        coach = roster.remove_coach(args.id, now=now, sign_in=_sign_in(services))
        print(f"coach {coach.coach_id} removed, with {pagers} pager(s) and their workspace sign-in if they had one")
        return 0
    rows = [{"coach_id": c.coach_id, "name": c.name, "email": c.email, "ack_by_sms": c.phone_hash is not None}
            for c in roster.coaches()]
    _print_rows(rows, ["coach_id", "name", "email", "ack_by_sms"], as_json=args.json)
    return 0


# --------------------------------------------------------------------------------------- pager

PAGER_PROTOCOLS = ("sms", "email", "https")


def _pager(args: argparse.Namespace) -> int:
    from moodline.admin import Roster
    from moodline.settings import ALERTS_TOPIC_ARN

    services = _services(ALERTS_TOPIC_ARN)
    topic = services.settings.alerts_topic_arn
    roster = Roster.on(services)
    if args.pager_command == "subscribe":
        from moodline.adapters.sns import subscribe_pager

        roster.coach(args.coach)
        endpoint = _pager_endpoint(args.protocol, args.endpoint)
        arn = subscribe_pager(args.coach, topic_arn=topic, protocol=args.protocol, endpoint=endpoint)
        print(f"pager {args.protocol} subscribed for coach {args.coach}: {arn}")
        if args.protocol != "sms":
            print("confirm it from the message SNS sends; to stop one-click unsubscribes, confirm with "
                  f"`aws sns confirm-subscription --topic-arn {topic} --token TOKEN "
                  "--authenticate-on-unsubscribe true` (TOKEN is in the confirmation link)")
        return 0
    rows = _pager_rows(topic)
    if args.coach:
        rows = [r for r in rows if r["coach_id"] == args.coach]
    _print_rows(rows, ["coach_id", "protocol", "endpoint", "confirmed"], as_json=args.json)
    return 0


def _pager_endpoint(protocol: str, endpoint: str) -> str:
    from moodline.admin import Roster

    if protocol == "sms":
        return Roster._phone(Roster.__new__(Roster), endpoint)
    if protocol == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", endpoint):
        raise CliError("an email pager needs an e-mail address")
    if protocol == "https" and not endpoint.startswith("https://"):
        raise CliError("an https pager needs an https:// URL")
    return endpoint


def _pager_rows(topic: str) -> list[dict[str, Any]]:
    import boto3

    from moodline.adapters.sns import filtered_coaches
    from moodline.phones import redact

    sns = boto3.client("sns")
    rows = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
        for sub in page["Subscriptions"]:
            arn = sub["SubscriptionArn"]
            pending = not arn.startswith("arn:")
            coach = "?"
            if not pending:
                attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                coach = min(filtered_coaches(attributes.get("FilterPolicy", "")), default="?")
            endpoint = sub["Endpoint"]
            rows.append({"coach_id": coach, "protocol": sub["Protocol"],
                         "endpoint": redact(endpoint) if sub["Protocol"] == "sms" else endpoint,
                         "confirmed": not pending})
    return sorted(rows, key=lambda r: (r["coach_id"], r["protocol"]))


# --------------------------------------------------------------------------------------- rota


def _rota(args: argparse.Namespace) -> int:
    from moodline.admin import Roster
    from moodline.vocabulary import Rota

    roster = Roster.on(_services())
    if args.rota_command in ("set", "override"):
        rota = "primary" if args.rota_command == "set" else "override"
        start = _instant(args.start, "--from")
        # The latest shift to start is the one on call, so a shift set inside a longer one ends it early.
        superseded = roster.shifts_at(start).get(Rota(rota))
        shift = roster.set_shift(rota, starts_at=start, ends_at=_instant(args.end, "--to"), primary=args.primary,
                                 backup=args.backup)
        print(f"{rota}: {shift.primary_coach_id} (backup {shift.backup_coach_id or 'none: the team'}) "
              f"from {shift.starts_at} to {shift.ends_at}")
        if superseded is not None and superseded.ends_at > shift.ends_at:
            # A shift that starts when the other did replaces it (same key); one that starts later ends it early.
            print(f"note: this ends {superseded.primary_coach_id}'s {rota} shift (to {superseded.ends_at}) early: from "
                  f"{shift.ends_at} nobody is on this rota (pages go to the whole team) unless you set a shift "
                  f"from then, e.g. `moodline rota {args.rota_command} --primary {superseded.primary_coach_id} "
                  f"--from {shift.ends_at} --to {superseded.ends_at}`", file=sys.stderr)
        return 0
    at = _instant(args.at, "--at")
    shifts = roster.shifts_at(at)
    rows = [{"rota": rota.value, "primary": s.primary_coach_id if s else None,
             "backup": s.backup_coach_id if s else None, "from": s.starts_at if s else None,
             "to": s.ends_at if s else None} for rota, s in shifts.items()]
    _print_rows(rows, ["rota", "primary", "backup", "from", "to"], as_json=args.json)
    if not args.json:
        on_call = next((s for s in shifts.values() if s is not None), None)
        print(f"pages at {at.isoformat(timespec='minutes')} go to: "
              + (on_call.primary_coach_id if on_call else "the whole team (nobody on call)"))
    return 0


# --------------------------------------------------------------------------------------- client


def _enrolment(args: argparse.Namespace) -> Any:
    from moodline.admin import Enrolment

    return Enrolment(args.coach, args.name, args.phone, args.timezone, args.checkin_time, args.locale,
                     consent=False, consent_on_file=args.consent_on_file, country=args.country,
                     review_all=args.review_all)


def _client(args: argparse.Namespace) -> int:
    from moodline import admin

    services = _services()
    roster = admin.Roster.on(services)
    command = args.client_command
    if command == "export":
        print(json.dumps(roster.export_client(args.client_id), indent=1, default=str, ensure_ascii=False))
    elif command == "erase":
        if not args.yes:
            raise CliError("erasing is permanent; add --yes to confirm")
        print(json.dumps(roster.erase_client(args.client_id)))
    elif command == "enroll":
        client = roster.enroll_client(_enrolment(args), now=_now())
        print(f"enrolled {client.client_id} ({client.display_name}, coach {client.coach_id}): "
              + ("consent on file, check-ins start at the next check-in time" if client.consented_at
                 else "the welcome SMS asks for YES; no check-in until it comes"))
    elif command == "import":
        return _import(roster, Path(args.file), consent_on_file=args.consent_on_file, review_all=args.review_all)
    elif command == "list":
        rows = [_client_row(c) for c in roster.clients(args.coach)]
        if args.status:
            rows = [r for r in rows if r["status"] == args.status]
        _print_rows(rows, ["client_id", "name", "coach_id", "status", "timezone", "checkin_time", "locale",
                           "consent"], as_json=args.json)
    else:
        now = _now()
        if command == "pause":
            client = roster.pause(args.client_id, now=now)
        elif command == "resume":
            client = roster.resume(args.client_id, now=now)
        elif command == "move":
            client = roster.move(args.client_id, coach_id=args.coach)
        elif command == "set-time":
            from moodline.schedule import stored_hhmm

            hhmm = _one_value(args.checkin_time, args.checkin_time_flag, "a check-in time (HH:MM or --checkin-time)",
                              same=lambda text: stored_hhmm(text) or text.strip())
            client = roster.set_time(args.client_id, hhmm, now=now, timezone=args.timezone)
        else:
            locale = _one_value(args.locale, args.locale_flag, "a locale (e.g. es-US, or --locale)")
            client = roster.set_locale(args.client_id, locale, review_all=args.review_all)
        _print_rows([_client_row(client)], ["client_id", "name", "coach_id", "status", "timezone", "checkin_time",
                                            "locale", "review_all"], as_json=False)
    return 0


def _one_value(positional: str | None, flag: str | None, what: str, same: Callable[[str], str] = str.strip) -> str:
    if positional and flag and same(positional) != same(flag):
        raise CliError(f"two values given for {what}: {positional!r} and {flag!r}")
    value = positional or flag
    if not value:
        raise CliError(f"missing {what}")
    return value


IMPORT_HEADER = ("name", "phone", "timezone", "checkin_time", "locale", "coach_id")


def _import_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The rows of a roster CSV as (line number, cells by column), and the rows refused for their shape.

    The header names the six columns in any order and any case. Commas, semicolons (a spreadsheet set
    to a European locale) or tabs separate them. Line numbers are the file's own (the header is line 1,
    a quoted line break counts), so ``line N`` is where an editor shows it.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Guessing another encoding would garble names ("ZoÃ«") without a word; refuse where it starts.
        line = raw[: exc.start].count(b"\n") + 1
        raise CliError(f'line {line}: not UTF-8 text; save the file as "CSV UTF-8" and import it again') from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if not any(header):
        raise CliError("line 1: the file is empty; its first line must be the header " + ",".join(IMPORT_HEADER))
    # A spreadsheet often exports empty columns after the last one used: their cells are ignored (never data).
    width = len(header)
    while header and not header[-1]:
        header.pop()
    if sorted(header) != sorted(IMPORT_HEADER):
        missing = [name for name in IMPORT_HEADER if name not in header]
        extra = [name for name in header if name not in IMPORT_HEADER]
        detail = "; ".join(filter(None, [f"missing {', '.join(missing)}" if missing else "",
                                          f"unknown {', '.join(repr(e) for e in extra)}" if extra else "",
                                          "a column named twice" if not missing and not extra else ""]))
        raise CliError(f"line 1: the header must be {','.join(IMPORT_HEADER)} (any order): {detail}")
    rows: list[tuple[int, dict[str, str]]] = []
    refused: list[str] = []
    number = reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                extra = row[len(header):]
                if len(row) < len(header) or len(row) > width or any(cell.strip() for cell in extra):
                    refused.append(f"line {number}: expected {len(header)} fields, got {len(row)}")
                else:
                    cells = zip(header, row[: len(header)], strict=True)
                    rows.append((number, {name: cell.strip() for name, cell in cells}))
            number = reader.line_num + 1
    except csv.Error as exc:
        refused.append(f"line {number}: {exc}; the rest of the file was not read")
    return rows, refused


def _import(roster: Any, path: Path, *, consent_on_file: str | None, review_all: bool) -> int:
    """Enrol each good row; name each refused one as ``line N: reason`` (the header is line 1).

    Rows whose number is enrolled already are skipped, not refused: running the same file again
    enrols nobody twice, and exits 0 once every row is in. A number twice in the file is refused
    on its second line. An AWS fault stops the import at its line: what was enrolled stays, and
    running the same file again carries on from there.
    """
    from moodline.admin import AlreadyEnrolled, Enrolment, RosterError
    from moodline.phones import normalize_e164

    rows, refused = _import_rows(path)
    notes: list[str] = []
    enrolled = skipped = 0
    first_line_of: dict[str, int] = {}
    with _progress(len(rows)) as advance:
        for index, (number, cells) in enumerate(rows):
            advance()
            try:
                e164 = normalize_e164(cells["phone"])
            except ValueError:
                e164 = ""  # the roster refuses it below, with the reason
            if e164 and e164 in first_line_of:
                refused.append(f"line {number}: the same phone number as line {first_line_of[e164]}")
                continue
            try:
                roster.enroll_client(Enrolment(cells["coach_id"], cells["name"], cells["phone"], cells["timezone"],
                                               cells["checkin_time"], cells["locale"] or "en-US", consent=False,
                                               consent_on_file=consent_on_file, review_all=review_all),
                                     now=_now())
                enrolled += 1
            except AlreadyEnrolled as exc:
                skipped += 1
                if exc.client is not None:
                    notes.append(_differences(number, cells, exc.client))
            except RosterError as exc:
                refused.append(f"line {number}: {exc}")
                continue
            except Exception as exc:
                reason = aws_fault(exc)
                if reason is None:
                    raise
                left = rows[index:]
                refused.append(f"line {number}: not stored, {reason}; stopped here, lines {number}-"
                               f"{left[-1][0]} not tried ({len(left)} rows): run the same file again once it is fixed")
                break
            if e164:
                first_line_of[e164] = number
    for line in sorted(refused, key=lambda line: int(line.split(":", 1)[0].removeprefix("line "))):
        print(line, file=sys.stderr)
    for note in filter(None, notes):
        print(note, file=sys.stderr)
    print(f"{enrolled} enrolled, {skipped} already enrolled (skipped), {len(refused)} refused")
    return 1 if refused else 0


def _differences(number: int, cells: dict[str, str], client: Any) -> str:
    """A note for a row whose number is enrolled already with other details (they are not applied)."""
    from moodline.schedule import canonical_timezone, stored_hhmm

    try:
        zone = canonical_timezone(cells["timezone"])
    except ValueError:
        zone = cells["timezone"]
    differs = [name for name, row, now in (
        ("name", cells["name"], client.display_name), ("coach_id", cells["coach_id"], client.coach_id),
        ("timezone", zone, client.timezone),
        ("checkin_time", stored_hhmm(cells["checkin_time"]) or cells["checkin_time"], client.checkin_time),
        ("locale", cells["locale"] or "en-US", client.locale)) if row != now]
    if not differs:
        return ""
    return (f"note: line {number}: already enrolled as {client.display_name} ({client.client_id}); this row's "
            f"{', '.join(differs)} differ and were not applied (client move | set-time | set-locale change them)")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for a long import at a terminal (rich); nothing otherwise."""
    if total < 50 or not sys.stderr.isatty():
        yield lambda: None
        return
    try:
        from rich.progress import Progress
    except ImportError:
        yield lambda: None
        return
    with Progress(transient=True) as progress:
        task = progress.add_task("enrolling", total=total)
        yield lambda: progress.advance(task)


# --------------------------------------------------------------------------------------- alert list


def _alert_list(args: argparse.Namespace) -> int:
    from moodline.admin import Roster

    alerts = Roster.on(_services()).open_alerts()
    rows = [{"alert_id": a.alert_id, "level": a.level.value, "status": a.status.value, "client_id": a.client_id,
             "coach_id": a.coach_id, "opened_at": a.opened_at, "acknowledged_by": a.acknowledged_by}
            for a in alerts]
    _print_rows(rows, ["alert_id", "level", "status", "client_id", "coach_id", "opened_at", "acknowledged_by"],
                as_json=args.json)
    return 0


def _reshard(args: argparse.Namespace) -> int:
    """Move due clients to their shard under the stack's DUE_SHARDS (after changing DueShards)."""
    from moodline.admin import Roster

    report = Roster.on(_services()).reshard()
    spread = ", ".join(f"{shard}:{count}" for shard, count in sorted(report.per_shard.items())) or "none due"
    print(f"resharded to {report.shards}: moved {report.moved}, {report.raced} moved by the scheduler meanwhile; "
          f"clients per shard {spread}")
    if report.leftover:
        print(f"{report.leftover} still on a shard >= {report.shards} (read all the same): run it again",
              file=sys.stderr)
    return 1 if report.leftover else 0


# --------------------------------------------------------------------------------------- the parser

DESCRIPTION = """Moodline: SMS mood check-ins with a human coach.

Where it points:
  --stack NAME [--profile P] [--region R]   a deployed stack: its outputs, and its webhook function's
                                            environment (tables, shards, secrets' ids, crisis lines)
  no flag                                   the environment, if CLIENTS_TABLE is exported; else a running
                                            `moodline-local serve`, found by the state file it writes
                                            ($MOODLINE_LOCAL_STATE, default ~/.moodline/local.json:
                                            its pid, moto endpoint and function environment)
Errors are one line on stderr, exit 2; `client import` exits 1 when any row was refused."""


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", default=argparse.SUPPRESS, help="a deployed stack's name")
    parser.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile (with --stack)")
    parser.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (with --stack)")


def _twilio(args: argparse.Namespace) -> int:
    """Set (configure) or verify (check) the inbound webhook, its Fallback URL and retries at Twilio."""
    from moodline.adapters.twilio import setup
    from moodline.adapters.twilio.rest import build_twilio_client
    from moodline.credentials import twilio_rest_credentials
    from moodline.settings import PUBLIC_BASE_URL, TWILIO_REST_SECRET_ID

    settings = _services(TWILIO_REST_SECRET_ID, PUBLIC_BASE_URL).settings
    client = build_twilio_client(twilio_rest_credentials(settings), api_base_url=settings.twilio_api_base_url)
    want = setup.desired(settings.public_base_url)
    target = {"messaging_service_sid": settings.twilio_messaging_service_sid,
              "from_number": settings.twilio_from_number}
    if args.twilio_command == "configure":
        print(f"configured {setup.configure(client, want, **target)}: {want.url} (fallback {want.fallback_url})")
    problems = setup.check(client, want, **target)
    for problem in problems:
        print(f"twilio webhook {problem}", file=sys.stderr)
    if not problems:
        print("twilio webhook ok: inbound URL, fallback and retries as configured")
    return 1 if problems else 0


def _backfill_indexes(args: argparse.Namespace) -> int:
    """One Scan of the alerts and of the messages: items written before the open-alert and review indexes."""
    from moodline.adapters.dynamodb import backfill_indexes
    from moodline.review_nudges import INBOX_DAYS

    _services()  # binds the stack's tables
    done = backfill_indexes(_now(), inbox_days=INBOX_DAYS)
    print(f"backfilled index keys: {done['alerts']} alerts, {done['replies']} replies awaiting review")
    return 0


def _leaf(commands: Any, name: str, help_text: str, *, json_flag: bool = False) -> argparse.ArgumentParser:
    leaf: argparse.ArgumentParser = commands.add_parser(name, help=help_text, description=help_text)
    _target(leaf)
    if json_flag:
        leaf.add_argument("--json", action="store_true", help="one JSON object per line, for scripts")
    return leaf


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodline", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _target(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="triage JSON lines from stdin: {\"text\": ..., \"history\": [...]}")
    score.add_argument("--replay", action="store_true",
                       help="re-score stored replies of resolved alerts; precision per rule against outcomes")
    _target(score)
    score.set_defaults(run=_score)
    _add_rescore(commands)
    _add_coach(commands)
    _add_pager(commands)
    _add_rota(commands)
    _add_client(commands)
    _add_alert(commands)
    _leaf(commands, "reshard", "move due clients to their shard under the stack's DueShards (docs/runbook.md)"
          ).set_defaults(run=_reshard)
    twilio = commands.add_parser("twilio", help="set or check Twilio's inbound webhook, Fallback URL and retries")
    twilio.add_argument("twilio_command", choices=["configure", "check"])
    _target(twilio)
    twilio.set_defaults(run=_twilio)
    _leaf(commands, "backfill-indexes", "give alerts and replies stored before an upgrade their index keys "
          "(once after deploying; idempotent; docs/runbook.md)").set_defaults(run=_backfill_indexes)
    return parser


def _add_rescore(commands: Any) -> None:
    rescore = commands.add_parser("rescore", help="score stored replies that have no level yet (after a DLQ alarm)")
    _target(rescore)
    window = rescore.add_mutually_exclusive_group()
    window.add_argument("--since-hours", type=float, default=48, help="how far back to look (default: 48)")
    window.add_argument("--since", help="from this instant instead, ISO-8601 with a timezone (e.g. 2026-11-30T00:00Z)")
    rescore.set_defaults(run=_rescore)


def _add_coach(commands: Any) -> None:
    coach = commands.add_parser("coach", help="add, list or remove coaches (and their workspace sign-in)")
    coach_commands = coach.add_subparsers(dest="coach_command", required=True)
    add = _leaf(coach_commands, "add", "add a coach, and their workspace sign-in (temporary password shown once)")
    add.add_argument("--id", required=True, help="coach id: 2-41 lowercase letters, digits, - or _")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True, help="weekly e-mail, and the workspace sign-in")
    add.add_argument("--phone", help="E.164; lets the coach acknowledge a page by texting ACK <code>")
    add.add_argument("--update", action="store_true",
                     help="change a coach who exists (name, e-mail; the phone on file is kept unless --phone)")
    _leaf(coach_commands, "list", "every coach", json_flag=True)
    remove = _leaf(coach_commands, "remove", "remove a coach with no clients and no current shift")
    remove.add_argument("--id", required=True)
    coach.set_defaults(run=_coach)


def _add_pager(commands: Any) -> None:
    pager = commands.add_parser("pager", help="subscribe or list the coaches' pagers (SNS)")
    pager_commands = pager.add_subparsers(dest="pager_command", required=True)
    subscribe = _leaf(pager_commands, "subscribe", "subscribe a pager to a coach's pages and the team's")
    subscribe.add_argument("--coach", required=True)
    subscribe.add_argument("--protocol", required=True, choices=PAGER_PROTOCOLS)
    subscribe.add_argument("--endpoint", required=True, help="E.164 number, e-mail address or https:// URL")
    pager_list = _leaf(pager_commands, "list", "every pager and whether it is confirmed", json_flag=True)
    pager_list.add_argument("--coach")
    pager.set_defaults(run=_pager)


def _add_rota(commands: Any) -> None:
    rota = commands.add_parser("rota", help="who is on call: set the primary rota, override it, show it")
    rota_commands = rota.add_subparsers(dest="rota_command", required=True)
    for name, help_text in (("set", "a shift on the primary rota"),
                            ("override", "an override (a swap, a sick day): wins over the primary rota")):
        shift = _leaf(rota_commands, name, help_text)
        shift.add_argument("--primary", required=True, help="coach id")
        shift.add_argument("--backup", help="coach id; none: escalations go to the team")
        shift.add_argument("--from", dest="start", help="ISO-8601 (default: now)")
        shift.add_argument("--to", dest="end", required=True, help="ISO-8601, e.g. 2026-12-07T09:00Z")
    show = _leaf(rota_commands, "show", "the shifts covering an instant, and who gets pages", json_flag=True)
    show.add_argument("--at", help="ISO-8601 (default: now)")
    rota.set_defaults(run=_rota)


def _add_client(commands: Any) -> None:
    client = commands.add_parser("client", help="enrol, import, list, pause, move… clients; export or erase one")
    client_commands = client.add_subparsers(dest="client_command", required=True)
    enroll = _leaf(client_commands, "enroll", "enrol one client (consent by SMS unless --consent-on-file)")
    enroll.add_argument("--name", required=True, help="first name or initials, 1-40 characters")
    enroll.add_argument("--phone", required=True, help="E.164, e.g. +15555550123")
    enroll.add_argument("--timezone", required=True, help="IANA, e.g. America/New_York")
    enroll.add_argument("--checkin-time", required=True, help="HH:MM local, 08:00-21:00, on a quarter hour")
    enroll.add_argument("--locale", default="en-US")
    enroll.add_argument("--coach", required=True, help="coach id")
    enroll.add_argument("--country", help="ISO code for crisis lines (default: from the number)")
    _consent_flags(enroll)
    imports = _leaf(client_commands, "import", "enrol every row of a CSV: " + ",".join(IMPORT_HEADER))
    imports.add_argument("file", metavar="FILE.csv")
    _consent_flags(imports)
    listing = _leaf(client_commands, "list", "the roster, with each client's status (no_consent included)",
                    json_flag=True)
    listing.add_argument("--coach", help="only this coach's clients")
    listing.add_argument("--status", help="only clients in this status (e.g. no_consent)")
    for name, help_text in (("pause", "stop check-ins for now (resume restarts them)"),
                            ("resume", "restart a paused client's check-ins")):
        _leaf(client_commands, name, help_text).add_argument("client_id")
    move = _leaf(client_commands, "move", "give a client to another coach")
    move.add_argument("client_id")
    move.add_argument("--coach", required=True)
    set_time = _leaf(client_commands, "set-time", "change the daily check-in time (and timezone)")
    set_time.add_argument("client_id")
    # The value as `client enroll` spells it (--checkin-time) or after the id: both, so neither is a surprise.
    set_time.add_argument("checkin_time", metavar="HH:MM", nargs="?")
    set_time.add_argument("--checkin-time", dest="checkin_time_flag", metavar="HH:MM")
    set_time.add_argument("--timezone")
    set_locale = _leaf(client_commands, "set-locale", "change the language of the texts")
    set_locale.add_argument("client_id")
    set_locale.add_argument("locale", nargs="?")
    set_locale.add_argument("--locale", dest="locale_flag")
    set_locale.add_argument("--review-all", action="store_true", help="a language triage cannot read: every "
                            "reply is marked for a human")
    export = _leaf(client_commands, "export", "print the client, their messages and alerts as JSON")
    export.add_argument("client_id")
    erase = _leaf(client_commands, "erase", "delete the client, their messages and their alerts")
    erase.add_argument("client_id")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    client.set_defaults(run=_client)


def _add_alert(commands: Any) -> None:
    alert = commands.add_parser("alert", help="list, show, acknowledge or resolve alerts")
    alert_commands = alert.add_subparsers(dest="alert_command", required=True)
    _leaf(alert_commands, "list", "every open or acknowledged alert", json_flag=True).set_defaults(run=_alert_list)
    _leaf(alert_commands, "show", "the alert, its timeline and the replies that raised it").add_argument("alert_id")
    ack = _leaf(alert_commands, "ack", "acknowledge: stops escalation")
    ack.add_argument("alert_id")
    ack.add_argument("--by", required=True, help="your coach id")
    resolve = _leaf(alert_commands, "resolve", "close the episode with its outcome")
    resolve.add_argument("alert_id")
    resolve.add_argument("--by", required=True, help="your coach id")
    resolve.add_argument("--outcome", required=True, choices=["true_alarm", "false_alarm", "follow_up"])
    resolve.add_argument("--note", default="", help="short, no client details")
    alert.set_defaults(run=_alert)


def _consent_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--consent-on-file", metavar="NOTE",
                        help="consent taken outside SMS: who took it and how (check-ins start without a welcome)")
    parser.add_argument("--review-all", action="store_true",
                        help="accept a locale triage cannot read; every reply is then marked for a human")


def aws_fault(exc: BaseException) -> str | None:
    """What AWS said, in one line, when ``exc`` is an AWS fault or wraps one (PynamoDB's ``PutError`` and
    the like carry botocore's error as their cause); None for anything else."""
    from botocore.exceptions import BotoCoreError, ClientError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            return f"AWS refused: {current.response.get('Error', {}).get('Message') or current}"
        if isinstance(current, BotoCoreError):
            return f"cannot reach AWS: {current}"
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else (current.__cause__ or current.__context__)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``moodline`` console script: every error is one line, never a traceback."""
    args = build_parser().parse_args(argv)
    from moodline.admin import RosterError
    from moodline.alerting import AlertError
    from moodline.settings import SettingsError

    try:
        if args.command not in ("score",) or getattr(args, "replay", False):
            _Current.connection = connect(getattr(args, "stack", None), profile=getattr(args, "profile", None),
                                  region=getattr(args, "region", None))
        return int(args.run(args))
    except (CliError, RosterError, AlertError, SettingsError) as exc:
        print(f"moodline: {exc}", file=sys.stderr)
    except Exception as exc:
        fault = aws_fault(exc)
        if fault is not None:
            print(f"moodline: {fault}", file=sys.stderr)
            return 2
        if os.environ.get("MOODLINE_DEBUG"):
            raise
        print(f"moodline: unexpected {type(exc).__name__}: {exc} (MOODLINE_DEBUG=1 shows the traceback)",
              file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
