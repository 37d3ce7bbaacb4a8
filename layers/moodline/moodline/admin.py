"""Operations on the roster: enrol clients, add coaches and their pagers, set the on-call rota."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from moodline.crisis_lines import country_of
from moodline.domain import DUE_SHARDS_MAX, Alert, Client, Coach, Shift, id_time, new_id, shard_of
from moodline.phones import normalize_e164, phone_hash
from moodline.ports import Alerts, Claims, Clients, Coaches, Messages, OnCall, RepositoryHolder
from moodline.schedule import CheckinTime, canonical_timezone, from_iso, to_iso
from moodline.settings import Settings
from moodline.texts import TRIAGE_LANGUAGES, language_of
from moodline.vocabulary import TEAM, ClientStatus, Rota

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,40}$")


def phone_claim_key(phone_key: str) -> str:
    return f"phone#{phone_key}"


class RosterError(ValueError):
    """Bad input to a roster operation; the message says what to fix."""


class AlreadyEnrolled(RosterError):
    """The phone number is enrolled already: an import run twice skips the row instead of enrolling twice."""

    def __init__(self, message: str, client: Client | None = None) -> None:
        super().__init__(message)
        self.client = client  # who has the number, so the caller can say what differs


_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)  # "due before" this: everyone in the due index
ORPHAN_AFTER = timedelta(minutes=5)  # far beyond an enrolment's claim-to-write moment


def _display_name(raw: str, *, limit: int = 40) -> str:
    """A name as texts and pages show it: 1-``limit`` characters, no line breaks or control characters."""
    name = raw.strip()
    what = "display name" if limit == 40 else "name"
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name):
        raise RosterError(f"{what} must be one line, without control characters")
    if not 1 <= len(name) <= limit:
        hint = " (a first name or initials)" if limit == 40 else ""
        raise RosterError(f"{what} must be 1-{limit} characters{hint}")
    return name


@dataclass(frozen=True)
class Reshard:
    """What ``Roster.reshard`` did: clients moved, moves lost to a concurrent advance, and who is where now."""

    shards: int
    moved: int
    raced: int
    per_shard: dict[int, int]

    @property
    def leftover(self) -> int:
        """Clients still on a shard at or above the count (read by the scheduler all the same; run it again)."""
        return sum(count for shard, count in self.per_shard.items() if shard >= self.shards)


_LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Enrolment:
    """What ops provide to enrol a client.

    Consent, three ways. ``consent_on_file``: ops took it (a signed form, a call) and say who and
    how; check-ins start at once. ``consent=False``: double opt-in by SMS, the welcome asks for YES
    and nothing else is sent until it comes (the CLI's default). ``consent=True`` with no note: the
    older Python API, recorded as given by ops.
    """

    coach_id: str
    display_name: str
    phone: str
    timezone: str
    checkin_time: str
    locale: str = "en-US"
    consent: bool = True
    consent_on_file: str | None = None
    country: str | None = None  # ISO alpha-2; None: from the E.164 number
    review_all: bool = False  # accept a locale triage cannot read; every reply then goes to a human


class CoachSignIn(Protocol):
    """The coach workspace's sign-in (a Cognito user pool in production)."""

    def create(self, *, coach_id: str, email: str) -> str | None:
        """Create the coach's user; returns the temporary password to hand over (None: already exists)."""
        ...

    def remove(self, *, email: str, coach_id: str) -> bool:
        """Delete the user ``email`` if it is ``coach_id``'s; False when there was none (or it is another's)."""
        ...


class Roster:
    """Enrol and erase clients, add coaches, set shifts: ops work, on the same ports as the use cases.

    Built by the CLI and the local stack (``Roster.on(services)``), never by a function: it is not
    in the Lambda layer. Shards, the phone-hash key and the crisis lines come from the settings
    it is built with, never from the caller: a wrong shard count once put clients on shards the
    scheduler never reads.
    """

    def __init__(self, *, clients: Clients, coaches: Coaches, on_call: OnCall, messages: Messages,
                 alerts: Alerts, claims: Claims, settings: Settings | None = None,
                 phone_key: Callable[[], bytes] | None = None) -> None:
        self._claims = claims
        self._clients = clients
        self._coaches = coaches
        self._on_call = on_call
        self._messages = messages
        self._alerts = alerts
        self._settings = settings or Settings(clients_table="", messages_table="", alerts_table="",
                                              coaches_table="", oncall_table="", idempotency_table="")
        self._phone_key = phone_key

    @classmethod
    def on(cls, services: RepositoryHolder) -> Roster:
        """The roster on the repositories, settings and phone key of a composition root (or of the fakes)."""
        return cls(clients=services.clients, coaches=services.coaches, on_call=services.on_call,
                   messages=services.messages, alerts=services.alerts, claims=services.claims,
                   settings=getattr(services, "settings", None), phone_key=getattr(services, "phone_key", None))

    @property
    def shards(self) -> int:
        return self._settings.due_shards

    def _key(self, given: bytes | None) -> bytes:
        if given is not None:
            return given
        if self._phone_key is None:
            raise RosterError("no phone-hash key: build the roster with Roster.on(services)")
        return self._phone_key()

    # --- clients --------------------------------------------------------------------------------

    def enroll_client(self, enrolment: Enrolment, *, now: datetime, phone_key: bytes | None = None,
                      shards: int | None = None) -> Client:
        """Enrol a client: validate, hash the phone for lookup, and schedule the welcome or the first probe.

        ``phone_key`` and ``shards`` are accepted from older callers only when they agree with the
        settings; a different shard count is refused, never used.
        """
        if shards is not None and shards != self.shards:
            raise RosterError(f"shards come from the settings ({self.shards}), not the caller ({shards})")
        try:
            checkin = CheckinTime.parse(enrolment.checkin_time, canonical_timezone(enrolment.timezone))
        except ValueError as exc:
            raise RosterError(str(exc)) from exc
        e164 = self._phone(enrolment.phone)
        name = _display_name(enrolment.display_name)
        self._check_locale(enrolment.locale, review_all=enrolment.review_all)
        self._check_country(enrolment.country, e164)
        if self._coaches.get(enrolment.coach_id) is None:
            raise RosterError(f"no coach {enrolment.coach_id!r}; add the coach first")
        key = phone_hash(self._key(phone_key), e164)
        enrolled = self._clients.by_phone(key)
        if enrolled is not None:
            raise AlreadyEnrolled("a client with this phone number is already enrolled", enrolled)
        note = enrolment.consent_on_file.strip() if enrolment.consent_on_file else None
        if enrolment.consent_on_file is not None and not note:
            raise RosterError("--consent-on-file needs a note: who took the consent, and how")
        consented = note is not None or enrolment.consent
        client_id = new_id("cl", now)
        self._claim_phone(key, f"client:{client_id}", now=now)
        client = Client(
            client_id=client_id,
            coach_id=enrolment.coach_id,
            display_name=name,
            phone_e164=e164,
            phone_hash=key,
            timezone=checkin.timezone,
            checkin_time=checkin.hhmm,
            locale=enrolment.locale,
            status=ClientStatus.ACTIVE if consented else ClientStatus.PENDING_CONSENT,
            consented_at=to_iso(now) if consented else None,
            consent_note=(note or "recorded by ops") if consented else None,
            enrolled_at=to_iso(now),
            country=enrolment.country.upper() if enrolment.country else None,
            review_all=enrolment.review_all,
        )
        # Consented: the first check-in at the next check-in time. Not yet: the welcome at the next
        # scheduler tick (the sender holds it to sending hours), then nothing until YES.
        first = checkin.next_after(now) if consented else now
        client = replace(client, next_probe_at=to_iso(first), due_shard=shard_of(client.client_id, self.shards))
        try:
            added = self._clients.add(client)
        except BaseException:
            # A fault between the claim and the client (DynamoDB, Ctrl-C): free the number, or the next try of
            # this enrolment would find it held by a client who does not exist. (If this release fails too,
            # _claim_phone takes the orphaned claim over once it is old enough.) Should the put have been
            # applied after all (a timeout after DynamoDB wrote it), the number is unclaimed but not free:
            # the phone index lookups above refuse a second client for it once the index has caught up.
            self._claims.release(phone_claim_key(key), f"client:{client_id}")
            raise
        if not added:
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
            if self._orphaned(holder, now):
                self._claims.release(phone_claim_key(key), holder)  # only if that orphan still holds it
                if self._claims.claim(phone_claim_key(key), owner, now=now):
                    return
                holder = self._claims.owner(phone_claim_key(key), now=now) or ""
            role = holder.split(":", 1)[0] or "someone"
            raise RosterError(f"this phone number already belongs to a {role}; a number has one role")

    def _orphaned(self, holder: str, now: datetime) -> bool:
        """A client's claim on a number whose client was never written (an enrolment cut short by a fault).

        Only once it is older than ``ORPHAN_AFTER``: an enrolment in progress holds its claim for the
        moment between the claim and the client's write, and must not lose it to a racing one."""
        kind, _, client_id = holder.partition(":")
        made = id_time(client_id) if kind == "client" else None
        return made is not None and now - made > ORPHAN_AFTER and self._clients.get(client_id) is None

    def client(self, client_id: str) -> Client:
        client = self._clients.get(client_id)
        if client is None:
            raise RosterError(f"no client {client_id!r}")
        return client

    def clients(self, coach_id: str | None = None) -> list[Client]:
        """The roster (of one coach, or everyone), by coach then name."""
        if coach_id is not None:
            self.coach(coach_id)
        found = self._clients.of_coach(coach_id) if coach_id else self._clients.all()
        return sorted(found, key=lambda c: (c.coach_id, c.display_name.lower(), c.client_id))

    def pause(self, client_id: str, *, now: datetime) -> Client:
        client = self.client(client_id)
        if client.status is not ClientStatus.ACTIVE:
            raise RosterError(f"client {client_id} is {client.status.value}, not active: nothing to pause")
        self._clients.set_status(client, ClientStatus.PAUSED, now=now, shards=self.shards)
        return self.client(client_id)

    def resume(self, client_id: str, *, now: datetime) -> Client:
        client = self.client(client_id)
        if client.status is not ClientStatus.PAUSED:
            raise RosterError(f"client {client_id} is {client.status.value}, not paused: only a pause is resumed "
                              "(a STOP is undone by the client texting START)")
        self._clients.set_status(client, ClientStatus.ACTIVE, now=now, shards=self.shards)
        return self.client(client_id)

    def move(self, client_id: str, *, coach_id: str) -> Client:
        client = self.client(client_id)
        self.coach(coach_id)
        self._clients.save(replace(client, coach_id=coach_id))
        return self.client(client_id)

    def set_time(self, client_id: str, checkin_time: str, *, now: datetime, timezone: str | None = None) -> Client:
        client = self.client(client_id)
        try:
            checkin = CheckinTime.parse(checkin_time, canonical_timezone(timezone) if timezone else client.timezone)
        except ValueError as exc:
            raise RosterError(str(exc)) from exc
        self._clients.save(replace(client, checkin_time=checkin.hhmm, timezone=checkin.timezone))
        if client.status is ClientStatus.ACTIVE and client.next_probe_at is not None:
            # The next check-in moves with the time; conditional on the value read, like the scheduler.
            fresh = self.client(client_id)
            self._clients.schedule_next_probe(fresh, checkin.next_after(now), shards=self.shards)
        return self.client(client_id)

    def reshard(self) -> Reshard:
        """Move every client in the due index to its shard under the current ``DUE_SHARDS``.

        Safety does not wait for it: the scheduler reads every shard up to ``DUE_SHARDS_MAX``, and
        each advance moves its client anyway. It spreads the load over the new count at once instead
        of over a day (and over two for a welcome awaiting its retry). Each move is conditional on
        the due instant read: a client the scheduler advanced meanwhile has moved with the advance.
        """
        moved = raced = 0
        for shard in range(DUE_SHARDS_MAX):
            for client in self._clients.due(shard, _END_OF_TIME):
                if client.due_shard == shard_of(client.client_id, self.shards) or client.next_probe_at is None:
                    continue
                # The same instant, rewritten: the write sets the shard of the current count with it.
                if self._clients.schedule_next_probe(client, from_iso(client.next_probe_at), shards=self.shards):
                    moved += 1
                else:
                    raced += 1
        per_shard = {shard: len(self._clients.due(shard, _END_OF_TIME)) for shard in range(DUE_SHARDS_MAX)}
        return Reshard(shards=self.shards, moved=moved, raced=raced,
                       per_shard={shard: count for shard, count in per_shard.items() if count})

    def set_locale(self, client_id: str, locale: str, *, review_all: bool = False) -> Client:
        client = self.client(client_id)
        self._check_locale(locale, review_all=review_all)
        self._clients.save(replace(client, locale=locale, review_all=review_all))
        return self.client(client_id)

    def _phone(self, raw: str) -> str:
        # normalize_e164 refuses full-width and other Unicode digits (no carrier routes them, nor can they be hashed).
        try:
            return normalize_e164(raw)
        except ValueError as exc:
            raise RosterError(f"{exc} (e.g. +15555550123)") from exc

    def _check_locale(self, locale: str, *, review_all: bool) -> None:
        if not _LOCALE.match(locale):
            raise RosterError(f"locale must look like en-US or es, got {locale!r}")
        if language_of(locale) not in TRIAGE_LANGUAGES and not review_all:
            raise RosterError(f"triage cannot read {locale!r} (it reads {', '.join(sorted(TRIAGE_LANGUAGES))}); "
                              "use --review-all to enrol anyway with every reply marked for a human")

    def _check_country(self, explicit: str | None, e164: str) -> str:
        if explicit is not None and not _COUNTRY.match(explicit.upper()):
            raise RosterError(f"country must be an ISO code such as GB, got {explicit!r}")
        country = explicit.upper() if explicit else country_of(e164)
        if not self._settings.has_crisis_lines(country):
            where = f"country {country}" if country else f"the number's country ({e164[:3]}...)"
            raise RosterError(f"no crisis lines configured for {where}; add them to CrisisResources first")
        assert country is not None
        return country

    # --- coaches --------------------------------------------------------------------------------

    def coach(self, coach_id: str) -> Coach:
        coach = self._coaches.get(coach_id)
        if coach is None:
            raise RosterError(f"no coach {coach_id!r}")
        return coach

    def coaches(self) -> list[Coach]:
        return sorted(self._coaches.all(), key=lambda c: c.coach_id)

    def add_coach(self, coach_id: str, name: str, email: str, *, phone: str | None = None,
                  phone_key: bytes | None = None, keep_phone: bool = False) -> Coach:
        """Add (or update) a coach; with ``phone`` they can acknowledge pages by texting ``ACK <code>``.

        ``keep_phone``: an update without ``phone`` keeps the number on file instead of dropping it.
        An e-mail is one coach's: it is their workspace sign-in, so a second coach may not share it.
        """
        if not _ID.match(coach_id) or coach_id == TEAM:
            raise RosterError("coach id must be 2-41 lowercase letters, digits, '-' or '_' (and not 'team')")
        if not _EMAIL.match(email):
            raise RosterError("coach e-mail is not an e-mail address")
        owner = next((c for c in self._coaches.all()
                      if c.coach_id != coach_id and c.email.casefold() == email.casefold()), None)
        if owner is not None:
            raise RosterError(f"the e-mail {email} is coach {owner.coach_id}'s ({owner.name}): it is their sign-in")
        shown = _display_name(name, limit=80) if name.strip() else coach_id
        key = None
        if phone is not None:
            key = phone_hash(self._key(phone_key), self._phone(phone))
            self._claim_phone(key, f"coach:{coach_id}", now=datetime.now(UTC))
        previous = self._coaches.get(coach_id)
        if key is None and keep_phone and previous is not None:
            key = previous.phone_hash
        coach = Coach(coach_id=coach_id, name=shown, email=email, phone_hash=key)
        self._coaches.put(coach)
        if previous is not None and previous.phone_hash and previous.phone_hash != key:
            self._claims.release(phone_claim_key(previous.phone_hash), f"coach:{coach_id}")  # the old number is free
        return coach

    def onboard_coach(self, coach_id: str, name: str, email: str, *, sign_in: CoachSignIn | None,
                      phone: str | None = None, update: bool = False) -> tuple[Coach, str | None]:
        """Add a coach and their workspace sign-in; returns the temporary password (shown once) if one was made.

        A coach who exists is changed only with ``update`` (a repeated add must not overwrite them), and keeps
        the phone on file unless a new one is given. A coach whose e-mail changes loses the sign-in of the old
        one: it would still open their workspace."""
        previous = self._coaches.get(coach_id)
        if previous is not None and not update:
            raise RosterError(f"coach {coach_id} exists ({previous.name}, {previous.email}); to change them, run "
                              "the same command with --update (their phone on file is kept unless --phone)")
        coach = self.add_coach(coach_id, name, email, phone=phone, keep_phone=True)
        if sign_in is None:
            return coach, None
        if previous is not None and previous.email.casefold() != coach.email.casefold():
            sign_in.remove(email=previous.email, coach_id=coach_id)
        return coach, sign_in.create(coach_id=coach.coach_id, email=coach.email)

    def remove_coach(self, coach_id: str, *, now: datetime, sign_in: CoachSignIn | None = None) -> Coach:
        """Remove a coach who has no clients and no shift now; their sign-in goes too."""
        coach = self.check_removable(coach_id, now=now)
        self._coaches.delete(coach_id)
        if coach.phone_hash:
            self._claims.release(phone_claim_key(coach.phone_hash), f"coach:{coach_id}")
        if sign_in is not None:
            sign_in.remove(email=coach.email, coach_id=coach_id)
        return coach

    def check_removable(self, coach_id: str, *, now: datetime) -> Coach:
        """The coach, if they can be removed now (no clients, no current shift); RosterError otherwise."""
        coach = self.coach(coach_id)
        clients = self._clients.of_coach(coach_id)
        if clients:
            raise RosterError(f"coach {coach_id} still has {len(clients)} client(s); move them first "
                              "(moodline client move ID --coach OTHER)")
        for rota in Rota:
            shift = self._on_call.shift_at(rota, now)
            if shift is not None and coach_id in (shift.primary_coach_id, shift.backup_coach_id):
                raise RosterError(f"coach {coach_id} is on the {rota.value} rota now; change the rota first")
        return coach

    # --- rota -----------------------------------------------------------------------------------

    def set_shift(self, rota: str, *, starts_at: datetime, ends_at: datetime, primary: str,
                  backup: str | None = None) -> Shift:
        """Put a shift on the ``primary`` rota or an ``override``."""
        try:
            which = Rota(rota)
        except ValueError:
            raise RosterError("rota must be 'primary' or 'override'") from None
        if ends_at <= starts_at:
            raise RosterError("a shift must end after it starts")
        if backup is not None and backup == primary:
            raise RosterError("the backup must be another coach")
        for coach_id in filter(None, (primary, backup)):
            if self._coaches.get(coach_id) is None:
                raise RosterError(f"no coach {coach_id!r}")
        shift = Shift(which, to_iso(starts_at), to_iso(ends_at), primary, backup)
        self._on_call.put(shift)
        return shift

    def shifts_at(self, at: datetime) -> dict[Rota, Shift | None]:
        """The shift of each rota covering ``at`` (an override wins over the primary rota)."""
        return {rota: self._on_call.shift_at(rota, at) for rota in Rota}

    # --- alerts ---------------------------------------------------------------------------------

    def open_alerts(self) -> list[Alert]:
        return sorted(self._alerts.unresolved(), key=lambda a: a.opened_at)

    def export_client(self, client_id: str) -> dict[str, Any]:
        """Everything Moodline holds about one client, as JSON-ready data (a subject-access request)."""
        client = self._clients.get(client_id)
        if client is None:
            raise RosterError(f"no client {client_id!r}")
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
            raise RosterError(f"no client {client_id!r}")
        messages = self._messages.delete_of_client(client_id)
        alerts = self._alerts.delete_of_client(client_id)
        self._clients.delete(client_id)
        self._claims.release(phone_claim_key(client.phone_hash), f"client:{client_id}")
        return {"messages": messages, "alerts": alerts, "clients": 1}


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
