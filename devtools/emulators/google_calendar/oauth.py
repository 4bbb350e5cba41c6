"""The service-account side of Google's OAuth: the key file the client signs with, and the
check of the JWT assertion it sends to `/token`.

The real `google-auth` library runs its real token exchange against the emulator, so a wrong
key or a malformed assertion fails here as it would at Google.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from devtools.emulators.google_calendar.calendars import Reply

_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def check_assertion(form_body: bytes, public_key: Any) -> None:
    """Refuse (400 invalid_grant) a token request that is not a JWT bearer grant signed by the
    key's private half; without a public key, any well-formed JWT passes."""
    import jwt

    form = {k: v[-1] for k, v in parse_qs(form_body.decode()).items()}
    assertion = form.get("assertion", "")
    if form.get("grant_type") != _JWT_BEARER or not assertion:
        raise Reply(400, {"error": "invalid_grant", "error_description": "bad request"})
    try:
        if public_key is not None:
            jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                options={"verify_aud": False},
            )
        else:
            jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise Reply(
            400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {error}"}
        ) from None


def write_service_account_key(path: Path, token_uri: str) -> Any:
    """Write a service-account key file whose token exchange goes to `token_uri`.

    Returns the public key, for the emulator to verify the signed assertions.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "clinic-emulator",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": "assistant@clinic-emulator.iam.gserviceaccount.com",
        "client_id": "100000000000000000000",
        "token_uri": token_uri,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)
    return key.public_key()


def load_public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    info = json.loads(path.read_text())
    private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    return private.public_key()
