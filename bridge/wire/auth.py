"""Shared-secret authentication, both ways: HMAC-SHA256 over two fresh nonces.

The secret itself never crosses the wire and is never logged. The terminal's HELLO carries its
nonce; the brain's CHALLENGE carries the brain's nonce and the brain's proof over both
(``brain_proof``); the terminal checks it before it answers with its own proof (``AUTH``,
``terminal_proof``) and accepts no command from a peer that failed. So whoever holds the port
(while the brain restarts, say) cannot pass for the brain: it cannot prove a secret it does not
have for a nonce it did not choose. The two proofs are over differently labelled messages, so
neither side's proof can be reflected as the other's.
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


def brain_proof(secret: bytes, terminal_nonce: str, brain_nonce: str) -> str:
    """What the brain's CHALLENGE proves the secret with."""
    return mac(secret, f"mt5bridge-brain|{terminal_nonce}|{brain_nonce}")


def terminal_proof(secret: bytes, brain_nonce: str, terminal_nonce: str) -> str:
    """What the terminal's AUTH proves the secret with."""
    return mac(secret, f"mt5bridge-terminal|{brain_nonce}|{terminal_nonce}")


def nonce_ok(nonce: str) -> bool:
    """A peer's nonce: 32 to 64 hex digits (128 bits or more of randomness)."""
    return 32 <= len(nonce) <= 64 and all(c in "0123456789abcdef" for c in nonce)


class BrainNotProven(ValueError):
    """The peer answering at the brain's address does not hold the shared secret."""


def answer_challenge(secret: bytes, terminal_nonce: str, brain_nonce: str, proof: str) -> str:
    """The terminal's side: check the brain's proof, then give the terminal's (AUTH's mac)."""
    if not hmac.compare_digest(brain_proof(secret, terminal_nonce, brain_nonce), proof):
        raise BrainNotProven(
            "the peer at the brain's address did not prove the shared secret: no AUTH sent, "
            "no command will be taken from it (another process on the port, or another secret)"
        )
    return terminal_proof(secret, brain_nonce, terminal_nonce)
