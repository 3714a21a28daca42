"""The learned skill classifier: which strengths and challenges a record shows, and its primary challenge.

Three small logistic models, trained on the project's own labelled corpus (``training/``, see ``train.py``) and
shipped in ``data/`` as ``skill_model.json``, ``skill_model.features.txt`` and ``skill_model.weights.bin``:

1. **Clauses.** For every clause the rules may judge (:mod:`sales_growth.analysis.features`), one model per
   polarity gives the chance that the clause states a strength or a challenge of the junior, and one model per skill
   the chance that such an evaluative clause is about that skill. Their product is the clause's score for each
   (skill, polarity). Evidence is the best-scoring clause, a verbatim slice of the input.
2. **Record.** For each (skill, polarity), a model over how the clause scores are spread through the record (best,
   second and third best, how many clauses are fairly sure, their sum) and over what the lexicon rules total for it
   decides whether the record shows that finding at all: one passing remark is not a finding, a theme is.
3. **Primary.** Among the record's challenges, a model scores how much the 1on1 dwells on each (its share of the
   challenge scores, the manager's part in them, how often the skill comes up); the best one is the primary challenge.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from sales_growth.analysis import findings
from sales_growth.analysis.features import Features, clause_features
from sales_growth.analysis.findings import ClauseView
from sales_growth.analysis.models import SKILL_IDS, Finding, Polarity, SkillId, SkillReport
from sales_growth.analysis.transcript import Transcript

POLARITIES: tuple[Polarity, ...] = ("strength", "challenge")
Key = tuple[SkillId, Polarity]
MODEL_FILE = "skill_model.json"
FEATURES_FILE = "skill_model.features.txt"
WEIGHTS_FILE = "skill_model.weights.bin"


@dataclass(frozen=True)
class Linear:
    """A logistic model over sparse features."""

    bias: float
    weights: Mapping[str, float]

    def probability(self, features: Features) -> float:
        return _sigmoid(self.bias + sum(value * self.weights.get(name, 0.0) for name, value in features.items()))

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Linear:
        weights = data["weights"]
        assert isinstance(weights, dict)
        bias = data["bias"]
        assert isinstance(bias, int | float)
        return cls(bias=float(bias), weights={str(k): float(v) for k, v in weights.items()})

    def to_json(self) -> dict[str, object]:
        return {"bias": round(self.bias, 5), "weights": {k: round(v, 5) for k, v in sorted(self.weights.items())}}


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


@dataclass(frozen=True)
class ClauseModel:
    """The clause models side by side: one row of weights per feature, one column per output.

    Outputs are ``polarity:strength``, ``polarity:challenge`` and ``topic:<skill>`` for the ten skills, so all the
    clauses of a record are scored with one gather and one sum per clause.
    """

    outputs: tuple[str, ...]
    biases: npt.NDArray[np.float32]
    index: Mapping[str, int]  # feature name -> row of ``table``
    table: npt.NDArray[np.float32]  # (features, outputs)

    def probabilities(self, rows: Sequence[Features]) -> npt.NDArray[np.float64]:
        """(clauses, outputs) probabilities of every clause: one lookup pass over all features, one gather of
        weight rows, one weighted count per output."""
        sizes = [len(features) for features in rows]
        total = sum(sizes)
        names = itertools.chain.from_iterable(rows)
        found = np.fromiter(map(self.index.get, names, itertools.repeat(-1)), dtype=np.int64, count=total)
        values = np.fromiter(itertools.chain.from_iterable(f.values() for f in rows), dtype=np.float64, count=total)
        clause = np.repeat(np.arange(len(rows)), sizes)
        known = found >= 0
        weighted = self.table[found[known]].astype(np.float64) * values[known][:, None]
        logits = np.tile(self.biases.astype(np.float64), (len(rows), 1))
        if weighted.size:
            # Known features come clause by clause: sum each clause's run of rows.
            present, starts = np.unique(clause[known], return_index=True)
            logits[present] += np.add.reduceat(weighted, starts, axis=0)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def weights(self, name: str) -> dict[str, float]:
        """One feature's weight for each output (for people reading the model)."""
        row = self.table[self.index[name]]
        return {output: float(w) for output, w in zip(self.outputs, row, strict=True)}


