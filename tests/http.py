"""HTTP as an outside client speaks it (urllib): for the tests that talk to real processes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping


def request(
    url: str,
    payload: object = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, object]:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            body = response.read()
            return response.status, json.loads(body) if body[:1] in (b"[", b"{") else body.decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_bytes(url: str, body: bytes, headers: Mapping[str, str | bytes]) -> tuple[int, str]:
    """POST exactly these bytes (a signed webhook must be hashed as sent)."""
    req = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # type: ignore[arg-type]
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
