"""Shared-secret authentication: HMAC-SHA256 over a nonce the brain chooses.

The secret itself never crosses the wire and is never logged: the terminal proves it knows the
secret by answering the brain's CHALLENGE nonce with ``hex(HMAC-SHA256(secret, nonce))``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets


class SecretMissing(RuntimeError):
    pass


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def secret_from_env(var: str) -> bytes:
    if not ENV_NAME.fullmatch(var):
        # perhaps the secret itself was put there by mistake: never repeat it
        raise SecretMissing(
            "brain.secret_env must name an environment variable (letters, digits, '_'); the "
            f"value given ({len(var)} characters, not shown) is not a name. Put the secret in "
            "the environment and its name in secret_env"
        )
    value = os.environ.get(var, "")
    if not value:
        raise SecretMissing(
            f"environment variable {var} is not set: it must hold the shared secret "
            "the terminal authenticates with"
        )
    return value.encode()


def new_nonce() -> str:
    return secrets.token_hex(16)


def mac(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def verify(secret: bytes, message: str, given: str) -> bool:
    return hmac.compare_digest(mac(secret, message), given)
