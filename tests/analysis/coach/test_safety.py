"""Safety: distress and self-harm are noticed in the junior's words (KokoroChat's clients), ordinary business talk
is not (the Business Scene Dialogue corpus and AMI meetings), with care for negation and business uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sales_growth.analysis.coach.safety import KOKORO_DIAL, YORISOI_HOTLINE, SafetyConcern, assess, safe_reply

CORPORA = Path(__file__).resolve().parents[3].parent / "shared" / "corpora"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"corpora not found at {CORPORA}")

# Client utterances of KokoroChat read as distress (file, a part of the utterance). Each must be caught.
KOKOROCHAT_DISTRESS = [
    ("1955.json", "辛くて仕方なくて"),
    ("3183.json", "とてもしんどいです"),
    ("3843.json", "涙が出てくることもあります"),
    ("4353.json", "体調もおかしくなってきて、会社に行きたくない"),
    ("4353.json", "会社に行く道中でちょっと息苦しく"),
    ("4353.json", "体調までおかしくなってきて"),
    ("4624.json", "限界がきて退職しました"),
    ("4624.json", "精神的にも参ってしまうときが"),
    ("5175.json", "毎日しんどいです"),
    ("5408.json", "精神的プレッシャーがきつくて"),
    ("542.json", "毎日朝憂鬱です"),
    ("5617.json", "夜が眠れず、仕事に行けてません"),
    ("5617.json", "だんだん眠れなくなって"),
    ("5617.json", "眠れる薬をもらってるけど"),
    ("5617.json", "自分が思うに、うつかと"),
    ("5617.json", "このまま眠れなかったらどうしようか"),
    ("5702.json", "よく寝れません"),
    ("5991.json", "はい、しんどいんです"),
    ("6183.json", "職場に行くのがつらくなってしまいました"),
    ("6269.json", "仕事に行くのが嫌です"),
    ("6269.json", "もう嫌でたまりません"),
    ("6269.json", "行くのが嫌になってきたんです"),
    ("6670.json", "会社に行くのがしんどいです"),
    ("6670.json", "毎日行くのがしんどいです"),
    ("69.json", "会社行くのが憂鬱なんです"),
    ("7072.json", "戻ろうとしても苦しい感じ"),
]
# Client utterances of KokoroChat that are not distress statements, though they share words with them.
KOKOROCHAT_ORDINARY = [
    ("1844.json", "動物病院で看護をしています"),
    ("1844.json", "動物が死ぬことになってら本当に困る"),
    ("3243.json", "関わらないのは無理です"),
    ("4613.json", "体調は大丈夫です。"),
    ("5192.json", "疲れは溜まってますが、大丈夫です。"),
    ("542.json", "仕事をするのは別に嫌ではないです"),
    ("6891.json", "いつのまにかいなくなってますので"),
]


def _client_utterance(name: str, part: str) -> str:
    dialogue = json.loads((CORPORA / "kokorochat" / name).read_text("utf-8"))["dialogue"]
    matches = [t["utterance"] for t in dialogue if t["role"] == "client" and part in t["utterance"]]
    assert matches, f"{part!r} not found among the client's words in {name}"
    return matches[0]


@needs_corpora
@pytest.mark.parametrize(("name", "part"), KOKOROCHAT_DISTRESS)
def test_distress_in_kokorochat_is_caught(name: str, part: str) -> None:
    assert assess(_client_utterance(name, part)) is not None


@needs_corpora
@pytest.mark.parametrize(("name", "part"), KOKOROCHAT_ORDINARY)
def test_ordinary_words_in_kokorochat_are_not_distress(name: str, part: str) -> None:
    assert assess(_client_utterance(name, part)) is None


@needs_corpora
@pytest.mark.parametrize("corpus", ["bsd", "ami-ja"])
def test_no_sentence_of_business_talk_or_meetings_is_taken_for_distress(corpus: str) -> None:
    items = [d for name in ("dev.json", "test.json") for d in json.loads((CORPORA / corpus / name).read_text("utf-8"))]
    sentences = [turn["ja_sentence"] for item in items for turn in item["conversation"]]
    assert len(sentences) > 1000
    caught = [s for s in sentences if assess(s) is not None]
    assert caught == []


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("正直、死にたいと思うことがあります。", "crisis"),
        ("もう消えたいです。", "crisis"),
        ("いなくなりたいって毎晩思います", "crisis"),
        ("自分を傷つけてしまいそうで怖い", "crisis"),
        ("ｼﾆﾀｲ", "crisis"),  # half-width katakana
        ("お客様の前では笑ってますが、もう限界です。", "distress"),
        ("もう限界だと上司に言いました", "distress"),  # the junior's own words, told to someone
        ("最近眠れなくなってしまって", "distress"),
        ("会社に行くのがつらいです", "distress"),
        ("心療内科に通っています", "distress"),
    ],
)
def test_statements_of_distress_and_self_harm_are_caught_with_their_level(text: str, level: str) -> None:
    concern = assess(text)
    assert concern is not None
    assert concern.level == level


@pytest.mark.parametrize(
    "text",
    [
        "死にたいとは思っていません。",
        "もう限界というほどではないです。",
        "眠れなくなってはいません",
        "限界利益を計算してから提案します。",
        "値引きはもう限界です。",
        "価格はこれが限界ですと言われました。",
        "お客様が「もう限界」と言っていました。",  # someone else quoted
        "忙しくて死にそうですが、楽しいです。",
        "嬉しくて泣いてしまいました。",
        "データが消えたみたいです。",
        "値下げは自殺行為だと課長に言われました。",
        "死に筋商品の在庫を整理します。",
        "首をつっこみすぎないようにします。",
        "このやり方には限界を感じています。",
        "コーヒーを飲むと眠れません。",
    ],
)
def test_negation_and_ordinary_uses_are_not_distress(text: str) -> None:
    assert assess(text) is None


def test_a_concern_names_categories_never_the_words() -> None:
    concern = assess("もう限界で、最近は眠れなくなりました")
    assert concern == SafetyConcern(level="distress", cues=("at_the_limit", "sleep_and_body"))


@pytest.mark.parametrize("level", ["crisis", "distress"])
def test_the_safe_reply_names_the_people_who_can_help(level: str) -> None:
    reply = safe_reply(SafetyConcern(level=level, cues=("x",)), manager_name="鈴木")  # type: ignore[arg-type]
    for who in ("上司の鈴木さん", "人事", "産業医", YORISOI_HOTLINE, KOKORO_DIAL):
        assert who in reply
    assert "？" not in reply  # no coaching question
