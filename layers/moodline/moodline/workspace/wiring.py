"""The workspace's composition root: its settings, validated at cold start, and the real ports."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from moodline import store_workspace
from moodline.settings import APP_SECRET_ID, Settings, SettingsError
from moodline.workspace.app import Workspace
from moodline.workspace.auth import CognitoConfig, CognitoSignIn, Jwks, TokenVerifier, jwks_url

USER_POOL_ID = "USER_POOL_ID"
USER_POOL_CLIENT_ID = "USER_POOL_CLIENT_ID"
AUDIT_TABLE = "AUDIT_TABLE"
REVIEW_TABLE = "REVIEW_TABLE"
COACH_SENDS_TABLE = "COACH_SENDS_TABLE"
COGNITO_ENDPOINT_URL = "COGNITO_ENDPOINT_URL"  # a local moto server; AWS_ENDPOINT_URL also counts
REQUIRED = (USER_POOL_ID, USER_POOL_CLIENT_ID, AUDIT_TABLE, REVIEW_TABLE, COACH_SENDS_TABLE, APP_SECRET_ID)


@dataclass(frozen=True)
class WorkspaceSettings:
    cognito: CognitoConfig
    audit_table: str
    review_table: str
    coach_sends_table: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkspaceSettings:
        env = os.environ if env is None else env
        missing = [name for name in REQUIRED if not env.get(name)]
        if missing:
            raise SettingsError(f"missing environment variables: {', '.join(sorted(missing))}")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        if not region:
            raise SettingsError("AWS_REGION is not set")
        endpoint = (env.get(COGNITO_ENDPOINT_URL) or env.get("AWS_ENDPOINT_URL_COGNITO_IDP")
                    or env.get("AWS_ENDPOINT_URL") or "")
        return cls(CognitoConfig(region, env[USER_POOL_ID], env[USER_POOL_CLIENT_ID], endpoint),
                   env[AUDIT_TABLE], env[REVIEW_TABLE], env[COACH_SENDS_TABLE])


def csrf_key_from(settings: Settings) -> bytes:
    from moodline.wiring import link_key  # noqa: PLC0415

    # One key per purpose, derived from the link-signing key (itself derived from the master key).
    return hmac.new(link_key(settings), b"moodline/workspace-csrf/v1", hashlib.sha256).digest()


def build_workspace(settings: Settings, ws: WorkspaceSettings) -> Workspace:
    """The workspace with the real ports; Twilio and the pager are built on first use."""
    from moodline.workspace.adapters import StoreActions, StoreData  # noqa: PLC0415

    store_workspace.bind_tables(audit_table=ws.audit_table, review_table=ws.review_table,
                                coach_sends_table=ws.coach_sends_table, messages_table=settings.messages_table)

    from moodline.wiring import alert_desk, twilio_sms  # noqa: PLC0415

    actions = StoreActions(sms=lambda: twilio_sms(settings), desk=lambda: alert_desk(settings),
                           retention_days=settings.retention_days)
    key = cache(lambda: csrf_key_from(settings))
    return Workspace(data=StoreData(), actions=actions,
                     verifier=TokenVerifier(ws.cognito, Jwks(jwks_url(ws.cognito))),
                     sign_in=CognitoSignIn(ws.cognito), csrf_key=key)
