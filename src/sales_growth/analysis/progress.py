"""Progress notes: which open items of the previous plan a new 1on1 record speaks of, and how.

An item is spoken of in a sentence that shares enough of its words (nouns and verbs of its title, by Sudachi's
normalised forms, and the names of its customers and people): at least two, at least one of them not a name
(every item of a customer shares the customer's name), and at least a third of the title's other words. The
sentence, or the one right after it, where the answer often comes (「質問リストは？」「まだ途中です」), must say
how it went. The first kind of cue found decides, in this order, so that 「確認できませんでした」 is not done:

- not_done: 「できませんでした」「まだです」「忘れて」「手をつけられていません」「間に合わなかった」…
- in_progress: 「途中です」「進めています」「半分」「準備中」「これから」…
- done: 「確認しました」「送りました」「できました」「終わりました」「完了」…

The evidence is the record's own text, verbatim. An item the record does not speak of gets no note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sudachipy import SplitMode

from sales_growth.analysis.models import ItemProgress, OpenItem
from sales_growth.analysis.nlp import tokenize
from sales_growth.analysis.planner import company_names

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_SPEAKER = re.compile(r"^[^：:\n]{1,20}[：:]\s*")
Status = Literal["done", "in_progress", "not_done"]
_STATUS_CUES: tuple[tuple[Status, re.Pattern[str]], ...] = (
    (
        "not_done",
        re.compile(
            r"でき(?:ませんでした|ていません|ていない|てない|なかった)|まだ(?:です|でした|なんです|手|でき|やれ|出せ|送れ|聞け|取れ)|"
            r"忘れ|間に合わ|手をつけ|手を付け|後回し|やれていません|してません|していません|(?:聞け|出せ|送れ|取れ|会え)(?:なかった|ませんでした)|"
            r"未着手|止まっ|進んでいません|進んでない"
        ),
    ),
    (
        "in_progress",
        re.compile(
            r"途中|進めて|進行中|取りかか|取り掛か|準備中|作成中|調整中|半分|一部|あと(?:少し|\d|[一二三])|これから|やっている|やってます|続けて"
        ),
    ),
    (
        "done",
        re.compile(
            r"(?:し|でき|終わり|送り|聞き|聞け|出し|作り|取れ|取り|伺い|会え|決まり|決め|済ませ|もらい|いただき|行い|確認でき)ました|"
            r"完了|済み|達成|やり(?:切り|きり)ました|できた|終わった|送った|聞けた|出した|決まった"
        ),
    ),
)
_GENERIC = {
    "こと", "もの", "ため", "件", "様", "さん", "今回", "次回", "全部", "記録", "共有", "予定", "結果", "方", "時",
    "日", "週", "月", "今日", "明日", "来週", "今週", "自分", "お客様", "顧客", "担当", "上司", "以内", "まで",
    "為る", "居る", "有る", "成る", "出来る", "思う", "言う", "来る", "行く", "遣る", "貰う", "頂く", "下さる",
    "致す", "御座る", "付ける", "見る", "置く", "仕舞う", "頂ける", "済む",
}  # fmt: skip
_MIN_SHARED = 2
_MIN_SHARE = 1 / 3


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    words: frozenset[str]
    status: Status | None


def progress_on(text: str, items: list[OpenItem]) -> list[ItemProgress]:
    """Notes on the open ``items`` that ``text`` (the new record) speaks of, in the order of ``items``."""
    if not items:
        return []
    found = _sentences(text)
    notes = (_note(text, found, item) for item in items)
    return [note for note in notes if note is not None]


def _words(text: str) -> set[str]:
    """Content words by their normalised form: nouns of two characters or more, and verbs (short units, so that
    「提案書」 shares 「提案」 and 「作り直し」 shares 「直す」)."""
    words = set()
    for token in tokenize(text, mode=SplitMode.A):
        noun = token.pos[0] == "名詞" and token.pos[1] != "数詞" and len(token.surface) >= 2
        verb = token.pos[0] == "動詞"
        if (noun or verb) and token.normalized not in _GENERIC and token.surface not in _GENERIC:
            words.add(token.normalized)
    return words


def _sentences(text: str) -> list[_Sentence]:
    result = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        label = _SPEAKER.match(match.group())
        start += label.end() if label else 0
        sentence = text[start:end]
        if sentence.strip():
            result.append(_Sentence(start, end, frozenset(_words(sentence)), _status(sentence)))
    return result


def _note(text: str, sentences: list[_Sentence], item: OpenItem) -> ItemProgress | None:
    names = set().union(*(_words(name) for name in [*item.who, *company_names(item.title)]))
    wanted = _words(item.title) | names
    content = wanted - names
    best: tuple[int, bool, int] | None = None  # (shared words, says how it went, index)
    for index, sentence in enumerate(sentences):
        shared = wanted & sentence.words
        shared_content = len(shared & content)
        if shared_content and len(shared) >= _MIN_SHARED and shared_content >= len(content) * _MIN_SHARE:
            candidate = (len(shared), sentence.status is not None, index)
            best = max(best, candidate, key=lambda c: c[:2]) if best else candidate
    return _with_status(text, sentences, best[2], item) if best else None


def _with_status(text: str, sentences: list[_Sentence], index: int, item: OpenItem) -> ItemProgress | None:
    """The status said in the sentence itself, or in the answer right after it."""
    for last in sentences[index : index + 2]:
        if last.status is not None:
            evidence = text[sentences[index].start : last.end].strip()
            return ItemProgress(item_id=item.id, title=item.title, status=last.status, evidence=evidence)
    return None


def _status(sentence: str) -> Status | None:
    for status, cue in _STATUS_CUES:
        if cue.search(sentence):
            return status
    return None
