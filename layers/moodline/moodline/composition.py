"""The composition root: the one place that builds adapters and use cases, for every handler and the CLI.

Everything is built lazily and once: a function pays (in imports and clients) only for what it
uses, so the webhook never imports ``twilio.rest`` and the escalation job never compiles triage.
Tests and the local stack swap an adapter with :meth:`Services.use` (a public seam, not a private
attribute); ``tests/fakes.py`` builds the same use cases on in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from moodline.alerting import EscalationPolicy
from moodline.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from moodline.adapters.aws import AwsClients
    from moodline.domain import Message
    from moodline.inbound import DeliveryStatuses, InboundSmsService
    from moodline.paging import AlertActions, AlertDesk
    from moodline.ports import Alerts, Clients, Coaches, Mailer, Messages, OnCall, OncePerKey, Pager, Queue, SmsSender
    from moodline.probes import ProbeScheduler, ProbeSender
    from moodline.scoring import ReplyScorer
    from moodline.triage.model import Assessment
    from moodline.weekly import WeeklySummaries

# What Services.use() may replace; every use case is rebuilt on the replacement.
ADAPTERS = ("clients", "messages", "alerts", "on_call", "coaches", "once", "sms", "pager", "mailer",
            "probe_queue", "assess", "clock")
USE_CASES = ("desk", "actions", "scorer", "inbound", "delivery_statuses", "probe_scheduler", "probe_sender",
             "weekly")


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

    def twilio_auth_token(self) -> str:
        """The token Twilio signs webhooks with."""
        from moodline.credentials import twilio_credentials

        return twilio_credentials(self.settings, self.secrets).auth_token

    def reply_from_stream(self, new_image: dict[str, Any]) -> Message:
        """The reply in a messages-stream record's ``NewImage`` (the store's own format)."""
        from moodline.adapters.dynamodb import message_from_stream_image

        return message_from_stream_image(new_image)

    def crisis_text(self, locale: str) -> str:
        return self.settings.crisis_text(locale)

    def with_semantic_model(self) -> Services:
        """Triage with the semantic second opinion (score_reply): numpy and the model load on first use."""

        def assess(text: str, history: Sequence[float | None]) -> Assessment:
            return self.semantic_assess(text, history)

        return self.use(assess=assess)

    def prime_triage(self) -> None:
        """Compile the triage rules and load what ``assess`` binds (the model): before SnapStart's snapshot."""
        self.assess("prime", ())

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
    def once(self) -> OncePerKey:
        from moodline.adapters.idempotency import PowertoolsOnce

        return PowertoolsOnce(self.settings.idempotency_table, dynamodb=lambda: self.dynamodb)

    @cached_property
    def sms(self) -> SmsSender:
        """Twilio; delivery callbacks come back to ``/twilio/status`` when the API URL is known."""
        from functools import partial

        from moodline.adapters.twilio.rest import TwilioSms
        from moodline.credentials import twilio_credentials

        settings = self.settings
        return TwilioSms(
            partial(twilio_credentials, settings, self.secrets),
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
    def assess(self) -> Callable[[str, Sequence[float | None]], Assessment]:
        """Triage. Bind a semantic second opinion here: ``partial(assess_reply, semantic=...)``."""
        from moodline.triage.engine import assess_reply  # compiles the rules: only who triages

        return assess_reply

    @cached_property
    def semantic_assess(self) -> Callable[[str, Sequence[float | None]], Assessment]:
        """Triage with the semantic model bound (~0.7 s to load: numpy, the encoder, the weights)."""
        from functools import partial

        from moodline.triage.engine import assess_reply
        from moodline.triage.semantic import load_semantic_model

        return partial(assess_reply, semantic=load_semantic_model())

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
                         once=self.once, policy=self.policy, public_base_url=self.settings.public_base_url,
                         link_key=self.link_key if self.settings.app_secret_id else None)

    @cached_property
    def actions(self) -> AlertActions:
        from moodline.paging import AlertActions

        return AlertActions(self.alerts)

    @cached_property
    def scorer(self) -> ReplyScorer:
        from moodline.scoring import ReplyScorer

        return ReplyScorer(assess=self.assess, clients=self.clients, messages=self.messages, desk=self.desk,
                           sms=self.sms, once=self.once, crisis_text=self.crisis_text)

    @cached_property
    def inbound(self) -> InboundSmsService:
        from moodline.inbound import InboundSmsService

        return InboundSmsService(
            clients=self.clients, messages=self.messages, coaches=self.coaches, actions=self.actions,
            once=self.once, assess=self.assess, phone_key=self.phone_key, crisis_text=self.crisis_text,
            retention_days=self.settings.retention_days, shards=self.settings.due_shards,
            pager=self.pager if self.settings.alerts_topic_arn else None,
        )

    @cached_property
    def delivery_statuses(self) -> DeliveryStatuses:
        from moodline.inbound import DeliveryStatuses

        return DeliveryStatuses(clients=self.clients, messages=self.messages, shards=self.settings.due_shards)

    @cached_property
    def probe_scheduler(self) -> ProbeScheduler:
        from moodline.probes import ProbeScheduler

        return ProbeScheduler(clients=self.clients, queue=self.probe_queue, shards=self.settings.due_shards)

    @cached_property
    def probe_sender(self) -> ProbeSender:
        from moodline.probes import ProbeSender

        return ProbeSender(clients=self.clients, messages=self.messages, sms=self.sms,
                           retention_days=self.settings.retention_days, shards=self.settings.due_shards,
                           clock=lambda: self.clock())  # noqa: PLW0108 - read at each call: use(clock=) swaps it

    @cached_property
    def weekly(self) -> WeeklySummaries:
        from moodline.weekly import WeeklySummaries

        return WeeklySummaries(clients=self.clients, messages=self.messages, alerts=self.alerts,
                               coaches=self.coaches, mailer=self.mailer, once=self.once,
                               practice_timezone=self.settings.practice_timezone)
