"""Clause features for the learned skill classifier.

Each clause the rules may judge (see :mod:`sales_growth.analysis.findings`) becomes a sparse feature dict: its
words (Sudachi normalised forms, quoted speech apart), the speaker's role, what the lexicon rules make of it (skill
cues, praise and shortfall, negation, requests, hedges, hearsay) and its neighbours in the conversation (the
question it answers, the reaction it gets).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from sales_growth.analysis import findings as rules
from sales_growth.analysis.models import Polarity, SkillId
from sales_growth.analysis.nlp import Token
from sales_growth.analysis.transcript import Transcript

Features = dict[str, float]

_SKIP_POS = frozenset({"補助記号", "空白"})
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞"})


@dataclass(frozen=True)
class ClauseView:
    """One judged clause with what the rules make of it."""

    clause: rules.Clause
    cues: dict[SkillId, float]  # the skills it is mainly about
    judged: dict[SkillId, float]  # the skills it is judged on (own, or borrowed from the question)
    section: Polarity | None
    positive: float
    negative: float


def views(transcript: Transcript) -> list[ClauseView]:
    """Every judged clause of ``transcript`` with the rules' reading of it, in order."""
    lexicon = rules.load_lexicon()
    result: list[ClauseView] = []
    topic: dict[SkillId, float] = {}
    previous_topic: dict[SkillId, float] = {}
    current = -1
    section: Polarity | None = None
    for clause in rules.clauses(transcript):
        if clause.utterance != current:
            current = clause.utterance
            previous_topic, topic = (topic or previous_topic), {}
            section = rules._section(clause, section)
        cues = rules._focus(rules.skill_cues(clause.evidence, clause.all_tokens, lexicon), clause)
        judged = rules._judged_skills(clause, cues, rules._merge(previous_topic, rules._merge(topic, cues)))
        topic = rules._merge(topic, judged if clause.role == "junior" else cues)
        positive, negative = rules.polarity_of(clause, lexicon)
        result.append(
            ClauseView(
                clause=clause,
                cues=cues,
                judged=judged,
                section=section if clause.role == "narrator" else None,
                positive=positive,
                negative=negative,
            )
        )
    return result


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
    result = []
    for item in items:
        clause = item.clause
        features: Features = {"bias": 1.0, f"role:{clause.role}": 1.0}
        inside = {(t.begin, t.end) for t in clause.tokens}
        words = list(_words(clause.tokens))
        for word in words:
            features[f"w:{word}"] = 1.0
        for first, second in itertools.pairwise(words):
            features[f"b:{first}|{second}"] = 1.0
        for token in clause.all_tokens:
            if (token.begin, token.end) not in inside and token.pos[0] in _CONTENT_POS:
                features[f"q:{token.normalized}"] = 1.0
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
        text = clause.masked
        if any(marker in text for marker in lexicon.self_markers):
            features["self_marker"] = 1.0
        if any(marker in text for marker in lexicon.customer_markers):
            features["customer_marker"] = 1.0
        if rules._HEARSAY.search(text):
            features["hearsay"] = 1.0
        if rules._DENIED.search(text) or rules._PERMISSION.search(text):
            features["denied"] = 1.0
        if len(clause.evidence) < 10:
            features["short"] = 1.0
        position = order.index(clause.utterance)
        _context(features, items, by_utterance, order, position, "prev", -1)
        _context(features, items, by_utterance, order, position, "next", 1)
        result.append(features)
    return result


def _context(
    features: Features,
    items: list[ClauseView],
    by_utterance: dict[int, list[int]],
    order: list[int],
    position: int,
    name: str,
    step: int,
) -> None:
    """What the neighbouring turn is about and how it judges (the question before, the reaction after)."""
    other = position + step
    if not 0 <= other < len(order):
        return
    neighbours = [items[i] for i in by_utterance[order[other]]]
    features[f"{name}:role:{neighbours[0].clause.role}"] = 1.0
    for item in neighbours:
        for skill, weight in item.cues.items():
            key = f"{name}:cue:{skill}"
            features[key] = max(features.get(key, 0.0), weight)
        if item.clause.question:
            features[f"{name}:question"] = 1.0
    features[f"{name}:pos"] = min(sum(i.positive for i in neighbours), 3.0)
    features[f"{name}:neg"] = min(sum(i.negative for i in neighbours), 3.0)
