"""Finding the junior's strengths and challenges in the ten skills, each backed by a verbatim clause.

The algorithm, clause by clause:

1. Only clauses that speak about the junior count: the junior's own words, memo lines (written about the
   junior), and the manager's feedback. A manager clause about the manager (「私の段取りの問題」) and customers'
   quoted words (inside 「」) are left out; with no manager/junior structure nothing is judged at all.
2. A clause is *about* a skill when it holds one of the skill's cues (``data/skills.toml``), matched on Sudachi's
   normalised forms, so that spelling variants meet.
3. Its *polarity* comes from evaluative expressions (``data/polarity.toml``): praise and success against
   shortfall, mistakes and worry, with negation flipping the expression before it (「問題なかった」 is not a
   shortfall, 「聞けなかった」 is one) and a manager's request to do better counting as a challenge.
4. A clause with polarity but no skill cue takes the skills of the turn before it, so an answer judges what the
   question asked about (「予算は聞いた？」「いえ、聞けてないです」); a clause counts only for the skills it is
   mainly about; in a memo, headings such as 「良かった点」「気になった点」 colour the lines under them.

Scores add up per (skill, polarity); those over a threshold become findings, each with its strongest clause as
evidence. The primary challenge is the challenge with the most weight, counting how much of the 1on1 is spent
on the skill.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Generic, Literal, TypeVar

import ahocorasick

from sales_growth.analysis.models import SKILL_IDS, Finding, Polarity, SkillId, SkillReport
from sales_growth.analysis.nlp import Token
from sales_growth.analysis.transcript import Role, Transcript

THRESHOLD = 0.6
SECTION_WEIGHT = 0.8
JUDGED_ROLES: frozenset[Role] = frozenset({"junior", "manager", "narrator"})
# A sentence ends at its final punctuation or at a line break after one; a subtitle cue wrapped over two lines
# without punctuation stays one sentence.
_SENTENCE = re.compile(r"(?:[^。！？!?\n]|\n(?=[^\n]))+[。！？!?]*")
_CLAUSE_BREAK = re.compile(
    r"(?:けれども|けれど|けど|ものの|ですが|んですが|だが|が、|一方で|一方、|ただ、|でも、|しかし、)"
)
_QUOTE = re.compile(r"「[^「」]*」|『[^『』]*』|“[^”]*”")
_QUESTION = re.compile(r"[？?]\s*$|(?:ました|ます|だった|でした|てる|た)か[。]?\s*$")
_PUNCT = frozenset("、。，．,.！？!?…")


_NOUN_LIKE = re.compile(r"[一-龥々ァ-ヴーA-Za-z]{2,}|[一-龥々ァ-ヴー]+[り]")


T = TypeVar("T")


class PhraseIndex(Generic[T]):
    """Phrases found in a clause in one pass of an Aho-Corasick automaton (pyahocorasick), overlaps included."""

    def __init__(self, entries: list[tuple[str, T]]) -> None:
        self._entries = entries
        payloads: dict[str, list[T]] = defaultdict(list)
        for phrase, payload in entries:
            payloads[phrase].append(payload)
        self._automaton = ahocorasick.Automaton()
        for phrase, found in payloads.items():
            self._automaton.add_word(phrase, (phrase, tuple(found)))
        if payloads:
            self._automaton.make_automaton()

    def __iter__(self) -> Iterator[tuple[str, T]]:
        return iter(self._entries)

    def find(self, text: str) -> list[T]:
        """The payloads of every phrase that occurs in ``text`` (once per phrase, overlaps allowed)."""
        if not self._entries:
            return []
        found: dict[str, tuple[T, ...]] = {}
        for _end, (phrase, payloads) in self._automaton.iter(text):
            found[phrase] = payloads
        return [payload for payloads in found.values() for payload in payloads]


@dataclass(frozen=True)
class Lexicon:
    """The knowledge files, compiled once per process."""

    skill_words: dict[str, tuple[tuple[SkillId, float], ...]]
    skill_phrases: PhraseIndex[tuple[SkillId, float]]
    # Praise and shortfall words by form: (positive weight, negative weight).
    polar_words: dict[str, tuple[float, float]]
    # Praise (``positive``), shortfall (``negative``) and a manager's asks (``request``) found in one scan.
    polarity_phrases: PhraseIndex[tuple[str, float]]
    negators: frozenset[str]
    descriptive: frozenset[str]
    # Hedges, the manager's words about themselves, and words that point at the customer: any one of each.
    hedges: re.Pattern[str]
    self_markers: re.Pattern[str]
    customer_markers: re.Pattern[str]


def _any_of(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern that finds any of ``phrases`` (none: one that never matches)."""
    return re.compile("|".join(map(re.escape, sorted(phrases, key=len, reverse=True))) or "(?!)")


