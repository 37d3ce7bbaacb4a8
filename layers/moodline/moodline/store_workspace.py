"""The workspace's own tables, and the one extra attribute it writes on a message.

Access patterns:

1. every view of a client's messages (who, which client, when) ... ``AuditTable`` (client_id, at#coach)
2. which replies of a client a coach has reviewed, since T ....... ``ReviewTable`` (client_id, message key)
   - triage misses ("should have paged") .......................... ``ReviewTable.by_mark`` GSI (mark, at)
3. one SMS per form submission ................................... ``CoachSendsTable`` (submission_id), TTL
4. a coach's text on the client's thread ......................... ``MessagesTable`` row of kind ``coach``
   with ``coach_id`` (an attribute ``moodline.store.Message`` does not declare yet)

Key schemas must match ``template.yaml``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import BatchWrite, Model

from moodline import store
from moodline.schedule import to_iso

AUDIT_RETENTION_DAYS = 6 * 365  # HIPAA-style: keep access records six years
SEND_KEY_DAYS = 2


class AuditEntry(Model):
    class Meta:
        table_name = "AuditTable"

    client_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # "<ISO UTC>#<coach_id>#<random>"
    coach_id = UnicodeAttribute()
    what = UnicodeAttribute()  # alert | thread | inbox
    expires_at = TTLAttribute(null=True)


class ByMark(GlobalSecondaryIndex["ReviewEntry"]):
    class Meta:
        index_name = "by_mark"
        projection = AllProjection()

    mark = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class ReviewEntry(Model):
    class Meta:
        table_name = "ReviewTable"

    client_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)
    mark = UnicodeAttribute()  # seen_fine | follow_up | should_have_paged
    coach_id = UnicodeAttribute()
    at = UnicodeAttribute()

    by_mark = ByMark()


class CoachSend(Model):
    class Meta:
        table_name = "CoachSendsTable"

    submission_id = UnicodeAttribute(hash_key=True)
    coach_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    at = UnicodeAttribute()
    message_key = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class CoachMessage(store.Message):
    """A message row that also carries who sent it (kind ``coach``)."""

    class Meta:
        table_name = "MessagesTable"

    coach_id = UnicodeAttribute(null=True)


def bind_tables(*, audit_table: str, review_table: str, coach_sends_table: str, messages_table: str) -> None:
    for model, name in ((AuditEntry, audit_table), (ReviewEntry, review_table), (CoachSend, coach_sends_table),
                        (CoachMessage, messages_table)):
        model.Meta.table_name = name
        model._connection = None


def record_audit(entries: list[tuple[str, str, datetime, str]]) -> None:
    """(coach_id, client_id, at, what) each; one batch write."""
    with BatchWrite(AuditEntry) as batch:
        for coach_id, client_id, at, what in entries:
            batch.save(AuditEntry(client_id=client_id, at=f"{to_iso(at)}#{coach_id}#{secrets.token_hex(3)}",
                                  coach_id=coach_id, what=what,
                                  expires_at=at + timedelta(days=AUDIT_RETENTION_DAYS)))


def audit_of_client(client_id: str) -> list[AuditEntry]:
    return list(AuditEntry.query(client_id))


def record_review(client_id: str, message_key: str, mark: str, coach_id: str, at: datetime) -> bool:
    """Mark a reply reviewed; the first mark wins (two coaches marking at once do not overwrite)."""
    try:
        ReviewEntry(client_id=client_id, message_key=message_key, mark=mark, coach_id=coach_id,
                    at=to_iso(at)).save(condition=ReviewEntry.message_key.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def reviews_of_client(client_id: str, since: datetime) -> list[ReviewEntry]:
    # The range key is the message key, which starts with its ISO time: "since" is a key condition.
    return list(ReviewEntry.query(client_id, ReviewEntry.message_key >= to_iso(since)))


def triage_misses(since: datetime) -> list[ReviewEntry]:
    """Replies coaches marked "should have paged": the misses ``moodline score --replay`` should count."""
    return list(ReviewEntry.by_mark.query("should_have_paged", ReviewEntry.at >= to_iso(since)))


def claim_send(submission_id: str, coach_id: str, client_id: str, at: datetime) -> bool:
    """Claim one form submission; False if it was already claimed (a double tap, a resubmitted form)."""
    try:
        CoachSend(submission_id=submission_id, coach_id=coach_id, client_id=client_id, at=to_iso(at),
                  expires_at=at + timedelta(days=SEND_KEY_DAYS)).save(
            condition=CoachSend.submission_id.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_send(submission_id: str) -> None:
    """Forget a claim whose send failed, so the coach can try the same form again."""
    CoachSend(submission_id=submission_id).delete()


def record_coach_message(client_id: str, *, sid: str, at: datetime, body: str, coach_id: str, local_date: str,
                         status: str, retention_days: int) -> CoachMessage:
    message = CoachMessage(client_id=client_id, at=store.message_key(at, sid), sid=sid, direction="outbound",
                           kind="coach", local_date=local_date, body=body, status=status, coach_id=coach_id,
                           expires_at=at + timedelta(days=retention_days))
    message.save(condition=CoachMessage.at.does_not_exist())
    return message


def messages_between(client_id: str, start: datetime, end: datetime) -> list[CoachMessage]:
    """A client's messages, read with the model that knows ``coach_id``."""
    return list(CoachMessage.query(client_id, CoachMessage.at.between(to_iso(start), to_iso(end) + "~")))
