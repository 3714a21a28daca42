"""Scores on the labelled sets: the shared development set and our own held-out set.

These are floors that guard against regressions, not the targets: the targets (findings F1 ≥ 0.85, primary
≥ 0.85) are in the README with the scores measured today. Evidence and plans must always be fully valid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sales_growth.analysis.engine import get_local_analyzer
from sales_growth.analysis.evaluation import Scores, evaluate, load_dataset

ROOT = Path(__file__).resolve().parents[2]
SETS = {"dev": ROOT.parent / "shared" / "eval" / "dev", "heldout": ROOT / "tests" / "analysis" / "heldout"}
# F1, primary, keyword recall@10, a little under today's figures (dev 0.850, 0.917, 0.725; held-out 0.874, 1.00,
# 0.787). The held-out set is 16 records: two findings move its F1 by 0.03 (it went from 0.87 to 0.85 with the 96
# harder records of b15–b18, and from 0.89 to 0.85 and back with b27–b34 and b35–b42).
FLOORS = {"dev": (0.82, 0.83, 0.70), "heldout": (0.86, 0.90, 0.75)}


@pytest.fixture(scope="module", params=sorted(SETS))
def scored(request: pytest.FixtureRequest) -> tuple[str, Scores]:
    directory = SETS[request.param]
    if not (directory / "labels.jsonl").exists():
        pytest.skip(f"labelled set not found at {directory}")
    return request.param, evaluate(load_dataset(directory), get_local_analyzer())


def test_evidence_is_always_verbatim(scored: tuple[str, Scores]) -> None:
    assert scored[1].evidence_validity == 1.0


def test_every_action_plan_is_valid(scored: tuple[str, Scores]) -> None:
    assert scored[1].action_plan_validity == 1.0


def test_scores_do_not_fall_below_their_floor(scored: tuple[str, Scores]) -> None:
    name, scores = scored
    f1, primary, keywords = FLOORS[name]
    assert scores.f1 >= f1
    assert scores.primary_accuracy >= primary
    assert scores.keyword_recall_at_10 >= keywords
