"""The composition root: the one place that builds adapters and use cases, for every handler and the CLI.

Everything is built lazily and once: a function pays (in imports and clients) only for what it
uses, so the webhook never imports ``twilio.rest`` and the escalation job never compiles triage.
Tests and the local stack swap an adapter with :meth:`Services.use` (a public seam, not a private
attribute); ``tests/fakes.py`` builds the same use cases on in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from moodline.alerting import EscalationPolicy
from moodline.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from moodline.adapters.aws import AwsClients
    from moodline.credentials import TwilioWebhookCredentials
    from moodline.domain import Message
    from moodline.inbound import DeliveryStatuses, InboundSmsService
    from moodline.inbound_buffer import DeliveryStatusCallbacks, InboundDrain, InboundWebhook
    from moodline.paging import AlertActions, AlertDesk, PagerCheck
    from moodline.ports import (
        Alerts,
        AuditLog,
        Claims,
        Clients,
        Coaches,
        CoachSends,
        DeadLetters,
        Mailer,
        Messages,
        OnCall,
        OncePerKey,
        Pager,
        PagerSubscriptions,
        Queue,
        Reviews,
        SmsSender,
    )
    from moodline.probes import ProbeScheduler, ProbeSender
    from moodline.redrive import ScoringRedrive
    from moodline.review_nudges import ReviewNudges
    from moodline.scoring import ReplyScorer
    from moodline.triage.model import Assessment, SemanticJudge
    from moodline.weekly import WeeklySummaries, WeeklyTick

# What Services.use() may replace; every use case is rebuilt on the replacement.
ADAPTERS = ("clients", "messages", "alerts", "on_call", "coaches", "once", "sms", "pager", "mailer",
            "probe_queue", "assess", "semantic", "clock", "reviews", "audit", "coach_sends", "inbound_buffer",
            "claims", "pager_subscriptions", "scoring_dead_letters",
            "weekly_queue")
USE_CASES = ("scoring_assess", "desk", "actions", "scorer", "inbound", "delivery_statuses", "probe_scheduler",
             "probe_sender", "weekly", "review_nudges", "inbound_webhook", "inbound_drain", "pager_check",
             "scoring_redrive", "weekly_tick", "delivery_status_callbacks")


def load_settings(*require: str) -> Settings:
    """Validate the environment at cold start; ``require`` adds this function's needs.

    The tables are bound on first use (``Services.dynamodb``), so PynamoDB is imported then, not here.
    """
    return Settings.from_env(require=require)


class Services:
    """Every adapter and use case of one Lambda container (or one CLI run), built on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def from_env(cls, *require: str) -> Services:
        """Settings from the environment, validated now (a missing one fails at cold start, not at 3 a.m.)."""
        return cls(load_settings(*require))

    def use(self, **replacements: Any) -> Services:
        """Replace adapters (``pager=...``, ``clock=...``); use cases are rebuilt on them at next use."""
        unknown = set(replacements) - set(ADAPTERS)
        if unknown:
            raise TypeError(f"not an adapter: {', '.join(sorted(unknown))}")
        self.__dict__.update(replacements)
        for name in USE_CASES:
            self.__dict__.pop(name, None)
        return self

    # --- keys and secrets ---------------------------------------------------------------------

    def phone_key(self) -> bytes:
        """The key of the phone-number hash (cached by Powertools; read per call so rotation applies)."""
        from moodline.credentials import app_keys

        return app_keys(self.settings, self.secrets).phone_hash_key

    def link_key(self) -> bytes:
        """The key that signs acknowledge / resolve links in pages."""
        from moodline.credentials import app_keys

        return app_keys(self.settings, self.secrets).link_signing_key

    def twilio_webhook_credentials(self) -> TwilioWebhookCredentials:
        """What Twilio signs webhooks with; raises ``MalformedCredentials`` on a placeholder (fail closed)."""
        from moodline.credentials import twilio_webhook_credentials

        return twilio_webhook_credentials(self.settings, self.secrets)

    def verified_form(self, event: Mapping[str, Any]) -> dict[str, str]:
        """The form of a Twilio webhook, once basic auth, signature and account are checked (adapter errors)."""
        from moodline.adapters.twilio.webhook import verified_form
        from moodline.events import request_time

        return verified_form(event, self.twilio_webhook_credentials(), self.settings.public_base_url,
                             now=request_time(event))

    def reply_from_stream(self, new_image: dict[str, Any]) -> Message:
        """The reply in a messages-stream record's ``NewImage`` (the store's own format)."""
        from moodline.adapters.dynamodb import message_from_stream_image

        return message_from_stream_image(new_image)

    def crisis_text(self, locale: str, country: str | None = None) -> str:
        """The crisis SMS: the country's lines (US when unknown), in the person's language."""
        return self.settings.crisis_text(locale, country)

    def prime_triage(self) -> None:
        """Compile the triage rules (the webhook's ``assess``): before SnapStart's snapshot."""
        self.assess("prime", ())

    def prime_scoring(self) -> None:
        """Compile the rules and load the semantic model (``scoring_assess``): before SnapStart's snapshot."""
        self.scoring_assess("prime", ())

    # --- AWS: one session, one client per service, made on first use --------------------------

    @cached_property
    def aws(self) -> AwsClients:
        from moodline.adapters.aws import AwsClients

        return AwsClients()

    @cached_property
    def dynamodb(self) -> Any:
        """The one DynamoDB client: PynamoDB's, on the shared session (tables bound to it on first use)."""
        from moodline.adapters.dynamodb import bind_tables

        client = bind_tables(self.settings, self.aws.session).client
        self.aws.adopt("dynamodb", client)
        return client

    @cached_property
    def secrets(self) -> SecretsProvider:
        """Powertools' secrets cache on the shared Secrets Manager client."""
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=self.aws.client("secretsmanager"))

    # --- adapters -----------------------------------------------------------------------------

    @cached_property
    def clients(self) -> Clients:
        from moodline.adapters.dynamodb import DynamoClients

        self.dynamodb  # noqa: B018 - binds the tables to the shared client
        return DynamoClients()

    @cached_property
    def messages(self) -> Messages:
        from moodline.adapters.dynamodb import DynamoMessages

        self.dynamodb  # noqa: B018
        return DynamoMessages()

    @cached_property
    def alerts(self) -> Alerts:
        from moodline.adapters.dynamodb import DynamoAlerts

        self.dynamodb  # noqa: B018
        return DynamoAlerts()

    @cached_property
    def on_call(self) -> OnCall:
        from moodline.adapters.dynamodb import DynamoOnCall

        self.dynamodb  # noqa: B018
        return DynamoOnCall()

    @cached_property
    def coaches(self) -> Coaches:
        from moodline.adapters.dynamodb import DynamoCoaches

        self.dynamodb  # noqa: B018
        return DynamoCoaches()

    @cached_property
    def reviews(self) -> Reviews:
        from moodline.adapters.dynamodb import DynamoReviews

        self.dynamodb  # noqa: B018
        return DynamoReviews()

    @cached_property
    def audit(self) -> AuditLog:
        from moodline.adapters.dynamodb import DynamoAudit

        self.dynamodb  # noqa: B018
        return DynamoAudit()

    @cached_property
    def coach_sends(self) -> CoachSends:
        from moodline.adapters.dynamodb import DynamoCoachSends

        self.dynamodb  # noqa: B018
        return DynamoCoachSends()

    @cached_property
    def claims(self) -> Claims:
        from moodline.adapters.dynamodb import DynamoClaims
        from moodline.settings import CLAIMS_TABLE, SettingsError

        if not self.settings.claims_table:  # ACK codes, links and phone roles cannot be checked without it
            raise SettingsError(f"{CLAIMS_TABLE} is not set (the stack's CliEnvironment output has it)")
        self.dynamodb  # noqa: B018
        return DynamoClaims()

    @cached_property
    def pager_subscriptions(self) -> PagerSubscriptions:
        from moodline.adapters.sns import SnsPagerSubscriptions

        return SnsPagerSubscriptions(self.settings.alerts_topic_arn, lambda: self.aws.client("sns"))

    @cached_property
    def scoring_dead_letters(self) -> DeadLetters:
        from moodline.adapters.sqs import SqsDeadLetters

        return SqsDeadLetters(self.settings.scoring_dlq_url, sqs=lambda: self.aws.client("sqs"))

    @cached_property
    def once(self) -> OncePerKey:
        from moodline.adapters.idempotency import PowertoolsOnce

        return PowertoolsOnce(self.settings.idempotency_table, dynamodb=lambda: self.dynamodb)

    @cached_property
    def sms(self) -> SmsSender:
        """Twilio; delivery callbacks come back to ``/twilio/status`` when the API URL is known."""
        from functools import partial

        from moodline.adapters.twilio.rest import TwilioSms
        from moodline.credentials import twilio_rest_credentials

        settings = self.settings
        return TwilioSms(
            partial(twilio_rest_credentials, settings, self.secrets),
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            status_callback_url=f"{settings.public_base_url}/twilio/status" if settings.public_base_url else "",
            api_base_url=settings.twilio_api_base_url,
        )

    @cached_property
    def pager(self) -> Pager:
        from moodline.adapters.sns import SnsPager

        return SnsPager(self.settings.alerts_topic_arn, lambda: self.aws.client("sns"))

    @cached_property
    def mailer(self) -> Mailer:
        from moodline.adapters.ses import SesMailer

        return SesMailer(self.settings.sender_email, lambda: self.aws.client("sesv2"))

    @cached_property
    def probe_queue(self) -> Queue:
        from moodline.adapters.sqs import SqsQueue

        return SqsQueue(self.settings.probes_queue_url, lambda: self.aws.client("sqs"))

    @cached_property
    def weekly_queue(self) -> Queue:
        """One job per coach, from the Monday tick to the weekly_coach worker."""
        from moodline.adapters.sqs import SqsQueue

        return SqsQueue(self.settings.weekly_queue_url, lambda: self.aws.client("sqs"))

    @cached_property
    def inbound_buffer(self) -> Queue:
        """Where the webhook keeps a reply it could not store (SQS: shares nothing with the table)."""
        from moodline.adapters.sqs import SqsQueue

        return SqsQueue(self.settings.inbound_buffer_url, lambda: self.aws.client("sqs"))

    @cached_property
    def assess(self) -> Callable[[str, Sequence[float | None]], Assessment]:
        """Triage by the rules alone: what the webhook runs in-process (its cold start cannot carry the model)."""
        from moodline.triage.engine import assess_reply  # compiles the rules: only who triages

        return assess_reply

    @cached_property
    def semantic(self) -> SemanticJudge | None:
        """The semantic second opinion, for the scorer only: loading it costs about 0.7 s, once per container.

        Loaded when the scorer first triages, or before SnapStart's snapshot (``prime_scoring``).
        """
        from moodline.triage.semantic import load_semantic_model

        return load_semantic_model()

    @cached_property
    def scoring_assess(self) -> Callable[[str, Sequence[float | None]], Assessment]:
        """The scorer's triage: the rules, then the semantic second opinion, which may only raise a level."""
        from moodline.triage.engine import assess_reply

        if self.assess is not assess_reply:  # a replaced triage (tests) is used as given
            return self.assess
        return partial(assess_reply, semantic=self.semantic)

    @cached_property
    def clock(self) -> Callable[[], datetime]:
        """The wall clock, for the one decision made at the moment of acting (sending hours)."""
        return lambda: datetime.now(UTC)

    # --- use cases ----------------------------------------------------------------------------

    @cached_property
    def policy(self) -> EscalationPolicy:
        return EscalationPolicy(crisis=timedelta(minutes=self.settings.escalate_crisis_minutes),
                                high=timedelta(minutes=self.settings.escalate_high_minutes))

    @cached_property
    def desk(self) -> AlertDesk:
        from moodline.paging import AlertDesk

        return AlertDesk(alerts=self.alerts, clients=self.clients, on_call=self.on_call, pager=self.pager,
                         once=self.once, claims=self.claims, coaches=self.coaches, policy=self.policy,
                         public_base_url=self.settings.public_base_url,
                         link_key=self.link_key if self.settings.app_secret_id else None)

    @cached_property
    def actions(self) -> AlertActions:
        from moodline.paging import AlertActions

        return AlertActions(self.alerts, self.claims)

    @cached_property
    def scoring_redrive(self) -> ScoringRedrive:
        from moodline.redrive import ScoringRedrive

        return ScoringRedrive(self.scoring_dead_letters, self.scorer.rescore_unscored)

    @cached_property
    def pager_check(self) -> PagerCheck:
        from moodline.paging import PagerCheck

        return PagerCheck(self.coaches, self.pager_subscriptions)

    @cached_property
    def scorer(self) -> ReplyScorer:
        from moodline.scoring import ReplyScorer

        return ReplyScorer(assess=self.scoring_assess, clients=self.clients, messages=self.messages, desk=self.desk,
                           sms=self.sms, once=self.once, crisis_text=self.crisis_text,
                           retention_days=self.settings.retention_days)

    @cached_property
    def inbound(self) -> InboundSmsService:
        from moodline.inbound import InboundSmsService

        return InboundSmsService(
            clients=self.clients, messages=self.messages, coaches=self.coaches, actions=self.actions,
            claims=self.claims, assess=self.assess, phone_key=self.phone_key, crisis_text=self.crisis_text,
            retention_days=self.settings.retention_days, shards=self.settings.due_shards,
            pager=self.pager if self.settings.alerts_topic_arn else None,
        )

    @cached_property
    def inbound_webhook(self) -> InboundWebhook:
        from moodline.adapters.twilio.webhook import parse_inbound
        from moodline.credentials import MalformedCredentials
        from moodline.events import BadEvent
        from moodline.inbound_buffer import InboundWebhook

        return InboundWebhook(
            verify=self.verified_form, parse=parse_inbound, receive=self.inbound.receive, buffer=self.inbound_buffer,
            pager=self.pager if self.settings.alerts_topic_arn else None, assess=self.assess,
            crisis_text=self.crisis_text, rejections=(BadEvent, MalformedCredentials),
        )

    @cached_property
    def inbound_drain(self) -> InboundDrain:
        from moodline.adapters.twilio.webhook import parse_inbound
        from moodline.events import BadEvent
        from moodline.inbound_buffer import InboundDrain

        return InboundDrain(verify=self.verified_form, parse=parse_inbound, receive=self.inbound.receive,
                            rejections=(BadEvent,), statuses=self.delivery_status_callbacks)

    @cached_property
    def delivery_statuses(self) -> DeliveryStatuses:
        from moodline.inbound import DeliveryStatuses

        return DeliveryStatuses(clients=self.clients, messages=self.messages, shards=self.settings.due_shards)

    @cached_property
    def delivery_status_callbacks(self) -> DeliveryStatusCallbacks:
        """Statuses applied at once, or from the inbound buffer when they outran their message's record."""
        from moodline.inbound_buffer import DeliveryStatusCallbacks

        return DeliveryStatusCallbacks(record=self.delivery_statuses.record, buffer=self.inbound_buffer)

    @cached_property
    def probe_scheduler(self) -> ProbeScheduler:
        from moodline.probes import ProbeScheduler

        return ProbeScheduler(clients=self.clients, queue=self.probe_queue, shards=self.settings.due_shards)

    @cached_property
    def probe_sender(self) -> ProbeSender:
        from moodline.probes import ProbeSender

        return ProbeSender(clients=self.clients, messages=self.messages, sms=self.sms, requeue=self.probe_queue,
                           retention_days=self.settings.retention_days, shards=self.settings.due_shards,
                           clock=lambda: self.clock(),  # noqa: PLW0108 - read at each call: use(clock=) swaps it
                           practice_name=self.settings.practice_name)

    @cached_property
    def weekly(self) -> WeeklySummaries:
        from moodline.weekly import WeeklySummaries

        return WeeklySummaries(clients=self.clients, messages=self.messages, alerts=self.alerts,
                               coaches=self.coaches, mailer=self.mailer, once=self.once,
                               practice_timezone=self.settings.practice_timezone,
                               workspace_url=self.settings.public_base_url)

    @cached_property
    def weekly_tick(self) -> WeeklyTick:
        from moodline.weekly import WeeklyTick

        return WeeklyTick(coaches=self.coaches, alerts=self.alerts, queue=self.weekly_queue,
                          practice_timezone=self.settings.practice_timezone)

    @cached_property
    def review_nudges(self) -> ReviewNudges:
        from moodline.review_nudges import ReviewNudges

        settings = self.settings
        return ReviewNudges(clients=self.clients, messages=self.messages, reviews=self.reviews, coaches=self.coaches,
                            mailer=self.mailer, once=self.once,
                            coach_after=timedelta(hours=settings.review_nudge_hours),
                            team_after=timedelta(hours=settings.review_team_nudge_hours),
                            inbox_url=f"{settings.public_base_url}/coach/inbox" if settings.public_base_url else "")
