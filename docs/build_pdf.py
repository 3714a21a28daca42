"""Render the user guide (docs/user-guide.md, Japanese, with screenshots) to a PDF operation manual.

    python docs/build_pdf.py                      # writes docs/user-guide.pdf
    python docs/build_pdf.py --out manual.pdf
    python docs/build_pdf.py --refresh-images     # first copy the guide's screenshots from the browser tests

Markdown → HTML (python-markdown) → PDF (WeasyPrint, which needs Debian's pango and, for Japanese, a CJK font such
as fonts-noto-cjk). The screenshots come from the browser tests (``tests/browser``), which save them to
``test-artifacts/screenshots/``; ``--refresh-images`` copies the ones the guide uses into ``docs/images/``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
GUIDE = DOCS / "user-guide.md"
IMAGES = DOCS / "images"
SCREENSHOTS = DOCS.parent / "test-artifacts" / "screenshots"

CSS = """
@page {
  size: A4; margin: 18mm 16mm 20mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; }
}
body {
  font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 10.5pt; line-height: 1.7; color: #1b1f24;
}
h1 { font-size: 22pt; border-bottom: 3px solid #083f77; padding-bottom: 4pt; }
h2 { font-size: 16pt; color: #083f77; break-before: page; border-bottom: 1px solid #c9d1d9; }
h3 { font-size: 12.5pt; margin-top: 14pt; }
h4 { font-size: 11pt; }
img { max-width: 100%; max-height: 190mm; border: 1px solid #c9d1d9; margin: 6pt 0; }
code { font-family: "Noto Sans Mono CJK JP", monospace; background: #f4f6f8; padding: 0 2pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #c9d1d9; padding: 4pt 6pt; vertical-align: top; }
th { background: #f4f6f8; }
"""


def guide_images(markdown_text: str) -> list[str]:
    """The image files the guide refers to (``images/NAME.png``)."""
    return re.findall(r"!\[[^\]]*\]\(images/([^)]+)\)", markdown_text)


def refresh_images(source: Path = SCREENSHOTS) -> list[str]:
    """Copy the guide's screenshots from the browser tests' artefacts; the names copied."""
    names = guide_images(GUIDE.read_text(encoding="utf-8"))
    missing = [name for name in names if not (source / name).exists()]
    if missing:
        raise SystemExit(f"screenshots missing in {source} (run the browser tests first): {', '.join(missing)}")
    IMAGES.mkdir(exist_ok=True)
    for name in names:
        shutil.copyfile(source / name, IMAGES / name)
    return names


def to_html(markdown_text: str) -> str:
    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables", "sane_lists"])
    head = f'<meta charset="utf-8"><title>営業グロースAI 利用者ガイド</title><style>{CSS}</style>'
    return f'<!doctype html><html lang="ja"><head>{head}</head><body>{body}</body></html>'


def build(out: Path, guide: Path = GUIDE) -> int:
    """Write the PDF to ``out``; the number of pages."""
    from weasyprint import HTML

    document = HTML(string=to_html(guide.read_text(encoding="utf-8")), base_url=str(guide.parent)).render()
    out.parent.mkdir(parents=True, exist_ok=True)
    document.write_pdf(out)
    return len(document.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="営業グロースAI 利用者ガイドを PDF にします")
    parser.add_argument("--out", type=Path, default=DOCS / "user-guide.pdf", help="出力する PDF のパス")
    parser.add_argument(
        "--refresh-images", action="store_true", help="ブラウザテストの画面写真を docs/images にコピーする"
    )
    args = parser.parse_args(argv)
    if args.refresh_images:
        print(f"{len(refresh_images())} 枚の画面写真をコピーしました")
    pages = build(args.out)
    print(f"{args.out} を作成しました（{pages} ページ）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