def _polar_words(positive: dict[str, float], negative: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {form: (positive.get(form, 0.0), negative.get(form, 0.0)) for form in positive.keys() | negative.keys()}


def _read_toml(name: str) -> dict[str, object]:
    return tomllib.loads(resources.files("sales_growth.analysis").joinpath("data", name).read_text("utf-8"))


_POLARITY_TABLES = (("positive", "positive_phrases"), ("negative", "negative_phrases"), ("request", "requests"))


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    skills = _read_toml("skills.toml")
    polarity = _read_toml("polarity.toml")
    words: dict[str, list[tuple[SkillId, float]]] = defaultdict(list)
    phrases: list[tuple[str, SkillId, float]] = []
    for skill in SKILL_IDS:
        entry = skills[skill]
        assert isinstance(entry, dict)
        for word, weight in entry["words"].items():
            words[word].append((skill, float(weight)))
            if _NOUN_LIKE.fullmatch(word):
                # Nouns also match inside compounds Sudachi keeps whole or splits apart (準備不足, 深掘り).
                phrases.append((word, skill, float(weight)))
        phrases.extend((phrase, skill, float(weight)) for phrase, weight in entry["phrases"].items())

    def table(name: str) -> dict[str, float]:
        value = polarity[name]
        assert isinstance(value, dict)
        return {k: float(v) for k, v in value.items()}

    def strings(name: str, key: str) -> tuple[str, ...]:
        value = polarity[name]
        assert isinstance(value, dict)
        return tuple(value[key])

    return Lexicon(
        skill_words={k: tuple(v) for k, v in words.items()},
        skill_phrases=PhraseIndex([(phrase, (skill, weight)) for phrase, skill, weight in phrases]),
        polar_words=_polar_words(table("positive"), table("negative")),
        polarity_phrases=PhraseIndex(
            [(phrase, (kind, weight)) for kind, name in _POLARITY_TABLES for phrase, weight in table(name).items()]
        ),
        negators=frozenset(strings("negators", "forms")),
        descriptive=frozenset(strings("descriptive", "words")),
        hedges=_any_of(strings("hedges", "phrases")),
        self_markers=_any_of(strings("self_markers", "phrases")),
        customer_markers=_any_of(strings("customer_markers", "phrases")),
    )


@dataclass(frozen=True)
class Clause:
    utterance: int
    role: Role
    start: int  # offset of ``evidence`` in the transcript's source
    evidence: str  # verbatim slice of the utterance text
    masked: str  # the same slice with quoted speech blanked out
    tokens: tuple[Token, ...]  # outside quoted speech: they carry the evaluation
    all_tokens: tuple[Token, ...]  # quoted speech too: it still tells what the clause is about
    question: bool


@dataclass
class _Tally:
    score: float = 0.0
    best: float = 0.0
    evidence: str = ""


@dataclass
class _State:
    tallies: dict[tuple[SkillId, Polarity], _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    mentions: dict[SkillId, float] = field(default_factory=lambda: defaultdict(float))
    # Per judged clause, in order: what it adds to the tallies, and to the mentions.
    votes: list[list[tuple[tuple[SkillId, Polarity], float]]] = field(default_factory=list)
    clause_mentions: list[dict[SkillId, float]] = field(default_factory=list)


def subtally(
    votes: list[list[tuple[tuple[SkillId, Polarity], float]]],
    mentions: list[dict[SkillId, float]],
    views: list[ClauseView],
    indices: list[int],
) -> _State:
    """The rules' scores over some of a record's clauses only (a passage of it), from the per-clause votes."""
    part = _State()
    for index in indices:
        for key, score in votes[index]:
            tally = part.tallies[key]
            tally.score += score
            if score > tally.best:
                tally.best, tally.evidence = score, views[index].clause.evidence
        for skill, weight in mentions[index].items():
            part.mentions[skill] += weight
        part.votes.append(votes[index])
        part.clause_mentions.append(mentions[index])
    return part


@dataclass(frozen=True)
class ClauseView:
    """One judged clause with what the rules make of it (the learned classifier's input)."""

    clause: Clause
    cues: dict[SkillId, float]  # the skills it is mainly about
    judged: dict[SkillId, float]  # the skills it is judged on (its own, or borrowed from the question)
    section: Polarity | None  # the memo heading it stands under
    positive: float
    negative: float


def find_skills(transcript: Transcript) -> SkillReport:
    """The junior's strengths and challenges in ``transcript`` by the rules alone, and the primary challenge."""
    return report(walk(transcript)[1])


def tally(transcript: Transcript) -> _State:
    """The rules' scores per (skill, polarity) over the whole record, with each one's best clause."""
    return walk(transcript)[1]


def walk(transcript: Transcript) -> tuple[list[ClauseView], _State]:
    """Every judged clause with the rules' reading of it, and the rules' scores over the whole record.

    With nobody in the junior's place (a meeting, a counselling chat) nothing is judged at all.
    """
    state = _State()
    views: list[ClauseView] = []
    if not any(u.role in {"junior", "narrator"} for u in transcript.utterances):
        return views, state
    lexicon = load_lexicon()
    topic: dict[SkillId, float] = {}
    previous_topic: dict[SkillId, float] = {}
    current = -1
    section: Polarity | None = None
    for clause in clauses(transcript):
        if clause.utterance != current:
            current = clause.utterance
            # A turn without cues of its own keeps the conversation's topic alive for the next turn.
            previous_topic, topic = (topic or previous_topic), {}
            section = _section(clause, section)
        skills = _focus(skill_cues(clause.evidence, clause.all_tokens, lexicon), clause)
        mentions = {skill: weight * _mention_weight(skill) for skill, weight in skills.items()}
        for skill, weight in mentions.items():
            state.mentions[skill] += weight
        state.clause_mentions.append(mentions)
        judged = _judged_skills(clause, skills, _merge(previous_topic, _merge(topic, skills)))
        # What an answer was judged on stays the topic, so that 「そこはもったいなかった」 refers to it.
        topic = _merge(topic, judged if clause.role == "junior" else skills)
        positive, negative = polarity_of(clause, lexicon)
        view = ClauseView(
            clause=clause,
            cues=skills,
            judged=judged,
            section=section if clause.role == "narrator" else None,
            positive=positive,
            negative=negative,
        )
        views.append(view)
        state.votes.append(_judge(view, lexicon, state))
    return views, state


def _judged_skills(clause: Clause, own: dict[SkillId, float], context: dict[SkillId, float]) -> dict[SkillId, float]:
    """A clause's own skills; one that names none borrows the conversation's, and a junior's answer always
    carries what the question asked about as well (「決めてないです」 answers 「次のアポは決めた？」)."""
    borrowed = _inherited(context, clause)
    return _merge(borrowed, own) if clause.role == "junior" else (own or borrowed)


_GOOD_HEADING = re.compile(
    r"良かった|よかった|良い点|よい点|いい点|強み|できていた|できたこと|評価|Good", re.IGNORECASE
)
_BAD_HEADING = re.compile(
    r"気になった|気になる|課題|改善|反省|懸念|要注意|できていない|問題点|伸びしろ|Bad|More", re.IGNORECASE
)
_HEADING = re.compile(r"(?:点|こと|について|状況|振り返り|所感|近況|アクション|宿題|次回|今後|その他|メモ|[:：])$")


def _section(clause: Clause, section: Polarity | None) -> Polarity | None:
    """In a memo, a short heading such as 「良かった点」 or 「気になった点」 colours the lines under it."""
    if clause.role != "narrator":
        return section
    heading = clause.evidence
    label, colon, _rest = heading.partition("：") if "：" in heading else heading.partition(":")
    if colon and len(label) <= 10:  # 「課題：①…」 heads its own line
        heading = label
    if len(heading) > 24 or "。" in heading:
        return section
    if _BAD_HEADING.search(heading):
        return "challenge"
    if _GOOD_HEADING.search(heading):
        return "strength"
    # Another heading (「近況」「次回までに」) ends the section; an ordinary line keeps it.
    return None if _HEADING.search(heading) else section


def _mention_weight(skill: SkillId) -> float:
    # Questions and listening words run through every 1on1; talk about them says less about what it dwells on.
    return 0.5 if skill == "hearing" else 1.0


_ENCOURAGEMENT = re.compile(r"自信(?:を)?持って")
FOCUS_MARGIN = 0.15


def _focus(skills: dict[SkillId, float], clause: Clause) -> dict[SkillId, float]:
    """The skills a clause is mainly about: its strongest cues, not every word it happens to contain.

    「自信を持っていい」 encourages the junior about the skill at hand; it is not about confidence itself.
    """
    if "mindset" in skills and _ENCOURAGEMENT.search(clause.evidence):
        skills = {s: w for s, w in skills.items() if s != "mindset"}
    top = max(skills.values(), default=0.0)
    return {s: w for s, w in skills.items() if w >= top - FOCUS_MARGIN}


def _merge(topic: dict[SkillId, float], skills: dict[SkillId, float]) -> dict[SkillId, float]:
    merged = dict(topic)
    for skill, weight in skills.items():
        merged[skill] = max(merged.get(skill, 0.0), weight)
    return merged


def _inherited(previous: dict[SkillId, float], clause: Clause) -> dict[SkillId, float]:
    """An answer judges what the question asked about; a manager's 「そこは良かった」 what was just said.

    A bare reaction (「よかった。」「いいね。」) answers news, not the junior's skill, and inherits nothing.
    """
    if len(clause.evidence) < 8 or (clause.role != "junior" and not _REFERS_BACK.search(clause.evidence)):
        return {}
    if "のは" in clause.evidence:  # 「気になったのはその後」 announces what comes next; it does not look back
        return {}
    return {skill: weight * 0.7 for skill, weight in previous.items() if weight >= 0.5}


_REFERS_BACK = re.compile(r"(?:そこ|それ|あれ|その|あの|そういう|ああいう|そうやって|今の|ここは|これは)")
_ONLY = re.compile(r"ばっかり|ばかり")
_CONTRARY = re.compile(r"かと思っ(?:て(?:い)?)?たけど|かと思ったら|と思いきや")
_HYPOTHETICAL = re.compile(r"(?:ないと|なければ|なかったら|としたら|だとしたら)、")
_PERMISSION = re.compile(r"なくて(?:も)?(?:いい|大丈夫|構わない)")
_HEARSAY = re.compile(
    r"(?:みたい|そうです|そうで|らしい|とのこと|って言って|と言って|と聞い|って聞い|だそう|って、[^、。]{1,10}(?:さん|様)が)"
)


def clauses(transcript: Transcript) -> list[Clause]:
    """Every clause of the utterances whose speaker may be judged, in order."""
    result: list[Clause] = []
    for index, utterance in enumerate(transcript.utterances):
        if utterance.role not in JUDGED_ROLES:
            continue
        text = utterance.text
        masked = _QUOTE.sub(lambda m: "＿" * len(m.group()), text)
        tokens = transcript.tokens[index]
        begins = [t.begin for t in tokens]
        for start, end in _clause_spans(text, masked):
            evidence = text[start:end]
            window = tokens[bisect_left(begins, start) : bisect_left(begins, end)]
            inside = tuple(t for t in window if t.end <= end)
            result.append(
                Clause(
                    utterance=index,
                    role=utterance.role,
                    start=utterance.start + start,
                    evidence=evidence,
                    masked=masked[start:end],
                    tokens=tuple(t for t in inside if "＿" not in masked[t.begin : t.end]),
                    all_tokens=inside,
                    question=bool(_QUESTION.search(evidence)),
                )
            )
    return result


def _clause_spans(text: str, masked: str) -> list[tuple[int, int]]:
    """Sentences, cut further at contrastive conjunctions; quoted speech is never cut (hence ``masked``)."""
    spans: list[tuple[int, int]] = []
    for sentence in _SENTENCE.finditer(masked):
        start = sentence.start()
        for brk in _CLAUSE_BREAK.finditer(sentence.group()):
            end = sentence.start() + brk.end()
            if end - start >= 6:
                spans.append((start, end))
                start = end
        spans.append((start, sentence.end()))
    return [span for s, e in spans if (span := _trim(text, s, e))[1] - span[0] >= 2]


def ends_in_contrast(text: str) -> bool:
    """Whether a clause is the first half of a contrast (「聞けたけど」「少なくないが、」)."""
    ends = [match.end() for match in _CLAUSE_BREAK.finditer(text)]
    return bool(ends) and ends[-1] >= len(text.rstrip("、， "))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in "、，,・"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_NO_CUES = (None, None, None)


def skill_cues(masked: str, tokens: tuple[Token, ...], lexicon: Lexicon) -> dict[SkillId, float]:
    """Which skills a clause is about, with the strongest cue's weight for each."""
    found: dict[SkillId, float] = {}
    words = lexicon.skill_words
    for index, token in enumerate(tokens):
        # The same form may come twice; taking the maximum makes that harmless.
        forms = (words.get(token.normalized), words.get(token.dictionary), words.get(token.surface))
        if forms == _NO_CUES or _passive(tokens, index):
            continue  # 「聞かれた」: the customer asked; the junior did not
        for skill, weight in itertools.chain.from_iterable(hits for hits in forms if hits):
            found[skill] = max(found.get(skill, 0.0), weight)
    for skill, weight in lexicon.skill_phrases.find(masked):
        found[skill] = max(found.get(skill, 0.0), weight)
    return found


def _passive(tokens: tuple[Token, ...], index: int) -> bool:
    """「聞かれた」「聞いても（答えられない）」: someone else asked; the verb is not the junior's action."""
    if tokens[index].pos[0] != "動詞" or index + 1 >= len(tokens):
        return False
    following = [t.surface for t in tokens[index + 1 : index + 3]]
    return tokens[index + 1].dictionary in {"れる", "られる"} or following in (["て", "も"], ["で", "も"])


_NEUTRAL = (0.0, 0.0)


def polarity_of(clause: Clause, lexicon: Lexicon) -> tuple[float, float]:
    """(positive, negative) weight of a clause; requests and negated praise count as negative."""
    positive = negative = 0.0
    tokens = clause.tokens
    words = lexicon.polar_words
    for i, token in enumerate(tokens):
        pos, neg = words.get(token.normalized, _NEUTRAL)
        if token.dictionary != token.normalized:
            other = words.get(token.dictionary, _NEUTRAL)
            pos, neg = max(pos, other[0]), max(neg, other[1])
        if not (pos or neg) and _is_action(token):
            # A plain action is neutral; not doing it is a shortfall, being able to do it an achievement.
            if _negated(tokens, i, lexicon):
                negative += 0.6
            elif _is_potential(token) and _completed(tokens, i):
                positive += 0.6
            continue
        if not (pos or neg) or (pos and _descriptive(tokens, i, lexicon)):
            continue
        if pos and _permissive(tokens, i):
            # 「聞いてもいい」「〜といい」: permission or a suggestion, not praise.
            negative += 0.3 if _suggestion(tokens, i) else 0.0
            continue
        if _negated(tokens, i, lexicon):
            negative += pos
            # 「値引きに逃げずに」 is done well; 「問題なかった」 is reassurance rather than praise.
            positive += neg * (0.8 if token.pos[0] == "動詞" else 0.3)
        else:
            positive += pos
            negative += neg
    text = clause.masked
    asks_allowed = clause.role in {"manager", "narrator"}
    for kind, weight in lexicon.polarity_phrases.find(text):
        if kind == "positive":
            positive += weight
        elif kind == "negative" or asks_allowed:
            negative += weight
    if lexicon.hedges.search(text):
        positive, negative = positive * 0.8, negative * 0.8
    if _DENIED.search(text) or _PERMISSION.search(text):
        # 「知識が足りないって話じゃない」「無理しなくていい」: denied or permitted, not evaluated.
        return 0.0, 0.0
    if _ONLY.search(text):
        positive *= 0.2  # 「説明ばっかり上手くなって」: praise undercut by "only"
    if _CONTRARY.search(text):
        # 「落ち込むかと思ってたけど」: the feared thing did not happen.
        positive, negative = negative, positive
    if _HYPOTHETICAL.search(text):
        negative *= 0.5  # 「わからないと決められない」 explains a consequence; it is not a verdict
    if clause.role != "manager" and _HEARSAY.search(text):
        # What the junior heard about the customer's situation says little about the junior.
        positive, negative = positive * 0.4, negative * 0.4
    return positive, negative


def _descriptive(tokens: tuple[Token, ...], index: int, lexicon: Lexicon) -> bool:
    token = tokens[index]
    if token.dictionary not in lexicon.descriptive and token.normalized not in lexicon.descriptive:
        return False
    following = tokens[index + 1].dictionary if index + 1 < len(tokens) else ""
    adverbial = "連用形" in token.pos[5] and following not in {"成る", "なる"}  # 詳しく話そう, not 詳しくなった
    return adverbial or following == "こと"


def _permissive(tokens: tuple[Token, ...], index: int) -> bool:
    if tokens[index].normalized != "良い" or index == 0:
        return False
    before = tokens[index - 1].surface
    # 「〜てもいい」「〜といい」「〜でいい」: allowed, suggested or good enough; not praise.
    return before in {"も", "と", "ば", "たら", "だら", "なら", "で"} or before.endswith("ても")


def _suggestion(tokens: tuple[Token, ...], index: int) -> bool:
    return tokens[index - 1].surface in {"と", "ば", "たら", "だら"}


def _is_action(token: Token) -> bool:
    return (token.pos[0] == "動詞" and token.pos[1] == "一般") or (
        token.pos[0] == "名詞" and token.pos[2] == "サ変可能"
    )


def _is_potential(token: Token) -> bool:
    # 聞ける, 話せる, 会える: Sudachi lemmatises a potential verb as its own -eru verb and normalises it to the
    # plain verb (聞ける → 聞く), which an ordinary -eru verb (決める, 伝える) does not do.
    return token.dictionary != token.normalized and token.pos[4].startswith("下一段")


def _completed(tokens: tuple[Token, ...], index: int) -> bool:
    following = {t.dictionary for t in tokens[index + 1 : index + 4]}
    return bool(following & {"た", "てる", "ている", "いる"})


_DENIED = re.compile(
    r"(?:って|という|とか)(?:話|こと|わけ)(?:じゃ|では)(?:ない|なく|ありません)|わけ(?:じゃ|では)(?:ない|なく|ありません)"
)


def _negated(tokens: tuple[Token, ...], index: int, lexicon: Lexicon) -> bool:
    for token in tokens[index + 1 : index + 5]:
        # Punctuation ends the predicate; so does the past tense: 「聞けたじゃない」 is a reminder, not a denial.
        if token.surface in _PUNCT or token.pos[0] == "補助記号" or token.dictionary == "た":
            return False
        if token.pos[1] == "準体助詞":
            return False  # 「一番詳しいんじゃない」 asks for agreement; it does not deny
        is_negator = token.normalized in lexicon.negators or token.dictionary in lexicon.negators
        if is_negator and token.pos[0] in {"助動詞", "形容詞"}:  # not the ん of 「んだ」, a particle
            return True
        if (
            token.pos[0] in {"名詞", "動詞"}
            and token.pos[1] != "非自立可能"
            and token.normalized not in {"為る", "成る", "出来る", "居る", "有る"}
        ):
            return False
    return False


def _judge(view: ClauseView, lexicon: Lexicon, state: _State) -> list[tuple[tuple[SkillId, Polarity], float]]:
    """Add the clause's vote to the tallies; return what it added."""
    clause, skills = view.clause, view.judged
    if not skills:
        return []
    about_manager = clause.question or bool(lexicon.self_markers.search(clause.masked))
    if clause.role in {"manager", "narrator"} and about_manager:
        return []
    if lexicon.customer_markers.search(clause.masked) and clause.role != "manager":
        return []
    positive, negative = view.positive, view.negative
    if view.section == "strength":
        positive += SECTION_WEIGHT
    elif view.section == "challenge":
        negative += SECTION_WEIGHT
    direction: Literal["strength", "challenge"]
    if positive - negative >= 0.5:
        direction, strength = "strength", positive - negative
    elif negative - positive >= 0.5:
        direction, strength = "challenge", negative - positive
    else:
        return []
    if clause.role == "junior" and direction == "strength":
        strength *= 0.7  # self-praise is weaker evidence than the manager's
    strength = min(strength, 2.0)
    votes = []
    for skill, weight in skills.items():
        score = strength * weight
        tally = state.tallies[(skill, direction)]
        tally.score += score
        if score > tally.best:
            tally.best, tally.evidence = score, clause.evidence
        votes.append(((skill, direction), score))
    return votes


RELATIVE = 0.3
MAX_PER_POLARITY = 3


def report(state: _State) -> SkillReport:
    findings: list[Finding] = []
    polarities: tuple[Polarity, ...] = ("challenge", "strength")
    for polarity in polarities:
        tallies = {s: t for (s, p), t in state.tallies.items() if p == polarity and t.evidence}
        top = max((t.score for t in tallies.values()), default=0.0)
        # A record's own strongest signal sets the bar: long records pile up small, noisy scores.
        bar = max(THRESHOLD, RELATIVE * top)
        kept = sorted((s for s, t in tallies.items() if t.score >= bar), key=lambda s: -tallies[s].score)
        findings.extend(
            Finding(skill=s, polarity=polarity, evidence=tallies[s].evidence, confidence=_confidence(tallies[s].score))
            for s in kept[:MAX_PER_POLARITY]
        )
    findings.sort(key=lambda f: (f.polarity != "challenge", -f.confidence, SKILL_IDS.index(f.skill)))
    challenges = {f.skill for f in findings if f.polarity == "challenge"}
    primary = max(
        challenges,
        key=lambda s: state.tallies[(s, "challenge")].score + 2.0 * state.mentions[s],
        default=None,
    )
    return SkillReport(findings=findings, primary_challenge=primary)


def _confidence(score: float) -> float:
    return round(min(0.97, 1.0 - math.exp(-score / 1.5)), 2)
