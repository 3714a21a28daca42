"""Masking personal data before a record leaves the building, and putting it back in the answer.

Emails and phone numbers are found by pattern; person names from Sudachi's proper-noun tags (人名) and from the
speaker labels of the record. Each distinct value gets a placeholder such as 〔人名1〕.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sales_growth.analysis.nlp import tokenize
from sales_growth.analysis.reading import JUNIOR_WORDS, MANAGER_WORDS, read_transcript

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:0\d{1,4}[-‐ー ]?\d{1,4}[-‐ー ]?\d{3,4})(?!\d)")


@dataclass
class Masking:
    """The placeholders of one record, both ways."""

    to_placeholder: dict[str, str] = field(default_factory=dict)

    def mask(self, text: str) -> str:
        for value in sorted(self.to_placeholder, key=len, reverse=True):
            text = text.replace(value, self.to_placeholder[value])
        return text

    def unmask(self, text: str) -> str:
        for value, placeholder in self.to_placeholder.items():
            text = text.replace(placeholder, value)
        return text


def build_masking(text: str) -> Masking:
    masking = Masking()
    for kind, values in (("メール", _EMAIL.findall(text)), ("電話", _PHONE.findall(text)), ("人名", _names(text))):
        for value in dict.fromkeys(values):
            if value not in masking.to_placeholder:
                count = sum(1 for p in masking.to_placeholder.values() if p.startswith(f"〔{kind}"))
                masking.to_placeholder[value] = f"〔{kind}{count + 1}〕"
    return masking


def _names(text: str) -> list[str]:
    names = [t.surface for t in tokenize(text) if t.pos[:3] == ("名詞", "固有名詞", "人名") and len(t.surface) >= 2]
    for speaker in read_transcript(text).roles:
        for part in re.split(r"[ 　]", speaker):
            if len(part) >= 2 and not part.isascii() and not any(w in part for w in (*MANAGER_WORDS, *JUNIOR_WORDS)):
                names.append(part)
    return names
