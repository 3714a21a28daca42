"""A short Japanese summary of a record: topic, strengths, challenges and agreed next steps (≤ 400 characters)."""

from __future__ import annotations

import re

from sales_growth.analysis.models import SKILL_LABELS_JA, SkillReport
from sales_growth.analysis.transcript import Transcript

MAX_CHARS = 400
_COURTESY = re.compile(r"よろしく|お願いします|ありがとう|お疲れ|失礼します")
_COMMITMENT = re.compile(
    r"(?:します|しておきます|やります|までに|次回|来週|今週中|明日|確認します|送ります|連絡します)"
)


def summarize(transcript: Transcript, report: SkillReport, keywords: list[str]) -> str:
    """3 to 6 sentences, each backed by the record."""
    sentences = [_topic(transcript, keywords)]
    strengths = _labels(report, "strength")
    challenges = _labels(report, "challenge")
    if strengths:
        sentences.append(f"強みとして{strengths}が確認できました。")
    elif not challenges:
        sentences.append("記録からは、営業スキルの強みや課題として特定できる発言は見つかりませんでした。")
    if challenges:
        sentences.append(f"課題は{challenges}です。")
    if report.primary_challenge:
        sentences.append(_primary_sentence(report))
    elif not challenges:
        sentences.append("今回の1on1では、大きな課題は挙がりませんでした。")
    step = _next_step(transcript)
    if step:
        sentences.append(f"次の行動として「{step}」が挙がりました。")
    text = "".join(sentences[:6])
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def _primary_sentence(report: SkillReport) -> str:
    label = SKILL_LABELS_JA[report.primary_challenge] if report.primary_challenge else ""
    evidence = next(
        (f.evidence for f in report.findings if f.skill == report.primary_challenge and f.polarity == "challenge"), ""
    )
    quote = evidence.strip("「」。、…‥ 　")
    if 6 <= len(quote) <= 45 and "。" not in quote:
        return f"特に{label}に重点を置き、「{quote}」という点を話し合いました。"
    return f"特に{label}に重点を置いて話し合いました。"


def _topic(transcript: Transcript, keywords: list[str]) -> str:
    who = "新人営業" if not transcript.junior else f"{transcript.junior}さん"
    if keywords:
        return f"{who}との1on1で、{'、'.join(keywords[:3])}について話しました。"
    return f"{who}との1on1の記録です。"


def _labels(report: SkillReport, polarity: str) -> str:
    skills = [SKILL_LABELS_JA[f.skill] for f in report.findings if f.polarity == polarity]
    return "、".join(f"「{s}」" for s in dict.fromkeys(skills))


def _next_step(transcript: Transcript) -> str | None:
    """The last commitment said near the end of the 1on1, as it was said."""
    tail = transcript.utterances[-8:]
    for utterance in reversed(tail):
        if utterance.role not in {"junior", "manager", "narrator"}:
            continue
        for raw in reversed(re.split(r"(?<=[。！？])", utterance.text)):
            sentence = raw.strip()
            if (
                _COMMITMENT.search(sentence)
                and not _COURTESY.search(sentence)
                and 8 <= len(sentence) <= 80
                and "？" not in sentence
            ):
                return sentence.rstrip("。")
    return None
