"""Powertools idempotency for every side effect, each keyed as DESIGN.md says (probe, page, e-mail, SMS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

F = TypeVar("F", bound=Callable[..., Any])

_configs: list[IdempotencyConfig] = []


def once_per_key(
    func: F,
    *,
    table_name: str,
    key_prefix: str,
    data_keyword: str,
    key_jmespath: str,
    expires_after_seconds: int,
) -> F:
    """Wrap ``func`` so it runs once per key drawn from its ``data_keyword`` argument.

    Each wrapped function gets its own persistence layer: Powertools keeps the first config a
    layer is given, so sharing one between functions silently uses the wrong key.
    """
    config = IdempotencyConfig(
        event_key_jmespath=key_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )
    _configs.append(config)
    return idempotent_function(  # type: ignore[no-any-return]
        func,
        data_keyword_argument=data_keyword,
        persistence_store=DynamoDBPersistenceLayer(table_name=table_name),
        config=config,
        key_prefix=key_prefix,
    )


def register_lambda_context(context: LambdaContext | None) -> None:
    """Tell every idempotency config the time left, so an in-flight record expires with the invocation."""
    if context is not None:
        for config in _configs:
            config.register_lambda_context(context)
