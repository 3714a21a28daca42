"""The one Sudachi tokenizer of the process, and small helpers on top of it.

Sudachi's dictionary is loaded once per process and shared; tokenizers are not thread-safe, so each
thread gets its own tokenizer over the shared dictionary.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from sudachipy import Dictionary, SplitMode

_local = threading.local()


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    normalized: str
    dictionary: str
    pos: tuple[str, ...]
    begin: int
    end: int
    synonyms: tuple[int, ...] = ()  # Sudachi's synonym groups: 準備 and 用意, 不安 and 心配 share one


@lru_cache(maxsize=1)
def dictionary() -> Dictionary:
    return Dictionary(dict="core")


def _tokenizer(mode: SplitMode) -> object:
    # SplitMode is not hashable: key the per-thread cache by its name.
    cache: dict[str, object] | None = getattr(_local, "tokenizers", None)
    if cache is None:
        cache = _local.tokenizers = {}
    key = str(mode)
    if key not in cache:
        cache[key] = dictionary().tokenizer(mode=mode)
    return cache[key]


def tokenize(text: str, *, mode: SplitMode = SplitMode.C) -> list[Token]:
    """Morphemes of ``text`` with their normalised forms and character offsets into ``text``."""
    morphemes = _tokenizer(mode).tokenize(text)  # type: ignore[attr-defined]
    return [
        Token(
            surface=m.surface(),
            normalized=m.normalized_form(),
            dictionary=m.dictionary_form(),
            pos=tuple(m.part_of_speech()),
            begin=m.begin(),
            end=m.end(),
            synonyms=tuple(m.synonym_group_ids()),
        )
        for m in morphemes
    ]


_lookup_lock = threading.Lock()


def entries(surface: str) -> list[tuple[str, ...]]:
    """The parts of speech of the dictionary's entries written exactly ``surface`` (none for an unknown word)."""
    with _lookup_lock:  # the dictionary is shared; its lookups are not documented as thread-safe
        return [tuple(m.part_of_speech()) for m in dictionary().lookup(surface)]
