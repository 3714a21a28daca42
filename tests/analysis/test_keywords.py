"""Key terms: compounds and names first, verbatim, without participants, fillers or qualifiers."""

from __future__ import annotations

from sales_growth.analysis.keywords import extract_keywords
from sales_growth.analysis.reading import read_transcript

TEXT = (
    "課長：北辰精機さんの設備更新の件、どうだった？\n"
    "新人：はい、えーと、北辰精機さんは設備更新の予算がまだ固まっていないそうです。\n"
    "課長：そうか。設備更新の時期は聞けた？\n"
    "新人：来年度と聞きました。ただ、訪問件数自体は今月少なくて、ほとんど北辰精機さんだけでした。\n"
    "課長：北辰精機さん以外にも、設備更新の話がありそうな会社を回ろう。\n"
)


def test_compound_nouns_and_customer_names_come_first() -> None:
    keywords = extract_keywords(read_transcript(TEXT))
    assert set(keywords[:2]) == {"北辰精機", "設備更新"}


def test_a_company_called_by_a_short_name_is_the_name_its_full_form_contains() -> None:
    """「ハルモニアさん」 most of the time, 「ハルモニアコスメ」 once: the term is ハルモニア, part of both, and the
    short and the full form count together; お客様 keeps its honorific, a person weighs less than a company."""
    text = (
        "課長：ハルモニアコスメの件、その後どう？\n"
        "新人：ハルモニアさんは来月の棚替えに合わせて検討したいそうです。お客様の声も集めてくれるそうで。\n"
        "課長：ハルモニアさんの決裁は誰？\n"
        "新人：ハルモニアさんでは小野さんが決めると聞きました。\n"
    )
    keywords = extract_keywords(read_transcript(text))
    assert keywords[0] == "ハルモニア"
    assert keywords.index("小野") > keywords.index("棚替え")
    assert "お客" not in keywords


def test_every_keyword_is_verbatim_and_no_participant_or_filler() -> None:
    keywords = extract_keywords(read_transcript(TEXT))
    assert all(k in TEXT for k in keywords)
    assert not {"課長", "新人", "えーと", "今月"} & set(keywords)


def test_qualifiers_at_the_edges_of_a_term_are_left_out() -> None:
    keywords = extract_keywords(read_transcript(TEXT))
    assert "訪問件数" in keywords
    assert not [k for k in keywords if k.endswith(("自体", "以外")) or k.startswith("ほとんど")]


def test_a_short_everyday_word_counts_only_when_the_record_keeps_coming_back_to_it() -> None:
    text = (
        "課長：日報、最近どう？\n"
        "新人：日報は毎日書いてますが、確認が遅れがちです。\n"
        "課長：日報に商談の次の一手まで書いてほしいな。\n"
        "新人：はい、日報の書き方を見直します。\n"
    )
    keywords = extract_keywords(read_transcript(text))
    assert "日報" in keywords
    assert "確認" not in keywords
