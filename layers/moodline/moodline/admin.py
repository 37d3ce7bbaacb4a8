"""Operations on the roster: enrol clients, add coaches and their pagers, set the on-call rota."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3

from moodline import store
from moodline.pager import TEAM
from moodline.phones import normalize_e164, phone_hash
from moodline.schedule import CheckinTime, to_iso

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,40}$")


class RosterError(ValueError):
    """Bad input to a roster operation; the message says what to fix."""


@dataclass(frozen=True)
class Enrolment:
    """What ops provide to enrol a client (``consent`` is the recorded opt-in: no consent, no texts)."""

    coach_id: str
    display_name: str
    phone: str
    timezone: str
    checkin_time: str
    locale: str = "en-US"
    consent: bool = True


def enroll_client(enrolment: Enrolment, *, phone_key: bytes, now: datetime, shards: int) -> store.Client:
    """Enrol a client: validate, hash the phone for lookup, and schedule the first probe."""
    try:
        checkin = CheckinTime.parse(enrolment.checkin_time, enrolment.timezone)
        e164 = normalize_e164(enrolment.phone)
    except ValueError as exc:
        raise RosterError(str(exc)) from exc
    name = enrolment.display_name.strip()
    if not 1 <= len(name) <= 40:
        raise RosterError("display name must be 1-40 characters (a first name or initials)")
    if store.get_coach(enrolment.coach_id) is None:
        raise RosterError(f"no coach {enrolment.coach_id!r}; add the coach first")
    key = phone_hash(phone_key, e164)
    if store.find_client_by_phone(key) is not None:
        raise RosterError("a client with this phone number is already enrolled")
    client_id = store.new_id("cl", now)
    client = store.Client(
        client_id=client_id,
        coach_id=enrolment.coach_id,
        display_name=name,
        phone_e164=e164,
        phone_hash=key,
        timezone=checkin.timezone,
        checkin_time=enrolment.checkin_time,
        locale=enrolment.locale,
        status=store.ACTIVE,
        consented_at=to_iso(now) if enrolment.consent else None,
        enrolled_at=to_iso(now),
    )
    if enrolment.consent:
        client.next_probe_at = to_iso(checkin.next_after(now))
        client.due_shard = store.shard_of(client_id, shards)
    client.save(condition=store.Client.client_id.does_not_exist())
    return client


def add_coach(coach_id: str, name: str, email: str, *, phone: str | None = None,
              phone_key: bytes | None = None) -> store.Coach:
    """Add (or update) a coach; with ``phone`` they can acknowledge pages by texting ``ACK <code>``."""
    if not _ID.match(coach_id) or coach_id == TEAM:
        raise RosterError("coach id must be 2-41 lowercase letters, digits, '-' or '_' (and not 'team')")
    if not _EMAIL.match(email):
        raise RosterError("coach e-mail is not an e-mail address")
    key = None
    if phone is not None:
        if phone_key is None:
            raise RosterError("a phone needs the phone-hash key")
        try:
            key = phone_hash(phone_key, normalize_e164(phone))
        except ValueError as exc:
            raise RosterError(str(exc)) from exc
    coach = store.Coach(coach_id=coach_id, name=name.strip() or coach_id, email=email, phone_hash=key)
    coach.save()
    return coach


def subscribe_pager(coach_id: str, *, topic_arn: str, protocol: str, endpoint: str,
                    sns: SNSClient | None = None) -> str:
    """Subscribe a coach's pager (sms, email, https, sqs…) to pages for them and for the whole team.

    Messages with no ``coach_id`` at all are CloudWatch alarms (scoring DLQ, escalation errors):
    they go to every coach too, or a filter would drop them silently.
    """
    client = sns or boto3.client("sns")
    policy = {"$or": [{"coach_id": [coach_id, TEAM]}, {"coach_id": [{"exists": False}]}]}
    response = client.subscribe(
        TopicArn=topic_arn,
        Protocol=protocol,
        Endpoint=endpoint,
        Attributes={"FilterPolicy": json.dumps(policy)},
        ReturnSubscriptionArn=True,
    )
    return response["SubscriptionArn"]


def set_shift(rota: str, *, starts_at: datetime, ends_at: datetime, primary: str,
              backup: str | None = None) -> store.OnCallShift:
    """Put a shift on the ``primary`` rota or an ``override``."""
    if rota not in {"primary", "override"}:
        raise RosterError("rota must be 'primary' or 'override'")
    if ends_at <= starts_at:
        raise RosterError("a shift must end after it starts")
    for coach_id in filter(None, (primary, backup)):
        if store.get_coach(coach_id) is None:
            raise RosterError(f"no coach {coach_id!r}")
    shift = store.OnCallShift(rota=rota, starts_at=to_iso(starts_at), ends_at=to_iso(ends_at),
                              primary_coach_id=primary, backup_coach_id=backup)
    shift.save()
    return shift


def export_client(client_id: str) -> dict[str, Any]:
    """Everything Moodline holds about one client, as JSON-ready data (a subject-access request)."""
    client = store.get_client(client_id)
    if client is None:
        raise RosterError("no such client")
    messages = list(store.Message.query(client_id))
    alerts = list(store.Alert.by_client.query(client_id))
    return {
        "client": {k: v for k, v in client.attribute_values.items() if k != "phone_hash"},
        "messages": [m.attribute_values | {"expires_at": str(m.expires_at)} for m in messages],
        "alerts": [a.to_simple_dict() for a in alerts],
    }


def erase_client(client_id: str) -> dict[str, int]:
    """Delete a client, their messages and their alerts (the right to erasure); returns what was deleted."""
    client = store.get_client(client_id)
    if client is None:
        raise RosterError("no such client")
    messages = list(store.Message.query(client_id))
    alerts = list(store.Alert.by_client.query(client_id))  # ALL projection: whole, versioned items
    with store.Message.batch_write() as batch:
        for message in messages:
            batch.delete(message)
    for alert in alerts:
        alert.delete()
    client.delete()
    return {"messages": len(messages), "alerts": len(alerts), "clients": 1}