@dataclass(frozen=True)
class SkillModel:
    clause: ClauseModel
    record: Linear
    primary: Linear
    threshold: float
    meta: Mapping[str, object]

    def to_json(self) -> dict[str, object]:
        """Everything but the clause weights (see :meth:`write`)."""
        return {
            "format": 1,
            "threshold": self.threshold,
            "meta": dict(self.meta),
            "clause": {
                "outputs": list(self.clause.outputs),
                "biases": [round(float(b), 5) for b in self.clause.biases],
            },
            "stack": {"record": self.record.to_json(), "primary": self.primary.to_json()},
        }

    def write(self, directory: Path) -> None:
        """The model as three files: the readable JSON, the feature names, and their float32 weight rows."""
        names = sorted(self.clause.index)
        if any("\n" in name for name in names):
            raise ValueError("feature names must not contain line breaks")
        table = self.clause.table[[self.clause.index[n] for n in names]].astype("<f4")
        (directory / MODEL_FILE).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", "utf-8")
        (directory / FEATURES_FILE).write_text("\n".join(names) + "\n", "utf-8")
        (directory / WEIGHTS_FILE).write_bytes(table.tobytes())

    @classmethod
    def read(cls, directory: Traversable | Path) -> SkillModel:
        body = json.loads(directory.joinpath(MODEL_FILE).read_text("utf-8"))
        names = directory.joinpath(FEATURES_FILE).read_text("utf-8").splitlines()
        outputs = tuple(body["clause"]["outputs"])
        table = np.frombuffer(directory.joinpath(WEIGHTS_FILE).read_bytes(), dtype="<f4")
        if table.size != len(names) * len(outputs):
            raise ValueError("the skill model's weights do not match its feature list")
        clause = ClauseModel(
            outputs=outputs,
            biases=np.asarray(body["clause"]["biases"], dtype=np.float32),
            index={name: i for i, name in enumerate(names)},
            table=table.reshape(len(names), len(outputs)).astype(np.float32),
        )
        stack = body["stack"]
        return cls(
            clause=clause,
            record=Linear.from_json(stack["record"]),
            primary=Linear.from_json(stack["primary"]),
            threshold=float(body["threshold"]),
            meta=body["meta"],
        )


@lru_cache(maxsize=1)
def load_model() -> SkillModel:
    """The shipped model, read once per process."""
    return SkillModel.read(resources.files("sales_growth.analysis").joinpath("data"))


Scores = npt.NDArray[np.float64]  # (clauses, skills in SKILL_IDS order, polarities in POLARITIES order)


def clause_scores(model: SkillModel, features: Sequence[Features]) -> Scores:
    """Each clause's joint score per (skill, polarity): P(polarity) x P(skill | evaluative)."""
    if not features:
        return np.zeros((0, len(SKILL_IDS), len(POLARITIES)))
    probabilities = model.clause.probabilities(features)
    column = {name: i for i, name in enumerate(model.clause.outputs)}
    topic = probabilities[:, [column[f"topic:{s}"] for s in SKILL_IDS]]
    polarity = probabilities[:, [column[f"polarity:{p}"] for p in POLARITIES]]
    joint: Scores = topic[:, :, None] * polarity[:, None, :]
    return joint


@dataclass(frozen=True)
class RuleTotals:
    """What the lexicon rules make of the whole record (see :func:`sales_growth.analysis.findings.tally`)."""

    scores: Mapping[Key, float]
    found: frozenset[Key]
    mentions: Mapping[SkillId, float]

    @classmethod
    def of(cls, state: findings._State) -> RuleTotals:
        """The totals of the rules' walk over a record (or over a passage of it, :func:`findings.subtally`)."""
        return cls(
            scores={key: t.score for key, t in state.tallies.items()},
            found=frozenset((f.skill, f.polarity) for f in findings.report(state).findings),
            mentions=dict(state.mentions),
        )


