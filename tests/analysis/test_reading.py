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


@pytest.mark.parametrize(
    ("header", "manager", "junior"),
    [
        # Entries with ＝, a role after the name and a description with a space in it: the words next to one
        # entry must not leak into the next (「部長）　岡田」 does not make 岡田 a manager).
        ("営業部 1on1\n部長＝木下（第二営業部 部長）　森＝森 花子（第二営業部 1年目）\n", "部長", "森"),
        ("記録\n石井＝法人営業課マネージャー　原＝同課 新人（10月入社）\n", "石井", "原"),
        ("メモ\n吉田＝法人課 課長／松本＝同課 新人（入社半年）\n", "吉田", "松本"),
        # A legend line of its own, A/B with a bracketed description, and bracketed keys.
        ("面談ログ\nA：西田（販売課 課長）　B：北村（販売課 2年目）\n", "A", "B"),
        ("面談ログ\n[東]＝東（販売部 課長）　[北村]＝北村（同 1年目）\n", "東", "北村"),
    ],
)
def test_participants_lines_place_each_speaker(header: str, manager: str, junior: str) -> None:
    talk = (
        f"{manager}：今週の訪問、どうだった？\n{junior}：はい、三件回れました。\n"
        f"{manager}：いいね。次は見積まで進めよう。\n{junior}：わかりました。\n"
    )
    transcript = read_transcript(header + "\n" + talk)
    assert transcript.roles[manager] == "manager"
    assert transcript.roles[junior] == "junior"
    assert all(u.speaker in {manager, junior} for u in transcript.utterances)


def test_a_trainer_is_placed_with_the_manager_and_an_observer_is_not_judged() -> None:
    text = (
        "1on1メモ\n参加：岡課長／杉山（3年目・OJT担当）／平田（1年目）／今村（2年目・同席）\n\n"
        "岡：じゃあ始めよう。平田、今週はどうだった？\n平田：はい、新規で二件訪問しました。\n"
        "杉山：二件とも事前に資料を読み込んでいたのは良かったよ。\n今村：横で聞いていました。\n"
        "岡：次は見積まで行こう。\n平田：わかりました。\n"
    )
    roles = read_transcript(text).roles
    assert roles == {"岡": "manager", "平田": "junior", "杉山": "manager", "今村": "other"}


def test_a_chat_export_with_time_stamps_is_read_by_speaker() -> None:
    text = (
        "# 1on1 チャットログ　森＝営業課 課長／泉＝同課 2年目\n\n"
        "[09:02] 森＞ おはよう。先週の商談、どうだった？\n"
        "[09:03] 泉＞ おはようございます！見積は出せました。\n"
        "09:05 森： よかった。次回は決裁者も聞こう。\n"
    )
    transcript = read_transcript(text)
    assert [(u.speaker, u.role) for u in transcript.utterances] == [
        ("森", "manager"),
        ("泉", "junior"),
        ("森", "manager"),
    ]
    assert transcript.utterances[1].text == "おはようございます！見積は出せました。"


def test_names_alone_are_placed_by_who_asks_and_who_answers_politely() -> None:
    text = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v 平野 誠>じゃあ始めよう。丸山工業さんの件、どうなった？</v>\n\n"
        "2\n00:00:05.000 --> 00:00:09.000\n<v 坂本 由紀>はい、昨日お電話して、納期は来月末で大丈夫だそうです。</v>\n\n"
        "3\n00:00:10.000 --> 00:00:13.000\n<v 平野 誠>よかった。先方の担当は誰だっけ？</v>\n\n"
        "4\n00:00:14.000 --> 00:00:17.000\n"
        "<v 坂本 由紀>購買の石田さんです。すみません、まだ決裁者は聞けていません。</v>\n\n"
        "5\n00:00:18.000 --> 00:00:21.000\n<v 平野 誠>次はそこを聞いてほしい。できそう？</v>\n\n"
        "6\n00:00:22.000 --> 00:00:24.000\n<v 坂本 由紀>はい、やってみます。</v>\n"
    )
    roles = read_transcript(text, filename="talk.vtt").roles
    assert roles == {"平野 誠": "manager", "坂本 由紀": "junior"}


@pytest.mark.parametrize(
    "text",
    [
        # LINE WORKS: date and time before the speaker, and a first line that names the 1on1 and the date.
        "トークルーム：森所長・泉（1on1）\n保存日時：2026/02/03 21:10\n\n"
        "[2026/02/03 19:02] 森: 泉、今日の1on1は2026/02/03の振り返りから。商談どうだった？\n"
        "[2026/02/03 19:04] 泉: お疲れさまです。見積は出せました。\n",
        # A LINE export: time, speaker and text separated by tabs.
        "[LINE] 森代理（1on1）とのトーク履歴\n保存日時：2026/02/03 21:10\n\n2026/02/03(火)\n"
        "19:02\t森代理\t泉、今日の商談どうだった？\n19:04\t泉\tお疲れさまです。見積は出せました。\n",
    ],
)
def test_chat_exports_keep_every_line_of_the_chat(text: str) -> None:
    transcript = read_transcript(text)
    spoken = [(u.role, u.text) for u in transcript.utterances if u.role in {"manager", "junior"}]
    assert spoken[0][0] == "manager"
    assert spoken[0][1].startswith("泉、今日")
    assert spoken[1] == ("junior", "お疲れさまです。見積は出せました。")


def test_a_junior_who_serves_customers_is_not_taken_for_a_customer() -> None:
    text = (
        "［面談記録］2026年1月20日　本店\n支配人：高田　　プランナー：坂井（入社1年目・接客担当）\n\n"
        "支配人：先月の接客、どうだった？\nプランナー：はい、ご来館が8組でした。\n"
    )
    assert read_transcript(text).roles == {"支配人": "manager", "プランナー": "junior"}
