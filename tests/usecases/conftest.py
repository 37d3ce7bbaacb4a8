"""The use cases on in-memory fakes: no moto, no local stack, milliseconds per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moodline.admin import Enrolment
from moodline.domain import Client
from moodline.phones import phone_hash
from moodline.weekly import WeeklyFanOut, WeeklyJob, WeeklySent
from tests.fakes import PHONE_KEY, World

MONDAY = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 08:00 in New York


@pytest.fixture
def world() -> World:
    return World(now=MONDAY)


def coach(world: World, coach_id: str, phone: str | None = None) -> None:
    world.roster.add_coach(coach_id, coach_id.title(), f"{coach_id}@practice.example", phone=phone,
                           phone_key=PHONE_KEY if phone else None)


def enrol(world: World, name: str, phone: str, coach_id: str = "c1", *, checkin: str = "09:00",
          timezone: str = "America/New_York", locale: str = "en-US", consent: bool = True) -> Client:
    return world.roster.enroll_client(Enrolment(coach_id, name, phone, timezone, checkin, locale, consent),
                                      phone_key=PHONE_KEY, now=MONDAY - timedelta(days=1), shards=world.shards)


def on_call(world: World, primary: str, backup: str | None = None) -> None:
    world.roster.set_shift("primary", starts_at=MONDAY - timedelta(days=1), ends_at=MONDAY + timedelta(days=7),
                           primary=primary, backup=backup)


def key_of(phone: str) -> str:
    return phone_hash(PHONE_KEY, phone)


def run_weekly(world: World, now: datetime) -> tuple[WeeklyFanOut, list[WeeklySent]]:
    """The Monday tick, then every job it queued delivered to the worker, as SQS and weekly_coach do."""
    fan_out = world.weekly_tick.queue_all(now)
    bodies, world.weekly_queue.bodies = world.weekly_queue.bodies, []
    return fan_out, [world.weekly.send(WeeklyJob.from_json(body)) for body in bodies]
