"""Reading records: formats, speaker-label styles, roles, and every utterance a verbatim slice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales_growth.analysis.reading import read_transcript


@pytest.mark.parametrize(
    ("text", "manager", "junior"),
    [
        ("上司：今日はどう？\n部下：はい、順調です。\n", "上司", "部下"),
        ("課長: 状況は？\n新人: 訪問は5件でした。\n", "課長", "新人"),
        ("佐藤（マネージャー）：どうだった？\n田中（新人）：はい、聞けました。\n", "佐藤", "田中"),
        ("【マネージャー】先週の件は？\n【メンバー】見積を出しました。\n", "マネージャー", "メンバー"),
        ("A=山田課長、B=小池\nA：先週の訪問は？\nB：はい、2件行きました。\n", "A", "B"),
        ("1on1　佐藤（課長）／田中（入社1年目）\n佐藤：どうだった？\n田中：はい、なんとか。\n", "佐藤", "田中"),
        ("[森]今日はどう？\n[林]はい、大丈夫です。\n[森]じゃあ始めよう。\n", None, None),
        ("＜佐藤課長＞今日はどう？\n＜田中＞はい、大丈夫です。\n", "佐藤課長", "田中"),
        ("マネージャー（佐藤）：今日はどう？\n新人（田中）：はい、順調です。\n", "マネージャー", "新人"),
    ],
)
def test_speaker_label_styles_are_read(text: str, manager: str | None, junior: str | None) -> None:
    transcript = read_transcript(text)
    assert transcript.format == "dialogue"
    assert all(u.speaker for u in transcript.utterances)
    if manager:
        assert transcript.roles[manager] == "manager"
        assert transcript.roles[junior or ""] == "junior"


def test_webvtt_voice_tags_give_speakers_and_text() -> None:
    text = (
        "WEBVTT\n\nabc/1-0\n00:00:01.000 --> 00:00:03.000\n<v 中村 課長>今日はどうでした？</v>\n\n"
        "abc/2-0\n00:00:04.000 --> 00:00:06.000\n<v 小林>はい、2件訪問しました。</v>\n"
    )
    transcript = read_transcript(text, filename="meeting.vtt")
    assert transcript.format == "vtt"
    assert [u.text for u in transcript.utterances] == ["今日はどうでした？", "はい、2件訪問しました。"]
    assert transcript.roles == {"中村 課長": "manager", "小林": "junior"}


def test_srt_cues_with_speaker_prefixes_are_read() -> None:
    text = "1\n00:00:01,000 --> 00:00:03,000\n課長：今日は？\n\n2\n00:00:04,000 --> 00:00:06,000\n新人：はい。\n"
    transcript = read_transcript(text, filename="call.srt")
    assert transcript.format == "srt"
    assert [(u.speaker, u.text) for u in transcript.utterances] == [("課長", "今日は？"), ("新人", "はい。")]


def test_a_subtitle_turn_wrapped_over_lines_stays_one_utterance_of_its_speaker() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:05,000\n課長：先週の訪問、\nどうだった？\n\n"
        "2\n00:00:06,000 --> 00:00:09,000\n新人：はい、予算までは\n聞けました。\n\n"
        "3\n00:00:10,000 --> 00:00:12,000\nただ決裁者はまだです。\n"
    )
    transcript = read_transcript(text, filename="call.srt")
    assert [(u.role, u.text) for u in transcript.utterances] == [
        ("manager", "先週の訪問、\nどうだった？"),
        ("junior", "はい、予算までは\n聞けました。"),
        ("junior", "ただ決裁者はまだです。"),
    ]
    assert all(transcript.source[u.start : u.end] == u.text for u in transcript.utterances)


def test_two_named_speakers_are_placed_by_how_they_talk_in_any_trade() -> None:
    turns = [
        ("森田 浩二", "じゃあ始めましょうか。先週の入塾面談、どうだった？"),
        ("佐々木 美咲", "はい。お母様のご心配を最初に伺いました。"),
        ("森田 浩二", "いいね。志望校の話は出た？"),
        ("佐々木 美咲", "はい、すみません、そこはまだ聞けていません。"),
        ("森田 浩二", "次は聞いてみよう。体験授業の日程は決めた？"),
        ("佐々木 美咲", "はい、来週の土曜でお申し込みいただきました。"),
    ]
    cues = [
        f"{n}\n00:00:{n:02d}.000 --> 00:00:{n:02d}.900\n<v {who}>{line}</v>\n" for n, (who, line) in enumerate(turns)
    ]
    transcript = read_transcript("WEBVTT\n\n" + "\n".join(cues), filename="talk.vtt")
    assert transcript.roles == {"森田 浩二": "manager", "佐々木 美咲": "junior"}


def test_a_memo_becomes_narration_without_bullets_or_table_pipes() -> None:
    text = "# 1on1メモ\n日時：2026/10/01\n- 訪問件数は目標に届かず\n| 項目 | 状況 |\n|---|---|\n| 報告 | 遅れ |\n"
    transcript = read_transcript(text, filename="memo.md")
    assert transcript.format == "memo"
    texts = [u.text for u in transcript.utterances]
    assert "訪問件数は目標に届かず" in texts
    assert "遅れ" in texts
    assert all(u.role == "narrator" for u in transcript.utterances)
    assert not any("日時" in t for t in texts)


def test_a_meeting_without_a_manager_and_junior_has_no_roles() -> None:
    text = "A：それでは始めます。\nB：資料を共有します。\nC：ありがとうございます。\n"
    transcript = read_transcript(text)
    assert transcript.junior is None
    assert transcript.manager is None


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("課長新人：:。、？\n 「」【】[]ABあいう予算聞けない-->0123456789WEBVTT<v>")),
        max_size=300,
    )
)
def test_every_utterance_is_an_exact_slice_of_the_input(text: str) -> None:
    transcript = read_transcript(text)
    for utterance in transcript.utterances:
        assert transcript.source[utterance.start : utterance.end] == utterance.text
        assert utterance.text.strip()
