"""The user guide: one chapter per role, every screenshot it shows is committed, and it renders to a PDF."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "user-guide.md"


def _build_pdf_module() -> object:
    spec = importlib.util.spec_from_file_location("build_pdf", ROOT / "docs" / "build_pdf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_pdf"] = module
    spec.loader.exec_module(module)
    return module


def test_the_guide_has_a_chapter_per_role() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for chapter in ("## 第2章 メンバー", "## 第3章 マネージャー", "## 第4章 管理者"):
        assert chapter in text


def test_every_screenshot_of_the_guide_is_committed() -> None:
    build_pdf = _build_pdf_module()
    names = build_pdf.guide_images(GUIDE.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert len(names) >= 10
    for name in names:
        assert (ROOT / "docs" / "images" / name).stat().st_size > 10_000, name


@pytest.mark.slow
def test_the_guide_renders_to_a_pdf_with_pages(tmp_path: Path) -> None:
    build_pdf = _build_pdf_module()
    out = tmp_path / "guide.pdf"
    pages = build_pdf.build(out)  # type: ignore[attr-defined]
    assert pages >= 10
    assert out.read_bytes().startswith(b"%PDF-")
    assert out.stat().st_size > 500_000  # the screenshots are in it
