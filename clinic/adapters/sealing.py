"""Personal data at rest, sealed: phone numbers, names, message texts (ours and Rasa's tracker
events) are stored encrypted, so a database dump or backup shows ids and times, not people.

The key does not live in the database: `DATA_ENCRYPTION_KEY` (one or more secrets, comma
separated: the first seals, all open, which is how a key is rotated) or the file
`DATA_ENCRYPTION_KEY_FILE` names. For local development, when neither is given, a key file is
generated once (`var/data_encryption_key`, mode 600); in production the process refuses to start
without one. Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`, a Rasa dependency) also
detects tampering.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from clinic.adapters.settings import Settings, SettingsError

#: What `open` gives back for a value it cannot read (another key, a damaged row).
UNREADABLE = "[illisible]"
#: Every sealed value starts so (Fernet's version byte, base64): how `open` tells old clear rows.
PREFIX = "gAAAAA"
MIN_SECRET = 16


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(b"clinic-data-key\n" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class Sealer:
    """Seals with the first secret, opens with any (rotation: new first, old after)."""

    def __init__(self, secrets_: list[str]) -> None:
        if not secrets_ or any(len(s) < MIN_SECRET for s in secrets_):
            raise SettingsError(f"DATA_ENCRYPTION_KEY: each key needs {MIN_SECRET}+ characters")
        self._fernet = MultiFernet([_fernet(s) for s in secrets_])

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, token: str) -> str:
        """The value; one stored before sealing existed comes back as it is (`clinic privacy
        reseal` seals those)."""
        if not token.startswith(PREFIX):
            return token
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError, UnicodeEncodeError):
            return UNREADABLE

    def seal_optional(self, text: str | None) -> str | None:
        return None if text is None else self.seal(text)

    def open_optional(self, token: str | None) -> str | None:
        return None if token is None else self.open(token)

    def reseal(self, token: str) -> str | None:
        """The same value under the first key (after a rotation); a clear one, sealed; None
        for one no listed key opens (left as it is, and said by the caller)."""
        if not token.startswith(PREFIX):
            return self.seal(token)
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            return None


def data_sealer(settings: Settings) -> Sealer:
    """The sealer of this deployment, or a SettingsError saying what to set."""
    if settings.data_encryption_key:
        return Sealer([s.strip() for s in settings.data_encryption_key.split(",") if s.strip()])
    path = settings.data_encryption_key_file
    if path is None:
        if settings.production:
            raise SettingsError(
                "DATA_ENCRYPTION_KEY (or DATA_ENCRYPTION_KEY_FILE) is required in production: "
                "names and phone numbers are encrypted with a key kept outside the database"
            )
        path = Path("var") / "data_encryption_key"
        _create_once(path)
    try:
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except OSError as error:
        raise SettingsError(f"DATA_ENCRYPTION_KEY_FILE {path}: {error.strerror}") from None
    return Sealer(lines)


def _create_once(path: Path) -> None:
    """A development key, written atomically: processes starting together agree on it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
