"""Text at rest, sealed: what patients and staff wrote is kept encrypted in the database.

A database dump or backup then shows ids and times, not symptoms. The key is derived from the
application key (`clinic.keys`) with its own label, so there is still one secret to configure;
`clinic keys rotate` re-seals what it re-keys. Fernet (AES-128-CBC + HMAC-SHA256, from
`cryptography`, already a Rasa dependency) also detects tampering.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

#: What `open` gives back for a body it cannot read (another key, a damaged row).
UNREADABLE = "[illisible]"


class Sealer:
    def __init__(self, key: bytes, label: bytes = b"transcript") -> None:
        derived = hmac.new(key, label, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            return UNREADABLE
