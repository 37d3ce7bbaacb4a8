"""The workspace's wiring: its Cognito settings, validated at cold start, and the workspace built on
the composition root (:class:`moodline.composition.Services`): its repositories, alert use cases and
SMS sender, with Twilio and the pager built only when an action first needs them."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from moodline.composition import Services
from moodline.settings import APP_SECRET_ID, AUDIT_TABLE, COACH_SENDS_TABLE, REVIEW_TABLE, SettingsError
from moodline.workspace.adapters import PortsActions, PortsData
from moodline.workspace.app import Workspace
from moodline.workspace.auth import CognitoConfig, CognitoSignIn, Jwks, TokenVerifier, jwks_url

USER_POOL_ID = "USER_POOL_ID"
USER_POOL_CLIENT_ID = "USER_POOL_CLIENT_ID"
COGNITO_ENDPOINT_URL = "COGNITO_ENDPOINT_URL"  # a local moto server; AWS_ENDPOINT_URL also counts
# What the coach function needs beyond the core tables, checked at cold start by Services.from_env.
REQUIRED = (APP_SECRET_ID, AUDIT_TABLE, REVIEW_TABLE, COACH_SENDS_TABLE, USER_POOL_ID, USER_POOL_CLIENT_ID)


@dataclass(frozen=True)
class WorkspaceSettings:
    cognito: CognitoConfig

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkspaceSettings:
        env = os.environ if env is None else env
        missing = [name for name in (USER_POOL_ID, USER_POOL_CLIENT_ID) if not env.get(name)]
        if missing:
            raise SettingsError(f"missing environment variables: {', '.join(sorted(missing))}")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        if not region:
            raise SettingsError("AWS_REGION is not set")
        endpoint = (env.get(COGNITO_ENDPOINT_URL) or env.get("AWS_ENDPOINT_URL_COGNITO_IDP")
                    or env.get("AWS_ENDPOINT_URL") or "")
        return cls(CognitoConfig(region, env[USER_POOL_ID], env[USER_POOL_CLIENT_ID], endpoint))


def csrf_key_from(link_key: bytes) -> bytes:
    # One key per purpose, derived from the link-signing key (itself derived from the master key).
    return hmac.new(link_key, b"moodline/workspace-csrf/v1", hashlib.sha256).digest()


def build_workspace(services: Services, ws: WorkspaceSettings) -> Workspace:
    """The workspace on the composition root's ports; Twilio and the pager are built on first use."""
    data = PortsData(clients=services.clients, messages=services.messages, alerts=services.alerts,
                     coaches=services.coaches, reviews=services.reviews, audit=services.audit)
    actions = PortsActions(clients=services.clients, messages=services.messages, sends=services.coach_sends,
                           actions=lambda: services.actions, desk=lambda: services.desk, sms=lambda: services.sms,
                           retention_days=services.settings.retention_days, shards=services.settings.due_shards)
    return Workspace(data=data, actions=actions,
                     verifier=TokenVerifier(ws.cognito, Jwks(jwks_url(ws.cognito))),
                     sign_in=CognitoSignIn(ws.cognito, client=lambda: services.aws.client("cognito-idp")),
                     csrf_key=lambda: csrf_key_from(services.link_key()))
