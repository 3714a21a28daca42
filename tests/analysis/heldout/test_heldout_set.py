"""Integrity of the held-out evaluation set: a broken file or label would silently skew every score measured on it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
# The ten stable ids of shared/spec/skill-taxonomy.md, spelled out here so the set stays independent of the engine.
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


def _labels() -> list[dict[str, Any]]:
    lines = (HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _text(label: dict[str, Any]) -> str:
    raw = (HERE / label["file"]).read_bytes()
    encoding = "utf-8-sig" if label["encoding"] == "utf-8" else label["encoding"]
    return raw.decode(encoding)


@pytest.mark.parametrize("label", _labels(), ids=lambda label: label["id"])
def test_record_decodes_with_its_declared_encoding_and_has_a_realistic_length(label: dict[str, Any]) -> None:
    assert 1000 <= len(_text(label)) <= 3500


@pytest.mark.parametrize("label", _labels(), ids=lambda label: label["id"])
def test_every_gold_keyword_appears_verbatim_in_its_record(label: dict[str, Any]) -> None:
    keywords = label["gold"]["keywords"]
    assert 3 <= len(keywords) <= 5
    assert [k for k in keywords if k not in _text(label)] == []


@pytest.mark.parametrize("label", _labels(), ids=lambda label: label["id"])
def test_gold_uses_taxonomy_ids_and_primary_is_one_of_the_challenges(label: dict[str, Any]) -> None:
    gold = label["gold"]
    assert set(gold["challenges"]) | set(gold["strengths"]) <= SKILLS
    expected_primary = gold["challenges"] if gold["challenges"] else [None]
    assert gold["primary_challenge"] in expected_primary


def test_every_skill_is_a_challenge_twice_and_a_strength_once_across_the_set() -> None:
    challenges = Counter(skill for label in _labels() for skill in label["gold"]["challenges"])
    strengths = Counter(skill for label in _labels() for skill in label["gold"]["strengths"])
    assert {skill for skill in SKILLS if challenges[skill] < 2 or strengths[skill] < 1} == set()


def test_set_keeps_its_windows_style_files_byte_for_byte() -> None:
    # An editor or a git setting that "fixes" these files would remove exactly what they are here to test.
    labels = _labels()
    cp932 = [label for label in labels if label["encoding"] == "cp932"]
    raws = {label["id"]: (HERE / label["file"]).read_bytes() for label in labels}
    srts = [label["id"] for label in labels if label["file"].endswith(".srt")]
    assert cp932
    assert all(_is_not_utf8(raws[label["id"]]) for label in cp932)
    assert any(raw.startswith(b"\xef\xbb\xbf") for raw in raws.values())
    assert srts
    assert all(raws[i].count(b"\r\n") == raws[i].count(b"\n") for i in srts)


def _is_not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_case_files_and_labels_match_one_to_one() -> None:
    labelled = {label["file"] for label in _labels()}
    on_disk = {f"cases/{path.name}" for path in (HERE / "cases").iterdir()}
    assert labelled == on_disk
