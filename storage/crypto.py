"""Encryption of Slack tokens at rest.

Tokens are encrypted with Fernet (AES-128-CBC + HMAC) from `cryptography`; `MultiFernet` gives key rotation:
the first key encrypts, every key decrypts, so an operator prepends a new key, runs
`aws-support-slack db reencrypt`, and drops the old key afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class TokenDecryptionError(Exception):
    """A stored token could not be decrypted with any configured key."""


class TokenCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as e:
            raise TokenDecryptionError(
                "a stored Slack token cannot be decrypted: TOKEN_ENCRYPTION_KEY does not hold the key it was "
                "encrypted with"
            ) from e

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypts with the primary (first) key."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def is_valid_key(key: str) -> bool:
    try:
        Fernet(key.encode())
    except ValueError:
        return False
    return True


def generate_key() -> str:
    return Fernet.generate_key().decode()


class _CipherHolder:
    """The process's token cipher.

    Column types are built at import time, before settings are read, so the column type reaches the cipher
    through this holder instead of a constructor argument.
    """

    cipher: TokenCipher | None = None


def configure_token_cipher(keys: Sequence[str]) -> TokenCipher:
    _CipherHolder.cipher = TokenCipher(keys)
    return _CipherHolder.cipher


def token_cipher() -> TokenCipher:
    if _CipherHolder.cipher is None:
        raise RuntimeError("token encryption is not configured (configure_token_cipher was not called)")
    return _CipherHolder.cipher


class EncryptedToken(TypeDecorator[str]):
    """A Text column whose values are Fernet ciphertext in the database and plaintext in Python.

    Doing it in the column type lets slack_sdk's own SQLAlchemy installation store run unchanged: every query
    it writes reads and writes plaintext, and nothing but ciphertext ever reaches a row.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else token_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else token_cipher().decrypt(value)