def record_features(views: Sequence[ClauseView], scores: Scores, rules: RuleTotals) -> dict[Key, Features]:
    """The record-level features of each (skill, polarity)."""
    count = max(1, len(scores))
    cues = dict.fromkeys(SKILL_IDS, 0.0)
    for view in views:
        for skill, weight in view.cues.items():
            cues[skill] += weight
    # Each (skill, polarity) column sorted best first, padded so that the third best always exists.
    ranked = -np.sort(-np.concatenate([scores, np.zeros((3, *scores.shape[1:]))]), axis=0)
    totals = scores.sum(axis=0)
    sure = (scores > 0.5).sum(axis=0)
    fair = (scores > 0.3).sum(axis=0)
    result: dict[Key, Features] = {}
    for s, skill in enumerate(SKILL_IDS):
        for p, polarity in enumerate(POLARITIES):
            key = (skill, polarity)
            best, opposite = float(ranked[0, s, p]), float(ranked[0, s, 1 - p])
            result[key] = {
                f"pol:{polarity}": 1.0,
                f"skill:{skill}:{polarity}": 1.0,
                "m1": best,
                "m2": float(ranked[1, s, p]),
                "m3": float(ranked[2, s, p]),
                "sum": min(float(totals[s, p]), 5.0) / 5.0,
                "n05": min(int(sure[s, p]), 5) / 5.0,
                "n03": min(int(fair[s, p]), 8) / 8.0,
                "cue": cues[skill] / count,
                "logn": math.log1p(count) / 5,
                "rule": min(rules.scores.get(key, 0.0), 6.0) / 6.0,
                "rule_found": float(key in rules.found),
                # The same skill the other way: a challenge clause also scores a little as a strength, so a
                # strength only as strong as the challenge beside it is often that challenge's echo.
                f"m1:{polarity}": best,
                f"o_m1:{polarity}": opposite,
                f"dom:{polarity}": best / (best + opposite + 1e-6),
                f"o_sum:{polarity}": min(float(totals[s, 1 - p]), 5.0) / 5.0,
                f"o_rule:{polarity}": min(rules.scores.get((skill, POLARITIES[1 - p]), 0.0), 6.0) / 6.0,
            }
    return result


# A manager's words for what matters most in this 1on1.
_EMPHASIS = re.compile(
    r"一番|いちばん|特に|何より|なにより|大事|重要|肝心|優先|本題|伝えたい|話したい|ポイント|まずは|課題は"
)


