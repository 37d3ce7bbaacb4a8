"""Coach sign-in on the Cognito user pool the coach workspace signs coaches in with (ops CLI only)."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


def temporary_password() -> str:
    """A one-time password the pool's policy accepts (12+ characters, upper, lower and digits)."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(14))
    return body + secrets.choice(string.ascii_uppercase) + secrets.choice(string.ascii_lowercase) + \
        secrets.choice(string.digits)


class CognitoSignIn:
    """:class:`moodline.admin.CoachSignIn` on a Cognito user pool: the user is the coach's e-mail,
    ``custom:coach_id`` ties them to their coach id (the workspace reads it from the ID token)."""

    def __init__(self, user_pool_id: str, *, send_invitation: bool,
                 client: CognitoIdentityProviderClient | None = None) -> None:
        self._pool = user_pool_id
        # Locally there is no mail to send: the message is suppressed and the CLI prints the password.
        self._send_invitation = send_invitation
        self._client = client or boto3.client("cognito-idp")

    def create(self, *, coach_id: str, email: str) -> str | None:
        password = temporary_password()
        try:
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                TemporaryPassword=password,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                                {"Name": "custom:coach_id", "Value": coach_id}],
                DesiredDeliveryMediums=["EMAIL"],
                **({} if self._send_invitation else {"MessageAction": "SUPPRESS"}),  # type: ignore[arg-type]
            )
        except self._client.exceptions.UsernameExistsException:
            return None
        return password

    def remove(self, *, email: str, coach_id: str) -> bool:
        # Only the user that is this coach's: an e-mail shared by mistake must not take another coach's sign-in.
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=email)
        except self._client.exceptions.UserNotFoundException:
            return False
        attributes = {a["Name"]: a.get("Value") for a in user.get("UserAttributes", [])}
        if attributes.get("custom:coach_id") != coach_id:
            return False
        self._client.admin_delete_user(UserPoolId=self._pool, Username=email)
        return True
