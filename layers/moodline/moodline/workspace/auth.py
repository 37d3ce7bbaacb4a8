"""Cognito sign-in and ID-token verification: one code path in AWS and on a local moto server.

Sign-in is ``InitiateAuth`` with ``USER_PASSWORD_AUTH``. Cognito answers with the tokens or with a
challenge: ``NEW_PASSWORD_REQUIRED`` on an invited coach's first sign-in (``moodline coach add`` sets a
temporary password), ``SOFTWARE_TOKEN_MFA`` for a coach who turned on TOTP; each is answered with
``RespondToAuthChallenge``, which again returns the tokens or the next challenge. The ID token is verified on every
request against the pool's JWKS (fetched from the issuer, cached), checking signature, ``iss``,
``aud``, ``exp``, ``token_use`` and ``custom:coach_id``. Locally the JWKS comes from moto's server
(``<endpoint>/<pool-id>/.well-known/jwks.json``); :func:`jwks_url` derives it from the settings.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from moodline.observability import logger
from moodline.workspace.ports import Identity

ADMINS_GROUP = "admins"
JWKS_CACHE_SECONDS = 3600
LEEWAY_SECONDS = 30


NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105 - a challenge name, not a password
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"  # noqa: S105 - a challenge name
CHALLENGES = (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA)  # the steps the workspace can complete
# The pool's password policy (template.yaml CoachUserPool; a unit test holds the two together).
MIN_PASSWORD_LENGTH = 12
PASSWORD_RULES = (f"Use at least {MIN_PASSWORD_LENGTH} characters, with an upper-case letter, a lower-case "
                  "letter and a number.")
# What InvalidPasswordException's message says (Cognito: "Password did not conform with policy: Password
# not long enough"), in plain words; anything else gets the rules alone.
_POLICY_FAILURES = (
    ("not long enough", "That password is too short."),
    ("uppercase", "That password has no upper-case letter."),
    ("lowercase", "That password has no lower-case letter."),
    ("numeric", "That password has no number."),
    ("symbol", "That password has no symbol."),
    ("previously been used", "That password was used before: choose a new one."),
)


class SignInFailed(Exception):
    """Wrong e-mail or password, an account only an administrator can fix, a challenge this page cannot complete,
    or Cognito unable to answer. The message is safe to show; ``status`` is the HTTP status of the page showing it."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class SignInUnavailable(SignInFailed):
    """Cognito could not answer now: throttled (429) or out of reach or failing (503). Nothing the coach typed was
    judged, so a sign-in step stays open; ``retry_after`` (seconds) is for a Retry-After header, ``reason`` for the
    log."""

    def __init__(self, message: str, status: int, retry_after: int, reason: str) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after
        self.reason = reason


class AnswerRefused(SignInFailed):
    """A challenge answer Cognito refused (password policy, wrong or expired code): the step stays open for
    another try. ``reason`` is for the log (never the answer itself)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ChallengeExpired(SignInFailed):
    """Cognito's session for the step is gone (3 minutes, used, or too many tries): sign in again."""

    def __init__(self) -> None:
        super().__init__("That step timed out: sign in again.")


@dataclass(frozen=True)
class Challenge:
    """A step Cognito asks for before it issues tokens. ``session`` is Cognito's opaque ``Session`` (valid
    3 minutes); ``username`` is the pool's user name for the answer (``USER_ID_FOR_SRP``: with e-mail user
    names, not the e-mail). Neither is ever logged."""

    name: str
    session: str
    username: str


class SignInService(Protocol):
    """What the workspace needs from Cognito to sign a coach in; ``str`` is an ID token."""

    def sign_in(self, username: str, password: str) -> str | Challenge: ...
    def respond(self, challenge: Challenge, answers: Mapping[str, str]) -> str | Challenge: ...


# Cognito's error codes for "slow down": per user, per app client or per account (InitiateAuth's quota is shared
# by every sign-in of the practice). Any other error it or botocore raises means it cannot sign anyone in now.
_THROTTLED = frozenset({"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"})
TOO_MANY_ATTEMPTS = "Too many attempts; wait a minute and try again."
UNAVAILABLE = "Sign-in is unavailable right now; try again shortly."


def cognito_fault(error: Exception, call: str) -> SignInUnavailable:
    """What the coach reads when Cognito could not answer ``call``: throttled (429), else unavailable (503: the
    API's 5XX alarm tells ops). Logged by error code only: Cognito's message may quote the user name."""
    response = getattr(error, "response", None)
    code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    if code in _THROTTLED:
        logger.info("sign-in throttled", call=call, error=code)
        return SignInUnavailable(TOO_MANY_ATTEMPTS, 429, 60, "throttled")
    logger.warning("sign-in unavailable", call=call, error=code or type(error).__name__)
    return SignInUnavailable(UNAVAILABLE, 503, 30, "unavailable")


def unsupported(name: str) -> SignInFailed:
    logger.info("sign-in step", challenge=name, outcome="unsupported")
    return SignInFailed(f"This account needs a step this page cannot do ({name}): ask an administrator.")


