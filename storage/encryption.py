"""Tokens at rest: every Slack token the app keeps is sealed with Fernet before it is stored.

The keys come from DEALCOACH_ENCRYPTION_KEY, comma-separated, newest first. MultiFernet seals
with the first and opens with any, so a new key is introduced by putting it in front: what was
sealed under the old one still opens, and `python -m bot keys rotate` then re-seals every stored
token under the new key, after which the old one can be dropped from the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["KEY_VARIABLE", "TokenCipher", "UnreadableToken", "generate_key", "parse_keys"]

KEY_VARIABLE = "DEALCOACH_ENCRYPTION_KEY"


class UnreadableToken(Exception):
    """A stored token that none of the keys opens: the key list lacks the one that sealed it."""


def generate_key() -> str:
    """A new Fernet key: 32 random bytes, url-safe base64 (44 characters)."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str) -> tuple[str, ...]:
    """The keys of a DEALCOACH_ENCRYPTION_KEY value, newest first; ValueError with one line
    (naming the variable and the position, never the key) when one is not a Fernet key."""
    keys = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not keys:
        raise ValueError(f"{KEY_VARIABLE} is empty: run `python -m bot keys generate` for a key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            which = "" if len(keys) == 1 else f" (key {position} of {len(keys)})"
            raise ValueError(
                f"{KEY_VARIABLE} is not a Fernet key{which}: each key is 44 characters of "
                "url-safe base64, as `python -m bot keys generate` prints"
            ) from None
    return keys


class TokenCipher:
    """Seals with the first key, opens with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError(f"{KEY_VARIABLE} holds no key")
        self._first = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])

    def seal(self, token: str) -> str:
        return self._all.encrypt(token.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._all.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise UnreadableToken(
                f"a stored token cannot be decrypted with {KEY_VARIABLE}"
            ) from None

    def reseal(self, sealed: str) -> str:
        """The same token sealed under the first key (unchanged when it already is)."""
        try:
            self._first.decrypt(sealed.encode("ascii"))
        except InvalidToken:
            pass
        else:
            return sealed
        try:
            return self._all.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise UnreadableToken(
                f"a stored token cannot be decrypted with {KEY_VARIABLE}"
            ) from None
