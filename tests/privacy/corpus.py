"""The de-identification corpus (tests/privacy/deid/, labels in its README) and how a
de-identifier is scored on it, from what it writes: the export cares about which characters are
gone, whatever placeholder took their place.

- recall of a label: the share of its gold spans whose every character was replaced;
- precision: the share of replaced stretches that overlap a gold span (any label);
- untouched: the share of lines without any span that come out unchanged;
- kept: visit reasons and appointment times (outside gold spans) that come out whole.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "deid"
LABELS = ("PERSON", "AGE", "LOCATION", "DATE", "CONTACT", "HEALTH")

#: What must survive: ordinary visit reasons (the corpus README's list and the like) and
#: appointment times. Matched outside gold spans only.
KEEP = re.compile(
    r"renouvellement(?: d'ordonnance)?|certificat(?: de sport| médical)?|certif|vaccins?|"
    r"consultation|mal de gorge|mal à la gorge|fi[eè]vre|toux|tousse|mal au dos|otite|angine|"
    r"gastro|rhume|entorse|conjonctivite|frottis|prise de sang|pilule|migraines?|acné|"
    r"bilan(?: sanguin| annuel)?|ordonnance|radio|mal au genou|mal au ventre|nausées|"
    r"chimio|insuline|méthadone|ménopause|"
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?: \d{1,2}h\d{0,2})?|demain|"
    r"aujourd'hui|ce matin|cet aprem|après-midi|\d{1,2}h\d{0,2}|le \d{1,2}(?:/\d{1,2})?"
    r"(?! ?/)(?: (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre)(?! \d{4}))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Line:
    text: str
    spans: list[tuple[int, int, str]]


def load(part: str) -> list[Line]:
    """`dev` or `heldout`."""
    lines = []
    for raw in (FOLDER / f"{part}.jsonl").read_text(encoding="utf-8").splitlines():
        if raw.strip():
            item = json.loads(raw)
            spans = [(s["start"], s["end"], s["label"]) for s in item["spans"]]
            lines.append(Line(item["text"], spans))
    return lines


def replaced(original: str, output: str, placeholders: list[str]) -> list[tuple[int, int]]:
    """The stretches of `original` that `output` replaced by a placeholder or dropped (not
    counting whitespace): each placeholder is a character the original cannot hold, so the
    alignment never matches a letter of « <nom> » with a letter of the name."""
    for number, placeholder in enumerate(sorted(placeholders, key=len, reverse=True)):
        output = output.replace(placeholder, chr(0xE000 + number))
    matcher = difflib.SequenceMatcher(None, original, output, autojunk=False)
    stretches = []
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag in ("replace", "delete") and original[i1:i2].strip():
            stretches.append((i1, i2))
    return stretches


@dataclass
class Score:
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    stretches: int = 0
    right: int = 0
    empty_lines: int = 0
    untouched: int = 0
    keep_total: int = 0
    kept: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def recall(self, label: str | None = None) -> float:
        if label is None:
            return sum(self.found.values()) / max(1, sum(self.total.values()))
        return self.found[label] / max(1, self.total[label])

    @property
    def precision(self) -> float:
        return self.right / max(1, self.stretches)

    @property
    def untouched_share(self) -> float:
        return self.untouched / max(1, self.empty_lines)

    @property
    def kept_share(self) -> float:
        return self.kept / max(1, self.keep_total)

    def row(self, name: str) -> str:
        labels = " | ".join(f"{self.recall(label):.2f}" for label in LABELS)
        return (
            f"| {name} | {labels} | {self.recall():.3f} | {self.precision:.3f} | "
            f"{self.untouched}/{self.empty_lines} | {self.kept}/{self.keep_total} |"
        )


HEADER = (
    "| method | " + " | ".join(f"R {label}" for label in LABELS)
    + " | recall | precision | no-span lines untouched | reasons and times kept |\n"
    + "|---" * (len(LABELS) + 5) + "|"
)  # fmt: skip


def score(lines: list[Line], run: Callable[[str], str], placeholders: list[str]) -> Score:
    result = Score()
    for line in lines:
        output = run(line.text)
        stretches = replaced(line.text, output, placeholders)
        gone = {i for start, end in stretches for i in range(start, end)}
        for start, end, label in line.spans:
            result.total[label] += 1
            needed = {i for i in range(start, end) if not line.text[i].isspace()}
            if needed <= gone:
                result.found[label] += 1
            else:
                result.misses.append(f"{label} {line.text[start:end]!r} in {output!r}")
        for start, end in stretches:
            result.stretches += 1
            if any(start < e and s < end for s, e, _ in line.spans):
                result.right += 1
            else:
                result.false.append(f"{line.text[start:end]!r} in {output!r}")
        if not line.spans:
            result.empty_lines += 1
            result.untouched += " ".join(output.split()) == " ".join(line.text.split())
        for match in KEEP.finditer(line.text):
            if any(match.start() < e and s < match.end() for s, e, _ in line.spans):
                continue
            result.keep_total += 1
            if not gone & set(range(match.start(), match.end())):
                result.kept += 1
            else:
                result.lost.append(f"{match[0]!r} in {output!r}")
    return result
