"""``sales-growth analyze`` and ``sales-growth eval`` as a user runs them: output, and one clear line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RECORD = "課長：予算は聞けた？\n新人：いえ、予算を聞くのを忘れてしまいました。\n課長：準備は良かったよ。\n"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sales_growth.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_analyze_json_has_the_design_shape(tmp_path: Path) -> None:
    record = tmp_path / "memo.txt"
    record.write_bytes(RECORD.encode("cp932"))
    result = _run("analyze", str(record), "--json", "--session-date", "2026-11-02")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert {"engine", "summary", "keywords", "findings", "primary_challenge", "action_plan"} <= body.keys()
    assert body["engine"] == "local"
    assert all(f["evidence"] in RECORD for f in body["findings"])
    assert all("2026-11-03" <= a["due_date"] <= "2026-12-14" for a in body["action_plan"])


def test_analyze_prints_a_japanese_report_without_json(tmp_path: Path) -> None:
    record = tmp_path / "memo.txt"
    record.write_text(RECORD, encoding="utf-8")
    result = _run("analyze", str(record), "--session-date", "2026-11-02")
    assert result.returncode == 0
    assert "要約" in result.stdout
    assert "アクションプラン" in result.stdout


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "空"),
        ("blank.txt", b"  \n\n ", "空"),
        ("binary.txt", bytes(range(256)) * 8, "文字コード"),
        ("huge.txt", "あ".encode() * 400_000, "大きすぎ"),
        ("photo.png", b"\x89PNG", "形式"),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = _run("analyze", str(path))
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_and_a_bad_date_are_clear_errors(tmp_path: Path) -> None:
    missing = _run("analyze", str(tmp_path / "none.txt"))
    assert missing.returncode != 0
    assert "見つかりません" in missing.stderr
    record = tmp_path / "memo.txt"
    record.write_text(RECORD, encoding="utf-8")
    bad_date = _run("analyze", str(record), "--session-date", "11/02")
    assert bad_date.returncode != 0
    assert "YYYY-MM-DD" in bad_date.stderr


def test_eval_prints_every_score_and_refuses_a_folder_without_labels(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "r1.txt").write_text(RECORD, encoding="utf-8")
    (tmp_path / "labels.jsonl").write_text(
        '{"id": "r1", "file": "cases/r1.txt", "session_date": "2026-11-02", "gold": {"challenges": ["hearing"], '
        '"strengths": ["preparation"], "primary_challenge": "hearing", "keywords": ["予算"]}}\n',
        encoding="utf-8",
    )
    result = _run("eval", str(tmp_path), "--json", "--verbose")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert set(scores) >= {
        "findings",
        "per_skill_f1",
        "primary_accuracy",
        "evidence_validity",
        "keyword_recall_at_10",
        "action_plan_validity",
        "per_record",
    }
    refused = _run("eval", str(tmp_path / "cases"))
    assert refused.returncode != 0
    assert "labels.jsonl" in refused.stderr
