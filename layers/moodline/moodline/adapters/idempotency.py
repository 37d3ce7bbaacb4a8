"""The :class:`moodline.ports.OncePerKey` on Powertools idempotency (a DynamoDB table); keys: docs/architecture.md.

Powertools is imported, and its persistence layer built, when a function is first wrapped, not at
import: a cold start that never pages (most escalation ticks) never pays for it. The DynamoDB client
comes from the container's one session (``moodline.adapters.aws``), never a session of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

F = TypeVar("F", bound=Callable[..., Any])

_configs: list[IdempotencyConfig] = []
# The invocation's context: services are built lazily, during an invocation, and must get it too.
_context: list[LambdaContext] = []


class PowertoolsOnce:
    """Runs a function once per key, remembered in the Powertools idempotency table."""

    def __init__(self, table_name: str, dynamodb: Callable[[], Any] | None = None) -> None:
        self._table_name = table_name
        self._dynamodb = dynamodb  # the shared client, made when first needed; None: Powertools makes its own

    def __call__(self, func: F, *, key_prefix: str, data_keyword: str, key_jmespath: str,
                 expires_after_seconds: int) -> F:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - on first wrap
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        # Each wrapped function gets its own persistence layer: Powertools keeps the first config a
        # layer is given, so sharing one between functions silently uses the wrong key.
        config = IdempotencyConfig(
            event_key_jmespath=key_jmespath,
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expires_after_seconds,
        )
        _configs.append(config)
        for context in _context:
            config.register_lambda_context(context)
        client = self._dynamodb() if self._dynamodb is not None else None
        return idempotent_function(  # type: ignore[no-any-return]
            func,
            data_keyword_argument=data_keyword,
            persistence_store=DynamoDBPersistenceLayer(table_name=self._table_name, boto3_client=client),
            config=config,
            key_prefix=key_prefix,
        )


def register_lambda_context(context: LambdaContext | None) -> None:
    """Tell every idempotency config the time left, so an in-flight record expires with the invocation."""
    if context is not None:
        _context[:] = [context]
        for config in _configs:
            config.register_lambda_context(context)
