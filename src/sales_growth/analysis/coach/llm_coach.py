"""The LLM coach: a natural conversation over any OpenAI-compatible API, grounded like the built-in coach.

The model gets the same grounding as the built-in coach (findings with their evidence, the customer, the
skill's action templates) and the stage of GROW the dialogue is in, which the built-in coach keeps by replaying
the dialogue. Replies stream as they come. Commitments are extracted with structured output (a JSON schema) and
then verified against the junior's own words: a commitment whose quote the junior never wrote is dropped, names
and counts not in their words are dropped, and the due date is read by our own date reader from their words,
never taken from the model.

Any failure (timeouts, HTTP errors, a broken stream, an empty or invalid answer) hands the turn to the built-in
coach, and the reply says why (``fallback_reason``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from sales_growth.analysis.coach.commitments import Commitment, extract_commitments, people_and_companies, skill_of
from sales_growth.analysis.coach.dates import find_due_date
from sales_growth.analysis.coach.grounding import Grounding, ground
from sales_growth.analysis.coach.grow import BuiltinCoach
from sales_growth.analysis.coach.models import (
    STAGE_LABELS_JA,
    CoachContext,
    CoachReply,
    DialogueOutcome,
    StreamReset,
    Turn,
)
from sales_growth.analysis.llm_engine.analyzer import verbatim
from sales_growth.analysis.llm_engine.client import LLMUnavailableError, llm_call, openai_client
from sales_growth.analysis.llm_engine.config import LLMConfig
from sales_growth.analysis.llm_engine.masking import Masking, build_masking
from sales_growth.analysis.models import SKILL_IDS, SKILL_LABELS_JA, SkillId

logger = logging.getLogger(__name__)

PROMPT_VERSION = "coach_v1"
INSTEAD = "組み込みのコーチが答えました"
MAX_REPLY_CHARS = 600
_STAGE_GUIDE = {
    "goal": "Goal：次の1on1までにどうなっていたいかを聞いてください。",
    "reality": "Reality：記録の根拠を引用して、そのときの状況と難しかったことを聞いてください。",
    "options": "Options：やり方を挙げてもらってください。詰まっていたら「行動の案」を番号つきで示してください。",
    "will": "Will：「誰に・何を・いくつ・いつまでに」と、「できた」と言える基準を決めてもらってください。",
    "confirm": "確認：決まったことを短くまとめ、この内容で計画にしてよいかを聞いてください。",
    "closed": "完了：お礼を伝え、「対話を完了」を押すと行動計画になることを伝えてください。質問はしません。",
}


class LLMCommitment(BaseModel):
    quote: str = Field(description="新人が書いた文を、そのまま1文")
    what: str = Field(description="やること（新人の言葉のまま）")
    who: list[str] = Field(default_factory=list, description="相手の会社名・人名（新人が書いた表記のまま）")
    how_many: str | None = Field(default=None, description="数（「3社」「5つ」など、新人が書いた表記のまま）")
    when: str | None = Field(default=None, description="期限を表す新人の言葉（「明日」「来週の金曜」など）")
    success_metric: str | None = Field(default=None, description="「できた」と言える基準（新人の言葉のまま）")
    skill: str | None = None


class LLMOutcome(BaseModel):
    """What the model is asked to return when the dialogue is completed (json_schema structured output)."""

    goal: str | None = None
    commitments: list[LLMCommitment] = Field(default_factory=list)


def prompt() -> str:
    return resources.files("sales_growth.analysis.coach").joinpath("prompts", f"{PROMPT_VERSION}.md").read_text("utf-8")


class LLMCoach:
    """Implements :class:`~sales_growth.analysis.coach.models.Coach` over an OpenAI-compatible chat API."""

    name = "llm"

    def __init__(self, config: LLMConfig, *, fallback: BuiltinCoach) -> None:
        self._config = config
        self._fallback = fallback
        self._client = openai_client(config)

    def __repr__(self) -> str:
        return f"LLMCoach(model={self._config.model!r}, base_url={self._config.base_url!r})"

    def opening(self, context: CoachContext) -> CoachReply:
        builtin = self._fallback.opening(context)
        try:
            text = self._say(context, [], builtin)
        except LLMUnavailableError as exc:
            return _fell_back(builtin, exc)
        return builtin.model_copy(update={"content": text, "engine": "llm"})

    def reply(self, context: CoachContext, history: list[Turn]) -> CoachReply:
        builtin = self._fallback.reply(context, history)
        try:
            text = self._say(context, history, builtin)
        except LLMUnavailableError as exc:
            return _fell_back(builtin, exc)
        return builtin.model_copy(update={"content": text, "engine": "llm"})

    def stream_reply(self, context: CoachContext, history: list[Turn]) -> Iterator[str | StreamReset | CoachReply]:
        builtin = self._fallback.reply(context, history)
        shown: list[str] = []
        try:
            for piece in self._stream(context, history, builtin):
                shown.append(piece)
                yield piece
            text = _checked("".join(shown))
        except LLMUnavailableError as exc:
            logger.warning("LLM coach unavailable while streaming, the built-in coach answers: %s", exc)
            if shown:
                yield StreamReset(reason=str(exc))
            yield builtin.content
            yield _fell_back(builtin, exc)
            return
        yield builtin.model_copy(update={"content": text, "engine": "llm"})

    def outcome(self, context: CoachContext, history: list[Turn]) -> DialogueOutcome:
        builtin = self._fallback.outcome(context, history)
        try:
            extracted = self._extract(context, history)
        except LLMUnavailableError as exc:
            logger.warning("LLM commitment extraction unavailable, the built-in coach reads them: %s", exc)
            return builtin
        return _verified(extracted, context, history, builtin)

    # --- the calls ---------------------------------------------------------------------------------------------

    def _masking(self, context: CoachContext, history: list[Turn]) -> Masking:
        if not self._config.mask_pii:
            return Masking()
        return build_masking("\n".join([_grounding_text(ground(context)), *(t.content for t in history)]))

    def _messages(self, context: CoachContext, history: list[Turn], builtin: CoachReply, masking: Masking) -> Any:
        system = "\n\n".join([prompt(), _grounding_text(ground(context)), _stage_text(context, history, builtin)])
        messages = [{"role": "system", "content": masking.mask(system)}]
        messages += [
            {"role": "assistant" if t.role == "coach" else "user", "content": masking.mask(t.content)} for t in history
        ]
        if not history:
            messages.append({"role": "user", "content": "（対話を始めてください。最初のメッセージをお願いします。）"})
        return messages

    def _say(self, context: CoachContext, history: list[Turn], builtin: CoachReply) -> str:
        masking = self._masking(context, history)
        with llm_call(self._config, instead=INSTEAD):
            completions: Any = self._client.chat.completions
            completion = completions.create(
                model=self._config.model,
                messages=self._messages(context, history, builtin, masking),
                temperature=0.3,
            )
        return _checked(masking.unmask(completion.choices[0].message.content or ""))

    def _stream(self, context: CoachContext, history: list[Turn], builtin: CoachReply) -> Iterator[str]:
        masking = self._masking(context, history)
        unmasker = _StreamUnmasker(masking)
        with llm_call(self._config, instead=INSTEAD):
            completions: Any = self._client.chat.completions
            chunks = completions.create(
                model=self._config.model,
                messages=self._messages(context, history, builtin, masking),
                temperature=0.3,
                stream=True,
            )
            try:
                for chunk in chunks:
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    text = unmasker.feed(delta or "")
                    if text:
                        yield text
            except LLMUnavailableError:
                raise
            except Exception as exc:  # a stream cut midway surfaces as the HTTP library's own error
                raise LLMUnavailableError(f"LLMの返答が途中で途切れたため、{INSTEAD}。") from exc
        rest = unmasker.flush()
        if rest:
            yield rest

    def _extract(self, context: CoachContext, history: list[Turn]) -> LLMOutcome:
        masking = self._masking(context, history)
        transcript = "\n".join(f"{'コーチ' if t.role == 'coach' else '新人'}：{t.content}" for t in history)
        instruction = (
            "次の対話から、新人が自分でやると言ったこと（コミットメント）と目標を取り出してください。"
            "quote・what・who・how_many・when・success_metric は、新人が書いた言葉をそのまま使い、"
            "言い換えないでください。"
            f"skill は次のどれか: {', '.join(SKILL_IDS)}。JSONだけを出力します。"
        )
        schema = {"name": "dialogue_outcome", "schema": LLMOutcome.model_json_schema()}
        with llm_call(self._config, instead=INSTEAD):
            completions: Any = self._client.chat.completions
            completion = completions.create(
                model=self._config.model,
                messages=[
                    {"role": "system", "content": instruction},
                    {"role": "user", "content": masking.mask(transcript)},
                ],
                response_format={"type": "json_schema", "json_schema": schema},
                temperature=0,
            )
        try:
            return LLMOutcome.model_validate_json(masking.unmask(completion.choices[0].message.content or ""))
        except ValidationError as exc:
            raise LLMUnavailableError(f"LLMの回答が形式に合わなかったため、{INSTEAD}。") from exc


def _checked(text: str) -> str:
    text = text.strip()
    if not text:
        raise LLMUnavailableError(f"LLMの返答が空だったため、{INSTEAD}。")
    return text[:MAX_REPLY_CHARS]


def _fell_back(builtin: CoachReply, exc: LLMUnavailableError) -> CoachReply:
    logger.warning("LLM coach unavailable, the built-in coach answers: %s", exc)
    return builtin.model_copy(update={"fallback_reason": str(exc)})


def _grounding_text(g: Grounding) -> str:
    """The analysis of the record as the model reads it, the same facts the built-in coach quotes."""
    lines = ["## この1on1の分析"]
    if g.focus:
        lines.append(f"- いちばんの課題（今日のテーマ）：{SKILL_LABELS_JA[g.focus]}")
    if g.challenge:
        lines.append(f"- 課題の根拠（記録より）：「{g.challenge.evidence}」")
    if g.strength:
        lines.append(f"- 強み：{SKILL_LABELS_JA[g.strength.skill]}（根拠：「{g.strength.evidence}」）")
    others = [SKILL_LABELS_JA[s] for s in g.challenges if s != g.focus]
    if others:
        lines.append(f"- ほかの課題：{'、'.join(others)}")
    if g.customer:
        lines.append(f"- 主な顧客：{g.customer}")
    if g.keywords:
        lines.append(f"- 記録の重要語：{'、'.join(g.keywords[:8])}")
    lines.append("## 行動の案（本人が詰まったときだけ示す）")
    lines += [f"{i}. {title}" for i, title in enumerate(g.options(), 1)]
    return "\n".join(lines)


def _stage_text(context: CoachContext, history: list[Turn], builtin: CoachReply) -> str:
    turns = sum(1 for t in history if t.role == "member")
    left = context.max_turns - turns
    name = f"{context.member_name}さん" if context.member_name else "新人"
    return "\n".join(
        [
            "## 今の段階",
            f"- 相手：{name}（対話の残り回数：{left}）",
            f"- 段階：{STAGE_LABELS_JA[builtin.stage]}。{_STAGE_GUIDE[builtin.stage]}",
        ]
    )


class _StreamUnmasker:
    """Puts masked names back into a streamed reply, holding back a placeholder cut between two pieces."""

    def __init__(self, masking: Masking) -> None:
        self._masking = masking
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        cut = text.rfind("〔")
        if self._masking.to_placeholder and cut >= 0 and "〕" not in text[cut:]:
            self._held, text = text[cut:], text[:cut]
        else:
            self._held = ""
        return self._masking.unmask(text)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return self._masking.unmask(held)


def _verified(
    extracted: LLMOutcome, context: CoachContext, history: list[Turn], builtin: DialogueOutcome
) -> DialogueOutcome:
    """The model's outcome, keeping only what the junior's own words bear out."""
    words = "\n".join(t.content for t in history if t.role == "member")
    focus = ground(context).focus
    commitments = [
        c for c in (_verified_commitment(item, words, context, focus) for item in extracted.commitments) if c
    ]
    goal = verbatim(extracted.goal, words) if extracted.goal else None
    return builtin.model_copy(
        update={
            "goal": goal or builtin.goal,
            "commitments": commitments or builtin.commitments,
        }
    )


def _verified_commitment(
    item: LLMCommitment, words: str, context: CoachContext, focus: SkillId | None
) -> Commitment | None:
    quote = verbatim(item.quote, words)
    if quote is None:
        return None  # the junior never wrote this
    today, days = context.dialogue_date, context.next_one_on_one_days
    due = find_due_date(quote, today, next_one_on_one_days=days)
    if due is None and item.when and verbatim(item.when, words):
        due = find_due_date(item.when, today, next_one_on_one_days=days)
    read = extract_commitments(quote, today, focus=focus, lenient=True, next_one_on_one_days=days)
    what = verbatim(item.what, words) or (read[0].what if read else quote)
    named = set(people_and_companies(quote, [context.customer or ""]))
    return Commitment(
        what=what,
        quote=quote,
        who=[name for name in item.who if name in words] or sorted(named, key=quote.find),
        how_many=item.how_many if item.how_many and item.how_many in quote else (read[0].how_many if read else None),
        due_date=due.date if due else None,
        due_expression=due.expression if due else None,
        skill=item.skill if item.skill in SKILL_IDS else skill_of(quote, focus=focus),
        success_metric=verbatim(item.success_metric, words) if item.success_metric else None,
    )
