"""Graph API message bodies, always within Meta's limits, so the API never has to reject one.

Each function returns bodies without `messaging_product` and `to`: the delivery adds those at
send time, so a queued message holds no phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
MAX_BUTTONS = 3
LIST_BUTTON_MAX = 20
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24
MAX_ROWS = 10
CAPTION_MAX = 1024

LIST_BUTTON_LABEL = "Voir les choix"
LIST_SECTION_TITLE = "Choix"
DEFAULT_PROMPT = "Que choisissez-vous ?"
ELLIPSIS = "…"


@dataclass(frozen=True)
class Option:
    """A choice offered to the patient: the id comes back when it is tapped."""

    id: str
    title: str
    description: str = ""  # a list row's second line (« Dr Karim Benali »); buttons have none


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with « … » when it must be cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and cut.rfind(" ") >= limit // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-·") + ELLIPSIS


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Pieces of at most `limit` characters, cut after a sentence where possible, else a space."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind(mark) for mark in (". ", "! ", "? ", "\n", "… "))
        if cut < limit // 2:
            cut = window.rfind(" ")
        cut = cut + 1 if cut >= limit // 2 else limit
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def text(body: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": {"preview_url": False, "body": piece}}
        for piece in split_text(body)
    ]


def _prompt_and_lead(body: str) -> tuple[list[dict[str, Any]], str]:
    """An interactive body is capped at 1,024: a longer text goes first, as plain text."""
    body = body.strip()
    if not body:
        return [], DEFAULT_PROMPT
    if len(body) <= INTERACTIVE_BODY_MAX:
        return [], body
    return text(body), DEFAULT_PROMPT


def choices(body: str, options: list[Option]) -> list[dict[str, Any]]:
    """Reply buttons for up to 3 options, else list messages of up to 10 rows each."""
    if not options:
        return text(body)
    lead, prompt = _prompt_and_lead(body)
    titles = [shorten(option.title, BUTTON_TITLE_MAX) for option in options]
    if len(options) <= MAX_BUTTONS and len(set(titles)) == len(titles):
        buttons = [
            {"type": "reply", "reply": {"id": option.id, "title": title}}
            for option, title in zip(options, titles, strict=True)
        ]
        return lead + [
            {
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": prompt},
                    "action": {"buttons": buttons},
                },
            }
        ]
    pages = [options[i : i + MAX_ROWS] for i in range(0, len(options), MAX_ROWS)]
    messages = lead
    for number, page in enumerate(pages, start=1):
        rows = []
        for option in page:
            row: dict[str, Any] = {"id": option.id, "title": shorten(option.title, ROW_TITLE_MAX)}
            if len(" ".join(option.title.split())) > ROW_TITLE_MAX:
                row["description"] = shorten(option.title, ROW_DESCRIPTION_MAX)
            elif option.description:
                row["description"] = shorten(option.description, ROW_DESCRIPTION_MAX)
            rows.append(row)
        page_prompt = prompt if number == 1 else f"Suite des choix ({number}/{len(pages)})"
        messages.append(
            {
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": {"text": page_prompt},
                    "action": {
                        "button": LIST_BUTTON_LABEL,
                        "sections": [{"title": LIST_SECTION_TITLE, "rows": rows}],
                    },
                },
            }
        )
    return messages


def template(
    name: str,
    language: str = "fr",
    body_parameters: list[str] | None = None,
    quick_replies: list[str] | None = None,
) -> dict[str, Any]:
    """An approved template: positional body parameters and quick-reply button payloads."""
    components: list[dict[str, Any]] = []
    if body_parameters:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": value} for value in body_parameters],
            }
        )
    for index, payload in enumerate(quick_replies or []):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": payload}],
            }
        )
    body: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        body["components"] = components
    return {"type": "template", "template": body}


def document(link: str, filename: str | None = None, caption: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"link": link}
    if filename:
        doc["filename"] = filename
    if caption:
        doc["caption"] = shorten(caption, CAPTION_MAX)
    return {"type": "document", "document": doc}


def image(link: str, caption: str | None = None) -> dict[str, Any]:
    img: dict[str, Any] = {"link": link}
    if caption:
        img["caption"] = shorten(caption, CAPTION_MAX)
    return {"type": "image", "image": img}


def is_template(body: dict[str, Any]) -> bool:
    """Templates are the only messages Meta delivers outside the 24-hour window."""
    return body.get("type") == "template"
