"""Clause features for the learned skill classifier.

Each clause the rules may judge (see :mod:`sales_growth.analysis.findings`) becomes a sparse feature dict: its
words (Sudachi normalised forms and synonym groups, quoted speech apart), the speaker's role, what the lexicon rules
make of it (skill cues, praise and shortfall, negation, requests, hedges, hearsay) and its neighbours in the
conversation (the question it answers, the reaction it gets).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from sales_growth.analysis import findings as rules
from sales_growth.analysis.findings import ClauseView
from sales_growth.analysis.nlp import Token
from sales_growth.analysis.transcript import Transcript

Features = dict[str, float]

_SKIP_POS = frozenset({"補助記号", "空白"})
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞"})
_RUNS = re.compile(r"[^\s＿]{2,}")  # stretches of text without spaces or blanked-out quotes


def views(transcript: Transcript) -> list[ClauseView]:
    """Every judged clause of ``transcript`` with the rules' reading of it, in order."""
    return rules.walk(transcript)[0]


def _words(tokens: tuple[Token, ...]) -> Iterator[str]:
    for token in tokens:
        if token.pos[0] in _SKIP_POS or not token.surface.strip():
            continue
        yield token.normalized


def clause_features(transcript: Transcript, items: list[ClauseView]) -> list[Features]:
    """The feature dict of each view, with its conversational context."""
    lexicon = rules.load_lexicon()
    by_utterance: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        by_utterance.setdefault(item.clause.utterance, []).append(index)
    order = sorted(by_utterance)
    position = {utterance: i for i, utterance in enumerate(order)}
    turns = [[items[i] for i in by_utterance[u]] for u in order]
    # What each turn contributes to its neighbours' features (the question a clause answers, the reaction it
    # gets), made once per turn rather than once per clause.
    asked = [_turn_features(turn, "prev") | _turn_words(turn, "pw:") for turn in turns]
    answered = [_turn_features(turn, "next") | _turn_words(turn, "nw:") for turn in turns]
    result = []
    for index, item in enumerate(items):
        features = _own_features(item, lexicon)
        # The other half of a contrast in the same turn (「聞けたけど、決裁者は聞けてない」).
        for name, other in (("before", index - 1), ("after", index + 1)):
            if 0 <= other < len(items) and items[other].clause.utterance == item.clause.utterance:
                features[f"{name}:pos"] = min(items[other].positive, 3.0)
                features[f"{name}:neg"] = min(items[other].negative, 3.0)
        here = position[item.clause.utterance]
        if here > 0:
            features.update(asked[here - 1])
        if here + 1 < len(order):
            features.update(answered[here + 1])
        result.append(features)
    return result


def _own_features(item: ClauseView, lexicon: rules.Lexicon) -> Features:
    """What the clause itself says: words, word pairs, characters, quoted words, and the rules' reading."""
    clause = item.clause
    features: Features = {"bias": 1.0, f"role:{clause.role}": 1.0}
    words = list(_words(clause.tokens))
    for word in words:
        features[f"w:{word}"] = 1.0
    for first, second in itertools.pairwise(words):
        features[f"b:{first}|{second}"] = 1.0
    # Japanese puts the verdict at the end of a clause (「〜相談してくれたのも良かった」): its last words apart.
    for place, word in enumerate(reversed(words[-3:])):
        features[f"t{place}:{word}"] = 1.0
        features[f"{clause.role}:t{place}:{word}"] = 1.0
    content = [t.normalized for t in clause.tokens if t.pos[0] in _CONTENT_POS]
    # A word's synonym groups meet the other words of the same meaning that the corpus never used.
    for token in clause.tokens:
        for group in token.synonyms:
            features[f"g:{group}"] = 1.0
    if content:
        features[f"pred:{content[-1]}"] = 1.0
        features[f"{clause.role}:pred:{content[-1]}"] = 1.0
    if len(clause.all_tokens) > len(clause.tokens):  # quoted speech: its words apart
        inside = {(t.begin, t.end) for t in clause.tokens}
        for token in clause.all_tokens:
            if (token.begin, token.end) not in inside and token.pos[0] in _CONTENT_POS:
                features[f"q:{token.normalized}"] = 1.0
    # Character pairs meet inflections and compounds that word forms split differently (聞けず, 準備不足).
    text = clause.masked
    for run in _RUNS.findall(text):
        for i in range(len(run) - 1):
            features["c2:" + run[i : i + 2]] = 1.0
    for skill, weight in item.cues.items():
        features[f"cue:{skill}"] = weight
    for skill, weight in item.judged.items():
        features[f"judged:{skill}"] = weight
        features[f"jpos:{skill}"] = weight * min(item.positive, 2.0)
        features[f"jneg:{skill}"] = weight * min(item.negative, 2.0)
    features["pos"] = min(item.positive, 3.0)
    features["neg"] = min(item.negative, 3.0)
    features[f"{clause.role}:pos"] = min(item.positive, 3.0)
    features[f"{clause.role}:neg"] = min(item.negative, 3.0)
    if item.section:
        features[f"section:{item.section}"] = 1.0
    if clause.question:
        features["question"] = 1.0
    if lexicon.self_markers.search(text):
        features["self_marker"] = 1.0
    if lexicon.customer_markers.search(text):
        features["customer_marker"] = 1.0
    if rules._HEARSAY.search(text):
        features["hearsay"] = 1.0
    if rules._DENIED.search(text) or rules._PERMISSION.search(text):
        features["denied"] = 1.0
    if rules.ends_in_contrast(clause.evidence):
        features["concessive"] = 1.0
    if len(clause.evidence) < 10:
        features["short"] = 1.0
    return features


def _turn_words(turn: list[ClauseView], prefix: str) -> Features:
    words = {t.normalized for item in turn for t in item.clause.tokens if t.pos[0] in _CONTENT_POS}
    return dict.fromkeys([prefix + word for word in words], 1.0)


def _turn_features(turn: list[ClauseView], name: str) -> Features:
    """What a turn is about and how it judges, as seen from the turn before it (``next``) or after it (``prev``)."""
    features: Features = {f"{name}:role:{turn[0].clause.role}": 1.0}
    for item in turn:
        for skill, weight in item.cues.items():
            key = f"{name}:cue:{skill}"
            features[key] = max(features.get(key, 0.0), weight)
        if item.clause.question:
            features[f"{name}:question"] = 1.0
    if name == "next":
        # How the reply judges tells how this turn went. How the turn before judged does not tell whether this one
        # praises: 「準備はよくできていたよ」 after the junior owns up to a mistake is praise all the same.
        features[f"{name}:pos"] = min(sum(i.positive for i in turn), 3.0)
        features[f"{name}:neg"] = min(sum(i.negative for i in turn), 3.0)
    return features
