"""The built-in coach: a deterministic walk through GROW (Goal → Reality → Options → Will), then a confirmation.

It needs no LLM. Its state is never stored: each turn replays the junior's messages from the start, so the same
dialogue always gets the same answers, and the LLM coach can hand a dialogue over to it at any point.

What the coach asked last decides how the next answer is read:

| asked     | an answer                                   | stuck (「わかりません」)                       |
|-----------|---------------------------------------------|------------------------------------------------|
| goal      | the goal, reflected back; asks for reality  | an example goal from the skill's template, then adopts it |
| reality   | the reality, reflected; asks for options    | a narrower question on the record's evidence   |
| options   | the junior's ideas, reflected; asks for Will| up to three options (analysis + templates)     |
| pick      | a choice (「2番」) or an idea of their own    | the first option                               |
| will      | commitments; asks by when, then how to tell it is done | an example with a date                |
| when      | the due date                                | the next 1on1                                  |
| metric    | the success criterion                       | the template's criterion                       |
| more      | another commitment, or 「以上です」            | the confirmation                               |
| confirm   | 「はい」 closes; a date or an action corrects  | asks what to change                            |

Every coach message asks at most one question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sales_growth.analysis.coach.commitments import (
    Commitment,
    answer_patterns,
    extract_commitments,
    sentences,
    without_fillers,
)
from sales_growth.analysis.coach.dates import DueDate, describe, find_due_date, next_one_on_one_date
from sales_growth.analysis.coach.grounding import Grounding, ground, quote
from sales_growth.analysis.coach.models import (
    CoachContext,
    CoachReply,
    DialogueOutcome,
    Stage,
    StreamReset,
    Turn,
)
from sales_growth.analysis.models import SKILL_LABELS_JA

MAX_COMMITMENTS = 6
_STAGE_OF: dict[str, Stage] = {
    "goal": "goal",
    "reality": "reality",
    "options": "options",
    "pick": "options",
    "will": "will",
    "when": "will",
    "metric": "will",
    "more": "will",
    "confirm": "confirm",
    "fix": "confirm",
    "closed": "closed",
}
_PICK_NUMBER = re.compile(r"^\s*(?:([1-3１-３])|(一|二|三)つ目|(最初|1つ目|はじめ)|(2つ目|真ん中)|(3つ目|最後))")
_ASK_DETAILS = "「誰に・何を・いくつ・いつまでに」やるかを教えてください。"
_ASK_MORE = "ほかにもやることはありますか？なければ「以上です」と教えてください。"


@dataclass
class _State:
    context: CoachContext
    grounding: Grounding
    asked: str = "goal"
    goal: str | None = None
    reality: str | None = None
    options: list[str] = field(default_factory=list)
    offered: list[str] = field(default_factory=list)
    chosen: str | None = None
    commitments: list[Commitment] = field(default_factory=list)
    hinted: set[str] = field(default_factory=set)
    confirmed: bool = False
    turns: int = 0

    @property
    def name(self) -> str:
        return f"{self.context.member_name}さん" if self.context.member_name else "あなた"

    def outcome(self) -> DialogueOutcome:
        return DialogueOutcome(
            goal=self.goal,
            reality=self.reality,
            options=list(self.options),
            commitments=list(self.commitments),
            confirmed=self.confirmed,
        )

    def due(self, text: str) -> DueDate | None:
        return find_due_date(text, self.context.dialogue_date, next_one_on_one_days=self.context.next_one_on_one_days)

    def next_one_on_one(self) -> date:
        return next_one_on_one_date(self.context.dialogue_date, self.context.next_one_on_one_days)

    def find(self, text: str, *, lenient: bool = False) -> list[Commitment]:
        return extract_commitments(
            text,
            self.context.dialogue_date,
            known_names=[self.context.customer or "", *self.grounding.keywords],
            focus=self.grounding.focus,
            lenient=lenient,
            next_one_on_one_days=self.context.next_one_on_one_days,
        )


class BuiltinCoach:
    """Implements :class:`~sales_growth.analysis.coach.models.Coach` without an LLM."""

    name = "local"

    def opening(self, context: CoachContext) -> CoachReply:
        state = _State(context, ground(context))
        return CoachReply(content=_opening(state), stage="goal", outcome=state.outcome())

    def reply(self, context: CoachContext, history: list[Turn]) -> CoachReply:
        state, content = _replay(context, history)
        return CoachReply(content=content, stage=_STAGE_OF[state.asked], outcome=state.outcome())

    def stream_reply(self, context: CoachContext, history: list[Turn]) -> Iterator[str | StreamReset | CoachReply]:
        reply = self.reply(context, history)
        yield reply.content
        yield reply

    def outcome(self, context: CoachContext, history: list[Turn]) -> DialogueOutcome:
        return _replay(context, history)[0].outcome()


def _replay(context: CoachContext, history: list[Turn]) -> tuple[_State, str]:
    state = _State(context, ground(context))
    content = _opening(state)
    for turn in history:
        if turn.role == "member":
            state.turns += 1
            content = _answer(state, turn.content)
    return state, content


def _answer(state: _State, message: str) -> str:
    if state.turns >= state.context.max_turns - 1 and state.asked not in {"confirm", "fix", "closed"}:
        _take_commitments(state, message)
        return "対話の回数が残りわずかなので、ここでまとめますね。\n" + _summary(state)
    return _HANDLERS[state.asked](state, message)


def _is_stuck(message: str) -> bool:
    patterns = answer_patterns()
    core = message.strip()
    return bool(patterns.stuck.match(core) or patterns.help.search(core)) or len(without_fillers(core)) < 2


def _first_words(message: str) -> str:
    parts = sentences(message)
    return quote(without_fillers(parts[0] if parts else message), 60)


def _plain(text: str) -> str:
    """Words to quote inside a sentence of the coach: without the polite ending (「〜したいです」→「〜したい」)."""
    return re.sub(r"(?:と思います|と思っています|と思ってます|んです|です|ですね)$", "", text) or text


def _opening(state: _State) -> str:
    g = state.grounding
    lines = [f"{state.name}、1on1おつかれさまでした。記録をもとに、次の一歩を一緒に考えましょう。"]
    if g.strength is not None:
        lines.append(
            f"まず良かった点です。「{SKILL_LABELS_JA[g.strength.skill]}」が強みとして出ています。"
            f"記録の「{quote(g.strength.evidence)}」は、ぜひ続けたいところです。"
        )
    if g.challenge is not None:
        lines.append(
            f"今回いちばんの課題は「{g.focus_label}」でした。記録には「{quote(g.challenge.evidence)}」とあります。"
        )
        about = f"{g.customer}の件も思い浮かべながら、" if g.customer else ""
        lines.append(f"{about}次の1on1までに、{g.focus_label}でどんな状態になっていたいですか？")
    elif g.focus is not None:
        lines.append(f"今回の記録では、はっきりした課題は見つかりませんでした。この「{g.focus_label}」の強みを")
        lines[-1] += "さらに伸ばすとしたら、次の1on1までにどんな状態になっていたいですか？"
    else:
        topics = "・".join(f"「{k}」" for k in g.keywords[:3])
        lines.append("今回の記録からは、はっきりした強みや課題は読み取れませんでした。")
        lines.append(
            f"{topics + 'の話が出ていましたね。' if topics else ''}次の1on1までに、どんな状態になっていたいですか？"
        )
    return "\n".join(lines)


def _on_goal(state: _State, message: str) -> str:
    if _is_stuck(message):
        if "goal" not in state.hinted:
            state.hinted.add("goal")
            return (
                f"急がなくて大丈夫です。たとえば「{state.grounding.example_goal()}」のような目標もあります。"
                f"{state.name}の言葉にすると、どうなっていたいですか？"
            )
        state.goal = state.grounding.example_goal()
        return f"では、ひとまず「{state.goal}」を目標にして進めましょう。\n" + _ask_reality(state)
    state.goal = _plain(_first_words(message))
    return f"「{state.goal}」、いい目標ですね。\n" + _ask_reality(state)


def _ask_reality(state: _State) -> str:
    state.asked = "reality"
    g = state.grounding
    if g.challenge is not None:
        return (
            f"では今の状況を確かめさせてください。記録の「{quote(g.challenge.evidence, 60)}」のとき、"
            "実際には何が起きていて、何が難しかったですか？"
        )
    return (
        f"では今の状況を確かめさせてください。{g.focus_label}について、"
        "今はどこまでできていて、何が難しいと感じていますか？"
    )


def _on_reality(state: _State, message: str) -> str:
    if _is_stuck(message) and "reality" not in state.hinted:
        state.hinted.add("reality")
        where = f"{state.grounding.customer}との商談で" if state.grounding.customer else "最近の商談で"
        return f"思い出せる範囲で大丈夫です。{where}、うまくいかなかった場面を1つだけ挙げるとしたら、どんな場面ですか？"
    if not _is_stuck(message):
        state.reality = _first_words(message)
    reflected = (
        f"「{state.reality}」という状況なのですね。話してくれてありがとうございます。\n" if state.reality else ""
    )
    state.asked = "options"
    target = f"「{state.goal}」に近づくために" if state.goal else "次の一歩として"
    return f"{reflected}{target}、どんなやり方が考えられますか？思いつくものをいくつでも挙げてみてください。"


def _on_options(state: _State, message: str) -> str:
    if _is_stuck(message):
        return _offer_options(state)
    found = _take_commitments(state, message)
    state.options = [quote(without_fillers(s), 40) for s in sentences(message) if len(without_fillers(s)) >= 2][:5]
    if found:
        return _after_commitment(state)
    listed = "".join(f"「{o}」" for o in state.options[:3])
    state.asked = "will"
    return f"{listed}、いいですね。\nその中で、まず何から始めますか？{_ASK_DETAILS}"


def _offer_options(state: _State) -> str:
    state.offered = state.grounding.options()
    state.asked = "pick"
    numbered = "\n".join(f"{i}. {title}" for i, title in enumerate(state.offered, 1))
    return f"いくつか案を出しますね。\n{numbered}\nどれか試せそうなもの、または自分なりのやり方はありますか？"


def _on_pick(state: _State, message: str) -> str:
    chosen = _picked(state, message)
    if chosen is None and not _is_stuck(message):
        return _on_options(state, message)
    state.chosen = chosen or state.offered[0]
    state.options = [state.chosen]
    found = _take_commitments(state, message)
    if found:
        return _after_commitment(state)
    state.asked = "will"
    where = f"{state.grounding.customer}で、" if state.grounding.customer else ""
    return f"「{state.chosen}」ですね。\nでは具体的にしましょう。{where}いつまでに、どのくらいやりますか？"


def _picked(state: _State, message: str) -> str | None:
    match = _PICK_NUMBER.match(message.translate(str.maketrans("１２３", "123")))
    if match is not None:
        index = _pick_index(match)
        return state.offered[min(index, len(state.offered) - 1)]
    for title in state.offered:
        if title in message or without_fillers(message) in title:
            return title
    return None


def _pick_index(match: re.Match[str]) -> int:
    digit, kanji, first, second, third = match.groups()
    if digit:
        return int(digit) - 1
    if kanji:
        return "一二三".index(kanji)
    return 0 if first else 1 if second else 2 if third else 0


def _take_commitments(state: _State, message: str, *, lenient: bool = False) -> list[Commitment]:
    found = state.find(message, lenient=lenient)
    room = MAX_COMMITMENTS - len(state.commitments)
    state.commitments.extend(found[:room])
    return found[:room]


def _on_will(state: _State, message: str) -> str:
    found = _take_commitments(state, message, lenient=True)
    if not found and state.chosen and state.due(message):
        found = _chosen_with_date(state, message)
    if found:
        return _after_commitment(state)
    if _is_stuck(message) and "will" not in state.hinted:
        state.hinted.add("will")
        action = state.chosen or (state.grounding.options() or ["今日決めたこと"])[0]
        due = describe(state.next_one_on_one())
        return f"たとえば「{action}を{due}までにやる」のように、やることと期限を1つだけ決めてみませんか？"
    if _is_stuck(message):
        return "今日は無理に決めなくても大丈夫です。分析で提案された行動を計画の案にしておきますね。\n" + _summary(
            state
        )
    return "ありがとうございます。それを行動にすると、「何を・いつまでに」やりますか？"


def _chosen_with_date(state: _State, message: str) -> list[Commitment]:
    due = state.due(message)
    assert due is not None
    assert state.chosen is not None
    commitment = Commitment(
        what=state.chosen,
        quote=message.strip(),
        due_date=due.date,
        due_expression=due.expression,
        skill=state.grounding.focus,
    )
    state.commitments.append(commitment)
    return [commitment]


def _after_commitment(state: _State) -> str:
    last = state.commitments[-1]
    if last.due_date is None:
        state.asked = "when"
        return f"「{quote(last.what, 50)}」ですね。いつまでにやりますか？"
    state.asked = "metric"
    return (
        f"「{quote(last.what, 50)}」を{describe(last.due_date)}までに、ですね。\n"
        "どうなったら「できた」と言えますか？数や状態で教えてください。"
    )


def _on_when(state: _State, message: str) -> str:
    due = state.due(message)
    last = state.commitments[-1]
    if due is None:
        day = state.next_one_on_one()
        state.commitments[-1] = last.model_copy(update={"due_date": day, "due_expression": "次の1on1まで"})
        state.asked = "metric"
        return f"では期限は、次の1on1の目安の{describe(day)}にしておきますね。\nどうなったら「できた」と言えますか？"
    state.commitments[-1] = last.model_copy(update={"due_date": due.date, "due_expression": due.expression})
    return _after_commitment(state)


def _on_metric(state: _State, message: str) -> str:
    last = state.commitments[-1]
    state.asked = "more"
    if _is_stuck(message):
        templates = state.grounding.templates(last.skill)
        metric = (
            templates[0].metric
            if templates
            else f"{describe(last.due_date or state.context.dialogue_date)}までにやり終える"
        )
        state.commitments[-1] = last.model_copy(update={"success_metric": metric})
        return f"では「{metric}」を基準にしておきますね。\n{_ASK_MORE}"
    metric = quote(without_fillers(message), 100)
    state.commitments[-1] = last.model_copy(update={"success_metric": metric})
    return f"「{metric}」なら、できたかどうかがはっきりしますね。\n{_ASK_MORE}"


def _on_more(state: _State, message: str) -> str:
    if answer_patterns().no_more.match(message.strip()) or len(state.commitments) >= MAX_COMMITMENTS:
        return _summary(state)
    if _take_commitments(state, message, lenient=True):
        return _after_commitment(state)
    if _is_stuck(message):
        return _summary(state)
    return "それも大事ですね。行動にすると、「何を・いつまでに」やりますか？"


def _summary(state: _State) -> str:
    state.asked = "confirm"
    lines = ["ここまでをまとめます。"]
    if state.goal:
        lines.append(f"目標：{state.goal}")
    lines += [_summary_line(i, c) for i, c in enumerate(state.commitments, 1)]
    covered = {c.skill for c in state.commitments}
    missing = [SKILL_LABELS_JA[s] for s in state.grounding.challenges if s not in covered]
    if missing:
        labels = "・".join(f"「{m}」" for m in missing[:3])
        lines.append(f"分析で見つかった{labels}の課題には、提案された行動を計画の案に加えます。")
    lines.append("この内容で計画を作ってよいですか？直したいところがあれば教えてください。")
    return "\n".join(lines)


def _summary_line(number: int, commitment: Commitment) -> str:
    details = [f"期限 {describe(commitment.due_date)}" if commitment.due_date else "期限は未定"]
    if commitment.who:
        details.append("相手 " + "・".join(commitment.who))
    if commitment.how_many:
        details.append(f"数 {commitment.how_many}")
    line = f"{number}. {commitment.what}（{'、'.join(details)}）"
    return line + (f"\n　できたと言える基準：{commitment.success_metric}" if commitment.success_metric else "")


def _on_confirm(state: _State, message: str) -> str:
    patterns = answer_patterns()
    core = message.strip()
    if patterns.yes.match(core) and not patterns.correction.search(core):
        state.confirmed = True
        state.asked = "closed"
        return (
            "ありがとうございます。これで計画の準備ができました。「対話を完了」を押すと、この内容が行動計画の"
            "下書きになります。確認して合意すると、上司にも共有されます。"
        )
    if _corrected(state, message):
        return _summary(state)
    state.asked = "fix"
    return "どこを直しますか？直したい内容と期限を教えてください。"


def _corrected(state: _State, message: str) -> bool:
    """A correction: new commitments are added; a date alone moves the last commitment's due date."""
    if _take_commitments(state, message, lenient=True):
        return True
    due = state.due(message)
    if due is None or not state.commitments:
        return False
    state.commitments[-1] = state.commitments[-1].model_copy(
        update={"due_date": due.date, "due_expression": due.expression}
    )
    return True


def _on_fix(state: _State, message: str) -> str:
    if _corrected(state, message) or _is_stuck(message) or answer_patterns().no_more.match(message.strip()):
        return _summary(state)
    return "直したい内容を「何を・いつまでに」の形で教えてください。"


def _on_closed(state: _State, message: str) -> str:
    if _corrected(state, message):
        state.confirmed = False
        return _summary(state)
    return (
        "計画の準備はできています。「対話を完了」を押すと行動計画になります。"
        "直したいところがあれば、内容と期限を書いてください。"
    )


_HANDLERS: dict[str, Callable[[_State, str], str]] = {
    "goal": _on_goal,
    "reality": _on_reality,
    "options": _on_options,
    "pick": _on_pick,
    "will": _on_will,
    "when": _on_when,
    "metric": _on_metric,
    "more": _on_more,
    "confirm": _on_confirm,
    "fix": _on_fix,
    "closed": _on_closed,
}
