"""The ``moodline`` command for ops: triage from the shell, rescore, alerts, client export and erasure."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moodline.domain import Alert
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
    from moodline.composition import Services
    from moodline.settings import SettingsError

    try:
        return Services.from_env(*require)
    except SettingsError as exc:
        raise SystemExit(f"moodline: {exc} (export the table names from the stack outputs; see README)") from None


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


def _client(args: argparse.Namespace) -> int:
    from moodline import admin

    roster = admin.Roster.on(_services())
    try:
        if args.client_command == "export":
            print(json.dumps(roster.export_client(args.client_id), indent=1, default=str, ensure_ascii=False))
        elif not args.yes:
            print("moodline: erasing is permanent; add --yes to confirm", file=sys.stderr)
            return 2
        else:
            print(json.dumps(roster.erase_client(args.client_id)))
    except admin.RosterError as exc:
        print(f"moodline: {exc}", file=sys.stderr)
        return 2
    return 0


def _alert(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from moodline.paging import AlertError
    from moodline.vocabulary import Via

    services = _services()
    now = datetime.now(UTC)
    try:
        if args.alert_command == "ack":
            alert = services.actions.acknowledge(args.alert_id, by=args.by, via=Via.CLI, at=now)
        elif args.alert_command == "resolve":
            alert = services.actions.resolve(args.alert_id, by=args.by, outcome=args.outcome, at=now, note=args.note)
        else:
            alert = services.actions.get(args.alert_id)
    except AlertError as exc:
        print(f"moodline: {exc}", file=sys.stderr)
        return 2
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``moodline`` console script."""
    parser = argparse.ArgumentParser(prog="moodline", description="Moodline: SMS mood check-ins with a human coach.")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="triage JSON lines from stdin: {\"text\": ..., \"history\": [...]}")
    score.add_argument("--replay", action="store_true",
                       help="re-score stored replies of resolved alerts; precision per rule against outcomes")
    score.set_defaults(run=_score)
    rescore = commands.add_parser("rescore", help="score stored replies that have no level yet (after a DLQ alarm)")
    window = rescore.add_mutually_exclusive_group()
    window.add_argument("--since-hours", type=float, default=48, help="how far back to look (default: 48)")
    window.add_argument("--since", help="from this instant instead, ISO-8601 with a timezone (e.g. 2026-11-30T00:00Z)")
    rescore.set_defaults(run=_rescore)
    client = commands.add_parser("client", help="export or erase everything held about one client")
    client_commands = client.add_subparsers(dest="client_command", required=True)
    export = client_commands.add_parser("export", help="print the client, their messages and alerts as JSON")
    export.add_argument("client_id")
    erase = client_commands.add_parser("erase", help="delete the client, their messages and their alerts")
    erase.add_argument("client_id")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    client.set_defaults(run=_client)
    alert = commands.add_parser("alert", help="show, acknowledge or resolve an alert")
    alert_commands = alert.add_subparsers(dest="alert_command", required=True)
    show = alert_commands.add_parser("show", help="the alert, its timeline and the replies that raised it")
    show.add_argument("alert_id")
    ack = alert_commands.add_parser("ack", help="acknowledge: stops escalation")
    ack.add_argument("alert_id")
    ack.add_argument("--by", required=True, help="your coach id")
    resolve = alert_commands.add_parser("resolve", help="close the episode with its outcome")
    resolve.add_argument("alert_id")
    resolve.add_argument("--by", required=True, help="your coach id")
    resolve.add_argument("--outcome", required=True, choices=["true_alarm", "false_alarm", "follow_up"])
    resolve.add_argument("--note", default="", help="short, no client details")
    alert.set_defaults(run=_alert)
    twilio = commands.add_parser("twilio", help="set or check Twilio's inbound webhook, Fallback URL and retries")
    twilio.add_argument("twilio_command", choices=["configure", "check"])
    twilio.set_defaults(run=_twilio)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
