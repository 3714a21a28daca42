"""The training corpus: every batch is well formed, and the shipped model was trained on it as it is now."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "training" / "corpus"
BATCHES = sorted(p for p in CORPUS.iterdir() if (p / "labels.jsonl").is_file())
MODEL = ROOT / "src" / "sales_growth" / "analysis" / "data" / "skill_model.json"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_corpus", ROOT / "training" / "check_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("batch", BATCHES, ids=[b.name for b in BATCHES])
def test_every_batch_is_well_formed_with_verbatim_evidence(batch: Path) -> None:
    assert _checker().check_batch(batch) == []


def test_the_corpus_covers_every_skill_both_ways() -> None:
    counts: dict[tuple[str, str], int] = {}
    for batch in BATCHES:
        for line in (batch / "labels.jsonl").read_text("utf-8").splitlines():
            gold = json.loads(line)["gold"]
            for polarity, skills in (("challenge", gold["challenges"]), ("strength", gold["strengths"])):
                for skill in skills:
                    counts[(skill, polarity)] = counts.get((skill, polarity), 0) + 1
    assert len(counts) == 20
    assert min(counts.values()) >= 15


def test_the_shipped_model_was_trained_on_this_corpus() -> None:
    """Editing the corpus without retraining (``python training/train.py``) fails here."""
    digest = hashlib.sha256()
    for batch in BATCHES:
        for path in sorted(p for p in batch.rglob("*") if p.is_file()):
            digest.update(path.relative_to(CORPUS).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    meta = json.loads(MODEL.read_text("utf-8"))["meta"]
    assert meta["corpus_sha256"] == digest.hexdigest()
    assert meta["batches"] == [b.name for b in BATCHES]
