"""Cognito sign-in and ID-token verification: one code path in AWS and on a local moto server.

Sign-in is ``InitiateAuth`` with ``USER_PASSWORD_AUTH``; the ID token it returns is verified on every
request against the pool's JWKS (fetched from the issuer, cached), checking signature, ``iss``,
``aud``, ``exp``, ``token_use`` and ``custom:coach_id``. Locally the JWKS comes from moto's server
(``<endpoint>/<pool-id>/.well-known/jwks.json``); :func:`jwks_url` derives it from the settings.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moodline.workspace.ports import Identity

ADMINS_GROUP = "admins"
JWKS_CACHE_SECONDS = 3600
LEEWAY_SECONDS = 30


class SignInFailed(Exception):
    """Wrong e-mail or password, or a challenge this page cannot complete; the message is safe to show."""


class InvalidToken(Exception):
    """The token is missing, forged, tampered with, expired or for another pool or app."""


@dataclass(frozen=True)
class CognitoConfig:
    region: str
    user_pool_id: str
    client_id: str
    endpoint_url: str = ""  # a local moto server; empty in AWS

    @property
    def issuer(self) -> str:
        # moto issues tokens with the AWS issuer even in server mode, so this holds locally too.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def jwks_url(config: CognitoConfig) -> str:
    """Where the pool publishes its signing keys: the issuer in AWS, the same path on a local endpoint."""
    base = config.endpoint_url.rstrip("/") + f"/{config.user_pool_id}" if config.endpoint_url else config.issuer
    return f"{base}/.well-known/jwks.json"


def fetch_json(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise InvalidToken("refusing a JWKS URL that is neither HTTPS nor local")
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - scheme checked above
        value = json.loads(response.read())
    if not isinstance(value, dict):
        raise InvalidToken("JWKS is not a JSON object")
    return value


class Jwks:
    """The pool's public keys by ``kid``, fetched once and re-fetched on an unknown ``kid`` (key rotation)."""

    def __init__(self, url: str, fetch: Callable[[str], dict[str, Any]] = fetch_json,
                 max_age: float = JWKS_CACHE_SECONDS) -> None:
        self._url = url
        self._fetch = fetch
        self._max_age = max_age
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> Any:
        with self._lock:
            stale = time.monotonic() - self._fetched_at > self._max_age
            if stale or (kid not in self._keys and time.monotonic() - self._fetched_at > 60):
                self._refresh()
            if kid not in self._keys:
                raise InvalidToken("unknown signing key")
            return self._keys[kid]

    def _refresh(self) -> None:
        import jwt  # noqa: PLC0415 - with cryptography ~40 ms that static assets and the sign-in page skip

        document = self._fetch(self._url)
        self.fetches += 1
        keys = {}
        for jwk in document.get("keys", []):
            if isinstance(jwk, dict) and jwk.get("kty") == "RSA" and "kid" in jwk:
                keys[str(jwk["kid"])] = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self._fetched_at = time.monotonic()


class TokenVerifier:
    """Verifies Cognito ID tokens for one pool and one app client."""

    def __init__(self, config: CognitoConfig, jwks: Jwks, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._jwks = jwks
        self._clock = clock

    def verify(self, token: str) -> Identity:
        import jwt  # noqa: PLC0415

        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise InvalidToken("unexpected algorithm")
            key = self._jwks.key(str(header.get("kid", "")))
            claims = jwt.decode(
                token, key, algorithms=["RS256"], audience=self._config.client_id, issuer=self._config.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "token_use"],
                         "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        # Times against our clock (the request's time), not the library's wall clock.
        now = self._clock()
        if int(claims["exp"]) + LEEWAY_SECONDS < now:
            raise InvalidToken("expired")
        if int(claims["iat"]) - LEEWAY_SECONDS > now:
            raise InvalidToken("issued in the future")
        if claims.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        coach_id = claims.get("custom:coach_id")
        if not isinstance(coach_id, str) or not coach_id:
            raise InvalidToken("no coach id")
        groups = claims.get("cognito:groups") or []
        groups = tuple(str(g) for g in groups) if isinstance(groups, list) else ()
        return Identity(coach_id=coach_id, email=str(claims.get("email") or claims.get("cognito:username") or ""),
                        admin=ADMINS_GROUP in groups, expires_at=int(claims["exp"]), groups=groups)


class CognitoSignIn:
    """``InitiateAuth`` with ``USER_PASSWORD_AUTH``; the boto3 client is built on first use (cold start stays light)."""

    def __init__(self, config: CognitoConfig) -> None:
        self._config = config
        self._client: Any = None
        self.calls = 0

    def _cognito(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415 - only a sign-in pays for it

            self._client = boto3.client("cognito-idp", region_name=self._config.region,
                                        endpoint_url=self._config.endpoint_url or None)
        return self._client

    def sign_in(self, username: str, password: str) -> str:
        """The ID token for a correct e-mail and password; :class:`SignInFailed` otherwise."""
        cognito = self._cognito()
        self.calls += 1
        try:
            result = cognito.initiate_auth(
                ClientId=self._config.client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
            raise SignInFailed("That e-mail and password do not match.") from None
        except cognito.exceptions.PasswordResetRequiredException:
            raise SignInFailed("Your password must be reset: ask an administrator.") from None
        if "ChallengeName" in result:
            raise SignInFailed("This account needs a step this page cannot do yet "
                               f"({result['ChallengeName']}): ask an administrator.")
        return str(result["AuthenticationResult"]["IdToken"])
