"""Key terms of a record: compound nouns and proper names, ranked by how often and how widely they occur.

Sudachi's finest split is joined back into compounds (顧問＋税理士 → 顧問税理士), so the terms read as people write
them. Proper nouns (companies, products, people with さん/様) weigh more than common nouns, and a short everyday
word (日報, 満期) counts only when the record keeps coming back to it; generic words, numbers, dates and the
participants' own names are left out. Names are given without their honorific (ハルモニアさん →
ハルモニア), so that a company's short and full names (ハルモニアコスメ) meet. Every keyword is a verbatim substring of
the record.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from importlib import resources

from sales_growth.analysis.nlp import Token
from sales_growth.analysis.transcript import Transcript

_STOP = frozenset(
    line.strip()
    for line in resources.files("sales_growth.analysis")
    .joinpath("data", "stopwords.txt")
    .read_text("utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)
_NUMERIC = re.compile(r"^[\d０-９,.，．:：/／年月日時分秒%％〜～\-ー件回円万億千個台人名社本]+$")
_KANA_ONLY = re.compile(r"^[ぁ-んー]+$")
_HONORIFIC = ("さん", "様", "さま", "くん", "君", "氏", "先生")

# A lone short common word (確認, 資料) says little about a record unless the record keeps coming back to it (日報,
# 満期, 内覧): it counts from its fourth use, and for less than a compound or a name.
LONE_MIN = 4
LONE_WEIGHT = 0.8


def extract_keywords(transcript: Transcript, *, limit: int = 10) -> list[str]:
    """The record's key terms, best first."""
    counts: Counter[str] = Counter()
    spread: dict[str, set[int]] = {}
    proper: set[str] = set()
    people: set[str] = set()
    written: Counter[str] = Counter()  # the longest form a term was written in (with its honorific)
    lone_words: set[str] = set()
    participants = {name for s in transcript.roles for name in _names(s)}
    for index, tokens in enumerate(transcript.tokens):
        text = transcript.utterances[index].text
        for term, is_proper, lone in _candidates(tokens, text):
            if _core(term) in participants or not _acceptable(term):
                continue
            name = _name(term)
            if lone:
                lone_words.add(name)
            counts[name] += 1
            spread.setdefault(name, set()).add(index)
            if is_proper:
                proper.add(name)
            if _PERSON.fullmatch(term):
                people.add(name)
            written[name] = max(written[name], len(term))
    scored = {
        t: _score(written[t], n, len(spread[t]), t in proper, t in people) * (LONE_WEIGHT if t in lone_words else 1.0)
        for t, n in counts.items()
        if n >= LONE_MIN or t not in lone_words
    }
    ranked = sorted(scored, key=lambda t: (-scored[t], t))
    return _dedupe(ranked, limit)


def _names(speaker: str) -> set[str]:
    parts = re.split(r"[ 　]", speaker)
    return {speaker, *parts, *(re.sub(r"(課長|部長|マネージャー|リーダー)$", "", p) for p in parts)}


def _candidates(tokens: tuple[Token, ...], text: str) -> list[tuple[str, bool, bool]]:
    """Maximal runs of nouns (and name suffixes), as verbatim slices of ``text``."""
    found: list[tuple[str, bool, bool]] = []
    run: list[Token] = []
    for token in tokens:
        kind = _kind(token)
        if run and (kind in _JOINS or (kind == "dot" and _KATAKANA.fullmatch(run[-1].surface))):
            # ネクサス・ラボ is one name; 時期・基準 is a list of two.
            run.append(token)
            continue
        if run:
            found.append(_term(run, text))
        run = [token] if kind in _STARTS else []
    if run:
        found.append(_term(run, text))
    return found


# Words that only qualify a term (「ほとんど発言」「訪問件数自体」「岡部先生以外」): the term is what is between them.
_LEADING = frozenset({"ほとんど", "そのまま", "普段", "毎月", "毎週", "毎日", "全部", "結局", "大体", "だいたい"})
_TRAILING = frozenset({"自体", "以外", "全部", "全体", "同士", "次第", "ごと", "以上", "以下", "なし", "なり"})
_STARTS = frozenset({"noun", "latin"})
_JOINS = frozenset({"noun", "latin", "number", "suffix", "symbol"})
_KATAKANA = re.compile(r"[ァ-ヴー]+")


