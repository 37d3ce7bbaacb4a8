"""Operations on the roster: enrol clients, add coaches and their pagers, set the on-call rota."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from moodline.domain import Client, Coach, Shift, new_id, shard_of
from moodline.phones import normalize_e164, phone_hash
from moodline.ports import Alerts, Claims, Clients, Coaches, Messages, OnCall, RepositoryHolder
from moodline.schedule import CheckinTime, to_iso
from moodline.vocabulary import TEAM, ClientStatus, Rota

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,40}$")


def phone_claim_key(phone_key: str) -> str:
    return f"phone#{phone_key}"


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


class Roster:
    """Enrol and erase clients, add coaches, set shifts: ops work, on the same ports as the use cases.

    Built by the CLI and the local stack (``Roster.on(services)``), never by a function: it is not
    in the Lambda layer.
    """

    def __init__(self, *, clients: Clients, coaches: Coaches, on_call: OnCall, messages: Messages,
                 alerts: Alerts, claims: Claims) -> None:
        self._claims = claims
        self._clients = clients
        self._coaches = coaches
        self._on_call = on_call
        self._messages = messages
        self._alerts = alerts

    @classmethod
    def on(cls, services: RepositoryHolder) -> Roster:
        """The roster on the repositories of a composition root (or of the fakes)."""
        return cls(clients=services.clients, coaches=services.coaches, on_call=services.on_call,
                   messages=services.messages, alerts=services.alerts, claims=services.claims)

    def enroll_client(self, enrolment: Enrolment, *, phone_key: bytes, now: datetime, shards: int) -> Client:
        """Enrol a client: validate, hash the phone for lookup, and schedule the first probe."""
        try:
            checkin = CheckinTime.parse(enrolment.checkin_time, enrolment.timezone)
            e164 = normalize_e164(enrolment.phone)
        except ValueError as exc:
            raise RosterError(str(exc)) from exc
        name = enrolment.display_name.strip()
        if not 1 <= len(name) <= 40:
            raise RosterError("display name must be 1-40 characters (a first name or initials)")
        if self._coaches.get(enrolment.coach_id) is None:
            raise RosterError(f"no coach {enrolment.coach_id!r}; add the coach first")
        key = phone_hash(phone_key, e164)
        if self._clients.by_phone(key) is not None:
            raise RosterError("a client with this phone number is already enrolled")
        client_id = new_id("cl", now)
        self._claim_phone(key, f"client:{client_id}", now=now)
        client = Client(
            client_id=client_id,
            coach_id=enrolment.coach_id,
            display_name=name,
            phone_e164=e164,
            phone_hash=key,
            timezone=checkin.timezone,
            checkin_time=enrolment.checkin_time,
            locale=enrolment.locale,
            status=ClientStatus.ACTIVE,
            consented_at=to_iso(now) if enrolment.consent else None,
            enrolled_at=to_iso(now),
        )
        if enrolment.consent:
            client = replace(client, next_probe_at=to_iso(checkin.next_after(now)),
                             due_shard=shard_of(client.client_id, shards))
        if not self._clients.add(client):
            self._claims.release(phone_claim_key(key), f"client:{client_id}")
            raise RosterError("client id taken; try again")
        return client

    def _claim_phone(self, key: str, owner: str, *, now: datetime) -> None:
        """One role per phone (issue 8 §12): a number is a client's or a coach's, never both.

        The claim is a conditional write, so two enrolments racing for one number cannot both win;
        the index lookups also catch rows enrolled before claims existed.
        """
        if self._claims.owner(phone_claim_key(key), now=now) == owner:
            return
        kind = "coach" if owner.startswith("coach:") else "client"
        if kind == "client" and self._coaches.by_phone(key) is not None:
            raise RosterError("this phone number belongs to a coach; a number has one role")
        if kind == "coach" and self._clients.by_phone(key) is not None:
            raise RosterError("this phone number belongs to a client; a number has one role")
        if not self._claims.claim(phone_claim_key(key), owner, now=now):
            holder = self._claims.owner(phone_claim_key(key), now=now) or ""
            role = holder.split(":", 1)[0] or "someone"
            raise RosterError(f"this phone number already belongs to a {role}; a number has one role")

    def add_coach(self, coach_id: str, name: str, email: str, *, phone: str | None = None,
                  phone_key: bytes | None = None) -> Coach:
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
            self._claim_phone(key, f"coach:{coach_id}", now=datetime.now(UTC))
        previous = self._coaches.get(coach_id)
        coach = Coach(coach_id=coach_id, name=name.strip() or coach_id, email=email, phone_hash=key)
        self._coaches.put(coach)
        if previous is not None and previous.phone_hash and previous.phone_hash != key:
            self._claims.release(phone_claim_key(previous.phone_hash), f"coach:{coach_id}")  # the old number is free
        return coach

    def set_shift(self, rota: str, *, starts_at: datetime, ends_at: datetime, primary: str,
                  backup: str | None = None) -> Shift:
        """Put a shift on the ``primary`` rota or an ``override``."""
        try:
            which = Rota(rota)
        except ValueError:
            raise RosterError("rota must be 'primary' or 'override'") from None
        if ends_at <= starts_at:
            raise RosterError("a shift must end after it starts")
        for coach_id in filter(None, (primary, backup)):
            if self._coaches.get(coach_id) is None:
                raise RosterError(f"no coach {coach_id!r}")
        shift = Shift(which, to_iso(starts_at), to_iso(ends_at), primary, backup)
        self._on_call.put(shift)
        return shift

    def export_client(self, client_id: str) -> dict[str, Any]:
        """Everything Moodline holds about one client, as JSON-ready data (a subject-access request)."""
        client = self._clients.get(client_id)
        if client is None:
            raise RosterError("no such client")
        messages = self._messages.between(client_id, _EPOCH, _FAR_FUTURE)
        alerts = self._alerts.of_client(client_id, _EPOCH, _FAR_FUTURE)
        return {
            "client": {k: v for k, v in asdict(client).items() if k != "phone_hash"},
            "messages": [asdict(m) | {"expires_at": str(m.expires_at)} for m in messages],
            "alerts": [asdict(a) for a in alerts],
        }

    def erase_client(self, client_id: str) -> dict[str, int]:
        """Delete a client, their messages and their alerts (the right to erasure); returns what was deleted."""
        client = self._clients.get(client_id)
        if client is None:
            raise RosterError("no such client")
        messages = self._messages.delete_of_client(client_id)
        alerts = self._alerts.delete_of_client(client_id)
        self._clients.delete(client_id)
        self._claims.release(phone_claim_key(client.phone_hash), f"client:{client_id}")
        return {"messages": messages, "alerts": alerts, "clients": 1}


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