def password_refused(cognito_message: str) -> AnswerRefused:
    """Cognito's policy message in plain words, with the rules, on one line."""
    lowered = cognito_message.lower()
    what = next((words for fragment, words in _POLICY_FAILURES if fragment in lowered),
                "That password does not meet the policy.")
    return AnswerRefused(f"{what} {PASSWORD_RULES}", "password_policy")


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
    """``InitiateAuth`` with ``USER_PASSWORD_AUTH`` and ``RespondToAuthChallenge``; the boto3 client is built on
    first use (cold start stays light)."""

    def __init__(self, config: CognitoConfig, client: Callable[[], Any] | None = None) -> None:
        """``client``: where the Cognito client comes from (the function's shared session, so a sign-in after a
        cold start builds no second botocore session); by default one of its own, for tools and tests."""
        self._config = config
        self._make_client = client or self._own_client
        self._client: Any = None
        self.calls = 0

    def _own_client(self) -> Any:
        import boto3  # noqa: PLC0415 - only a sign-in pays for it

        return boto3.client("cognito-idp", region_name=self._config.region,
                            endpoint_url=self._config.endpoint_url or None)

    def _cognito(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def sign_in(self, username: str, password: str) -> str | Challenge:
        """The ID token, or the step Cognito asks for, for a correct e-mail and password; :class:`SignInFailed`
        otherwise (a step the workspace cannot complete included)."""
        cognito = self._cognito()
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - loaded with the client

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
        except cognito.exceptions.UserNotConfirmedException:
            raise SignInFailed("This account is not confirmed: ask an administrator.", 403) from None
        except cognito.exceptions.InvalidParameterException:
            # What the coach typed, as Cognito read it (an auth flow turned off on the app client says the same:
            # hence the log line for ops).
            logger.warning("sign-in refused", call="InitiateAuth", error="InvalidParameterException")
            raise SignInFailed("Those details cannot be used to sign in: check the e-mail address and try again.",
                               400) from None
        except (ClientError, BotoCoreError) as exc:
            raise cognito_fault(exc, "InitiateAuth") from None
        return _outcome(result, username)

    def respond(self, challenge: Challenge, answers: Mapping[str, str]) -> str | Challenge:
        """Answer ``challenge`` (``NEW_PASSWORD`` or ``SOFTWARE_TOKEN_MFA_CODE``): the ID token or the next step.
        :class:`AnswerRefused` and :class:`SignInUnavailable` leave the step open; :class:`ChallengeExpired` means
        sign in again."""
        if challenge.name not in CHALLENGES:
            raise unsupported(challenge.name)
        cognito = self._cognito()
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - loaded with the client

        self.calls += 1
        try:
            result = cognito.respond_to_auth_challenge(
                ClientId=self._config.client_id, ChallengeName=challenge.name, Session=challenge.session,
                ChallengeResponses={"USERNAME": challenge.username, **answers},
            )
        except cognito.exceptions.InvalidPasswordException as exc:
            raise password_refused(str(exc.response.get("Error", {}).get("Message", ""))) from None
        except cognito.exceptions.CodeMismatchException:
            raise AnswerRefused("That code is not right: enter the code your authenticator app shows now.",
                                "code_mismatch") from None
        except cognito.exceptions.ExpiredCodeException:
            raise AnswerRefused("That code has expired: enter the new code your authenticator app shows.",
                                "expired_code") from None
        # Cognito: NotAuthorizedException for an expired, used-up or over-tried session. moto answers an
        # unknown session with ResourceNotFoundException; the client id cannot be the unknown resource here,
        # since InitiateAuth just accepted it.
        except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.ResourceNotFoundException):
            raise ChallengeExpired from None
        except cognito.exceptions.InvalidParameterException:
            raise AnswerRefused("That answer cannot be used: check it and try again.", "invalid_parameter") from None
        except (ClientError, BotoCoreError) as exc:
            raise cognito_fault(exc, "RespondToAuthChallenge") from None
        return _outcome(result, challenge.username)


def _outcome(result: Mapping[str, Any], username: str) -> str | Challenge:
    """An ``InitiateAuth`` / ``RespondToAuthChallenge`` result: the ID token, a step we can do, or refusal."""
    name = result.get("ChallengeName")
    if not name:
        return str(result["AuthenticationResult"]["IdToken"])
    parameters = result.get("ChallengeParameters") or {}
    if name not in CHALLENGES or not result.get("Session"):
        raise unsupported(str(name))
    # A pool that requires attributes the coach has not got would need fields this page does not ask for.
    if name == NEW_PASSWORD_REQUIRED and parameters.get("requiredAttributes", "[]") not in ("", "[]"):
        raise unsupported(str(name))
    actual = parameters.get("USER_ID_FOR_SRP") or parameters.get("USERNAME") or username
    return Challenge(str(name), str(result["Session"]), str(actual))
