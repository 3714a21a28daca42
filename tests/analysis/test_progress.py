"""Progress notes on the previous plan's open items: which ones a new record speaks of, how, in its own words."""

from __future__ import annotations

from sales_growth.analysis.models import OpenItem
from sales_growth.analysis.progress import progress_on

RECORD = (
    "課長：前回決めた青葉電機さんの件はどうなった？\n"
    "新人：はい、田中部長に電話して、予算と決裁者を確認できました。\n"
    "課長：いいね。質問リストは？\n"
    "新人：質問リストはまだ途中です。3つまで作りました。\n"
    "課長：提案書のほうは？\n"
    "新人：すみません、提案書の作り直しは手をつけられていません。\n"
)
CALL = OpenItem(id=1, title="青葉電機の田中部長に電話して予算と決裁者を確認します", who=["青葉電機", "田中部長"])
LIST = OpenItem(id=2, title="質問リストを５つ作ります")
PROPOSAL = OpenItem(id=3, title="青葉電機様向けの提案を顧客の課題から組み立て直す")
UNMENTIONED = OpenItem(id=4, title="週の行動計画を立てて訪問件数の目標を追いかける")


def _notes() -> dict[int, tuple[str, str]]:
    return {n.item_id: (n.status, n.evidence) for n in progress_on(RECORD, [CALL, LIST, PROPOSAL, UNMENTIONED])}


def test_a_done_item_is_noted_with_the_records_words() -> None:
    assert _notes()[1] == ("done", "はい、田中部長に電話して、予算と決裁者を確認できました。")


def test_an_item_in_progress_is_noted_where_the_record_says_so() -> None:
    assert _notes()[2] == ("in_progress", "質問リストはまだ途中です。")


def test_a_negated_action_is_not_done_and_short_words_still_match() -> None:
    assert _notes()[3] == ("not_done", "すみません、提案書の作り直しは手をつけられていません。")


def test_an_item_the_record_does_not_speak_of_gets_no_note() -> None:
    assert 4 not in _notes()


def test_the_customers_name_alone_does_not_tie_a_sentence_to_an_item() -> None:
    text = "課長：青葉電機さんの件はどう？\n新人：青葉電機さんには来週伺います。\n"
    assert progress_on(text, [PROPOSAL]) == []


def test_the_answer_in_the_next_sentence_counts_and_the_evidence_spans_both() -> None:
    text = "課長：訪問件数の目標と行動計画はどうだった？\n新人：毎週達成できました。\n"
    (note,) = progress_on(text, [UNMENTIONED])
    assert note.status == "done"
    assert note.evidence == "訪問件数の目標と行動計画はどうだった？\n新人：毎週達成できました。"
    assert note.evidence in text


def test_every_evidence_is_verbatim() -> None:
    assert all(n.evidence in RECORD for n in progress_on(RECORD, [CALL, LIST, PROPOSAL, UNMENTIONED]))


def test_no_items_no_notes() -> None:
    assert progress_on(RECORD, []) == []
