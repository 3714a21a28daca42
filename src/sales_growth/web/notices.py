"""What a redirect after a form post may announce (``?notice=saved``): fixed texts, never text from the query.

A page the page cache keeps is rendered with :data:`SLOT` where the notice goes, so that the page after a post
and the same page seen later are one entry; the notice of each request is put in the slot as it is sent."""

from __future__ import annotations

from markupsafe import Markup

PARAM = "notice"
SLOT = "<!--page-notice-->"  # as base.html writes it for a kept page

NOTICES = {
    "saved": "保存しました。",
    "created": "作成しました。",
    "agreed": "行動計画に合意しました。進捗を更新していきましょう。",
    "commented": "コメントを送りました。",
    "rated": "評価を送りました。ありがとうございます。",
    "corrected": "修正を受け付けました。分析の改善に使われます。",
    "reanalysing": "再分析を始めました。",
    "deactivated": "アカウントを無効にしました。",
    "reactivated": "アカウントを有効にしました。",
    "unlocked": "ロックを解除しました。",
}


def text(name: str | None) -> str | None:
    """The notice a query's ``notice=name`` announces, or None for none (or a name it does not know)."""
    return NOTICES.get(name or "")


def html(notice: str | None) -> Markup:
    """A notice as the page shows it (nothing for none); base.html writes it through this too."""
    return Markup('<p class="notice" role="status">{}</p>').format(notice) if notice else Markup("")


def fill(page: str, name: str | None) -> str:
    """The page with this notice (or nothing) in its slot."""
    return page.replace(SLOT, html(text(name)), 1)
