"""The parsed form of a record, shared by every step of the built-in engine.

:func:`sales_growth.analysis.reading.read_transcript` produces it. Every ``Utterance.text`` is exactly
``Transcript.source[start:end]``, so any substring of it is a verbatim excerpt of the decoded input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from sales_growth.analysis.nlp import Token, tokenize

# junior: the salesperson being coached (the only one whose skills are judged);
# manager: the boss/coach; customer: someone quoted or present from the customer side;
# narrator: memo text written about the junior (bullets, headings, tables) with no speaker;
# other: anyone else (a colleague, an engineer); unknown: a speaker the reader could not place.
Role = Literal["junior", "manager", "customer", "narrator", "other", "unknown"]
Format = Literal["dialogue", "memo", "vtt", "srt"]


@dataclass(frozen=True)
class Utterance:
    speaker: str | None
    role: Role
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Transcript:
    source: str
    format: Format
    utterances: tuple[Utterance, ...]
    roles: dict[str, Role] = field(default_factory=dict)  # speaker label -> role
    junior: str | None = None
    manager: str | None = None

    @cached_property
    def tokens(self) -> tuple[tuple[Token, ...], ...]:
        """Sudachi tokens of each utterance (offsets relative to the utterance), computed once per transcript.

        Every step of the engine shares these, so a record is tokenised only once.
        """
        return tuple(tuple(tokenize(u.text)) for u in self.utterances)
