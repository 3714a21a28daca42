"""Checks one batch of the training corpus: files decode, labels are well formed, every quote is verbatim.

Usage: python training/check_corpus.py training/corpus/<batch> [more batches...]

A batch is laid out like ``shared/eval/dev`` (``cases/`` and ``labels.jsonl``), and each label line also carries
``evidence``: every sentence of the record that states or clearly shows one of its findings.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SKILLS = {
    "preparation",
    "hearing",
    "proposal",
    "objection_handling",
    "closing",
    "relationship",
    "activity_management",
    "product_knowledge",
    "communication",
    "mindset",
}
SUFFIXES = {".txt", ".md", ".vtt", ".srt"}


def fold(text: str) -> str:
    return re.sub(r"\s+", "", text)


def decode(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    text = data.decode(encoding).removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_line(batch: Path, line: str) -> list[str]:
    problems: list[str] = []
    label = json.loads(line)
    rid = label.get("id", "?")
    for key in ("id", "file", "encoding", "session_date", "gold", "evidence"):
        if key not in label:
            problems.append(f"{rid}: missing key {key}")
    if problems:
        return problems
    path = batch / label["file"]
    if path.suffix not in SUFFIXES or not path.is_file():
        return [f"{rid}: file {label['file']} missing or not .txt/.md/.vtt/.srt"]
    try:
        text = decode(path, label["encoding"])
    except (UnicodeDecodeError, LookupError) as exc:
        return [f"{rid}: cannot decode as {label['encoding']}: {exc}"]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", label["session_date"]):
        problems.append(f"{rid}: session_date must be YYYY-MM-DD")
    gold = label["gold"]
    challenges, strengths = set(gold["challenges"]), set(gold["strengths"])
    for skill in challenges | strengths:
        if skill not in SKILLS:
            problems.append(f"{rid}: unknown skill {skill}")
    primary = gold.get("primary_challenge")
    if (primary is None) != (not challenges) or (primary is not None and primary not in challenges):
        problems.append(f"{rid}: primary_challenge must be one of the challenges (null only when there are none)")
    keywords = gold.get("keywords", [])
    if not 3 <= len(keywords) <= 5:
        problems.append(f"{rid}: 3 to 5 keywords, got {len(keywords)}")
    folded = fold(text)
    for keyword in keywords:
        if fold(keyword) not in folded:
            problems.append(f"{rid}: keyword not in the text: {keyword}")
    covered: set[tuple[str, str]] = set()
    for item in label["evidence"]:
        skill, polarity, quote = item.get("skill"), item.get("polarity"), item.get("quote", "")
        expected = challenges if polarity == "challenge" else strengths if polarity == "strength" else set()
        if skill not in expected:
            problems.append(f"{rid}: evidence for {skill}/{polarity}, which is not a gold label")
        if len(fold(quote)) < 4 or fold(quote) not in folded:
            problems.append(f"{rid}: quote is not verbatim in the text: {quote}")
        covered.add((skill, polarity))
    for skill in challenges:
        if (skill, "challenge") not in covered:
            problems.append(f"{rid}: no evidence quote for challenge {skill}")
    for skill in strengths:
        if (skill, "strength") not in covered:
            problems.append(f"{rid}: no evidence quote for strength {skill}")
    return problems


def check_batch(batch: Path) -> list[str]:
    labels = batch / "labels.jsonl"
    if not labels.is_file():
        return [f"{batch}: no labels.jsonl"]
    problems: list[str] = []
    ids: set[str] = set()
    files: set[str] = set()
    for number, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON: {exc}")
            continue
        if label.get("id") in ids:
            problems.append(f"line {number}: duplicate id {label.get('id')}")
        ids.add(label.get("id"))
        files.add(label.get("file", ""))
        problems.extend(f"line {number}: {p}" for p in check_line(batch, line))
    unlabelled = {f"cases/{p.name}" for p in (batch / "cases").glob("*")} - files
    problems.extend(f"{name}: file without a label line" for name in sorted(unlabelled))
    return problems


def main(argv: list[str]) -> int:
    total = 0
    for arg in argv:
        problems = check_batch(Path(arg))
        for problem in problems:
            print(f"{arg}: {problem}")
        total += len(problems)
        if not problems:
            count = sum(1 for line in (Path(arg) / "labels.jsonl").read_text("utf-8").splitlines() if line.strip())
            print(f"{arg}: OK ({count} records)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