def _kind(token: Token) -> str | None:
    """What part a token may play in a term: start it (nouns, Latin words) or only continue it."""
    pos = token.pos
    if pos[0] == "名詞":
        if pos[1] in {"固有名詞", "普通名詞"}:
            return "noun"
        if pos[1] == "数詞":
            return "number"
    if _is_latin(token):
        return "latin"
    surface = token.surface
    if surface == "・":
        return "dot"
    if surface in {"-", "＆", "&"}:
        return "symbol"
    if pos[0] == "接尾辞" and pos[1] == "名詞的":
        return "suffix"
    return None


_LATIN = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ0-9\-]+")
_LATIN_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") | frozenset(
    chr(c) for c in [*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
)


def _is_latin(token: Token) -> bool:
    surface = token.surface
    if not surface or surface[0] not in _LATIN_START:  # most tokens are kana or kanji: skip the expression
        return False
    return bool(_LATIN.fullmatch(surface)) and any(c.isalpha() for c in surface)


def _term(run: list[Token], text: str) -> tuple[str, bool, bool]:
    """The term a run of tokens spells, whether it is a name, and whether it is one short everyday word."""
    while run and run[-1].surface in {"-", "・", "＆", "&"}:
        run = run[:-1]
    while run and (run[0].surface in _STOP or run[0].surface in _LEADING):
        run = run[1:]
    while len(run) > 1 and run[-1].surface in _TRAILING:
        run = run[:-1]
    term = text[run[0].begin : run[-1].end] if run else ""
    is_proper = any(t.pos[1] == "固有名詞" for t in run) or term.endswith(_HONORIFIC)
    lone = len(run) == 1 and not is_proper and not _is_latin(run[0]) and len(term) < 3
    return term, is_proper, lone


def _name(term: str) -> str:
    """A company or a person without the honorific (ハルモニアさん → ハルモニア, which the full name ハルモニアコスメ
    contains), so that the short and the full forms meet; お客様 and お子さん keep theirs."""
    core = _core(term)
    return core if len(core) >= 2 and core[0] not in "おご御" else term


def _core(term: str) -> str:
    for suffix in _HONORIFIC:
        term = term.removesuffix(suffix)
    return term


def _acceptable(term: str) -> bool:
    core = _core(term)
    if len(core) < 2 or core in _STOP or term in _STOP:
        return False
    if _NUMERIC.match(core) or _KANA_ONLY.match(core):
        return False
    # Counts and dates (目標15, アポ10件, 1on1) are figures, not terms; product codes (MX-500) are kept.
    if re.search(r"[0-9０-９]", term) and not re.fullmatch(r"[A-Za-zＡ-Ｚ0-9０-９\-]+", term):
        return False
    if re.search(r"お疲れ|ありがとう|お願い|ちょうだい|ください", term):
        return False  # greetings and requests, not terms
    return not re.search(r"[。、！？!?「」\s]", term)


def _score(length: int, count: int, spread: int, proper: bool, person: bool) -> float:
    length_bonus = min(length, 8) / 4
    weight = 1.6 if proper else 1.0
    if person:
        weight = 0.7  # people matter, but the companies, products and topics say more about the record
    return (math.log1p(count) + 0.5 * math.log1p(spread)) * (1.0 + length_bonus) * weight


_PERSON = re.compile(r"[一-龥々]{1,3}(?:さん|くん|君|様|さま|氏|先生)")


def _dedupe(ranked: list[str], limit: int) -> list[str]:
    """The first ``limit`` terms, dropping one that a better-ranked term contains or is part of."""
    kept: list[str] = []
    cores: list[str] = []
    for term in ranked:
        core = _core(term)
        if any(core in better or better in core for better in cores):
            continue
        kept.append(term)
        cores.append(core)
        if len(kept) == limit:
            break
    return kept
