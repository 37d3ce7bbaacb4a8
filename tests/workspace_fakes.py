"""In-memory ports, for tests and for rendering the workspace without AWS."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from moodline.domain import AuditEntry, ReviewMark
from moodline.workspace.auth import (
    MIN_PASSWORD_LENGTH,
    NEW_PASSWORD_REQUIRED,
    SOFTWARE_TOKEN_MFA,
    AnswerRefused,
    Challenge,
    ChallengeExpired,
    SignInFailed,
    password_refused,
    unsupported,
)
from moodline.workspace.ports import (
    ActionError,
    AlertView,
    ClientView,
    CoachView,
    MessageView,
    Sent,
    TimelineView,
)


@dataclass
class MemoryData:
    alerts: dict[str, AlertView] = field(default_factory=dict)
    clients: dict[str, ClientView] = field(default_factory=dict)
    messages_by_client: dict[str, list[MessageView]] = field(default_factory=dict)
    coaches: dict[str, CoachView] = field(default_factory=dict)
    marks: list[ReviewMark] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    reads: int = 0

    def add_message(self, message: MessageView) -> MessageView:
        thread = self.messages_by_client.setdefault(message.client_id, [])
        thread.append(message)
        thread.sort(key=lambda m: m.key)
        return message

    def alert(self, alert_id: str) -> AlertView | None:
        self.reads += 1
        return self.alerts.get(alert_id)

    def open_alerts(self) -> list[AlertView]:
        self.reads += 1
        return [a for a in self.alerts.values() if a.status != "resolved"]

    def client(self, client_id: str) -> ClientView | None:
        self.reads += 1
        return self.clients.get(client_id)

    def clients_of(self, coach_id: str) -> list[ClientView]:
        self.reads += 1
        return [c for c in self.clients.values() if c.coach_id == coach_id]

    def all_coaches(self) -> list[CoachView]:
        self.reads += 1
        return list(self.coaches.values())

    def alerts_of_client(self, client_id: str, since: datetime, until: datetime) -> list[AlertView]:
        self.reads += 1
        return [a for a in self.alerts.values() if a.client_id == client_id and since <= a.opened_at < until]

    def messages(self, client_id: str, since: datetime, until: datetime) -> list[MessageView]:
        self.reads += 1
        return [m for m in self.messages_by_client.get(client_id, []) if since <= m.at < until]

    def awaiting_review(self, since: datetime, clients: Collection[str] | None = None) -> list[tuple[str, str]]:
        self.reads += 1
        marked = {(m.client_id, m.message_key) for m in self.marks}
        return sorted(((m.client_id, m.key) for thread in self.messages_by_client.values() for m in thread
                       if m.awaits_review and m.at >= since and (m.client_id, m.key) not in marked
                       and (clients is None or m.client_id in clients)),
                      key=lambda ref: (ref[1], ref[0]))

    def record_audit(self, entries: list[AuditEntry]) -> None:
        self.audit.extend(entries)

    def record_review(self, mark: ReviewMark) -> bool:
        if any(m.client_id == mark.client_id and m.message_key == mark.message_key for m in self.marks):
            return False
        self.marks.append(mark)
        return True


@dataclass
class MemoryActions:
    data: MemoryData
    texts: list[tuple[str, str, str]] = field(default_factory=list)  # (client_id, body, coach)
    submissions: set[str] = field(default_factory=set)
    misses: list[tuple[str, str]] = field(default_factory=list)  # (client_id, message key)

    def _alert(self, alert_id: str) -> AlertView:
        alert = self.data.alerts.get(alert_id)
        if alert is None:
            raise ActionError("no such alert")
        return alert

    def _save(self, alert: AlertView, at: datetime, event: str, detail: str) -> AlertView:
        alert = replace(alert, timeline=(*alert.timeline, TimelineView(at, event, detail)))
        self.data.alerts[alert.alert_id] = alert
        return alert

    def acknowledge(self, alert_id: str, *, by: str, at: datetime) -> AlertView:
        alert = self._alert(alert_id)
        if alert.status != "open":
            return alert
        return self._save(replace(alert, status="acknowledged", acknowledged_by=by), at, "acknowledged",
                          f"by {by} via workspace")

    def resolve(self, alert_id: str, *, by: str, outcome: str, note: str, at: datetime) -> AlertView:
        alert = self._alert(alert_id)
        if alert.status == "resolved":
            return alert
        return self._save(replace(alert, status="resolved", outcome=outcome, acknowledged_by=alert.acknowledged_by
                                  or by), at, "resolved", f"{outcome} by {by}" + (f": {note}" if note else ""))

    def text_client(self, client: ClientView, body: str, *, by: str, submission_id: str, at: datetime) -> Sent:
        if submission_id in self.submissions:
            return Sent(ok=True, duplicate=True)
        if client.status != "active":
            return Sent(ok=False, error="opted_out")
        self.submissions.add(submission_id)
        self.texts.append((client.client_id, body, by))
        message = self.data.add_message(MessageView(client.client_id, f"{at.isoformat()}#SMcoach{len(self.texts)}",
                                                    at, "outbound", "coach", body, coach_id=by))
        return Sent(ok=True, message=message)

    def should_have_paged(self, client: ClientView, message: MessageView, *, by: str, at: datetime) -> AlertView:
        self.misses.append((client.client_id, message.key))
        alert = AlertView(f"al_miss{len(self.misses)}", client.client_id, client.coach_id, "high", "open", at,
                          ("coach.should_have_paged",), (message.key,),
                          (TimelineView(at, "raised", "high: coach.should_have_paged"),), ("team",))
        self.data.alerts[alert.alert_id] = alert
        return alert


@dataclass
class Account:
    """One user of :class:`MemorySignIn`: ``temporary`` until a new password is set; ``totp_code`` when the
    coach turned on TOTP (the one code the fake accepts)."""

    password: str
    token: Callable[[], str]  # the ID token a completed sign-in returns
    temporary: bool = False
    totp_code: str | None = None


@dataclass
class MemorySignIn:
    """Cognito's sign-in as the workspace sees it (``SignInService``): the challenges and refusals Cognito gives,
    sessions that expire when ``expire_sessions`` is set, and the answers it received, for tests."""

    accounts: dict[str, Account] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session → username
    answered: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    extra_challenge: str | None = None  # a challenge this fake asks for on every sign-in (e.g. an unknown one)
    expire_sessions: bool = False

    def _challenge(self, name: str, username: str) -> Challenge:
        session = f"session-{len(self.sessions) + 1}-{name}"
        self.sessions[session] = username
        return Challenge(name, session, f"sub-{username}")

    def _next(self, username: str, account: Account) -> str | Challenge:
        if account.temporary:
            return self._challenge(NEW_PASSWORD_REQUIRED, username)
        if account.totp_code is not None:
            return self._challenge(SOFTWARE_TOKEN_MFA, username)
        return account.token()

    def sign_in(self, username: str, password: str) -> str | Challenge:
        account = self.accounts.get(username)
        if account is None or account.password != password:
            raise SignInFailed("That e-mail and password do not match.")
        if self.extra_challenge:
            raise unsupported(self.extra_challenge)
        return self._next(username, account)

    def respond(self, challenge: Challenge, answers: Mapping[str, str]) -> str | Challenge:
        self.answered.append((challenge.name, dict(answers)))
        username = self.sessions.pop(challenge.session, None)
        if username is None or self.expire_sessions or challenge.username != f"sub-{username}":
            raise ChallengeExpired
        account = self.accounts[username]
        if challenge.name == NEW_PASSWORD_REQUIRED:
            new = answers.get("NEW_PASSWORD", "")
            if len(new) < MIN_PASSWORD_LENGTH:
                self.sessions[challenge.session] = username  # Cognito keeps the step open for another try
                raise password_refused("Password did not conform with policy: Password not long enough")
            account.password, account.temporary = new, False
            return self._next(username, account)
        if challenge.name == SOFTWARE_TOKEN_MFA:
            if answers.get("SOFTWARE_TOKEN_MFA_CODE") != account.totp_code:
                self.sessions[challenge.session] = username
                raise AnswerRefused("That code is not right: enter the code your authenticator app shows now.",
                                    "code_mismatch")
            return account.token()
        raise unsupported(challenge.name)
