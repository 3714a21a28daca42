"""The LLM coach through the real ``openai`` SDK against a scripted OpenAI-compatible server on loopback:
grounding, streaming, commitments verified against the junior's words, and the fall back to the built-in coach."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest

from sales_growth.analysis.coach import BuiltinCoach, get_coach
from sales_growth.analysis.coach.llm_coach import PROMPT_VERSION, LLMCoach, prompt
from sales_growth.analysis.coach.models import CoachReply, StreamReset, Turn
from sales_growth.analysis.llm_engine import LLMConfig
from sales_growth.settings import Settings
from tests.analysis.coach.helpers import CHALLENGE_EVIDENCE, context, member
from tests.analysis.llm_engine.fake_server import FakeLLM, completion, error, streamed

BUILTIN = BuiltinCoach()
GOAL = "次の商談で予算と決裁者をきちんと聞けるようになりたいです"
LLM_REPLY = (
    "「予算と決裁者をきちんと聞けるようになりたい」、いい目標ですね。"
    "記録の「予算の確認を忘れてしまいました」の場面では、何が起きていましたか？"
)


def _coach(fake: FakeLLM, **config: Any) -> LLMCoach:
    settings = {"timeout_seconds": 2.0, "max_retries": 0, **config}
    return LLMCoach(LLMConfig(base_url=fake.base_url, model="test-model", **settings), fallback=BUILTIN)


def _system(fake: FakeLLM, index: int = 0) -> str:
    content: str = fake.requests[index]["body"]["messages"][0]["content"]
    return content


def test_a_reply_comes_from_the_model_with_the_built_in_coachs_stage(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion(LLM_REPLY)]
    reply = _coach(fake_llm).reply(context(), member(GOAL))
    assert (reply.engine, reply.content, reply.fallback_reason) == ("llm", LLM_REPLY, None)
    assert reply.stage == BUILTIN.reply(context(), member(GOAL)).stage == "reality"


def test_the_model_gets_the_same_grounding_as_the_built_in_coach(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion(LLM_REPLY)]
    _coach(fake_llm).reply(context(), member(GOAL))
    system = _system(fake_llm)
    assert system.startswith(prompt())
    assert CHALLENGE_EVIDENCE in system
    assert "青葉電機様" in system
    assert "ヒアリング・質問力" in system
    assert "1. 青葉電機様で予算・決裁者・導入時期を確認する" in system  # the options for when the junior is stuck
    assert "段階：現状（Reality）" in system
    messages = fake_llm.requests[0]["body"]["messages"]
    assert messages[1:] == [{"role": "user", "content": GOAL}]
    assert PROMPT_VERSION == "coach_v1"


def test_the_opening_asks_the_model_to_begin(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion("山本さん、おつかれさまでした。次の1on1までにどうなっていたいですか？")]
    opening = _coach(fake_llm).opening(context())
    assert (opening.engine, opening.stage) == ("llm", "goal")
    assert fake_llm.requests[0]["body"]["messages"][-1]["role"] == "user"


def test_a_streamed_reply_arrives_in_pieces_then_whole(fake_llm: FakeLLM) -> None:
    fake_llm.script = [streamed("「予算と決裁者」", "を聞けるように、", "ですね。何が難しかったですか？")]
    pieces = list(_coach(fake_llm).stream_reply(context(), member(GOAL)))
    assert pieces[:3] == ["「予算と決裁者」", "を聞けるように、", "ですね。何が難しかったですか？"]
    final = pieces[-1]
    assert isinstance(final, CoachReply)
    assert (final.engine, final.content) == ("llm", "「予算と決裁者」を聞けるように、ですね。何が難しかったですか？")
    assert fake_llm.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize(("status", "reason"), [(500, "HTTP 500"), (503, "HTTP 503")])
def test_a_server_error_falls_back_to_the_built_in_coach_and_says_why(
    fake_llm: FakeLLM, status: int, reason: str
) -> None:
    fake_llm.script = [error(status)]
    reply = _coach(fake_llm).reply(context(), member(GOAL))
    expected = BUILTIN.reply(context(), member(GOAL))
    assert (reply.engine, reply.content) == ("local", expected.content)
    assert reply.fallback_reason is not None
    assert reason in reply.fallback_reason
    assert "組み込みのコーチが答えました" in reply.fallback_reason


def test_a_slow_model_times_out_and_falls_back_in_bounded_time(fake_llm: FakeLLM) -> None:
    def slow() -> Any:
        time.sleep(1.5)
        return completion(LLM_REPLY)

    fake_llm.script = [slow]
    started = time.monotonic()
    reply = _coach(fake_llm, timeout_seconds=0.5).reply(context(), member(GOAL))
    assert time.monotonic() - started < 1.4
    assert reply.engine == "local"
    assert reply.fallback_reason is not None
    assert "時間内" in reply.fallback_reason


def test_a_stream_cut_midway_is_reset_and_the_built_in_coach_answers(fake_llm: FakeLLM) -> None:
    fake_llm.script = [streamed("「予算と", "決裁者」を", "聞けるように", cut_after=2)]
    pieces = list(_coach(fake_llm).stream_reply(context(), member(GOAL)))
    expected = BUILTIN.reply(context(), member(GOAL))
    assert pieces[:2] == ["「予算と", "決裁者」を"]
    assert isinstance(pieces[2], StreamReset)
    assert "途中で途切れた" in pieces[2].reason
    assert pieces[3] == expected.content
    final = pieces[4]
    assert isinstance(final, CoachReply)
    assert (final.engine, final.content) == ("local", expected.content)


def test_a_stream_failing_at_once_needs_no_reset(fake_llm: FakeLLM) -> None:
    fake_llm.script = [error(500)]
    pieces = list(_coach(fake_llm).stream_reply(context(), member(GOAL)))
    assert not any(isinstance(p, StreamReset) for p in pieces)
    assert pieces[0] == BUILTIN.reply(context(), member(GOAL)).content
    assert isinstance(pieces[-1], CoachReply)
    assert pieces[-1].engine == "local"


def test_a_stalled_stream_times_out_and_falls_back(fake_llm: FakeLLM) -> None:
    fake_llm.script = [streamed("「予算」", "ですね", pause=1.0)]
    pieces = list(_coach(fake_llm, timeout_seconds=0.4).stream_reply(context(), member(GOAL)))
    final = pieces[-1]
    assert isinstance(final, CoachReply)
    assert final.engine == "local"


def test_an_empty_answer_falls_back(fake_llm: FakeLLM) -> None:
    fake_llm.script = [completion("   ")]
    reply = _coach(fake_llm).reply(context(), member(GOAL))
    assert reply.engine == "local"
    assert reply.fallback_reason is not None
    assert "空" in reply.fallback_reason


WORDS = [
    GOAL,
    "明日までに青葉電機の田中部長に電話して予算を確認します",
    "予算額をメモして課長に報告できたら",
]


def _outcome_answer(*commitments: dict[str, Any], goal: str | None = GOAL) -> str:
    return json.dumps({"goal": goal, "commitments": list(commitments)}, ensure_ascii=False)


def _history() -> list[Turn]:
    return [t for m in WORDS for t in (Turn(role="member", content=m), Turn(role="coach", content="はい。"))]


def test_commitments_are_extracted_with_structured_output_and_kept_in_the_juniors_words(fake_llm: FakeLLM) -> None:
    fake_llm.script = [
        completion(
            _outcome_answer(
                {
                    "quote": "明日までに青葉電機の田中部長に電話して予算を確認します",
                    "what": "田中部長に電話して予算を確認",
                    "who": ["青葉電機", "田中部長"],
                    "when": "来月",  # the model's reading of the date is not trusted: the junior wrote 「明日」
                    "success_metric": "予算額をメモして課長に報告できたら",
                    "skill": "hearing",
                }
            )
        )
    ]
    outcome = _coach(fake_llm).outcome(context(), _history())
    (commitment,) = outcome.commitments
    assert commitment.quote == "明日までに青葉電機の田中部長に電話して予算を確認します"
    assert commitment.what == "田中部長に電話して予算を確認"
    assert commitment.who == ["青葉電機", "田中部長"]
    assert commitment.due_date == date(2026, 11, 30)
    assert commitment.success_metric == "予算額をメモして課長に報告できたら"
    assert outcome.goal == GOAL
    assert fake_llm.requests[0]["body"]["response_format"]["type"] == "json_schema"


def test_what_the_junior_never_said_is_dropped(fake_llm: FakeLLM) -> None:
    fake_llm.script = [
        completion(
            _outcome_answer(
                {"quote": "来週までに五社に提案書を送ります", "what": "五社に提案書を送る"},  # never written
                {
                    "quote": "明日までに青葉電機の田中部長に電話して予算を確認します",
                    "what": "競合を調べて値引きする",  # not their words: read from the quote instead
                    "who": ["山田社長"],  # not in their words
                    "how_many": "3件",  # not in the quote
                    "success_metric": "受注する",  # not their words
                    "skill": "unknown_skill",
                },
                goal="売上を倍にしたい",
            )
        )
    ]
    outcome = _coach(fake_llm).outcome(context(), _history())
    (commitment,) = outcome.commitments
    assert commitment.what == "青葉電機の田中部長に電話して予算を確認します"
    assert commitment.who == ["青葉電機", "田中部長"]
    assert (commitment.how_many, commitment.success_metric) == (None, None)
    assert commitment.skill == "hearing"
    assert outcome.goal == BUILTIN.outcome(context(), _history()).goal  # not theirs: the built-in coach's reading


@pytest.mark.parametrize("answer", [completion("これはJSONではありません"), error(500)])
def test_a_failed_extraction_falls_back_to_the_built_in_reading(fake_llm: FakeLLM, answer: Any) -> None:
    fake_llm.script = [answer]
    assert _coach(fake_llm).outcome(context(), _history()) == BUILTIN.outcome(context(), _history())


def test_names_are_masked_on_the_way_out_and_restored_in_a_streamed_reply(fake_llm: FakeLLM) -> None:
    fake_llm.script = [streamed("〔人", "名1〕部長", "への電話ですね。いつまでにやりますか？")]
    words = member("明日、田中部長に電話します")
    pieces = list(_coach(fake_llm, mask_pii=True).stream_reply(context(), words))
    sent = json.dumps(fake_llm.requests[0]["body"], ensure_ascii=False)
    assert "田中" not in sent
    assert "〔人名1〕" in sent
    final = pieces[-1]
    assert isinstance(final, CoachReply)
    assert final.content == "田中部長への電話ですね。いつまでにやりますか？"
    assert "".join(p for p in pieces if isinstance(p, str)) == final.content


def test_the_settings_choose_the_coach(fake_llm: FakeLLM) -> None:
    assert type(get_coach(Settings(engine="local"))) is BuiltinCoach
    unconfigured = get_coach(Settings(engine="llm"))
    reason = unconfigured.reply(context(), member(GOAL)).fallback_reason
    assert reason is not None
    assert "SALES_GROWTH_LLM_BASE_URL" in reason
    configured = get_coach(Settings(engine="llm", llm_base_url=fake_llm.base_url, llm_model="test-model"))
    assert isinstance(configured, LLMCoach)