def primary_features(
    views: Sequence[ClauseView],
    scores: Scores,
    probabilities: Mapping[Key, float],
    rules: RuleTotals,
) -> dict[SkillId, Features]:
    """How much the 1on1 dwells on each skill as a challenge, as shares of the record's challenge talk: overall,
    in the manager's words, where the manager stresses what matters, at the opening and in the closing summary."""
    count = len(scores)
    manager = [i for i, view in enumerate(views) if view.clause.role in {"manager", "narrator"}]
    emphatic = [i for i in manager if _EMPHASIS.search(views[i].clause.masked)]
    parts = {
        "share": list(range(count)),
        "mgr": manager,
        "emphasis": emphatic,
        "head": list(range(count // 4)),
        "tail": list(range(count - count // 4, count)),
    }
    challenge = scores[:, :, POLARITIES.index("challenge")]
    shares = {}
    for name, indices in parts.items():
        mass = challenge[indices].sum(axis=0)
        total = mass.sum()
        shares[name] = mass / total if total > 0 else np.zeros(len(SKILL_IDS))
    about = scores.sum(axis=(0, 2))
    evaluative = about.sum()
    # Time spent: the same shares weighted by how long each clause is, and the share of turns that raise the skill.
    length = np.array([len(view.clause.evidence) for view in views], dtype=float)[:, None]
    spoken = {
        "len_share": (challenge * length).sum(axis=0),
        "topic_len_share": (scores.sum(axis=2) * length).sum(axis=0),
    }
    turns: dict[int, list[int]] = {}
    for i, view in enumerate(views):
        turns.setdefault(view.clause.utterance, []).append(i)
    raised = sum((challenge[indices].max(axis=0) > 0.3 for indices in turns.values()), np.zeros(len(SKILL_IDS)))
    spoken["turn_share"] = raised.astype(float)
    sums = challenge.sum(axis=0)
    best = challenge.max(axis=0) if count else np.zeros(len(SKILL_IDS))
    mention_total = max(1.0, sum(rules.mentions.values()))
    result: dict[SkillId, Features] = {}
    for s, skill in enumerate(SKILL_IDS):
        key: Key = (skill, "challenge")
        result[skill] = (
            {name: float(value[s]) for name, value in shares.items()}
            | {name: float(value[s] / value.sum()) if value.sum() > 0 else 0.0 for name, value in spoken.items()}
            | {
                "sum": math.log1p(float(sums[s])),
                "max": float(best[s]),
                "eval_share": float(about[s] / evaluative) if evaluative > 0 else 0.0,
                "prob": probabilities.get(key, 0.0),
                "strength": probabilities.get((skill, "strength"), 0.0),
                "rule": min(rules.scores.get(key, 0.0), 6.0) / 6.0,
                "rule_mention": rules.mentions.get(skill, 0.0) / mention_total,
            }
        )
    return result


def choose_primary(
    model: SkillModel,
    views: Sequence[ClauseView],
    scores: Scores,
    probabilities: Mapping[Key, float],
    rules: RuleTotals,
    found: set[Key] | frozenset[Key],
) -> SkillId | None:
    """The challenge the 1on1 dwells on most, among those found; ``None`` when there is none."""
    challenges = [skill for skill, polarity in found if polarity == "challenge"]
    if not challenges:
        return None
    features = primary_features(views, scores, probabilities, rules)
    return max(sorted(challenges, key=SKILL_IDS.index), key=lambda s: model.primary.probability(features[s]))


def classify(transcript: Transcript) -> SkillReport:
    """The junior's strengths and challenges in ``transcript``, each with its best clause, and the primary one."""
    views, state = findings.walk(transcript)
    if not views:
        return SkillReport(findings=[], primary_challenge=None)
    model = load_model()
    scores = clause_scores(model, clause_features(transcript, views))
    decision = decide(model, views, scores, RuleTotals.of(state))
    result = [
        Finding(
            skill=skill,
            polarity=polarity,
            evidence=_best_clause(views, decision.evidence, (skill, polarity)),
            confidence=round(decision.probabilities[(skill, polarity)], 2),
        )
        for skill, polarity in decision.found
    ]
    result.sort(key=lambda f: (f.polarity != "challenge", -f.confidence, SKILL_IDS.index(f.skill)))
    return SkillReport(findings=result, primary_challenge=decision.primary)


class Decision(NamedTuple):
    probabilities: dict[Key, float]  # each (skill, polarity)'s probability
    found: set[Key]  # the findings
    primary: SkillId | None
    evidence: Scores  # the clause scores each finding takes its evidence from (:func:`evidence_scores`)


def decide(model: SkillModel, views: Sequence[ClauseView], scores: Scores, rules: RuleTotals) -> Decision:
    """Each (skill, polarity)'s probability, the findings (probable enough, with a clause mainly about the skill
    to show for it) and the primary challenge among them."""
    table = record_features(views, scores, rules)
    probabilities = {key: model.record.probability(row) for key, row in table.items()}
    evidence = evidence_scores(scores)
    found = {
        key
        for key, p in probabilities.items()
        if p >= model.threshold and evidence[:, SKILL_IDS.index(key[0]), POLARITIES.index(key[1])].max() > SUPPORT
    }
    primary = choose_primary(model, views, scores, probabilities, rules, found)
    return Decision(probabilities, found, primary, evidence)


# A finding needs a clause that is mainly about its skill and scores above SUPPORT: a clause whose topic is another
# skill (「資料の準備はよくできていた」 after talk of hearing) is no evidence, however its neighbours colour it.
LEADING = 0.9
SUPPORT = 0.4


def evidence_scores(scores: Scores) -> Scores:
    """``scores`` with each clause kept only for the skills it is mainly about (within LEADING of its top skill).

    Within one clause and polarity, the joint scores of the skills are in the ratio of their topic probabilities,
    so the leading skills can be read off the joint scores."""
    leading = scores >= LEADING * scores.max(axis=1, keepdims=True)
    kept: Scores = np.where(leading, scores, 0.0)
    return kept


def _best_clause(views: Sequence[ClauseView], scores: Scores, key: Key) -> str:
    skill, polarity = key
    best = int(np.argmax(scores[:, SKILL_IDS.index(skill), POLARITIES.index(polarity)]))
    return views[best].clause.evidence
